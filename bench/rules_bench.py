#!/usr/bin/env python3
"""Times the rule engine's pass over a large fleet.

Builds a database of --vms VMs (default 10,000) with an hour of metric
points each, a few of them over the disk, CPU and quota thresholds, then
runs the real `build/lab-fleet serve --rule-interval 1 --log-rule-passes`
on it while a writer adds points at the rate of a 30 s heartbeat per VM.
The server logs every pass with its duration; this prints them:

    python3 bench/rules_bench.py [--vms 10000] [--passes 15] [--json]

The last line is `RULESJSON {...}` for bench/run.py (the only line with
--json); the exit status is 1 when a steady pass takes 10 % of the default
15 s interval or more.

The first passes also feed the stored hour into the per-VM baselines (at
most 500,000 points a pass) and raise the initial alerts; the steady
passes are what runs every --rule-interval (15 s by default) in
production.
"""
import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "build", "lab-fleet")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_db(path, n_vms, history_points):
    subprocess.run([BINARY, "migrate", "--db", path], check=True, capture_output=True)
    db = sqlite3.connect(path)
    now = int(time.time())
    rnd = random.Random(1)
    n_cust = max(1, n_vms // 10)
    db.executemany(
        "INSERT INTO customers (id, name, email, tier, billing_status, monthly_fee, created_at)"
        " VALUES (?, ?, ?, 'pro', ?, 99, ?)",
        [(f"c{i}", f"Customer {i}", f"c{i}@bench.test", "overdue" if i % 50 == 0 else "active",
          now - 86400) for i in range(n_cust)])
    vms, points = [], []
    for i in range(n_vms):
        cpu = 95.0 if i % 200 == 0 else rnd.uniform(5, 40)
        disk = 92.0 if i % 100 == 0 else (85.0 if i % 100 == 1 else rnd.uniform(20, 70))
        quota = 95.0 if i % 300 == 0 else rnd.uniform(0, 50)
        # A few VMs went silent long ago: they go offline on the first pass.
        last = now - 3600 if i % 500 == 0 else now - rnd.randint(0, 29)
        vms.append((f"vm{i:05d}", f"host{i}", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                    f"c{i % n_cust}", "online", now - 86400, last, 2, 4, 80, "1.0.0",
                    last, cpu, 50.0, disk, 40.0, quota))
        for k in range(history_points):
            points.append((f"vm{i:05d}", last - (history_points - k) * 30,
                           cpu if k > history_points - 12 else rnd.uniform(5, 40), 50.0, disk, 40.0, quota))
    db.executemany(
        "INSERT INTO vms (id, hostname, ip_address, customer_id, tier, status, created_at,"
        " last_heartbeat, cpu_cores, memory_gb, disk_gb, version, m_ts, m_cpu, m_mem, m_disk,"
        " m_disk_used, m_quota) VALUES (?, ?, ?, ?, 'pro', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vms)
    db.executemany(
        "INSERT INTO metrics (vm_id, ts, cpu, mem, disk, disk_used, quota) VALUES (?, ?, ?, ?, ?, ?, ?)",
        points)
    db.commit()
    db.close()
    return len(points)


def writer(path, n_vms, stop, counter):
    """Adds points as n_vms agents on a 30 s interval would."""
    db = sqlite3.connect(path, timeout=10)
    rnd = random.Random(2)
    per_tick = max(1, n_vms // 300)  # 10 ticks a second
    i = 0
    while not stop.is_set():
        now = int(time.time())
        rows = []
        for _ in range(per_tick):
            # The silent VMs (every 500th) stay silent.
            if i % n_vms % 500 != 0:
                vm = f"vm{i % n_vms:05d}"
                rows.append((vm, now, rnd.uniform(5, 40), 50.0, 30.0, 40.0))
            i += 1
        # A heartbeat is its point: the VM's live figures are its newest.
        db.executemany("INSERT INTO metrics (vm_id, ts, cpu, mem, disk, disk_used) VALUES (?, ?, ?, ?, ?, ?)", rows)
        db.commit()
        counter[0] += len(rows)
        time.sleep(0.1)
    db.close()


def passes(log_path):
    out = []
    with open(log_path, "rb") as f:
        for line in f.read().decode("utf-8", "replace").splitlines():
            if line.startswith("{") and '"rule pass"' in line:
                out.append(json.loads(line))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vms", type=int, default=10000)
    ap.add_argument("--passes", type=int, default=15)
    ap.add_argument("--history", type=int, default=120, help="points per VM already stored (1 h at 30 s)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    if not os.path.exists(BINARY):
        print(f"{BINARY} is missing: run make first", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="lab-fleet-rules-bench-")
    path = os.path.join(tmp, "fleet.db")
    log_path = os.path.join(tmp, "server.log")
    proc = None
    stop = threading.Event()
    try:
        t0 = time.monotonic()
        npoints = build_db(path, args.vms, args.history)
        build_s = time.monotonic() - t0
        counter = [0]
        env = dict(os.environ, LAB_FLEET_ADMIN_PASSWORD="bench-password-123")
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [BINARY, "serve", "--port", str(free_port()), "--db", path, "--rule-interval", "1",
                 "--log-rule-passes"], stdout=log, stderr=log, env=env)
        th = threading.Thread(target=writer, args=(path, args.vms, stop, counter), daemon=True)
        th.start()
        t_write = time.monotonic()
        deadline = time.monotonic() + 120 + args.passes * 3
        while len(passes(log_path)) < args.passes + 1:
            if proc.poll() is not None:
                raise SystemExit(f"lab-fleet exited; log in {log_path}")
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for rule passes")
            time.sleep(0.2)
        stop.set()
        th.join()
        write_s = time.monotonic() - t_write
        got = passes(log_path)
        first, steady = got[0], [p["ms"] for p in got[1:args.passes + 1]]
        result = {
            "vms": first["vms"],
            "history_points": npoints,
            "first_pass_ms": round(first["ms"], 1),
            "first_pass_alerts": first["changed"],
            "steady_passes": len(steady),
            "steady_median_ms": round(statistics.median(steady), 1),
            "steady_max_ms": round(max(steady), 1),
            "points_written_per_s": round(counter[0] / write_s),
            "default_interval_ms": 15000,
        }
        # For bench/run.py's table: the worst steady pass against the goal.
        result["ms"] = result["steady_max_ms"]
        result["goal"] = "<10% of 15 s"
        result["result"] = "PASS" if result["steady_max_ms"] < 1500 else "MISS"
        if args.json:
            print(json.dumps(result))
        else:
            print(f"rule engine over {result['vms']} VMs (database built in {build_s:.1f} s)")
            print(f"  first pass (raises {first['changed']} alerts, starts feeding the {npoints} stored "
                  f"points to the baselines, at most 500,000 a pass): {result['first_pass_ms']} ms")
            print(f"  steady passes: median {result['steady_median_ms']} ms, max {result['steady_max_ms']} ms "
                  f"over {len(steady)} passes, with {result['points_written_per_s']} new points/s")
            print(f"  default --rule-interval: 15000 ms "
                  f"({result['steady_max_ms'] / 15000 * 100:.2f} % of it at worst)")
            print("RULESJSON " + json.dumps(result))
        return 0 if result["result"] == "PASS" else 1
    finally:
        stop.set()
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
