// End-to-end: the real build/lab-fleet (--dev, temp database, seeded demo
// fleet) driven by Debian's chromium through playwright-core. Prints one
// line per check and ends with "ui-e2e: N passed, M failed".
//
//   node tests/e2e/run.mjs            (from ui/; the server binary is ../build/lab-fleet)
//   LAB_FLEET_BIN=/path/to/lab-fleet  another server binary
//   LAB_FLEET_E2E_SERVER=mock         the in-memory mock (tests/mock/server.mjs), for UI work only
//   CHROMIUM=/usr/bin/chromium        the browser
//   E2E_HEADED=1                      watch it

import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const UI = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ROOT = resolve(UI, "..");
const OUT = join(UI, "test-results");
const BIN = process.env.LAB_FLEET_BIN ?? join(ROOT, "build/lab-fleet");
const MOCK = process.env.LAB_FLEET_E2E_SERVER === "mock";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TOTAL_MS = Number(process.env.E2E_TIMEOUT_MS ?? 170_000);
const PASSWORD = `e2e-${Math.random().toString(36).slice(2)}-pw`;

const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };

let passed = 0;
let failed = 0;
const cleanups = [];

function log(...a) {
  console.log(...a);
}

async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      /* best effort */
    }
  }
}

function finish(code) {
  log(`ui-e2e: ${passed} passed, ${failed} failed`);
  process.exit(code);
}

// A hard bound on the whole run.
const deadline = setTimeout(async () => {
  log(`FAIL the run took longer than ${TOTAL_MS / 1000} s`);
  failed++;
  await cleanup();
  finish(1);
}, TOTAL_MS);

function freePort() {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.on("error", ko);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = 10_000, every = 200) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last.message}` : ""}`,
  );
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---- the server -----------------------------------------------------------

async function startServer() {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "lab-fleet-e2e-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const logFile = createWriteStream(join(OUT, "server.log"));
  let cmd;
  let args;
  if (MOCK) {
    cmd = process.execPath;
    args = [
      join(UI, "tests/mock/server.mjs"),
      "--port",
      String(port),
      "--ui",
      join(UI, "dist"),
    ];
  } else {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run make first`);
    cmd = BIN;
    args = [
      "serve",
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--db",
      join(dir, "fleet.db"),
      "--ui",
      join(UI, "dist"),
      "--dev",
      // One rule pass at start, then none during the run: the fleet the
      // checks compare against does not shift under them.
      "--rule-interval",
      "3600",
    ];
  }
  const child = spawn(cmd, args, {
    env: { ...process.env, LAB_FLEET_ADMIN_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  let exited = null;
  child.on("exit", (code, sig) => (exited = `exited with ${code ?? sig}`));
  cleanups.push(async () => {
    if (exited) return;
    child.kill("SIGTERM");
    await Promise.race([new Promise((r) => child.on("exit", r)), sleep(3000)]);
    if (!exited) child.kill("SIGKILL");
  });
  const base = `http://127.0.0.1:${port}`;
  await until(
    "GET /api/health",
    async () => {
      if (exited)
        throw new Error(`the server ${exited} (see test-results/server.log)`);
      const r = await fetch(`${base}/api/health`);
      return r.status === 200;
    },
    15_000,
  );
  return base;
}

// A tiny cookie-authenticated client, as the dashboard is.
async function apiClient(base) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  const text = await r.text();
  assert(
    r.status === 200,
    `POST /api/auth/login answered ${r.status}: ${text.slice(0, 300)}`,
  );
  const body = JSON.parse(text);
  assert(body.csrf_token, "POST /api/auth/login gave no csrf_token");
  const cookie = (r.headers.getSetCookie?.() ?? [r.headers.get("set-cookie")])
    .filter(Boolean)
    .map((c) => c.split(";")[0])
    .join("; ");
  assert(cookie, "POST /api/auth/login set no cookie");
  return async function call(method, path, data) {
    const res = await fetch(base + path, {
      method,
      headers: {
        Cookie: cookie,
        "X-CSRF-Token": body.csrf_token,
        ...(data === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: data === undefined ? undefined : JSON.stringify(data),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok)
      throw new Error(
        `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`,
      );
    return json;
  };
}

// ---- checks -----------------------------------------------------------------

let page;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
    try {
      const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
      await page?.screenshot({
        path: join(OUT, `failed-${slug}.png`),
        fullPage: true,
      });
    } catch {
      /* no page to show */
    }
  }
}

function at(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

async function figuresOnPage() {
  return page.$$eval("[data-figure]", (els) =>
    els.map((e) => ({
      figure: e.getAttribute("data-figure"),
      value: Number(e.getAttribute("data-value")),
      text: e.textContent.trim(),
    })),
  );
}

function compareFigures(shown, fleet) {
  const wrong = [];
  for (const f of shown) {
    // "versions.1.2.3" names a key with dots in it.
    const want = f.figure.startsWith("versions.")
      ? fleet.versions[f.figure.slice(9)]
      : at(fleet, f.figure);
    if (typeof want !== "number" || Math.abs(want - f.value) > 1e-6)
      wrong.push(`${f.figure}: page ${f.value}, API ${want}`);
  }
  for (const v of Object.keys(fleet.versions ?? {}))
    if (!shown.some((f) => f.figure === `versions.${v}`))
      wrong.push(`version ${v} not shown`);
  return wrong;
}

async function axeCritical(label) {
  await page.addScriptTag({
    path: join(UI, "node_modules/axe-core/axe.min.js"),
  });
  const r = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const res = await axe.run(document, { resultTypes: ["violations"] });
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      n: v.nodes.length,
      target: v.nodes[0]?.target?.join(" "),
    }));
  });
  const critical = r.filter((v) => v.impact === "critical");
  const serious = r.filter((v) => v.impact === "serious");
  if (serious.length)
    log(
      `     axe ${label}: serious ${serious.map((v) => `${v.id}×${v.n} (${v.target})`).join(", ")}`,
    );
  return critical;
}

