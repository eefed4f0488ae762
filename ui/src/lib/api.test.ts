import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ApiError,
  del,
  get,
  onUnauthorized,
  patch,
  post,
  put,
  send,
  setCsrfToken,
  withQuery,
} from "./api";

interface Call {
  url: string;
  init: RequestInit;
}

let calls: Call[];
let reply: (url: string, init: RequestInit) => Response | Promise<Response>;

function json(status: number, body: unknown): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

beforeEach(() => {
  calls = [];
  reply = () => json(200, {});
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return reply(url, init);
  });
  setCsrfToken("");
  onUnauthorized(null);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error("the request did not fail");
}

function headers(i = 0): Record<string, string> {
  return calls[i].init.headers as Record<string, string>;
}

describe("withQuery", () => {
  it("leaves out empty values and encodes the rest", () => {
    expect(withQuery("/api/vms")).toBe("/api/vms");
    expect(
      withQuery("/api/vms", {
        status: "",
        q: "10.0.0.1",
        limit: 25,
        x: undefined,
      }),
    ).toBe("/api/vms?q=10.0.0.1&limit=25");
    expect(withQuery("/api/alerts", { resolved: false })).toBe(
      "/api/alerts?resolved=false",
    );
  });
});

describe("send", () => {
  it("GETs JSON without a CSRF header or body", async () => {
    setCsrfToken("tok");
    reply = () => json(200, { items: [1], total: 1, limit: 100, offset: 0 });
    const l = await get<{ items: number[] }>("/api/vms", { limit: 100 });
    expect(l.items).toEqual([1]);
    expect(calls[0].url).toBe("/api/vms?limit=100");
    expect(calls[0].init.method).toBe("GET");
    expect(calls[0].init.body).toBeUndefined();
    expect(headers()["X-CSRF-Token"]).toBeUndefined();
    expect(calls[0].init.credentials).toBe("same-origin");
  });

  it("sends the CSRF token and a JSON body with every write", async () => {
    setCsrfToken("tok-123");
    await post("/api/customers", { name: "A" });
    await put("/api/alerts/1/resolve");
    await patch("/api/customers/c1", { tier: "pro" });
    reply = () => new Response(null, { status: 204 });
    expect(await del("/api/tokens/3")).toBeNull();
    expect(calls.map((c) => c.init.method)).toEqual([
      "POST",
      "PUT",
      "PATCH",
      "DELETE",
    ]);
    for (let i = 0; i < 4; i++)
      expect(headers(i)["X-CSRF-Token"]).toBe("tok-123");
    expect(calls[0].init.body).toBe('{"name":"A"}');
    expect(headers(0)["Content-Type"]).toBe("application/json");
    expect(calls[1].init.body).toBe("{}");
    expect(calls[3].init.body).toBeUndefined();
  });

  it("turns an API error into an ApiError with code, message and field", async () => {
    reply = () =>
      json(400, {
        error: {
          code: "validation_failed",
          message: "email is not a valid address",
          field: "email",
        },
      });
    const err = await failure(post("/api/customers", {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe("validation_failed");
    expect(err.message).toBe("email is not a valid address");
    expect(err.field).toBe("email");
  });

  it("copes with an error that is not JSON", async () => {
    reply = () =>
      new Response("<html>bad gateway</html>", {
        status: 502,
        statusText: "Bad Gateway",
      });
    const err = await failure(get("/api/vms"));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(502);
    expect(err.code).toBe("http_502");
    expect(err.message).toBe("502 Bad Gateway");
    expect(err.field).toBeUndefined();
  });

  it("reports a network failure as status 0", async () => {
    reply = () => {
      throw new TypeError("Failed to fetch");
    };
    const err = await failure(get("/api/vms"));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/cannot be reached/);
  });

  it("calls the 401 hook, except for the auth endpoints", async () => {
    const hook = vi.fn();
    onUnauthorized(hook);
    reply = () =>
      json(401, { error: { code: "unauthorized", message: "sign in" } });
    await expect(get("/api/vms")).rejects.toMatchObject({ status: 401 });
    expect(hook).toHaveBeenCalledTimes(1);
    await expect(send("POST", "/api/auth/login", {})).rejects.toMatchObject({
      status: 401,
    });
    await expect(get("/api/auth/me")).rejects.toMatchObject({ status: 401 });
    expect(hook).toHaveBeenCalledTimes(1);
  });
});
