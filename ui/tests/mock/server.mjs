// A small in-memory stand-in for lab-fleet, for developing the dashboard
// when no server binary is at hand (npm run mock). It follows API.md
// loosely and is NOT what the end-to-end suite tests by default: that
// starts the real build/lab-fleet.
//
//   node tests/mock/server.mjs [--port 8687] [--ui dist]

import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const PORT = Number(opt("--port", "8687"));
const UI = resolve(opt("--ui", "dist"));
const PASSWORD = process.env.LAB_FLEET_ADMIN_PASSWORD ?? "admin";

const db = {
  users: [
    {
      id: 1,
      username: "admin",
      role: "admin",
      created_at: iso(Date.now() - 864e5 * 30),
      password: PASSWORD,
    },
  ],
  sessions: new Map(),
  customers: [],
  vms: [],
  alerts: [],
  actions: [],
  updates: [],
  tokens: [],
  audit: [],
  seq: 1,
};

function iso(ms) {
  return new Date(Math.floor(ms / 1000) * 1000)
    .toISOString()
    .replace(".000Z", "Z");
}

function rnd(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function seed() {
  const r = rnd(42);
  const now = Date.now();
  const tiers = ["starter", "pro", "enterprise"];
  const fees = { starter: 29, pro: 99, enterprise: 499 };
  db.customers = [];
  db.vms = [];
  db.alerts = [];
  db.actions = [];
  db.updates = [];
  for (let i = 1; i <= 24; i++) {
    const tier = tiers[i % 3];
    db.customers.push({
      id: `cus-${String(i).padStart(3, "0")}`,
      name: `Customer ${i}`,
      email: `owner${i}@example.com`,
      company: i % 2 ? `Company ${i} Ltd` : null,
      tier,
      billing_status:
        i % 7 === 0 ? "overdue" : i % 11 === 0 ? "inactive" : "active",
      monthly_fee: fees[tier] * (1 + (i % 3)),
      created_at: iso(now - 864e5 * (100 - i)),
    });
  }
  const versions = ["1.2.0", "1.3.0", "1.3.1"];
  for (let i = 1; i <= 120; i++) {
    const c = db.customers[i % 24];
    const st =
      i % 17 === 0
        ? "offline"
        : i % 29 === 0
          ? "maintenance"
          : i % 41 === 0
            ? "error"
            : "online";
    const disk = Math.round(r() * 9500) / 100;
    db.vms.push({
      id: `vm-${String(i).padStart(5, "0")}`,
      hostname: `${["web", "db", "api", "cache"][i % 4]}-${String(i).padStart(3, "0")}.example.net`,
      ip_address: `10.0.${Math.floor(i / 250)}.${i % 250}`,
      customer_id: c.id,
      customer_name: c.name,
      tier: c.tier,
      status: st,
      created_at: iso(now - 864e5 * 60),
      last_heartbeat: iso(now - (st === "online" ? r() * 30e3 : 3600e3)),
      cpu_cores: [1, 2, 4, 8][i % 4],
      memory_gb: [1, 4, 8, 16][i % 4],
      disk_gb: [20, 80, 160, 320][i % 4],
      version: versions[i % 3],
      monthly_cost: [5, 12, 24, 48][i % 4],
      base: { cpu: 5 + r() * 60, mem: 20 + r() * 60, disk },
    });
  }
  const types = [
    "disk_space",
    "vm_offline",
    "high_cpu",
    "api_quota",
    "unusual_activity",
  ];
  for (let i = 1; i <= 30; i++) {
    const vm = db.vms[(i * 7) % 120];
    db.alerts.push({
      id: db.seq++,
      vm_id: vm.id,
      customer_id: vm.customer_id,
      type: types[i % 5],
      severity: ["high", "warning", "info"][i % 3],
      message: `${types[i % 5].replace(/_/g, " ")} on ${vm.hostname}`,
      created_at: iso(now - i * 600e3),
      resolved: i > 22,
      resolved_at: i > 22 ? iso(now - i * 300e3) : null,
      resolved_by: i > 22 ? "system" : null,
      source: "rule",
    });
  }
  db.updates.push(
    {
      id: db.seq++,
      version: "1.3.1",
      description: "Security fixes",
      rollout_status: "failed",
      created_at: iso(now - 864e5),
      completed_at: null,
      progress: { target: 120, updated: 36, failed: 2 },
    },
    {
      id: db.seq++,
      version: "1.3.0",
      description: "Faster heartbeats",
      rollout_status: "completed",
      created_at: iso(now - 864e5 * 7),
      completed_at: iso(now - 864e5 * 6),
      progress: { target: 120, updated: 120, failed: 0 },
    },
    {
      id: db.seq++,
      version: "1.4.0",
      description: "Next release",
      rollout_status: "pending",
      created_at: iso(now - 3600e3),
      completed_at: null,
      progress: { target: 0, updated: 0, failed: 0 },
    },
  );
}

function metricAt(vm, t) {
  const h = t / 3600e3;
  const w = Math.sin(h / 3 + vm.base.cpu) * 0.5 + Math.sin(h * 2.1) * 0.2;
  return {
    timestamp: iso(t),
    cpu_percent: Math.max(
      0,
      Math.min(100, +(vm.base.cpu * (1 + w)).toFixed(1)),
    ),
    memory_percent: Math.max(
      0,
      Math.min(100, +(vm.base.mem * (1 + w / 4)).toFixed(1)),
    ),
    disk_percent: +vm.base.disk.toFixed(1),
    disk_used_gb: +((vm.base.disk / 100) * vm.disk_gb).toFixed(1),
  };
}

function vmOut(vm) {
  const { base, ...rest } = vm;
  return {
    ...rest,
    latest_metrics:
      vm.status === "online" || vm.last_heartbeat
        ? metricAt(vm, Date.parse(vm.last_heartbeat))
        : null,
  };
}

function fleet() {
  const f = {
    vms: {
      total: db.vms.length,
      online: 0,
      offline: 0,
      maintenance: 0,
      error: 0,
    },
    customers: {
      total: db.customers.length,
      active: 0,
      inactive: 0,
      overdue: 0,
      by_tier: { starter: 0, pro: 0, enterprise: 0 },
    },
    revenue: { mrr: 0, overdue: 0 },
    costs: { monthly: 0 },
    margin: 0,
    usage: {
      avg_cpu_percent: 0,
      avg_memory_percent: 0,
      avg_disk_percent: 0,
      disk_used_gb: 0,
      cpu_cores: 0,
      memory_gb: 0,
      disk_gb: 0,
    },
    alerts: { unresolved: 0, high: 0, warning: 0, info: 0 },
    versions: {},
  };
  for (const c of db.customers) {
    f.customers[c.billing_status]++;
    f.customers.by_tier[c.tier]++;
    if (c.billing_status === "active") f.revenue.mrr += c.monthly_fee;
    if (c.billing_status === "overdue") f.revenue.overdue += c.monthly_fee;
  }
  let n = 0;
  for (const v of db.vms) {
    f.vms[v.status]++;
    f.costs.monthly += v.monthly_cost;
    f.usage.cpu_cores += v.cpu_cores;
    f.usage.memory_gb += v.memory_gb;
    f.usage.disk_gb += v.disk_gb;
    if (v.version) f.versions[v.version] = (f.versions[v.version] ?? 0) + 1;
    if (v.status === "online") {
      const m = vmOut(v).latest_metrics;
      n++;
      f.usage.avg_cpu_percent += m.cpu_percent;
      f.usage.avg_memory_percent += m.memory_percent;
      f.usage.avg_disk_percent += m.disk_percent;
      f.usage.disk_used_gb += m.disk_used_gb;
    }
  }
  if (n)
    for (const k of [
      "avg_cpu_percent",
      "avg_memory_percent",
      "avg_disk_percent",
    ])
      f.usage[k] = +(f.usage[k] / n).toFixed(1);
  f.margin = f.revenue.mrr - f.costs.monthly;
  for (const a of db.alerts)
    if (!a.resolved) (f.alerts.unresolved++, f.alerts[a.severity]++);
  return f;
}

class HttpError extends Error {
  constructor(status, code, message, field) {
    super(message);
    Object.assign(this, { status, code, field });
  }
}
const bad = (message, field) =>
  new HttpError(400, "validation_failed", message, field);

function page(items, q) {
  const limit = Number(q.get("limit") ?? 100);
  const offset = Number(q.get("offset") ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw bad("limit must be 1-1000", "limit");
  if (!Number.isInteger(offset) || offset < 0)
    throw bad("offset must be >= 0", "offset");
  return {
    items: items.slice(offset, offset + limit),
    total: items.length,
    limit,
    offset,
  };
}

function find(list, id) {
  const x = list.find((e) => String(e.id) === String(id));
  if (!x) throw new HttpError(404, "not_found", "not found");
  return x;
}

function validCustomer(b, partial) {
  if (!partial || "name" in b)
    if (typeof b.name !== "string" || b.name.length < 1 || b.name.length > 200)
      throw bad("name must be 1-200 characters", "name");
  if (!partial || "email" in b)
    if (
      typeof b.email !== "string" ||
      !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(b.email)
    )
      throw bad("email is not a valid address", "email");
  if ("tier" in b && !["starter", "pro", "enterprise"].includes(b.tier))
    throw bad("tier must be starter, pro or enterprise", "tier");
  if (
    "billing_status" in b &&
    !["active", "inactive", "overdue"].includes(b.billing_status)
  )
    throw bad("billing_status is not valid", "billing_status");
  if (
    "monthly_fee" in b &&
    (typeof b.monthly_fee !== "number" || b.monthly_fee < 0)
  )
    throw bad("monthly_fee must be a number >= 0", "monthly_fee");
}

async function api(method, path, q, body, sess, addr) {
  const m = (re) => path.match(re);
  let x;
  if (method === "GET" && path === "/api/health")
    return [200, { status: "ok", database: "ok", uptime_s: 1 }];
  if (method === "POST" && path === "/api/auth/login") {
    const u = db.users.find(
      (u) => u.username === body?.username && u.password === body?.password,
    );
    if (!u)
      throw new HttpError(401, "unauthorized", "wrong username or password");
    const sid = randomBytes(16).toString("hex");
    const csrf = randomBytes(16).toString("hex");
    db.sessions.set(sid, { user: u, csrf });
    const { password, ...user } = u;
    return [
      200,
      { user, csrf_token: csrf },
      { "Set-Cookie": `lf_session=${sid}; Path=/; HttpOnly; SameSite=Strict` },
    ];
  }
  if (!sess) throw new HttpError(401, "unauthorized", "sign in first");
  const { password, ...me } = sess.user;
  if (method === "GET" && path === "/api/auth/me")
    return [200, { user: me, csrf_token: sess.csrf }];
  if (method === "POST" && path === "/api/auth/logout") {
    db.sessions.delete(sess.sid);
    return [204, null, { "Set-Cookie": "lf_session=; Path=/; Max-Age=0" }];
  }
  if (method !== "GET")
    db.audit.unshift({
      id: db.seq++,
      at: iso(Date.now()),
      actor: me.username,
      method,
      path,
      target: null,
      status: 200,
      address: addr,
    });
  if (method === "POST" && path === "/api/seed-test-data")
    return (
      seed(),
      [200, { customers: db.customers.length, vms: db.vms.length }]
    );
  if (method === "GET" && path === "/api/metrics/fleet") return [200, fleet()];
  if (method === "GET" && path === "/api/customers") {
    let l = db.customers.map((c) => ({
      ...c,
      vm_count: db.vms.filter((v) => v.customer_id === c.id).length,
    }));
    for (const k of ["tier", "billing_status"])
      if (q.get(k)) l = l.filter((c) => c[k] === q.get(k));
    if (q.get("q"))
      l = l.filter((c) =>
        `${c.name} ${c.email} ${c.company ?? ""}`
          .toLowerCase()
          .includes(q.get("q").toLowerCase()),
      );
    return [200, page(l, q)];
  }
  if (method === "POST" && path === "/api/customers") {
    validCustomer(body, false);
    if (
      db.customers.some(
        (c) => c.email.toLowerCase() === body.email.toLowerCase(),
      )
    )
      throw new HttpError(409, "conflict", "email is taken", "email");
    const c = {
      id: body.id || `cus_${db.seq++}`,
      name: body.name,
      email: body.email,
      company: body.company || null,
      tier: body.tier ?? "starter",
      billing_status: body.billing_status ?? "active",
      monthly_fee: body.monthly_fee ?? 0,
      created_at: iso(Date.now()),
    };
    db.customers.push(c);
    return [201, { ...c, vm_count: 0 }];
  }
  if ((x = m(/^\/api\/customers\/([^/]+)$/))) {
    const c = find(db.customers, decodeURIComponent(x[1]));
    if (method === "GET")
      return [
        200,
        { ...c, vm_count: db.vms.filter((v) => v.customer_id === c.id).length },
      ];
    if (method === "PATCH")
      return (
        validCustomer(body, true),
        Object.assign(c, body, { id: c.id }),
        [200, c]
      );
    if (method === "DELETE") {
      if (db.vms.some((v) => v.customer_id === c.id))
        throw new HttpError(409, "conflict", "customer still has VMs");
      db.customers.splice(db.customers.indexOf(c), 1);
      return [204, null];
    }
  }
  if ((x = m(/^\/api\/customers\/([^/]+)\/vms$/)))
    return [
      200,
      page(
        db.vms
          .filter((v) => v.customer_id === decodeURIComponent(x[1]))
          .map(vmOut),
        q,
      ),
    ];
  if (method === "GET" && path === "/api/vms") {
    let l = db.vms;
    for (const k of ["status", "tier", "customer_id"])
      if (q.get(k)) l = l.filter((v) => v[k] === q.get(k));
    if (q.get("q"))
      l = l.filter(
        (v) =>
          v.hostname.includes(q.get("q")) || v.ip_address.includes(q.get("q")),
      );
    return [200, page(l.map(vmOut), q)];
  }
  if ((x = m(/^\/api\/vms\/([^/]+)(\/[a-z-]+)?$/))) {
    const vm = find(db.vms, decodeURIComponent(x[1]));
    const sub = x[2] ?? "";
    if (method === "GET" && sub === "") return [200, vmOut(vm)];
    if (method === "PUT" && sub === "/status") {
      if (!["online", "offline", "maintenance", "error"].includes(body?.status))
        throw bad("status is not valid", "status");
      vm.status = body.status;
      return [200, vmOut(vm)];
    }
    if (method === "POST" && sub === "/agent-token")
      return [200, { agent_token: randomBytes(24).toString("base64url") }];
    if (method === "GET" && sub === "/actions")
      return [
        200,
        page(db.actions.filter((a) => a.vm_id === vm.id).reverse(), q),
      ];
    if (method === "POST" && (sub === "/restart" || sub === "/rebuild")) {
      const type = sub.slice(1);
      const open = db.actions.find(
        (a) =>
          a.vm_id === vm.id &&
          a.type === type &&
          (a.status === "pending" || a.status === "sent"),
      );
      if (open) return [200, { action: open }];
      const a = {
        id: db.seq++,
        vm_id: vm.id,
        type,
        status: "pending",
        created_at: iso(Date.now()),
        updated_at: iso(Date.now()),
        output: null,
        exit_code: null,
        version: null,
      };
      db.actions.push(a);
      setTimeout(
        () => Object.assign(a, { status: "sent", updated_at: iso(Date.now()) }),
        2000,
      );
      setTimeout(
        () =>
          Object.assign(a, {
            status: "succeeded",
            exit_code: 0,
            output: `${type} done\n`,
            updated_at: iso(Date.now()),
          }),
        5000,
      );
      return [202, { action: a }];
    }
    if (method === "GET" && sub === "/metrics") {
      const hours = Number(q.get("hours") ?? 24);
      if (!Number.isInteger(hours) || hours < 1 || hours > 2160)
        throw bad("hours must be 1-2160", "hours");
      const end = Date.now();
      const step = Math.max(30, Math.ceil((hours * 3600) / 2000));
      const pts = [];
      for (let t = end - hours * 3600e3; t <= end; t += step * 1000)
        pts.push(metricAt(vm, t));
      return [200, { vm_id: vm.id, hours, step, points: pts }];
    }
  }
  if (method === "GET" && path === "/api/alerts") {
    let l = [...db.alerts].sort((a, b) => b.id - a.id);
    if (q.get("resolved"))
      l = l.filter((a) => String(a.resolved) === q.get("resolved"));
    for (const k of ["severity", "type", "vm_id", "customer_id"])
      if (q.get(k)) l = l.filter((a) => a[k] === q.get(k));
    return [200, page(l, q)];
  }
  if ((x = m(/^\/api\/alerts\/(\d+)\/resolve$/)) && method === "PUT") {
    const a = find(db.alerts, x[1]);
    if (!a.resolved)
      Object.assign(a, {
        resolved: true,
        resolved_at: iso(Date.now()),
        resolved_by: me.username,
      });
    return [200, a];
  }
  if (method === "GET" && path === "/api/updates")
    return [
      200,
      page(
        [...db.updates].sort((a, b) => b.id - a.id),
        q,
      ),
    ];
  if (method === "POST" && path === "/api/updates") {
    if (
      typeof body?.version !== "string" ||
      !/^\d+\.\d+\.\d+$/.test(body.version)
    )
      throw bad("version must look like 1.2.3", "version");
    const u = {
      id: db.seq++,
      version: body.version,
      description: body.description ?? "",
      rollout_status: "pending",
      created_at: iso(Date.now()),
      completed_at: null,
      progress: { target: 0, updated: 0, failed: 0 },
    };
    db.updates.push(u);
    return [201, u];
  }
  if ((x = m(/^\/api\/updates\/(\d+)\/rollout$/)) && method === "POST") {
    const u = find(db.updates, x[1]);
    Object.assign(u, {
      rollout_status: "in_progress",
      progress: { target: db.vms.length, updated: 0, failed: 0 },
    });
    return [202, u];
  }
  if (method === "GET" && path === "/api/tokens")
    return [200, page(db.tokens, q)];
  if (method === "POST" && path === "/api/tokens") {
    if (typeof body?.name !== "string" || !body.name)
      throw bad("name is required", "name");
    const t = {
      id: db.seq++,
      name: body.name,
      role: body.role ?? "viewer",
      vm_id: null,
      created_at: iso(Date.now()),
      last_used_at: null,
    };
    db.tokens.push(t);
    return [201, { ...t, token: randomBytes(24).toString("base64url") }];
  }
  if ((x = m(/^\/api\/tokens\/(\d+)$/)) && method === "DELETE") {
    db.tokens.splice(db.tokens.indexOf(find(db.tokens, x[1])), 1);
    return [204, null];
  }
  if (method === "GET" && path === "/api/users")
    return [
      200,
      page(
        db.users.map(({ password, ...u }) => u),
        q,
      ),
    ];
  if (method === "POST" && path === "/api/users") {
    if (typeof body?.username !== "string" || !body.username)
      throw bad("username is required", "username");
    if (typeof body?.password !== "string" || body.password.length < 8)
      throw bad("password must be at least 8 characters", "password");
    const u = {
      id: db.seq++,
      username: body.username,
      role: body.role ?? "viewer",
      created_at: iso(Date.now()),
      password: body.password,
    };
    db.users.push(u);
    return [
      201,
      {
        id: u.id,
        username: u.username,
        role: u.role,
        created_at: u.created_at,
      },
    ];
  }
  if (method === "GET" && path === "/api/audit")
    return [200, page(db.audit, q)];
  throw new HttpError(404, "not_found", "no such endpoint");
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  try {
    if (url.pathname.startsWith("/api/")) {
      let body = null;
      const chunks = [];
      for await (const c of req) chunks.push(c);
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          throw new HttpError(400, "invalid_json", "body is not JSON");
        }
      }
      const sid = /lf_session=([0-9a-f]+)/.exec(req.headers.cookie ?? "")?.[1];
      const s = sid && db.sessions.get(sid);
      const sess = s ? { ...s, sid } : null;
      if (
        sess &&
        req.method !== "GET" &&
        req.headers["x-csrf-token"] !== s.csrf &&
        url.pathname !== "/api/auth/login"
      )
        throw new HttpError(403, "forbidden", "missing or wrong CSRF token");
      const [status, out, headers] = await api(
        req.method,
        url.pathname,
        url.searchParams,
        body,
        sess,
        req.socket.remoteAddress,
      );
      res.writeHead(status, {
        "Content-Type": "application/json; charset=utf-8",
        ...(headers ?? {}),
      });
      res.end(out === null ? undefined : JSON.stringify(out));
      return;
    }
    if (url.pathname === "/lab" || url.pathname.startsWith("/lab/")) {
      const rel = normalize(
        decodeURIComponent(url.pathname.slice(5)) || "index.html",
      );
      let file = join(UI, rel);
      if (!file.startsWith(UI)) file = join(UI, "index.html");
      let data;
      try {
        data = await readFile(file);
      } catch {
        file = join(UI, "index.html");
        data = await readFile(file);
      }
      res.writeHead(200, {
        "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      });
      res.end(data);
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ service: "lab-fleet-mock", dashboard: "/lab/" }));
  } catch (e) {
    const status = e.status ?? 500;
    res.writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
    });
    res.end(
      JSON.stringify({
        error: {
          code: e.code ?? "internal",
          message: e.status ? e.message : "internal error",
          ...(e.field ? { field: e.field } : {}),
        },
      }),
    );
  }
});

server.listen(PORT, "127.0.0.1", () =>
  console.error(`mock lab-fleet on http://127.0.0.1:${PORT}/lab/`),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
