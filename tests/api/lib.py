"""Black-box test kit: starts the real build/lab-fleet on a free loopback
port with a temporary database and talks HTTP to it.

    srv = lib.shared()                  # one server for the whole run
    srv = lib.Server(["--dev"]).start() # a server of your own (stop() it)
    r = srv.admin.get("/api/vms")       # also .operator, .viewer, .anon
    lib.expect(r, 400, "validation_failed", field="email")
"""
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# LAB_FLEET_BINARY runs the suite against another build (make api-test-san).
BINARY = os.environ.get("LAB_FLEET_BINARY") or os.path.join(ROOT, "build", "lab-fleet")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
sanitizer_reports = []
ADMIN_PASSWORD = "correct-horse-battery"
_ids = itertools.count(1)


def unique(prefix="t"):
    """A fresh id-safe string, unique within this run."""
    return f"{prefix}-{os.getpid()}-{next(_ids)}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls predicate until it returns a truthy value; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Client:
    """HTTP client bound to one credential (token, or a session cookie)."""

    def __init__(self, port, token=None):
        self.port = port
        self.token = token
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw=None, timeout=30):
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.cookie:
            h["Cookie"] = self.cookie
            if self.csrf and method not in ("GET", "HEAD"):
                h["X-CSRF-Token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        if headers:
            h.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, username="admin", password=ADMIN_PASSWORD):
        """Signs in; afterwards requests carry the cookie and CSRF token."""
        r = self.post("/api/auth/login", {"username": username, "password": password})
        if r.status == 200:
            cookie = r.header("Set-Cookie")
            self.cookie = cookie.split(";", 1)[0]
            self.csrf = r.json["csrf_token"]
        return r


class Server:
    """One lab-fleet process with its own temporary database."""

    def __init__(self, args=None, env=None, db_dir=None):
        self.args = list(args or [])
        self.env = dict(env or {})
        self.dir = db_dir or tempfile.mkdtemp(prefix="lab-fleet-test-")
        self.db = os.path.join(self.dir, "fleet.db")
        self.log_path = os.path.join(self.dir, "server.log")
        self.port = None
        self.proc = None

    def start(self, wait=True):
        self.port = self.port or free_port()
        env = dict(os.environ)
        env.setdefault("LAB_FLEET_ADMIN_PASSWORD", ADMIN_PASSWORD)
        env.update(self.env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), "--bind", "127.0.0.1", "--db", self.db] + self.args,
            stdout=self.log, stderr=self.log, env=env)
        self.anon = Client(self.port)
        if wait:
            wait_for(self._healthy, timeout=15, what=f"lab-fleet on port {self.port} (log {self.log_path})")
            self._tokens()
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"lab-fleet exited with {self.proc.returncode}; log: {self.read_log()[-2000:]}")
        try:
            return self.anon.get("/api/health", timeout=2).status == 200
        except OSError:
            return False

    def _tokens(self):
        if getattr(self, "admin", None) is None:
            self.admin = Client(self.port, self.cli_token("admin"))
            self.operator = Client(self.port, self.cli_token("operator"))
            self.viewer = Client(self.port, self.cli_token("viewer"))
        else:
            for c in (self.admin, self.operator, self.viewer):
                c.port = self.port

    def cli(self, *args, stdin=None):
        """Runs `lab-fleet ARGS...`; returns the CompletedProcess."""
        return subprocess.run([BINARY] + list(args), input=stdin, capture_output=True, text=True, timeout=30)

    def cli_token(self, role, name=None):
        p = self.cli("token", "create", "--db", self.db, "--role", role, "--name", name or f"test-{role}")
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    def client(self, token=None):
        return Client(self.port, token)

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        """SIGTERM and wait: the clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self._scan_log()
        return self.proc.returncode

    def _scan_log(self):
        """Remembers any sanitizer report the server wrote."""
        text = self.read_log()
        for mark in SANITIZER_MARKS:
            if mark in text:
                at = text.index(mark)
                sanitizer_reports.append(f"{self.log_path}: {text[max(0, at - 200):at + 3000]}")
                break

    def kill(self):
        """SIGKILL: nothing gets to flush."""
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        self._scan_log()

    def restart(self):
        self.start()
        return self

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_shared = None
_owned = []


def shared():
    """The run's common server (started on first use, stopped at the end)."""
    global _shared
    if _shared is None:
        _shared = Server(["--dev"]).start()
    return _shared


def own(server):
    """Registers a server of a test's own so the runner cleans it up."""
    _owned.append(server)
    return server


def cleanup_all():
    global _shared
    for s in _owned + ([_shared] if _shared else []):
        s.cleanup()
    _owned.clear()
    _shared = None


def expect(r, status, code=None, field=None):
    """Asserts the status and, for errors, the contract's error shape."""
    assert r.status == status, f"expected {status}, got {r!r}"
    if code is not None:
        assert r.json and "error" in r.json, f"no error body: {r!r}"
        err = r.json["error"]
        assert err.get("code") == code, f"expected code {code}, got {err}"
        assert isinstance(err.get("message"), str) and err["message"], err
        if field is not None:
            assert err.get("field") == field, f"expected field {field}, got {err}"
    ctype = r.header("Content-Type") or ""
    if r.body:
        assert ctype.startswith("application/json") or ctype.startswith("text/"), ctype
    return r.json


def make_customer(srv, **fields):
    """Creates a customer through the API (admin) and returns it."""
    n = next(_ids)
    body = {"name": f"Customer {n}", "email": f"c{os.getpid()}-{n}@example.test",
            "tier": "pro", "monthly_fee": 149.0}
    body.update(fields)
    r = srv.admin.post("/api/customers", body)
    assert r.status == 201, r
    return r.json


def make_vm(srv, customer_id=None, **fields):
    """Creates a VM (and a customer if none given); returns (vm, agent_token)."""
    if customer_id is None:
        customer_id = make_customer(srv)["id"]
    n = next(_ids)
    body = {"hostname": f"host-{n}", "ip_address": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
            "customer_id": customer_id, "tier": "pro", "cpu_cores": 2, "memory_gb": 4,
            "disk_gb": 50, "version": "1.0.0"}
    if os.getpid() & 1:
        body["ip_address"] = f"10.{100 + ((n >> 16) & 100)}.{(n >> 8) & 255}.{n & 255}"
    body.update(fields)
    r = srv.admin.post("/api/vms", body)
    assert r.status == 201, r
    return r.json["vm"], r.json["agent_token"]


def heartbeat(client, vm_id, **fields):
    body = {"cpu_percent": 10.0, "memory_percent": 20.0, "disk_percent": 30.0, "disk_used_gb": 15.0}
    body.update(fields)
    return client.put(f"/api/vms/{vm_id}/heartbeat", body)
