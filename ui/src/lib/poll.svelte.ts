// Refresh on a timer while the component lives; paused while the tab is
// hidden. Call from a component's script: poll(load, 10_000).
export function poll(fn: () => unknown, ms: number): void {
  $effect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) {
        try {
          await fn();
        } catch {
          /* the callee reports its own errors */
        }
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    timer = setTimeout(tick, ms);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}
