"""Webhook notification channels: the API and CLI, and deliveries to a
receiver on loopback (raise and resolve events, severity filter, Slack
format, retries of a failing receiver)."""
import http.server
import json
import threading

import lib
from lib import expect

ARGS = ["--offline-after", "60", "--rule-interval", "1"]
_srv = None


def srv():
    global _srv
    if _srv is None:
        _srv = lib.own(lib.Server(ARGS)).start()
    return _srv


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST body. The first
    `fail` requests are answered 500."""

    def __init__(self, fail=0):
        self.bodies = []
        self.attempts = 0
        self.fail = fail
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                with outer.lock:
                    outer.attempts += 1
                    failing = outer.attempts <= outer.fail
                    if not failing:
                        outer.bodies.append((self.headers.get("Content-Type"), json.loads(raw)))
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self, alert_id=None):
        with self.lock:
            return [b for _, b in self.bodies
                    if alert_id is None or b.get("alert", {}).get("id") == alert_id]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def add_channel(s, url, **kw):
    body = {"url": url}
    body.update(kw)
    return expect(s.admin.post("/api/channels", body), 201)


def test_create_list_delete_and_validation():
    s = srv()
    c = add_channel(s, "https://hooks.example.test/T000/B000", format="slack", min_severity="high")
    assert c["format"] == "slack" and c["min_severity"] == "high" and c["enabled"] is True
    assert c["last_delivery"] is None and isinstance(c["id"], int) and c["created_at"]
    listed = expect(s.admin.get("/api/channels"), 200)
    assert c["id"] in [x["id"] for x in listed["items"]] and listed["total"] >= 1
    d = add_channel(s, "http://127.0.0.1:9/x")
    assert d["format"] == "json" and d["min_severity"] == "warning"
    for body, field in [({}, "url"), ({"url": "ftp://x"}, "url"), ({"url": "http://"}, "url"),
                        ({"url": "http://x", "format": "xml"}, "format"),
                        ({"url": "http://x", "min_severity": "low"}, "min_severity"),
                        ({"url": "http://x", "enabled": "yes"}, "enabled"),
                        ({"url": 5}, "url")]:
        expect(s.admin.post("/api/channels", body), 400, "validation_failed", field)
    expect(s.admin.post("/api/channels", raw=b"{"), 400, "invalid_json")
    expect(s.admin.delete(f"/api/channels/{c['id']}"), 204)
    expect(s.admin.delete(f"/api/channels/{c['id']}"), 404, "not_found")
    expect(s.admin.delete("/api/channels/abc"), 404, "not_found")
    expect(s.admin.delete(f"/api/channels/{d['id']}"), 204)
    assert c["id"] not in [x["id"] for x in expect(s.admin.get("/api/channels"), 200)["items"]]


def test_only_admins_manage_channels():
    s = srv()
    for client in (s.operator, s.viewer):
        expect(client.get("/api/channels"), 403, "forbidden")
        expect(client.post("/api/channels", {"url": "http://x"}), 403, "forbidden")
        expect(client.delete("/api/channels/1"), 403, "forbidden")
    expect(s.anon.get("/api/channels"), 401, "unauthorized")


def test_raise_and_resolve_are_posted_with_vm_and_customer():
    s = srv()
    rx = Receiver()
    try:
        ch = add_channel(s, rx.url, min_severity="warning")
        vm, _ = lib.make_vm(s)
        a = expect(s.operator.post("/api/alerts", {"vm_id": vm["id"], "type": "manual_check",
                                                   "severity": "high", "message": "look at me"}), 201)
        [ev] = lib.wait_for(lambda: rx.events(a["id"]), what="raised event")
        assert ev["event"] == "raised" and ev["alert"]["message"] == "look at me"
        assert ev["alert"]["resolved"] is False
        assert ev["vm"]["id"] == vm["id"] and ev["vm"]["hostname"] == vm["hostname"]
        assert ev["customer"]["id"] == vm["customer_id"]
        assert rx.bodies[0][0].startswith("application/json")
        expect(s.operator.put(f"/api/alerts/{a['id']}/resolve"), 200)
        evs = lib.wait_for(lambda: len(rx.events(a["id"])) == 2 and rx.events(a["id"]),
                           what="resolved event")
        assert evs[1]["event"] == "resolved" and evs[1]["alert"]["resolved"] is True
        c = lib.wait_for(lambda: [x for x in expect(s.admin.get("/api/channels"), 200)["items"]
                                  if x["id"] == ch["id"] and x["last_delivery"]],
                         what="last_delivery")[0]
        assert c["last_delivery"]["status"] == "delivered" and c["last_delivery"]["error"] is None
        assert c["last_delivery"]["at"]
        expect(s.admin.delete(f"/api/channels/{ch['id']}"), 204)
    finally:
        rx.close()


def test_rule_alerts_are_posted_and_severity_filters():
    s = srv()
    rx = Receiver()
    try:
        ch = add_channel(s, rx.url, min_severity="high")
        vm, token = lib.make_vm(s)
        agent = s.client(token)
        expect(lib.heartbeat(agent, vm["id"], disk_percent=85.0), 200)   # warning: filtered
        lib.wait_for(lambda: [x for x in expect(s.admin.get(
            f"/api/alerts?vm_id={vm['id']}&type=disk_space"), 200)["items"]], what="disk warning")
        expect(lib.heartbeat(agent, vm["id"], disk_percent=95.0), 200)   # high: posted
        evs = lib.wait_for(lambda: [e for e in rx.events() if e["vm"] and e["vm"]["id"] == vm["id"]],
                           what="escalation event")
        assert evs[0]["event"] == "raised" and evs[0]["alert"]["severity"] == "high"
        assert evs[0]["alert"]["type"] == "disk_space" and evs[0]["alert"]["source"] == "rule"
        expect(lib.heartbeat(agent, vm["id"], disk_percent=10.0), 200)
        evs = lib.wait_for(lambda: (e := [e for e in rx.events() if e["vm"] and e["vm"]["id"] == vm["id"]])
                           and len(e) == 2 and e, what="resolve event")
        assert evs[1]["event"] == "resolved" and evs[1]["alert"]["resolved_by"] == "system"
        expect(s.admin.delete(f"/api/channels/{ch['id']}"), 204)
    finally:
        rx.close()


def test_slack_format_posts_text():
    s = srv()
    rx = Receiver()
    try:
        ch = add_channel(s, rx.url, format="slack", min_severity="info")
        c = lib.make_customer(s)
        a = expect(s.admin.post("/api/alerts", {"customer_id": c["id"], "type": "invoice",
                                                "severity": "info", "message": "invoice bounced"}), 201)
        [ev] = lib.wait_for(lambda: [b for b in rx.events() if "invoice bounced" in b.get("text", "")],
                            what="slack message")
        assert list(ev) == ["text"] and "[INFO]" in ev["text"] and c["name"] in ev["text"]
        expect(s.admin.delete(f"/api/channels/{ch['id']}"), 204)
        assert a["id"]
    finally:
        rx.close()


def test_failing_receiver_is_retried_and_alerts_are_not_held_up():
    s = srv()
    rx = Receiver(fail=2)
    try:
        ch = add_channel(s, rx.url)
        vm, _ = lib.make_vm(s)
        a = expect(s.operator.post("/api/alerts", {"vm_id": vm["id"], "type": "flaky",
                                                   "severity": "warning", "message": "m"}), 201)
        # The alert is there at once, whatever the receiver does.
        assert expect(s.viewer.get(f"/api/alerts/{a['id']}"), 200)["resolved"] is False
        retrying = lib.wait_for(
            lambda: [x for x in expect(s.admin.get("/api/channels"), 200)["items"]
                     if x["id"] == ch["id"] and x["last_delivery"]
                     and x["last_delivery"]["status"] == "retrying"], what="a failed attempt")
        assert retrying[0]["last_delivery"]["error"] == "HTTP 500"
        [ev] = lib.wait_for(lambda: rx.events(a["id"]), timeout=20, what="delivery after retries")
        assert ev["event"] == "raised" and rx.attempts == 3
        lib.wait_for(lambda: [x for x in expect(s.admin.get("/api/channels"), 200)["items"]
                              if x["id"] == ch["id"] and x["last_delivery"]["status"] == "delivered"
                              and x["pending_deliveries"] == 0], what="delivered state")
        expect(s.admin.delete(f"/api/channels/{ch['id']}"), 204)
    finally:
        rx.close()


def test_unreachable_receiver_never_delays_the_api():
    s = srv()
    ch = add_channel(s, "http://127.0.0.1:9/nothing-listens", min_severity="info")
    vm, _ = lib.make_vm(s)
    for i in range(5):
        expect(s.operator.post("/api/alerts", {"vm_id": vm["id"], "type": "burst",
                                               "severity": "info", "message": str(i)}), 201)
    c = lib.wait_for(lambda: [x for x in expect(s.admin.get("/api/channels"), 200)["items"]
                              if x["id"] == ch["id"] and x["last_delivery"]], what="an attempt")[0]
    assert c["last_delivery"]["status"] == "retrying" and c["last_delivery"]["error"]
    assert c["pending_deliveries"] == 5
    expect(s.admin.delete(f"/api/channels/{ch['id']}"), 204)


def test_cli_add_list_remove():
    s = srv()
    p = s.cli("channel", "add", "--db", s.db, "http://127.0.0.1:9/cli", "--format", "slack",
              "--min-severity", "high")
    assert p.returncode == 0, p.stderr
    cid = int(p.stdout.strip())
    api = [x for x in expect(s.admin.get("/api/channels"), 200)["items"] if x["id"] == cid]
    assert api and api[0]["format"] == "slack" and api[0]["min_severity"] == "high"
    p = s.cli("channel", "list", "--db", s.db)
    assert p.returncode == 0 and f"{cid}\thttp://127.0.0.1:9/cli\tslack\thigh" in p.stdout
    assert s.cli("channel", "add", "--db", s.db, "gopher://x").returncode == 2
    assert s.cli("channel", "add", "--db", s.db, "http://x", "--format", "xml").returncode == 2
    assert s.cli("channel", "remove", "--db", s.db, str(cid)).returncode == 0
    assert s.cli("channel", "remove", "--db", s.db, str(cid)).returncode == 1
    assert cid not in [x["id"] for x in expect(s.admin.get("/api/channels"), 200)["items"]]
