import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { onUnauthorized } from "./lib/api";
import { startClock } from "./lib/clock.svelte";
import { navigate, router, startRouter } from "./lib/router.svelte";
import { dropSession, restoreSession } from "./lib/session.svelte";
import { startTheme } from "./lib/theme.svelte";

startTheme();
startRouter();
startClock();

// Any 401 means the session is gone: back to sign-in, then back here.
onUnauthorized(() => {
  dropSession();
  if (router.path !== "/login") {
    const next = router.path + router.search;
    navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
  }
});

void restoreSession();

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");
export default mount(App, { target });
