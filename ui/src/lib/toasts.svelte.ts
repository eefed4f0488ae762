// Toast messages: pushed by handleError and by pages after a success.

export interface Toast {
  id: number;
  kind: "error" | "success" | "info";
  message: string;
}

export const toasts = $state<{ items: Toast[] }>({ items: [] });

let next = 1;

export function toast(kind: Toast["kind"], message: string, ms = 6000): void {
  const id = next++;
  toasts.items.push({ id, kind, message });
  if (toasts.items.length > 4) toasts.items.shift();
  if (ms > 0) setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  const i = toasts.items.findIndex((t) => t.id === id);
  if (i >= 0) toasts.items.splice(i, 1);
}
