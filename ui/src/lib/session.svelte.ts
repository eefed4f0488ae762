// The signed-in user. The cookie is HttpOnly, so after a reload the
// session and its CSRF token come back from GET /api/auth/me.
import { ApiError, get, post, setCsrfToken } from "./api";
import type { Role, Session, User } from "./types";

export const session = $state<{
  user: User | null;
  ready: boolean;
  error: string;
}>({ user: null, ready: false, error: "" });

export async function restoreSession(): Promise<void> {
  session.error = "";
  try {
    const s = await get<Session>("/api/auth/me");
    setCsrfToken(s.csrf_token ?? "");
    session.user = s.user;
  } catch (e) {
    session.user = null;
    if (!(e instanceof ApiError) || e.status !== 401)
      session.error = e instanceof Error ? e.message : String(e);
  } finally {
    session.ready = true;
  }
}

export async function signIn(
  username: string,
  password: string,
): Promise<void> {
  const s = await post<Session>("/api/auth/login", { username, password });
  setCsrfToken(s.csrf_token ?? "");
  session.user = s.user;
  session.error = "";
}

export async function signOut(): Promise<void> {
  try {
    await post("/api/auth/logout");
  } finally {
    dropSession();
  }
}

/** Forgets the session locally (after a 401 or a sign-out). */
export function dropSession(): void {
  session.user = null;
  setCsrfToken("");
}

const RANK: Record<string, number> = { viewer: 1, operator: 2, admin: 3 };

/** True when the signed-in user has at least this role. */
export function can(role: Role): boolean {
  return (RANK[session.user?.role ?? ""] ?? 0) >= RANK[role];
}
