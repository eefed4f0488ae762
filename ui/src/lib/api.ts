// The one API client: send() and its verbs. Every failure becomes an
// ApiError carrying the HTTP status and the server's error code, message
// and field; a network failure is status 0.

export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

let csrfToken = "";
let unauthorized: (() => void) | null = null;

/** The CSRF token sent with every write; set at sign-in and on reload. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called on any 401 outside the auth endpoints (the session is gone). */
export function onUnauthorized(fn: (() => void) | null): void {
  unauthorized = fn;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/** Builds "path?a=1&b=2", leaving out empty values. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export async function send<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (WRITES.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;

  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached.");
  }

  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!res.ok) {
    const err = (data as { error?: Record<string, unknown> } | null)?.error;
    const code =
      typeof err?.code === "string" ? err.code : `http_${res.status}`;
    const message =
      typeof err?.message === "string" && err.message
        ? err.message
        : `${res.status} ${res.statusText || "error"}`.trim();
    const field = typeof err?.field === "string" ? err.field : undefined;
    if (res.status === 401 && !path.startsWith("/api/auth/") && unauthorized)
      unauthorized();
    throw new ApiError(res.status, code, message, field);
  }
  return data as T;
}

export const get = <T>(path: string, query?: Query) =>
  send<T>("GET", withQuery(path, query));
export const post = <T>(path: string, body?: unknown) =>
  send<T>("POST", path, body ?? {});
export const put = <T>(path: string, body?: unknown) =>
  send<T>("PUT", path, body ?? {});
export const patch = <T>(path: string, body: unknown) =>
  send<T>("PATCH", path, body);
export const del = <T = null>(path: string) => send<T>("DELETE", path);
