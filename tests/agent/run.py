#!/usr/bin/env python3
"""End-to-end test of lab-fleet-agent against the real lab-fleet server.

Builds both programs, starts the server on a free loopback port with a
temporary database, creates a customer and a VM, and runs the agent with
test hooks. Every wait polls a condition with a deadline; the last line
is "agent: N passed, M failed". Python standard library only.
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_BIN = os.path.join(ROOT, "build", "lab-fleet")
AGENT_BIN = os.environ.get("LAB_FLEET_AGENT_BIN",
                           os.path.join(ROOT, "build", "lab-fleet-agent"))
VM_ID = "vm-e2e-1"
OTHER_VM_ID = "vm-e2e-2"
ADMIN_PASSWORD = "e2e-admin-password-1"


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_for(pred, timeout, what, interval=0.1):
    """Polls pred() until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Fail as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last: {last_exc})" if last_exc else ""
            raise Fail(f"timed out after {timeout} s waiting for {what}{extra}")
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp):
        self.tmp = tmp
        self.db = os.path.join(tmp, "fleet.db")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = os.path.join(tmp, "server.log")
        # Fast rule engine (rollouts advance on its ticks) and heartbeats.
        self.base = ["--rule-interval", "1"]
        self.extra = ["--heartbeat-interval", "1"]
        self.admin = None  # bearer token
        self.cookie = None
        self.csrf = None

    def start(self):
        env = dict(os.environ, LAB_FLEET_ADMIN_PASSWORD=ADMIN_PASSWORD)
        for attempt in range(2):
            args = [SERVER_BIN, "serve", "--port", str(self.port),
                    "--bind", "127.0.0.1", "--db", self.db] + self.base + self.extra
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, env=env)
            log.close()
            try:
                wait_for(self.ready, 10, "the server to answer /api/health")
                return
            except Fail:
                if self.proc.poll() is not None and self.extra and attempt == 0:
                    # An older server without --heartbeat-interval.
                    self.extra = []
                    continue
                raise

    def ready(self):
        if self.proc.poll() is not None:
            raise Fail(f"server exited with {self.proc.returncode}: "
                       f"{tail(self.log_path)}")
        try:
            with urllib.request.urlopen(self.url + "/api/health", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def request(self, method, path, body=None, token=None, auth=True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", "Bearer " + token)
        elif auth and self.admin:
            req.add_header("Authorization", "Bearer " + self.admin)
        elif auth and self.cookie:
            req.add_header("Cookie", self.cookie)
            if self.csrf:
                req.add_header("X-CSRF-Token", self.csrf)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, raw, headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, headers = e.code, e.read(), e.headers
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = raw.decode(errors="replace")
        return status, doc, headers

    def login(self):
        """Admin credentials: a CLI token, else a dashboard session."""
        try:
            out = subprocess.run(
                [SERVER_BIN, "token", "create", "--db", self.db,
                 "--role", "admin", "--name", "agent-e2e"],
                capture_output=True, text=True, timeout=20)
            tok = out.stdout.strip()
            if out.returncode == 0 and tok and "\n" not in tok:
                self.admin = tok
                return
        except (OSError, subprocess.TimeoutExpired):
            pass
        st, doc, headers = self.request(
            "POST", "/api/auth/login",
            {"username": "admin", "password": ADMIN_PASSWORD}, auth=False)
        check(st == 200, f"no admin token from the CLI and login gave {st} {doc}")
        cookie = headers.get("Set-Cookie", "")
        self.cookie = cookie.split(";", 1)[0]
        self.csrf = doc.get("csrf_token")


class Agent:
    def __init__(self, tmp, name, args):
        self.log_path = os.path.join(tmp, f"agent-{name}.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([AGENT_BIN] + args, stdout=self.log,
                                     stderr=self.log)

    def text(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def lines(self, pattern):
        return [l for l in self.text().splitlines() if re.search(pattern, l)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def tail(path, n=2000):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()[-n:]
    except OSError:
        return ""


def write_file(path, text, mode):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class Suite:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="lab-fleet-agent-e2e-")
        self.server = Server(self.tmp)
        self.agent = None
        self.agent_token = None
        self.other_token = None
        self.hooks = os.path.join(self.tmp, "hooks")
        self.marks = os.path.join(self.tmp, "marks")
        self.version_file = os.path.join(self.tmp, "version")
        self.token_file = os.path.join(self.tmp, "token")
        self.passed = 0
        self.failed = 0

    # -- helpers ---------------------------------------------------------

    def agent_args(self, token_file=None, vm_id=VM_ID, state="state"):
        return ["--server", self.server.url, "--vm-id", vm_id,
                "--token-file", token_file or self.token_file,
                "--interval", "1", "--max-backoff", "2", "--timeout", "3",
                "--hooks", self.hooks, "--hook-timeout", "10",
                "--state-dir", os.path.join(self.tmp, state),
                "--version-file", self.version_file]

    def run_agent(self, args, timeout=20):
        return subprocess.run([AGENT_BIN] + args, capture_output=True,
                              text=True, timeout=timeout)

    def vm(self):
        st, doc, _ = self.server.request("GET", f"/api/vms/{VM_ID}")
        check(st == 200, f"GET /api/vms/{VM_ID}: {st} {doc}")
        return doc.get("vm", doc) if isinstance(doc, dict) else doc

    def action(self, action_id):
        st, doc, _ = self.server.request("GET", f"/api/vms/{VM_ID}/actions")
        check(st == 200, f"GET actions: {st} {doc}")
        for a in doc.get("items", []):
            if a.get("id") == action_id:
                return a
        raise Fail(f"action {action_id} not listed")

    def wait_action_done(self, action_id, timeout=15):
        def done():
            a = self.action(action_id)
            return a if a.get("status") in ("succeeded", "failed") else None
        return wait_for(done, timeout, f"action {action_id} to finish")

    def request_action(self, kind):
        st, doc, _ = self.server.request("POST", f"/api/vms/{VM_ID}/{kind}")
        check(st in (200, 202), f"POST {kind}: {st} {doc}")
        return doc["action"]["id"]

    def wait_heartbeats(self, n, timeout=15):
        """Waits until last_heartbeat has moved on n times."""
        seen = [self.vm().get("last_heartbeat")]

        def moved():
            hb = self.vm().get("last_heartbeat")
            if hb and hb != seen[-1]:
                seen.append(hb)
            return len(seen) > n
        wait_for(moved, timeout, f"{n} more heartbeats", interval=0.2)

    # -- set-up ----------------------------------------------------------

    def setup_files(self):
        os.makedirs(self.hooks)
        os.makedirs(self.marks)
        write_file(os.path.join(self.hooks, "restart"),
                   "#!/bin/sh\n"
                   f"echo \"restart $LAB_FLEET_ACTION_ID\" >> '{self.marks}/restart.log'\n"
                   "echo \"restarting vm $LAB_FLEET_VM_ID\"\n", 0o755)
        write_file(os.path.join(self.hooks, "rebuild"),
                   "#!/bin/sh\necho 'rebuilding...'\n"
                   "echo 'rebuild broke: disk on fire' >&2\nexit 3\n", 0o755)
        write_file(os.path.join(self.hooks, "update"),
                   "#!/bin/sh\n"
                   "printf '%s\\n' \"$1\" > \"$LAB_FLEET_VERSION_FILE\"\n"
                   "echo \"updated to $1\"\n", 0o755)
        write_file(self.version_file, "1.0.0\n", 0o644)

    def setup_server(self):
        self.server.start()
        self.server.login()
        st, doc, _ = self.server.request("POST", "/api/customers", {
            "id": "cus-e2e", "name": "Agent E2E", "email": "agent-e2e@example.com",
            "tier": "pro"})
        check(st == 201, f"POST /api/customers: {st} {doc}")
        cid = doc.get("customer", doc).get("id", "cus-e2e")
        for vm_id, ip in ((VM_ID, "10.9.0.1"), (OTHER_VM_ID, "10.9.0.2")):
            st, doc, _ = self.server.request("POST", "/api/vms", {
                "id": vm_id, "hostname": vm_id, "ip_address": ip,
                "customer_id": cid, "tier": "pro", "cpu_cores": 2,
                "memory_gb": 4, "disk_gb": 40, "monthly_cost": 5})
            check(st == 201, f"POST /api/vms: {st} {doc}")
            check(doc.get("agent_token"), f"no agent_token in {doc}")
            if vm_id == VM_ID:
                self.agent_token = doc["agent_token"]
            else:
                self.other_token = doc["agent_token"]
        write_file(self.token_file, self.agent_token + "\n", 0o600)

    # -- tests -----------------------------------------------------------

    def test_dry_run_figures(self):
        p = self.run_agent(["--dry-run", "--version-file", self.version_file])
        check(p.returncode == 0, f"--dry-run exit {p.returncode}: {p.stderr}")
        f = json.loads(p.stdout)
        for k in ("cpu_percent", "memory_percent", "disk_percent", "disk_used_gb"):
            check(isinstance(f.get(k), (int, float)), f"{k} missing in {f}")
        check(0 <= f["cpu_percent"] <= 100, f"cpu {f['cpu_percent']}")
        mem = {}
        with open("/proc/meminfo") as m:
            for line in m:
                k, v = line.split(":", 1)
                mem[k] = int(v.split()[0])
        ours = 100.0 * (mem["MemTotal"] - mem["MemAvailable"]) / mem["MemTotal"]
        check(abs(f["memory_percent"] - ours) < 10,
              f"memory {f['memory_percent']} vs /proc/meminfo {ours:.1f}")
        sv = os.statvfs("/")
        used = (sv.f_blocks - sv.f_bfree) * sv.f_frsize
        pct = 100.0 * (sv.f_blocks - sv.f_bfree) / (sv.f_blocks - sv.f_bfree + sv.f_bavail)
        check(abs(f["disk_percent"] - pct) < 2, f"disk {f['disk_percent']} vs {pct:.1f}")
        check(abs(f["disk_used_gb"] - used / 2**30) < 1,
              f"disk_used_gb {f['disk_used_gb']} vs {used / 2**30:.2f}")
        check(f.get("version") == "1.0.0", f"version {f.get('version')}")
        check(f.get("uptime_s", 0) > 0, "uptime_s")

    def test_refuses_readable_token_file(self):
        loose = os.path.join(self.tmp, "token-loose")
        write_file(loose, "whatever\n", 0o644)
        p = self.run_agent(self.agent_args(token_file=loose), timeout=10)
        check(p.returncode != 0, "agent started with a world-readable token file")
        check("readable by others" in p.stderr, f"stderr: {p.stderr!r}")

    def test_once_prints_answer(self):
        p = self.run_agent(self.agent_args(state="state-once") + ["--once"])
        check(p.returncode == 0, f"--once exit {p.returncode}: {p.stderr}")
        ans = json.loads(p.stdout)
        check(ans.get("vm_id") == VM_ID, f"answer {ans}")
        check(isinstance(ans.get("actions"), list), f"answer {ans}")
        check(isinstance(ans.get("next_heartbeat_s"), int), f"answer {ans}")

    def test_heartbeats_arrive(self):
        self.agent = Agent(self.tmp, "main", self.agent_args())
        vm = wait_for(lambda: (lambda v: v if v.get("last_heartbeat")
                               and v.get("latest_metrics") else None)(self.vm()),
                      15, "the first heartbeat")
        m = vm["latest_metrics"]
        for k in ("cpu_percent", "memory_percent", "disk_percent"):
            check(0 <= m[k] <= 100, f"{k}={m[k]}")
        check(m["memory_percent"] > 0, f"memory {m}")
        check(m["disk_used_gb"] > 0, f"disk_used_gb {m}")
        check(vm.get("status") == "online", f"status {vm.get('status')}")
        check(vm.get("version") == "1.0.0", f"version {vm.get('version')}")
        self.wait_heartbeats(2)
        check(len(self.agent.lines("connected to")) == 1,
              f"agent log:\n{self.agent.text()}")

    def test_restart_runs_once(self):
        aid = self.request_action("restart")
        a = self.wait_action_done(aid)
        check(a["status"] == "succeeded", f"action {a}")
        check(f"restarting vm {VM_ID}" in (a.get("output") or ""), f"output {a}")
        check(a.get("exit_code") in (0, None), f"exit_code {a}")
        # The server hands out sent actions again until they are
        # reported; a few heartbeats later the hook must still have run once.
        self.wait_heartbeats(3)
        with open(os.path.join(self.marks, "restart.log")) as f:
            runs = f.read().splitlines()
        check(runs == [f"restart {aid}"], f"restart hook runs: {runs}")
        check(len(self.agent.lines(rf"action {aid}: running")) == 1,
              "hook started more than once")

    def test_failing_hook(self):
        aid = self.request_action("rebuild")
        a = self.wait_action_done(aid)
        check(a["status"] == "failed", f"action {a}")
        check(a.get("exit_code") == 3, f"exit_code {a}")
        out = a.get("output") or ""
        check("rebuild broke: disk on fire" in out and "rebuilding..." in out,
              f"output {out!r}")

    def test_missing_hook(self):
        os.unlink(os.path.join(self.hooks, "restart"))
        aid = self.request_action("restart")
        a = self.wait_action_done(aid)
        check(a["status"] == "failed", f"action {a}")
        check("no restart hook" in (a.get("output") or ""), f"output {a}")

    def test_update_rollout(self):
        # Before the failing rebuild: a VM in maintenance is no rollout target.
        st, doc, _ = self.server.request("POST", "/api/updates",
                                         {"version": "1.1.0", "description": "e2e"})
        check(st == 201, f"POST /api/updates: {st} {doc}")
        uid = doc.get("update", doc)["id"]
        st, doc, _ = self.server.request("POST", f"/api/updates/{uid}/rollout",
                                         {"batch_percent": 100})
        check(st == 202, f"rollout: {st} {doc}")

        def update_action():
            st2, d, _ = self.server.request("GET", f"/api/vms/{VM_ID}/actions")
            check(st2 == 200, f"GET actions {st2}")
            for a in d.get("items", []):
                if a.get("type") == "update" and a.get("status") in ("succeeded", "failed"):
                    return a
            return None
        try:
            a = wait_for(update_action, 15, "the update action to finish")
        except Fail as e:
            _, upd, _ = self.server.request("GET", "/api/updates")
            _, acts, _ = self.server.request("GET", f"/api/vms/{VM_ID}/actions")
            raise Fail(f"{e}; rollout answered {doc}; updates {upd}; "
                       f"actions {acts}")
        check(a["status"] == "succeeded", f"update action {a}")
        check("updated to 1.1.0" in (a.get("output") or ""), f"output {a}")
        wait_for(lambda: self.vm().get("version") == "1.1.0", 10,
                 "the VM to report version 1.1.0")

    def test_slow_server(self):
        before = len(self.agent.lines("cannot reach"))
        back = len(self.agent.lines("back in touch"))
        os.kill(self.server.proc.pid, signal.SIGSTOP)
        try:
            # The kernel still accepts connections; nothing answers.
            wait_for(lambda: any("Timeout" in l for l in
                                 self.agent.lines("cannot reach")[before:]),
                     15, "the agent to give up on the stalled server")
        finally:
            os.kill(self.server.proc.pid, signal.SIGCONT)
        wait_for(lambda: len(self.agent.lines("back in touch")) > back, 15,
                 "the agent to come back once the server answers")
        check(len(self.agent.lines("cannot reach")) == before + 1,
              "more than one line logged for one stall:\n" + self.agent.text())

    def test_server_restart(self):
        before = len(self.agent.lines("cannot reach"))
        back = len(self.agent.lines("back in touch"))
        self.server.kill()
        t0 = time.monotonic()
        wait_for(lambda: len(self.agent.lines("cannot reach")) > before, 10,
                 "the agent to notice the server is gone")
        # Let some retries fail (the check below shows they were not
        # logged one by one); correctness does not depend on this wait.
        time.sleep(3)
        self.server.start()
        line = wait_for(lambda: self.agent.lines("back in touch")[back:], 15,
                        "the agent to come back by itself")[0]
        down = time.monotonic() - t0
        m = re.search(r"after (\d+) failed attempts", line)
        check(m, f"line {line!r}")
        attempts = int(m.group(1))
        check(attempts >= 2, f"only {attempts} attempts while the server was down")
        check(attempts <= 2 * down + 2, f"{attempts} attempts in {down:.1f} s: flooding")
        check(len(self.agent.lines("cannot reach")) == before + 1,
              "more than one line logged for one outage:\n" + self.agent.text())
        self.wait_heartbeats(2)
        check(self.agent.proc.poll() is None, "agent exited")

    def test_wrong_token_refused(self):
        bad = os.path.join(self.tmp, "token-bad")
        write_file(bad, "lf_not_a_real_token\n", 0o600)
        p = self.run_agent(self.agent_args(token_file=bad, state="state-bad") + ["--once"])
        check(p.returncode != 0, "--once with a wrong token succeeded")
        check("401" in p.stderr and "refused the agent token" in p.stderr,
              f"stderr: {p.stderr!r}")
        # Another VM's token: 403, and the agent says so.
        other = os.path.join(self.tmp, "token-other")
        write_file(other, self.other_token + "\n", 0o600)
        p = self.run_agent(self.agent_args(token_file=other, state="state-bad") + ["--once"])
        check(p.returncode != 0, "--once with another VM's token succeeded")
        check("403" in p.stderr, f"stderr: {p.stderr!r}")
        # A running agent keeps trying, says why once, and recovers when
        # the token file is fixed (SIGHUP rereads it).
        ag = Agent(self.tmp, "badtoken", self.agent_args(token_file=bad, state="state-bad"))
        try:
            wait_for(lambda: ag.lines("refused the agent token"), 10,
                     "the agent to log the refusal")
            check(ag.proc.poll() is None, "agent exited on a refused token")
            write_file(bad, self.agent_token + "\n", 0o600)
            ag.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: ag.lines("back in touch"), 15,
                     "the agent to recover with the fixed token")
            check(len(ag.lines("refused the agent token")) == 1,
                  "refusal logged more than once:\n" + ag.text())
        finally:
            ag.stop()

    def test_sigterm_stops(self):
        self.agent.proc.terminate()
        try:
            rc = self.agent.proc.wait(10)
        except subprocess.TimeoutExpired:
            raise Fail("agent did not stop within 10 s of SIGTERM")
        check(rc == 0, f"exit status {rc}")
        check(self.agent.lines("stopping on signal"), "no stop line")

    # -- runner ----------------------------------------------------------

    def run(self):
        build_ok = self.build()
        tests = [
            ("dry-run prints sane figures", self.test_dry_run_figures, False),
            ("refuses a token file others can read", self.test_refuses_readable_token_file, False),
            ("--once prints the answer", self.test_once_prints_answer, True),
            ("heartbeats arrive with sane figures", self.test_heartbeats_arrive, True),
            ("a restart runs the hook once and succeeds", self.test_restart_runs_once, True),
            ("an update rollout runs the update hook", self.test_update_rollout, True),
            ("a failing hook ends failed with its output", self.test_failing_hook, True),
            ("a missing hook ends failed with a clear message", self.test_missing_hook, True),
            ("server stalled (SIGSTOP): requests time out, the agent comes back", self.test_slow_server, True),
            ("server killed and restarted: the agent comes back", self.test_server_restart, True),
            ("a wrong token is refused and the agent says why", self.test_wrong_token_refused, True),
            ("SIGTERM stops the agent cleanly", self.test_sigterm_stops, True),
        ]
        setup_error = None
        try:
            check(build_ok, "build failed")
            self.setup_files()
        except Fail as e:
            setup_error = f"set-up: {e}"
        server_error = setup_error
        if setup_error is None:
            try:
                self.setup_server()
            except (Fail, OSError, KeyError, ValueError, AttributeError) as e:
                server_error = f"server set-up: {e}"
        needs_agent = False
        try:
            for name, fn, needs_server in tests:
                err = setup_error or (server_error if needs_server else None)
                if err is None and needs_agent and self.agent is None:
                    err = "the agent is not running"
                if err is None:
                    try:
                        fn()
                    except (Fail, OSError, KeyError, ValueError, TypeError,
                            AttributeError, subprocess.TimeoutExpired) as e:
                        err = f"{type(e).__name__}: {e}" if not isinstance(e, Fail) else str(e)
                if fn == self.test_heartbeats_arrive:
                    needs_agent = True
                if err is None:
                    self.passed += 1
                    print(f"ok - {name}", flush=True)
                else:
                    self.failed += 1
                    print(f"FAIL - {name}: {err}", flush=True)
        finally:
            if self.agent:
                self.agent.stop()
            self.server.stop()
        if self.failed:
            if self.agent:
                print("--- agent log (tail) ---\n" + tail(self.agent.log_path, 3000))
            print("--- server log (tail) ---\n" + tail(self.server.log_path, 3000))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        print(f"agent: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 else 1

    def build(self):
        p = subprocess.run(["make", "-s", "-C", ROOT, "all"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("make all failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
        ok = os.access(AGENT_BIN, os.X_OK) and os.access(SERVER_BIN, os.X_OK)
        return ok


if __name__ == "__main__":
    sys.exit(Suite().run())
