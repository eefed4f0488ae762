import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { post } from "./api";
import {
  can,
  dropSession,
  restoreSession,
  session,
  signIn,
  signOut,
} from "./session.svelte";

let routes: Record<string, (init: RequestInit) => Response>;
let seen: { url: string; init: RequestInit }[];

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status });
}

beforeEach(() => {
  seen = [];
  routes = {};
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    const h = routes[`${init.method} ${url}`];
    return h
      ? h(init)
      : json(404, { error: { code: "not_found", message: "no" } });
  });
  dropSession();
  session.ready = false;
  session.error = "";
});

afterEach(() => vi.unstubAllGlobals());

const admin = { id: 1, username: "admin", role: "admin" };

describe("session", () => {
  it("restores the user and the CSRF token after a reload", async () => {
    routes["GET /api/auth/me"] = () =>
      json(200, { user: admin, csrf_token: "c1" });
    routes["POST /api/things"] = () => json(201, {});
    await restoreSession();
    expect(session.ready).toBe(true);
    expect(session.user?.username).toBe("admin");
    await post("/api/things", {});
    const h = seen.at(-1)!.init.headers as Record<string, string>;
    expect(h["X-CSRF-Token"]).toBe("c1");
  });

  it("is signed out, without an error, on a 401 from /me", async () => {
    routes["GET /api/auth/me"] = () =>
      json(401, { error: { code: "unauthorized", message: "no session" } });
    await restoreSession();
    expect(session.ready).toBe(true);
    expect(session.user).toBeNull();
    expect(session.error).toBe("");
  });

  it("keeps other failures as an error to show", async () => {
    routes["GET /api/auth/me"] = () =>
      json(500, { error: { code: "internal", message: "boom" } });
    await restoreSession();
    expect(session.user).toBeNull();
    expect(session.error).toBe("boom");
  });

  it("signs in and out, and checks roles", async () => {
    routes["POST /api/auth/login"] = (init) => {
      const b = JSON.parse(String(init.body));
      return b.password === "pw"
        ? json(200, { user: { ...admin, role: "operator" }, csrf_token: "c2" })
        : json(401, { error: { code: "unauthorized", message: "bad" } });
    };
    routes["POST /api/auth/logout"] = () => new Response(null, { status: 204 });
    await expect(signIn("admin", "nope")).rejects.toMatchObject({
      status: 401,
    });
    expect(session.user).toBeNull();
    await signIn("admin", "pw");
    expect(session.user?.role).toBe("operator");
    expect(can("viewer")).toBe(true);
    expect(can("operator")).toBe(true);
    expect(can("admin")).toBe(false);
    await signOut();
    const h = seen.at(-1)!.init.headers as Record<string, string>;
    expect(h["X-CSRF-Token"]).toBe("c2");
    expect(session.user).toBeNull();
    expect(can("viewer")).toBe(false);
  });
});
