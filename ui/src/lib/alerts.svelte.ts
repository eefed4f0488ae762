// The unresolved alert count shown as a badge in the navigation.
import { get } from "./api";
import type { Alert, List } from "./types";

export const alertBadge = $state<{ unresolved: number | null }>({
  unresolved: null,
});

export async function refreshAlertBadge(): Promise<void> {
  try {
    const l = await get<List<Alert>>("/api/alerts", {
      resolved: "false",
      limit: 1,
    });
    alertBadge.unresolved = l.total;
  } catch {
    /* the badge is a hint; a page that needs alerts reports errors */
  }
}
