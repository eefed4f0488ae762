"""Service info, health, and the server's behaviour as a process:
configuration sources, JSON logs, clean shutdown, first-start admin."""
import json
import os
import stat

import lib
from lib import expect


def test_service_info_needs_no_auth():
    r = lib.shared().anon.get("/")
    body = expect(r, 200)
    assert body["service"] == "lab-fleet"
    assert body["api"] == "/api" and body["dashboard"] == "/lab/"
    assert r.header("Content-Type") == "application/json; charset=utf-8"


def test_health_reports_database_and_uptime():
    body = expect(lib.shared().anon.get("/api/health"), 200)
    assert body["status"] == "ok" and body["database"] == "ok"
    assert isinstance(body["uptime_s"], int) and body["uptime_s"] >= 0


def test_unknown_route_is_404_in_error_shape():
    expect(lib.shared().admin.get("/api/nope"), 404, "not_found")
    expect(lib.shared().anon.get("/nothing/here"), 404, "not_found")


def test_wrong_method_is_405_with_allow():
    r = lib.shared().admin.request("DELETE", "/api/health")
    expect(r, 405, "method_not_allowed")
    assert "GET" in r.header("Allow")


def test_one_json_log_line_per_request():
    srv = lib.shared()
    srv.admin.get("/api/health")
    import socket
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b'GET /api/\xff\xfe"quote\\%0a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        s.recv(4096)
    srv.admin.get("/api/no-such-route-logline")
    # Request lines are written in batches, within a tenth of a second.
    lib.wait_for(lambda: "no-such-route-logline" in srv.read_log(), timeout=5, what="the request's log line")
    # Every line of the log is one JSON object, the first-start ones too.
    lines = [json.loads(l) for l in srv.read_log().splitlines() if l.strip()]
    assert all(isinstance(l, dict) and "level" in l and "ts" in l for l in lines)
    req = [l for l in lines if l.get("path") == "/api/health" and "status" in l]
    assert req, "no request line logged"
    line = req[-1]
    for key in ("method", "path", "status", "ms", "who", "ts"):
        assert key in line, line
    assert all("lf_" not in l for l in srv.read_log().splitlines()), "a token leaked into the log"


def test_first_start_writes_admin_password_file():
    srv = lib.own(lib.Server(env={"LAB_FLEET_ADMIN_PASSWORD": ""}))
    srv.start()
    path = os.path.join(srv.dir, "initial-admin-password")
    assert os.path.exists(path), "no initial-admin-password file"
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    password = open(path).read().strip()
    c = srv.client()
    expect(c.login("admin", password), 200)
    expect(c.get("/api/auth/me"), 200)
    # A restart does not make a second admin or a new password.
    srv.stop()
    os.unlink(path)
    srv.start()
    assert not os.path.exists(path)
    expect(srv.client().login("admin", password), 200)


def test_sigterm_stops_cleanly():
    srv = lib.own(lib.Server()).start()
    assert srv.stop() == 0
    assert "stopped cleanly" in srv.read_log()


def test_config_file_then_environment_then_flags():
    """Later sources win: file < LAB_FLEET_* < --flags."""
    import subprocess
    srv = lib.own(lib.Server())
    file_port, env_port = lib.free_port(), lib.free_port()
    conf = os.path.join(srv.dir, "lab-fleet.conf")
    with open(conf, "w") as f:
        f.write("# comment\nport = %d\nbind = 127.0.0.1\n" % file_port)

    def run(env_extra, flags, port):
        env = dict(os.environ, LAB_FLEET_ADMIN_PASSWORD=lib.ADMIN_PASSWORD, **env_extra)
        with open(srv.log_path, "ab") as log:
            p = subprocess.Popen([lib.BINARY, "serve", "--config", conf, "--db", srv.db] + flags,
                                 stdout=log, stderr=log, env=env)
        try:
            lib.wait_for(lambda: _up(lib.Client(port)), what=f"server on port {port}")
        finally:
            p.terminate()
            p.wait(timeout=10)

    run({}, [], file_port)
    run({"LAB_FLEET_PORT": str(env_port)}, [], env_port)
    flag_port = lib.free_port()
    run({"LAB_FLEET_PORT": str(env_port)}, ["--port", str(flag_port)], flag_port)


def _up(c):
    try:
        return c.get("/api/health", timeout=1).status == 200
    except OSError:
        return False


def test_bad_flag_is_refused_with_a_message():
    p = lib.shared().cli("serve", "--port", "99999")
    assert p.returncode == 2
    assert "port" in p.stderr
    p = lib.shared().cli("serve", "--no-such-flag")
    assert p.returncode == 2 and "unknown flag" in p.stderr