async function shoot(name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [size, vp] of [
      ["wide", WIDE],
      ["narrow", NARROW],
    ]) {
      await page.setViewportSize(vp);
      await sleep(250);
      await page.screenshot({
        path: join(OUT, `${name}-${scheme}-${size}.png`),
        fullPage: size === "wide",
      });
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize(WIDE);
}

async function main() {
  await mkdir(OUT, { recursive: true });
  assert(
    existsSync(join(UI, "dist/index.html")),
    "ui/dist is missing: run scripts/build-ui.sh",
  );
  assert(existsSync(CHROMIUM), `${CHROMIUM} is missing`);

  const base = await startServer();
  log(`     server ${MOCK ? "(mock) " : ""}at ${base}`);
  const api = await apiClient(base);
  await api("POST", "/api/seed-test-data", {});

  const profile = await mkdtemp(join(tmpdir(), "lab-fleet-chromium-"));
  cleanups.push(() => rm(profile, { recursive: true, force: true }));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: !process.env.E2E_HEADED,
    viewport: WIDE,
    colorScheme: "light",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  cleanups.push(() => ctx.close());
  ctx.setDefaultTimeout(10_000);
  page = ctx.pages()[0] ?? (await ctx.newPage());
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  const lab = (p = "") => `${base}/lab/${p}`;

  await check("an unknown session goes to sign-in", async () => {
    await page.goto(lab("vms"));
    await page.waitForURL(/\/lab\/login\?next=/);
    await page.locator("input[name=username]").waitFor();
    assert(
      (await axeCritical("login")).length === 0,
      "critical axe violations on sign-in",
    );
    await shoot("login");
  });

  await check("a wrong password shows an error", async () => {
    await page.fill("input[name=username]", "admin");
    await page.fill("input[name=password]", "wrong-password");
    await page.click("button[type=submit]");
    await page.locator("#login-error").waitFor();
  });

  let overviewMs = 0;
  await check("sign in as admin lands where it was going", async () => {
    await page.fill("input[name=password]", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/lab\/vms$/);
    await page.locator("table.data tbody tr").first().waitFor();
  });

  await check("the overview figures match GET /api/metrics/fleet", async () => {
    const t0 = Date.now();
    await page.goto(lab(""));
    await page.locator("[data-figure='vms.total']").waitFor();
    overviewMs = Date.now() - t0;
    // The rule engine may change the fleet between two reads: retry a little.
    let wrong = [];
    for (let i = 0; i < 4; i++) {
      const before = await api("GET", "/api/metrics/fleet");
      await page.reload();
      await page.locator("[data-figure='vms.total']").waitFor();
      const shown = await figuresOnPage();
      const after = await api("GET", "/api/metrics/fleet");
      wrong = compareFigures(shown, before);
      if (wrong.length && JSON.stringify(before) !== JSON.stringify(after))
        wrong = compareFigures(shown, after);
      if (!wrong.length) {
        assert(
          shown.length >= 15,
          `only ${shown.length} figures on the overview`,
        );
        assert(
          before.vms.total >= 100,
          `the demo fleet has ${before.vms.total} VMs, expected 100+`,
        );
        const total = shown.find((f) => f.figure === "vms.total");
        assert(
          total.text.replace(/,/g, "") === String(before.vms.total),
          `VM total shows "${total.text}"`,
        );
        break;
      }
      await sleep(500);
    }
    assert(wrong.length === 0, wrong.join("; "));
    log(`     overview shown in ${overviewMs} ms after navigation`);
    assert(
      (await axeCritical("overview")).length === 0,
      "critical axe violations on the overview",
    );
    await shoot("overview");
  });

  await check("the session survives a reload", async () => {
    await page.reload();
    await page.locator("[data-figure='vms.total']").waitFor();
    assert(!page.url().includes("/login"), "reload went to sign-in");
  });

  await check(
    "the overview links through to the filtered VM list",
    async () => {
      await page.click("a[href='/lab/vms?status=online']");
      await page.waitForURL(/\/lab\/vms\?status=online/);
      await page.locator("table.data tbody tr [data-status]").first().waitFor();
    },
  );

  let vmId = "";
  let hostname = "";
  await check(
    "filter the VM list by status and search; filters live in the URL",
    async () => {
      const fleet = await api("GET", "/api/metrics/fleet");
      const status = ["offline", "maintenance", "error", "online"].find(
        (s) => fleet.vms[s] > 0,
      );
      await page.goto(lab("vms"));
      await page.locator("table.data tbody tr").first().waitFor();
      await page.selectOption("select[name=status]", status);
      await page.waitForURL(new RegExp(`status=${status}`));
      await until(`only ${status} VMs`, async () => {
        const s = await page.$$eval(
          "table.data tbody td [data-status]",
          (els) => els.map((e) => e.getAttribute("data-status")),
        );
        return s.length > 0 && s.every((x) => x === status);
      });
      const list = await api("GET", `/api/vms?status=${status}&limit=1`);
      await until("the count to match the API", async () =>
        (await page.textContent("[data-testid=vm-count]"))
          .replace(/,/g, "")
          .includes(`of ${list.total} shown`),
      );
      // Search by hostname narrows to that VM; a reload keeps both filters.
      const all = await api("GET", "/api/vms?limit=5");
      const vm = all.items[0];
      vmId = vm.id;
      hostname = vm.hostname;
      await page.selectOption("select[name=status]", "");
      await page.fill("input[name=q]", vm.hostname);
      await page.waitForURL(/q=/);
      await until("the searched VM alone", async () => {
        const ids = await page.$$eval("td[data-vm-id]", (els) =>
          els.map((e) => e.getAttribute("data-vm-id")),
        );
        return ids.includes(vm.id) && ids.length <= 3;
      });
      await page.reload();
      assert(
        (await page.inputValue("input[name=q]")) === vm.hostname,
        "search lost on reload",
      );
      await page.locator(`td[data-vm-id="${vm.id}"]`).waitFor();
      // Sort by disk, descending: the first row is the fullest.
      await page.goto(lab("vms?sort=disk&dir=desc"));
      await page.locator("th[aria-sort=descending]").waitFor();
      assert(
        (await axeCritical("vms")).length === 0,
        "critical axe violations on the VM list",
      );
      await shoot("vms");
    },
  );

  await check("open a VM and see its charts draw points", async () => {
    await page.goto(lab("vms"));
    await page.fill("input[name=q]", hostname);
    await page.locator(`td[data-vm-id="${vmId}"] a`).click();
    await page.waitForURL(new RegExp(`/lab/vms/${vmId}$`));
    await page.locator("h1", { hasText: hostname }).waitFor();
    await until("charts with points", async () => {
      const n = await page.$$eval(".plot[data-points]", (els) =>
        els.map((e) => Number(e.getAttribute("data-points"))),
      );
      return n.length === 3 && n.every((x) => x > 1);
    });
    const inked = await page.$eval(".plot canvas", (c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert(
      inked > 500,
      `the CPU chart's canvas is nearly empty (${inked} pixels)`,
    );
    // Another range: the URL keeps it and the charts redraw.
    await page.getByRole("button", { name: "7 d" }).click();
    await page.waitForURL(/range=7d/);
    await page
      .locator("button[aria-pressed=true]", { hasText: "7 d" })
      .waitFor();
    await until("7-day charts with points", async () => {
      const n = await page.$$eval(".plot[data-points]", (els) =>
        els.map((e) => Number(e.getAttribute("data-points"))),
      );
      return n.length === 3 && n.every((x) => x > 1);
    });
    await page.getByRole("button", { name: "24 h" }).click();
  });

  await check(
    "restart the VM behind a confirmation and see the action",
    async () => {
      await page.getByRole("button", { name: "Restart", exact: true }).click();
      const dlg = page.locator("dialog[open]");
      await dlg.waitFor();
      assert(
        (await dlg.textContent()).includes(hostname),
        "the confirmation does not name the VM",
      );
      await dlg.locator("button[type=submit]").click();
      await page.locator("[data-action-type=restart]").first().waitFor();
      const acts = await api(
        "GET",
        `/api/vms/${encodeURIComponent(vmId)}/actions`,
      );
      const items = Array.isArray(acts) ? acts : acts.items;
      assert(
        items.some((a) => a.type === "restart"),
        "the API has no restart action",
      );
      assert(
        (await axeCritical("vm")).length === 0,
        "critical axe violations on the VM page",
      );
      await shoot("vm");
    },
  );

  await check("an API error shows its message, not a blank page", async () => {
    await page.goto(lab("vms/no-such-vm-e2e"));
    const box = page.locator(".error-box[role=alert]");
    await box.waitFor();
    assert((await box.textContent()).trim().length > 5, "empty error message");
  });

  await check(
    "creating a customer with a bad email shows the API's error beside the field",
    async () => {
      await page.goto(lab("customers"));
      await page.locator("table.data tbody tr").first().waitFor();
      assert(
        (await axeCritical("customers")).length === 0,
        "critical axe violations on customers",
      );
      await shoot("customers");
      await page.getByRole("button", { name: "New customer" }).click();
      const form = page.locator("[data-testid=customer-form]");
      await form.waitFor();
      await form.locator("input[name=name]").fill("E2E Bad Email");
      await form.locator("input[name=email]").fill("not-an-email");
      await form.locator("input[name=monthly_fee]").fill("10");
      await form.locator("button[type=submit]").click();
      const err = form.locator("[data-field-error=email]");
      await err.waitFor();
      assert((await err.textContent()).trim().length > 0, "empty field error");
      assert(
        (await form
          .locator("input[name=email]")
          .getAttribute("aria-invalid")) === "true",
        "email not marked invalid",
      );
      // Fix it: the customer is created and its page opens.
      await form
        .locator("input[name=email]")
        .fill(`e2e-${Date.now()}@example.com`);
      await form.locator("button[type=submit]").click();
      await page.waitForURL(/\/lab\/customers\/[^/?]+$/);
      await page.locator("h1", { hasText: "E2E Bad Email" }).waitFor();
      // Edit it: a bad fee is refused beside its field, a good one saved.
      await page.getByRole("button", { name: "Edit" }).click();
      const edit = page.locator("[data-testid=customer-form]");
      await edit.locator("input[name=monthly_fee]").fill("-5");
      await edit.locator("button[type=submit]").click();
      await edit.locator("[data-field-error=monthly_fee]").waitFor();
      await edit.locator("input[name=monthly_fee]").fill("42");
      await edit.locator("button[type=submit]").click();
      await page.locator("dl.kv dd", { hasText: "$42" }).waitFor();
    },
  );

  await check("a customer page lists its VMs", async () => {
    const vm = await api("GET", `/api/vms/${encodeURIComponent(vmId)}`);
    await page.goto(lab(`customers/${encodeURIComponent(vm.customer_id)}`));
    await page
      .locator(`a[href="/lab/vms/${encodeURIComponent(vmId)}"]`)
      .waitFor();
    assert(
      (await axeCritical("customer")).length === 0,
      "critical axe violations on a customer",
    );
    await shoot("customer");
  });

  await check("resolve an alert and see the count drop", async () => {
    await page.goto(lab("alerts"));
    const badge = page.locator("[data-testid=alert-badge]");
    await badge.waitFor();
    await page.locator("table.data tbody td[data-alert-id]").first().waitFor();
    assert(
      (await axeCritical("alerts")).length === 0,
      "critical axe violations on alerts",
    );
    await shoot("alerts");
    const count = async () =>
      Number((await badge.textContent()).replace(/\D/g, ""));
    const before = await count();
    const id = await page.getAttribute(
      "table.data tbody td[data-alert-id]",
      "data-alert-id",
    );
    await page
      .locator(`tr:has(td[data-alert-id="${id}"]) button`, {
        hasText: "Resolve",
      })
      .click();
    await until("the badge to drop", async () => (await count()) < before);
    await until(
      "the alert to leave the unresolved list",
      async () =>
        (await page.locator(`td[data-alert-id="${id}"]`).count()) === 0,
    );
    const a = await api("GET", `/api/alerts?resolved=true&limit=1000`);
    assert(
      a.items.some((x) => String(x.id) === id),
      "the API does not show the alert resolved",
    );
  });

  await check("resolve several alerts at once", async () => {
    const boxes = page.locator("table.data tbody input[type=checkbox]");
    const n = Math.min(2, await boxes.count());
    assert(n > 0, "no unresolved alerts left to select");
    for (let i = 0; i < n; i++) await boxes.nth(i).check();
    const before = Number(
      (await page.textContent("[data-testid=alert-total]")).replace(/\D/g, ""),
    );
    await page.getByRole("button", { name: `Resolve selected (${n})` }).click();
    await until(
      "the total to drop",
      async () =>
        Number(
          (await page.textContent("[data-testid=alert-total]")).replace(
            /\D/g,
            "",
          ),
        ) <=
        before - n,
    );
  });

  await check(
    "updates: create a version and start its rollout in batches",
    async () => {
      await page.goto(lab("updates"));
      await page.locator("input[name=version]").waitFor();
      const v = `9.${Math.floor(Math.random() * 900) + 100}.0`;
      await page.fill("input[name=version]", v);
      await page.fill("input[name=description]", "e2e version");
      await page.getByRole("button", { name: "Create version" }).click();
      const card = page.locator("li[data-update-id]", {
        has: page.locator("code", { hasText: v }),
      });
      await card.waitFor();
      assert(
        (await axeCritical("updates")).length === 0,
        "critical axe violations on updates",
      );
      await shoot("updates");
      // Roll it out in batches of 25 %: the card leaves "pending".
      await card.locator("input[type=number]").fill("25");
      await card.getByRole("button", { name: "Start rollout" }).click();
      const dlg = page.locator("dialog[open]");
      assert(
        (await dlg.textContent()).includes("25%"),
        "the confirmation does not show the batch size",
      );
      await dlg.locator("button[type=submit]").click();
      await until(
        "the rollout to start",
        async () =>
          (await card.locator("[data-status]").getAttribute("data-status")) !==
          "pending",
      );
    },
  );

  await check("admin: create an API token, shown once", async () => {
    await page.goto(lab("admin"));
    await page.fill("input[name=token-name]", "e2e-token");
    await page.selectOption("select[name=token-role]", "viewer");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = page.locator("input[data-secret]");
    await secret.waitFor();
    assert((await secret.inputValue()).length >= 16, "token too short");
    await page.locator("td", { hasText: "e2e-token" }).first().waitFor();
    assert(
      (await axeCritical("admin")).length === 0,
      "critical axe violations on admin",
    );
    await shoot("admin");
    await page.goto(lab("admin?tab=audit"));
    await page.locator("table.data tbody tr").first().waitFor();
  });

  await check("the theme toggle switches light and dark", async () => {
    await page.goto(lab(""));
    const btn = page.locator("button[aria-label^='Theme:']");
    await btn.click();
    assert(
      (await page.getAttribute("html", "data-theme")) === "light",
      "not light after one click",
    );
    await btn.click();
    assert(
      (await page.getAttribute("html", "data-theme")) === "dark",
      "not dark after two clicks",
    );
    await btn.click();
    assert(
      (await page.getAttribute("html", "data-theme")) === null,
      "not back to the system theme",
    );
  });

  await check(
    "keyboard: the skip link comes first and the navigation is reachable",
    async () => {
      await page.goto(lab("alerts"));
      await page.locator("table.data").waitFor();
      await page.keyboard.press("Tab");
      assert(
        (await page.evaluate(() =>
          document.activeElement?.textContent?.trim(),
        )) === "Skip to content",
        "skip link not first",
      );
      const seen = [];
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press("Tab");
        seen.push(
          await page.evaluate(
            () => document.activeElement?.textContent?.trim().split("\n")[0],
          ),
        );
      }
      assert(
        seen.some((t) => t?.startsWith("VMs")),
        `VMs link not reached by Tab (${seen.join(" | ")})`,
      );
    },
  );

  await check(
    "a 401 in the middle of a session goes to sign-in, and back after it",
    async () => {
      await page.goto(lab("alerts"));
      await page.locator("table.data").waitFor();
      await ctx.clearCookies();
      await page.locator("nav a", { hasText: "Customers" }).click();
      await page.waitForURL(/\/lab\/login\?next=%2Fcustomers/);
      await page.fill("input[name=password]", PASSWORD);
      await page.click("button[type=submit]");
      await page.waitForURL(/\/lab\/customers$/);
      await page.locator("table.data tbody tr").first().waitFor();
    },
  );

  await check("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/lab\/login/);
    await page.goto(lab("alerts"));
    await page.waitForURL(/\/lab\/login\?next=%2Falerts/);
    const me = await page.evaluate(
      async () => (await fetch("/api/auth/me")).status,
    );
    assert(me === 401, `GET /api/auth/me after sign-out answered ${me}`);
  });

  await check("no uncaught errors in the page", async () => {
    assert(consoleErrors.length === 0, consoleErrors.join("; "));
  });

  log(`     screenshots in ${OUT}`);
}

main()
  .catch((e) => {
    failed++;
    log(`FAIL setup: ${e.message}`);
  })
  .finally(async () => {
    clearTimeout(deadline);
    await cleanup();
    finish(failed === 0 && passed > 0 ? 0 : 1);
  });
