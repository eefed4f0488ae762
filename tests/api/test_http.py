"""The HTTP edge: bodies, content types, broken requests, the dashboard's
files. After every abuse the server must still answer."""
import os
import socket

import lib
from lib import expect


def _still_serving(srv):
    expect(srv.anon.get("/api/health"), 200)


def test_broken_json_is_400_invalid_json():
    srv = lib.shared()
    for raw in (b"{", b"{\"name\":}", b"nul", b"\xff\xfe", b"{\"a\":1}{", b"{\"a\":1,\"a\":2}"):
        expect(srv.admin.post("/api/tokens", raw=raw), 400, "invalid_json")
    _still_serving(srv)


def test_nul_bytes_are_refused():
    srv = lib.shared()
    r = srv.admin.post("/api/tokens", raw=b'{"name":"a\\u0000b","role":"viewer"}')
    assert r.status == 400, r
    names = [t["name"] for t in srv.admin.get("/api/tokens").json["items"]]
    assert not any("\x00" in n or n == "a" for n in names)


def test_non_json_body_is_415():
    srv = lib.shared()
    r = srv.admin.post("/api/tokens", raw=b"name=x", headers={"Content-Type": "text/plain"})
    expect(r, 415, "unsupported_media_type")


def _post_raw(srv, head, body):
    """Sends a request on a raw socket; the server may answer and close
    before the body is all sent, so send errors are expected."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        try:
            s.sendall(head + body)
        except OSError:
            pass
        try:
            return s.recv(4096)
        except OSError:
            return b""


def test_body_over_one_mebibyte_is_413():
    srv = lib.shared()
    body = b'{"name":"' + b"a" * (1024 * 1024 + 10) + b'","role":"viewer"}'
    head = (b"POST /api/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + srv.admin.token.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    reply = _post_raw(srv, head, body)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert b'"payload_too_large"' in reply
    # Just under the limit is read and judged on its merits.
    ok = b'{"name":"' + b"a" * 90 + b'","role":"viewer","pad":"' + b"p" * (1024 * 1000) + b'"}'
    expect(srv.admin.post("/api/tokens", raw=ok), 201)
    _still_serving(srv)


def test_oversize_announced_body_is_refused_before_it_is_sent():
    srv = lib.shared()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"POST /api/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + srv.admin.token.encode() + b"\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1073741824\r\n\r\n")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    _still_serving(srv)


def test_oversize_chunked_body_is_413():
    srv = lib.shared()
    chunk = b"a" * 65536
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"POST /api/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + srv.admin.token.encode() + b"\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(20):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        reply = s.recv(4096)
    assert b" 413 " in reply.split(b"\r\n")[0], reply[:100]
    _still_serving(srv)


def test_malformed_http_on_a_raw_socket():
    srv = lib.shared()
    garbage = [
        b"\x00\x01\x02\x03\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 200000 + b"\r\n\r\n",
        b"POST /api/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET / HTTP/1.1\r\n" + b"H: v\r\n" * 5000 + b"\r\n",
    ]
    for g in garbage:
        try:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
                s.sendall(g)
                s.shutdown(socket.SHUT_WR)
                data = s.recv(1024)
                if data:
                    assert data.startswith(b"HTTP/1."), data[:80]
                    assert not data.startswith(b"HTTP/1.1 2"), (g[:40], data[:80])
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        _still_serving(srv)


def test_half_open_connection_does_not_block_others():
    srv = lib.shared()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"POST /api/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        _still_serving(srv)


def test_hostile_strings_stored_verbatim():
    srv = lib.shared()
    for name in ("'; DROP TABLE tokens; --", "<script>alert(1)</script>", "Ünïcødé ☃ 日本",
                 "\" OR 1=1 --", "../../etc/passwd", "%00%27"):
        body = expect(srv.admin.post("/api/tokens", {"name": name, "role": "viewer"}), 201)
        assert body["name"] == name
        listed = srv.admin.get("/api/tokens").json["items"]
        assert any(t["name"] == name for t in listed)
    expect(srv.admin.get("/api/tokens"), 200)


def test_wrong_types_and_long_strings():
    srv = lib.shared()
    expect(srv.admin.post("/api/tokens", {"name": ["x"], "role": "viewer"}), 400, "validation_failed", "name")
    expect(srv.admin.post("/api/tokens", {"name": "x" * 101, "role": "viewer"}), 400, "validation_failed", "name")
    expect(srv.admin.post("/api/tokens", {"name": "x", "role": None}), 400, "validation_failed", "role")
    expect(srv.admin.post("/api/tokens", "just a string"), 400, "validation_failed")


def test_pagination_parameters_are_checked():
    srv = lib.shared()
    for q in ("limit=0", "limit=1001", "limit=abc", "offset=-1", "offset=1.5", "limit="):
        r = srv.admin.get("/api/audit?" + q)
        expect(r, 400, "validation_failed")
    body = expect(srv.admin.get("/api/audit?limit=2&offset=0"), 200)
    assert body["limit"] == 2 and body["offset"] == 0 and len(body["items"]) <= 2


def _ui_server():
    srv = lib.Server()
    ui = os.path.join(srv.dir, "ui")
    os.makedirs(os.path.join(ui, "assets"))
    with open(os.path.join(ui, "index.html"), "w") as f:
        f.write("<!doctype html><title>lab-fleet</title>")
    with open(os.path.join(ui, "assets", "app-1234.js"), "w") as f:
        f.write("console.log(1)")
    with open(os.path.join(ui, "assets", "app-1234.css"), "w") as f:
        f.write("body{}")
    with open(os.path.join(srv.dir, "secret.txt"), "w") as f:
        f.write("TOP-SECRET")
    os.symlink(os.path.join(srv.dir, "secret.txt"), os.path.join(ui, "link.txt"))
    srv.args = ["--ui", ui]
    return lib.own(srv).start()


def test_dashboard_files_types_and_caching():
    srv = _ui_server()
    r = srv.anon.get("/lab/")
    assert r.status == 200 and "<title>lab-fleet</title>" in r.body
    assert r.header("Content-Type").startswith("text/html")
    assert r.header("Cache-Control") == "no-cache"
    r = srv.anon.get("/lab/assets/app-1234.js")
    assert r.status == 200 and r.header("Content-Type").startswith("text/javascript")
    assert "immutable" in r.header("Cache-Control")
    r = srv.anon.get("/lab/assets/app-1234.css")
    assert r.header("Content-Type").startswith("text/css")
    # Client-side routes answer index.html.
    r = srv.anon.get("/lab/vms/vm-1")
    assert r.status == 200 and "<title>lab-fleet</title>" in r.body
    expect(srv.anon.post("/lab/"), 405, "method_not_allowed")


def test_nothing_outside_the_dashboard_is_served():
    srv = _ui_server()
    for path in ("/lab/../secret.txt", "/lab/..%2fsecret.txt", "/lab/%2e%2e/secret.txt",
                 "/lab/assets/../../secret.txt", "/lab/link.txt", "/lab//etc/passwd",
                 "/lab/....//secret.txt", "/lab/%00", "/lab/assets/..\\..\\secret.txt"):
        r = srv.anon.get(path)
        assert "TOP-SECRET" not in r.body, path
        assert "root:" not in r.body, path
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"GET /lab/../../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert b"TOP-SECRET" not in data


def test_cors_only_for_configured_origins():
    srv = lib.own(lib.Server(["--cors-origin", "http://localhost:5173"])).start()
    r = srv.anon.get("/api/health", headers={"Origin": "http://localhost:5173"})
    assert r.header("Access-Control-Allow-Origin") == "http://localhost:5173"
    r = srv.anon.get("/api/health", headers={"Origin": "http://evil.example"})
    assert r.header("Access-Control-Allow-Origin") is None
