// A shared clock ticking once a second, for "12 s ago" labels.

export const clock = $state({ now: Date.now() });

let timer: ReturnType<typeof setInterval> | undefined;

export function startClock(): void {
  if (timer) return;
  timer = setInterval(() => (clock.now = Date.now()), 1000);
}
