// The router's state: the current path (without /lab) and query string.
// History routing under the Vite base; the server answers index.html for
// any unknown path below /lab/.
import { joinHref, stripBase } from "./match";

const BASE = import.meta.env.BASE_URL ?? "/lab/";

export const router = $state({ path: "/", search: "" });

function read(): void {
  router.path = stripBase(location.pathname, BASE);
  router.search = location.search;
}

/** An href inside the app: href("/vms", {status: "online"}). */
export function href(
  path: string,
  query?: Record<string, string | number | null | undefined>,
): string {
  return joinHref(BASE, path, query);
}

/** Goes to an app path ("/vms/vm-1?x=y"); replace keeps history short. */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  const url = path.startsWith(BASE.replace(/\/$/, "") + "/")
    ? path
    : href(path);
  if (opts.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  read();
  if (!opts.replace) window.scrollTo(0, 0);
}

/** The current query, as URLSearchParams (read it inside $derived). */
export function params(): URLSearchParams {
  return new URLSearchParams(router.search);
}

/**
 * Merges values into the query string and replaces the history entry, so
 * list filters live in the URL without filling the back button.
 */
export function setQuery(
  values: Record<string, string | number | null | undefined>,
): void {
  const q = new URLSearchParams(router.search);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === "") q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  history.replaceState(null, "", href(router.path) + (s ? `?${s}` : ""));
  read();
}

/** Starts listening to the back button and to clicks on in-app links. */
export function startRouter(): void {
  read();
  window.addEventListener("popstate", read);
  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0) return;
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (stripBase(url.pathname, BASE) === url.pathname && BASE !== "/") return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
}
