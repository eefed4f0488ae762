// Light/dark theme: follows the system unless the user picks one; the
// choice is kept in localStorage and set as <html data-theme>.

export type ThemeMode = "system" | "light" | "dark";

const KEY = "lab-fleet-theme";

export const theme = $state({ mode: "system" as ThemeMode, dark: false });

function systemDark(): boolean {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

function apply(): void {
  const el = document.documentElement;
  if (theme.mode === "system") delete el.dataset.theme;
  else el.dataset.theme = theme.mode;
  theme.dark =
    theme.mode === "dark" || (theme.mode === "system" && systemDark());
}

export function setTheme(mode: ThemeMode): void {
  theme.mode = mode;
  try {
    if (mode === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, mode);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  apply();
}

export function startTheme(): void {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch {
    saved = null;
  }
  theme.mode = saved === "light" || saved === "dark" ? saved : "system";
  apply();
  window
    .matchMedia?.("(prefers-color-scheme: dark)")
    .addEventListener?.("change", apply);
}
