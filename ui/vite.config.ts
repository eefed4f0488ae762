import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The dev server proxies the API to a lab-fleet running locally
// (LAB_FLEET_URL, default http://127.0.0.1:8686); production is served
// by lab-fleet itself from ui/dist at /lab/.
const api = process.env.LAB_FLEET_URL ?? "http://127.0.0.1:8686";

export default defineConfig({
  base: "/lab/",
  plugins: [svelte()],
  server: {
    proxy: { "/api": { target: api, changeOrigin: false } },
  },
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
