// The one error handler every catch goes through: field errors beside
// their fields when the form has that field (a key of `fields`), a toast
// otherwise. A 401 has already sent the user to sign-in (see main.ts), so
// it adds nothing.
import { ApiError } from "./api";
import { toast } from "./toasts.svelte";

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function handleError(
  e: unknown,
  fields?: Record<string, string>,
): string {
  const message = errorMessage(e);
  if (e instanceof ApiError) {
    if (e.status === 401) return message;
    if (fields && e.field && e.field in fields) {
      fields[e.field] = message;
      return message;
    }
  }
  toast("error", message);
  return message;
}
