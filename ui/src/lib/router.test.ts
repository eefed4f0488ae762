import { beforeEach, describe, expect, it, vi } from "vitest";

// A minimal browser location and history for the router's state.
const loc = { pathname: "/lab/", search: "" };
const entries: string[] = [];
function go(url: string) {
  const u = new URL(url, "http://x");
  loc.pathname = u.pathname;
  loc.search = u.search;
}
vi.stubGlobal("location", loc);
vi.stubGlobal("history", {
  pushState: (_s: unknown, _t: string, url: string) => (
    entries.push(url),
    go(url)
  ),
  replaceState: (_s: unknown, _t: string, url: string) => go(url),
});
vi.stubGlobal("window", { scrollTo: () => {}, addEventListener: () => {} });
vi.stubEnv("BASE_URL", "/lab/");

const { href, navigate, params, router, setQuery } =
  await import("./router.svelte");

beforeEach(() => {
  entries.length = 0;
  navigate("/", { replace: true });
});

describe("router", () => {
  it("builds hrefs under /lab", () => {
    expect(href("/vms")).toBe("/lab/vms");
    expect(href("/vms", { status: "online", q: "" })).toBe(
      "/lab/vms?status=online",
    );
  });

  it("navigates with history entries, or in place", () => {
    navigate("/vms/vm-1");
    expect(router.path).toBe("/vms/vm-1");
    expect(entries).toEqual(["/lab/vms/vm-1"]);
    navigate("/customers?tier=pro", { replace: true });
    expect(router.path).toBe("/customers");
    expect(params().get("tier")).toBe("pro");
    expect(entries).toHaveLength(1);
  });

  it("accepts paths that already carry the base", () => {
    navigate("/lab/alerts?severity=high");
    expect(router.path).toBe("/alerts");
    expect(router.search).toBe("?severity=high");
  });

  it("merges filters into the URL and drops emptied ones, without history entries", () => {
    navigate("/vms?status=online&page=3");
    entries.length = 0;
    setQuery({ tier: "pro", page: null });
    expect(loc.pathname).toBe("/lab/vms");
    expect(params().get("status")).toBe("online");
    expect(params().get("tier")).toBe("pro");
    expect(params().has("page")).toBe(false);
    setQuery({ status: "", tier: undefined });
    expect(router.search).toBe("");
    expect(entries).toHaveLength(0);
  });
});
