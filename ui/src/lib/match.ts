// Path matching for the route table, kept free of components so it can
// be tested on its own.

export interface Match<T> {
  route: T;
  params: Record<string, string>;
}

/** Matches "/vms/vm-1" against patterns like "/vms/:id"; first match wins. */
export function matchRoute<T extends { path: string }>(
  routes: readonly T[],
  path: string,
): Match<T> | null {
  const parts = split(path);
  for (const route of routes) {
    const pat = split(route.path);
    if (pat.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length; i++) {
      if (pat[i].startsWith(":")) {
        try {
          params[pat[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
          break;
        }
      } else if (pat[i] !== parts[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, params };
  }
  return null;
}

function split(path: string): string[] {
  return path.split("/").filter((p) => p !== "");
}

/** Strips the app's base ("/lab") from a location path: "/lab/vms" → "/vms". */
export function stripBase(pathname: string, base: string): string {
  const b = base.replace(/\/+$/, "");
  if (b && (pathname === b || pathname.startsWith(`${b}/`)))
    pathname = pathname.slice(b.length);
  return pathname || "/";
}

/** Joins base, path and query: ("/lab", "/vms", {status:"online"}) → "/lab/vms?status=online". */
export function joinHref(
  base: string,
  path: string,
  query?: Record<string, string | number | null | undefined>,
): string {
  const b = base.replace(/\/+$/, "");
  let href = b + (path.startsWith("/") ? path : `/${path}`);
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    const s = q.toString();
    if (s) href += `?${s}`;
  }
  return href;
}
