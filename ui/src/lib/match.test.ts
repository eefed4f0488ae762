import { describe, expect, it } from "vitest";
import { joinHref, matchRoute, stripBase } from "./match";

const routes = [
  { path: "/" },
  { path: "/vms" },
  { path: "/vms/:id" },
  { path: "/customers/:id" },
];

describe("matchRoute", () => {
  it("matches static and parametrized paths", () => {
    expect(matchRoute(routes, "/")?.route.path).toBe("/");
    expect(matchRoute(routes, "/vms")?.route.path).toBe("/vms");
    expect(matchRoute(routes, "/vms/")?.route.path).toBe("/vms");
    const m = matchRoute(routes, "/vms/vm-00001");
    expect(m?.route.path).toBe("/vms/:id");
    expect(m?.params).toEqual({ id: "vm-00001" });
  });
  it("decodes parameters", () => {
    expect(matchRoute(routes, "/customers/a%20b")?.params.id).toBe("a b");
  });
  it("returns null for unknown paths and bad escapes", () => {
    expect(matchRoute(routes, "/nope")).toBeNull();
    expect(matchRoute(routes, "/vms/a/b")).toBeNull();
    expect(matchRoute(routes, "/vms/%E0%A4%A")).toBeNull();
  });
});

describe("stripBase and joinHref", () => {
  it("strips the base", () => {
    expect(stripBase("/lab/vms", "/lab/")).toBe("/vms");
    expect(stripBase("/lab/", "/lab/")).toBe("/");
    expect(stripBase("/lab", "/lab/")).toBe("/");
    expect(stripBase("/laboratory", "/lab/")).toBe("/laboratory");
  });
  it("joins base, path and query, leaving out empty values", () => {
    expect(joinHref("/lab/", "/vms")).toBe("/lab/vms");
    expect(
      joinHref("/lab/", "/vms", {
        status: "online",
        tier: "",
        page: 2,
        q: null,
      }),
    ).toBe("/lab/vms?status=online&page=2");
    expect(joinHref("/lab/", "/", { q: "a b&c" })).toBe("/lab/?q=a+b%26c");
  });
});
