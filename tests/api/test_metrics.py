"""Metric history of a VM, fleet figures, Prometheus text, demo data."""
import re
import sqlite3
import time

import lib
from lib import expect

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
POINT = {"timestamp", "cpu_percent", "memory_percent", "disk_percent", "disk_used_gb"}
_srv = None


def own_server():
    """A server of this file's own: fleet figures need an empty database."""
    global _srv
    if _srv is None:
        _srv = lib.own(lib.Server(["--dev"]).start())
    return _srv


def ts(s):
    return int(time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone)


def db(srv):
    conn = sqlite3.connect(srv.db, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def insert_points(srv, vm_id, rows):
    """rows: (ts, cpu, mem, disk, used) straight into the raw table."""
    with db(srv) as conn:
        conn.executemany("INSERT INTO metrics (vm_id, ts, cpu, mem, disk, disk_used) VALUES (?, ?, ?, ?, ?, ?)",
                         [(vm_id,) + tuple(r) for r in rows])


def insert_rollups(srv, vm_id, rows):
    """rows: (bucket, cpu, mem, disk, used, n), as the retention job writes them."""
    with db(srv) as conn:
        conn.executemany("INSERT INTO metrics_5m (vm_id, bucket, cpu, mem, disk, disk_used, n) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", [(vm_id,) + tuple(r) for r in rows])


def series(client, vm_id, query=""):
    return client.get(f"/api/vms/{vm_id}/metrics{query}")


def test_heartbeats_come_back_oldest_first():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    ag = srv.client(token)
    sent = [(10.5, 20.25, 30.125, 12.5), (0, 0, 0, 0), (100, 100, 100, 1e6)]
    for cpu, mem, disk, used in sent:
        expect(lib.heartbeat(ag, vm["id"], cpu_percent=cpu, memory_percent=mem, disk_percent=disk,
                             disk_used_gb=used), 200)
    got = expect(series(srv.viewer, vm["id"]), 200)
    assert set(got) == {"vm_id", "hours", "step", "points"}
    assert got["vm_id"] == vm["id"] and got["hours"] == 24 and got["step"] == 0
    assert [(p["cpu_percent"], p["memory_percent"], p["disk_percent"], p["disk_used_gb"])
            for p in got["points"]] == sent
    assert all(set(p) == POINT and TIME.match(p["timestamp"]) for p in got["points"])
    stamps = [p["timestamp"] for p in got["points"]]
    assert stamps == sorted(stamps)
    # A VM with no heartbeat yet has an empty series.
    empty, _ = lib.make_vm(srv)
    assert expect(series(srv.viewer, empty["id"], "?hours=2160"), 200)["points"] == []


def test_parameters_are_checked():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    for q, field in (("?hours=0", "hours"), ("?hours=2161", "hours"), ("?hours=-1", "hours"),
                     ("?hours=abc", "hours"), ("?hours=1.5", "hours"), ("?hours=", "hours"),
                     ("?hours=24x", "hours"), ("?hours=99999999999999999999", "hours"),
                     ("?step=0", "step"), ("?step=86401", "step"), ("?step=ten", "step"),
                     ("?hours=1&step=-60", "step")):
        expect(series(srv.viewer, vm["id"], q), 400, "validation_failed", field=field)
    for q in ("?hours=1", "?hours=2160", "?hours=2160&step=86400", "?step=1"):
        expect(series(srv.viewer, vm["id"], q), 200)
    expect(series(srv.viewer, "no-such-vm"), 404, "not_found")
    expect(series(srv.viewer, "bad%20id"), 404, "not_found")
    expect(series(srv.anon, vm["id"]), 401, "unauthorized")
    expect(series(srv.client(token), vm["id"]), 403, "forbidden")


def test_long_series_are_bucketed_and_step_averages():
    srv = own_server()
    vm, _ = lib.make_vm(srv)
    now = int(time.time())
    # 25 hours at one point per 30 s: more than 2000 in any day. The
    # 15 s offset keeps rows off the window's edge while clocks tick.
    rows = [(now - 15 - 30 * i, i % 100, 50.0, 10 + (i % 7), 5.5) for i in range(3000)]
    insert_points(srv, vm["id"], rows)
    got = expect(series(srv.viewer, vm["id"], "?hours=24"), 200)
    # The smallest step that fits a day into 2000 aligned buckets.
    assert got["step"] == 44, got["step"]
    assert 1900 <= len(got["points"]) <= 2000
    stamps = [ts(p["timestamp"]) for p in got["points"]]
    assert stamps == sorted(stamps) and all(t % 44 == 0 for t in stamps)
    assert stamps[0] >= (now - 86400) // 44 * 44 - 44
    # Short windows stay raw.
    raw = expect(series(srv.viewer, vm["id"], "?hours=1"), 200)
    assert raw["step"] == 0 and len(raw["points"]) == 120
    # An explicit step: each point is its bucket's mean.
    hourly = expect(series(srv.viewer, vm["id"], "?hours=6&step=3600"), 200)
    assert hourly["step"] == 3600 and hourly["hours"] == 6
    since = now - 6 * 3600
    for p in hourly["points"]:
        b = ts(p["timestamp"])
        assert b % 3600 == 0
        inside = [r for r in rows if r[0] >= since and r[0] // 3600 * 3600 == b]
        assert inside, p
        assert abs(p["cpu_percent"] - sum(r[1] for r in inside) / len(inside)) < 1e-5, p
        assert abs(p["disk_percent"] - sum(r[3] for r in inside) / len(inside)) < 1e-5, p
        assert p["memory_percent"] == 50 and p["disk_used_gb"] == 5.5
    assert sum(1 for r in rows if r[0] >= since) == \
        sum(len([r for r in rows if r[0] >= since and r[0] // 3600 * 3600 == ts(p["timestamp"])])
            for p in hourly["points"])


def test_rollups_cover_what_raw_retention_folded_away():
    srv = own_server()
    vm, _ = lib.make_vm(srv)
    now = int(time.time())
    first_raw = now - 3600
    raw = [(first_raw + 60 * i, 10.0, 20.0, 30.0, 40.0) for i in range(60)]
    insert_points(srv, vm["id"], raw)
    start = (now - 5 * 86400) // 300 * 300
    rollups = [(b, 50.0, 60.0, 70.0, 80.0, 5) for b in range(start, first_raw, 300)]
    # A bucket the raw table still covers must not be counted twice.
    rollups.append(((first_raw + 600) // 300 * 300, 999.0, 999.0, 999.0, 999.0, 5))
    insert_rollups(srv, vm["id"], rollups)
    got = expect(series(srv.viewer, vm["id"], "?hours=168"), 200)
    assert got["step"] == 0
    pts = got["points"]
    assert len(pts) == len(rollups) - 1 + len(raw), len(pts)
    stamps = [ts(p["timestamp"]) for p in pts]
    assert stamps == sorted(stamps) and stamps[0] == start
    assert all(p["cpu_percent"] != 999 for p in pts)
    assert pts[0]["cpu_percent"] == 50 and pts[-1]["cpu_percent"] == 10
    # A window shorter than the rollups starts where it should.
    day = expect(series(srv.viewer, vm["id"], "?hours=24"), 200)["points"]
    assert ts(day[0]["timestamp"]) >= now - 86400 - 1
    # Buckets mixing rollups and raw points weigh each by its count.
    mixed = expect(series(srv.viewer, vm["id"], "?hours=168&step=86400"), 200)
    assert mixed["step"] == 86400
    last = mixed["points"][-1]
    day_start = ts(last["timestamp"])
    r_in = [r for r in rollups[:-1] if r[0] >= day_start]
    n_roll = 5 * len(r_in)
    want = (50.0 * n_roll + 10.0 * len(raw)) / (n_roll + len(raw))
    assert abs(last["cpu_percent"] - want) < 1e-5, (last, want)


def test_fleet_figures():
    srv = lib.own(lib.Server().start())
    c1 = lib.make_customer(srv, tier="starter", billing_status="active", monthly_fee=100.25)
    c2 = lib.make_customer(srv, tier="enterprise", billing_status="overdue", monthly_fee=999.5)
    lib.make_customer(srv, tier="pro", billing_status="inactive", monthly_fee=50)
    vms = []
    for status, cust, cores, mem, disk, cost, version in (
            ("online", c1, 2, 4, 50, 10.5, "3.0.0"), ("online", c2, 8, 32, 500, 120, "3.0.0"),
            ("offline", c2, 4, 16, 100, 30, "3.1.0"), ("maintenance", c1, 1, 2, 20, 5, None),
            ("error", c2, 2, 8, 80, 20, "3.1.0")):
        b = {"status": status, "cpu_cores": cores, "memory_gb": mem, "disk_gb": disk, "monthly_cost": cost,
             "version": version}
        vm, token = lib.make_vm(srv, customer_id=cust["id"], **b)
        vms.append((vm, token))
    # Latest points: two online VMs and the one in maintenance.
    for (vm, token), cpu, disk_used in ((vms[0], 10, 20), (vms[1], 30, 200), (vms[3], 70, 15)):
        expect(lib.heartbeat(srv.client(token), vm["id"], cpu_percent=cpu, memory_percent=cpu + 10,
                             disk_percent=cpu + 20, disk_used_gb=disk_used), 200)
    for sev in ("high", "high", "warning", "info"):
        expect(srv.operator.post("/api/alerts", {"vm_id": vms[0][0]["id"], "type": "fleet_test",
                                                 "severity": sev, "message": "m"}), 201)
    done = expect(srv.operator.post("/api/alerts", {"type": "fleet_test", "severity": "high",
                                                    "message": "m"}), 201)
    expect(srv.operator.put(f"/api/alerts/{done['id']}/resolve"), 200)
    f = expect(srv.viewer.get("/api/metrics/fleet"), 200)
    assert list(f) == ["vms", "customers", "revenue", "costs", "margin", "usage", "alerts", "versions"]
    assert f["vms"] == {"total": 5, "online": 2, "offline": 1, "maintenance": 1, "error": 1}, f["vms"]
    assert f["customers"]["total"] == 3 and f["customers"]["active"] == 1
    assert f["customers"]["by_tier"] == {"starter": 1, "pro": 1, "enterprise": 1}
    assert f["revenue"] == {"mrr": 100.25, "overdue": 999.5}
    assert f["costs"] == {"monthly": 185.5} and f["margin"] == 100.25 - 185.5
    u = f["usage"]
    # Averages over online VMs only; totals over all.
    assert u["avg_cpu_percent"] == 20 and u["avg_memory_percent"] == 30 and u["avg_disk_percent"] == 40, u
    assert u["disk_used_gb"] == 235 and u["cpu_cores"] == 17 and u["memory_gb"] == 62 and u["disk_gb"] == 750
    assert f["alerts"] == {"unresolved": 4, "high": 2, "warning": 1, "info": 1}, f["alerts"]
    assert f["versions"] == {"3.0.0": 2, "3.1.0": 2}
    expect(srv.anon.get("/api/metrics/fleet"), 401, "unauthorized")
    expect(srv.client(vms[0][1]).get("/api/metrics/fleet"), 403, "forbidden")
    srv.cleanup()


def test_fleet_of_an_empty_database():
    srv = lib.own(lib.Server().start())
    f = expect(srv.viewer.get("/api/metrics/fleet"), 200)
    assert f["vms"]["total"] == 0 and f["customers"]["total"] == 0 and f["versions"] == {}
    assert f["revenue"] == {"mrr": 0, "overdue": 0} and f["margin"] == 0
    assert f["usage"]["avg_cpu_percent"] is None and f["usage"]["cpu_cores"] == 0
    srv.cleanup()


def test_prometheus_text():
    srv = own_server()
    f = expect(srv.viewer.get("/api/metrics/fleet"), 200)
    vm, token = lib.make_vm(srv)
    with db(srv) as conn:
        conn.execute("UPDATE vms SET version = ? WHERE id = ?", ('9.9.9-"odd"\\\nname', vm["id"]))
    r = srv.viewer.get("/metrics")
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    text = r.body
    f = expect(srv.viewer.get("/api/metrics/fleet"), 200)
    lines = text.splitlines()
    for status in ("online", "offline", "maintenance", "error"):
        assert f'lab_fleet_vms{{status="{status}"}} {f["vms"][status]}' in lines
    for b in ("active", "inactive", "overdue"):
        assert f'lab_fleet_customers{{billing_status="{b}"}} {f["customers"][b]}' in lines
    for sev in ("high", "warning", "info"):
        assert f'lab_fleet_alerts_unresolved{{severity="{sev}"}} {f["alerts"][sev]}' in lines
    mrr = [ln for ln in lines if ln.startswith("lab_fleet_mrr ")]
    assert len(mrr) == 1 and float(mrr[0].split()[1]) == f["revenue"]["mrr"]
    costs = [ln for ln in lines if ln.startswith("lab_fleet_monthly_costs ")]
    assert len(costs) == 1 and float(costs[0].split()[1]) == f["costs"]["monthly"]
    assert 'lab_fleet_vm_versions{version="9.9.9-\\"odd\\"\\\\\\nname"} 1' in lines, \
        [ln for ln in lines if "versions" in ln]
    assert "# TYPE lab_fleet_vms gauge" in lines
    # The server's own request series follow.
    assert any(ln.startswith("lab_fleet_http_requests_total") for ln in lines)
    for ln in lines:
        assert ln.startswith("#") or re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$", ln), ln
    expect(srv.anon.get("/metrics"), 401, "unauthorized")
    expect(srv.client(token).get("/metrics"), 403, "forbidden")


def test_seed_fills_a_believable_fleet_once():
    srv = lib.own(lib.Server(["--dev"]).start())
    expect(srv.viewer.post("/api/seed-test-data"), 403, "forbidden")
    expect(srv.operator.post("/api/seed-test-data"), 403, "forbidden")
    expect(srv.anon.post("/api/seed-test-data"), 401, "unauthorized")
    counts = expect(srv.admin.post("/api/seed-test-data"), 201)
    assert counts["customers"] >= 24 and counts["vms"] >= 120 and counts["updates"] >= 2
    assert counts["metric_points"] == 288 * counts["vms"] and counts["alerts"] > 10
    f = expect(srv.viewer.get("/api/metrics/fleet"), 200)
    assert f["vms"]["total"] == counts["vms"] and f["customers"]["total"] == counts["customers"]
    assert all(f["vms"][s] > 0 for s in ("online", "offline", "maintenance", "error")), f["vms"]
    assert all(f["customers"]["by_tier"][t] > 0 for t in ("starter", "pro", "enterprise"))
    assert f["customers"]["overdue"] > 0 and f["customers"]["inactive"] > 0
    assert len(f["versions"]) >= 3 and f["revenue"]["mrr"] > 0 and f["costs"]["monthly"] > 0
    assert f["alerts"]["unresolved"] > 0 and f["usage"]["avg_cpu_percent"] is not None
    customers = expect(srv.viewer.get("/api/customers?limit=1000"), 200)["items"]
    assert all("@" in c["email"] and c["company"] and c["vm_count"] > 0 for c in customers)
    vms = expect(srv.viewer.get("/api/vms?limit=1000"), 200)["items"]
    assert len({v["ip_address"] for v in vms}) == len(vms)
    assert all(v["latest_metrics"] and v["last_heartbeat"] for v in vms)
    assert any(v["latest_metrics"]["disk_percent"] > 90 for v in vms)
    # The seeded API quota alert's VM shows that quota in its latest figures.
    quota = [a for a in expect(srv.viewer.get("/api/alerts?type=api_quota&resolved=false"), 200)["items"]]
    assert quota, "a seeded api_quota alert"
    by_id = {v["id"]: v for v in vms}
    assert by_id[quota[0]["vm_id"]]["latest_metrics"]["api_quota_percent"] == 94.5
    online = [v for v in vms if v["status"] == "online"][0]
    day = expect(srv.viewer.get(f"/api/vms/{online['id']}/metrics?hours=24"), 200)["points"]
    assert len(day) == 288
    stamps = [ts(p["timestamp"]) for p in day]
    assert all(b - a == 300 for a, b in zip(stamps, stamps[1:]))
    assert len({p["cpu_percent"] for p in day}) > 100
    alerts = expect(srv.viewer.get("/api/alerts?limit=1000"), 200)["items"]
    assert {a["resolved"] for a in alerts} == {True, False}
    assert len({a["type"] for a in alerts}) >= 4 and {a["severity"] for a in alerts} == {"high", "warning", "info"}
    updates = expect(srv.viewer.get("/api/updates"), 200)["items"]
    assert 2 <= len(updates) <= 3
    # Twice: 409, and nothing doubled.
    expect(srv.admin.post("/api/seed-test-data"), 409, "conflict")
    again = expect(srv.viewer.get("/api/metrics/fleet"), 200)
    assert again["vms"] == f["vms"] and again["customers"] == f["customers"]
    assert len(expect(srv.viewer.get("/api/updates"), 200)["items"]) == len(updates)
    srv.cleanup()


def test_seed_is_404_without_dev():
    srv = lib.own(lib.Server().start())
    expect(srv.admin.post("/api/seed-test-data"), 404, "not_found")
    assert expect(srv.viewer.get("/api/metrics/fleet"), 200)["vms"]["total"] == 0
    srv.cleanup()
