"""The audit log: who wrote what, from where; reads leave no trace."""
import re

import lib
from lib import expect

_srv = None

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def server():
    """A server of this file's own, so the log holds only what we did."""
    global _srv
    if _srv is None:
        _srv = lib.own(lib.Server()).start()
    return _srv


def audit(srv, query=""):
    return expect(srv.admin.get(f"/api/audit{query}"), 200)


def test_writes_by_each_principal_are_recorded_newest_first():
    srv = server()
    start = audit(srv)["total"]
    u = expect(srv.admin.post("/api/updates", {"version": "7.0.0"}), 201)
    a = expect(srv.operator.post("/api/alerts", {"type": "manual_check", "severity": "info",
                                                 "message": "look at it"}), 201)
    expect(srv.operator.put(f"/api/alerts/{a['id']}/resolve"), 200)
    session = srv.client()
    expect(session.login(), 200)
    b = expect(session.post("/api/alerts", {"type": "manual_check", "severity": "high",
                                            "message": "via the dashboard"}), 201)
    body = audit(srv, "?limit=5")
    assert body["total"] == start + 5
    got = [(e["actor"], e["method"], e["path"], e["target"], e["status"]) for e in body["items"]]
    assert got == [
        ("user:admin", "POST", "/api/alerts", f"alert:{b['id']}", 201),
        ("user:admin", "POST", "/api/auth/login", "admin", 200),
        ("token:test-operator", "PUT", f"/api/alerts/{a['id']}/resolve", f"alert:{a['id']}", 200),
        ("token:test-operator", "POST", "/api/alerts", f"alert:{a['id']}", 201),
        ("token:test-admin", "POST", "/api/updates", f"update:{u['id']}", 201),
    ], got
    ids = [e["id"] for e in body["items"]]
    assert ids == sorted(ids, reverse=True)
    for e in body["items"]:
        assert e["address"] == "127.0.0.1", e
        assert RFC3339.match(e["at"]), e


def test_reads_and_rejected_writes_are_not_recorded():
    srv = server()
    before = audit(srv)["total"]
    expect(srv.admin.get("/api/alerts"), 200)
    expect(srv.viewer.get("/api/updates"), 200)
    expect(srv.operator.get("/api/alerts?resolved=false"), 200)
    expect(srv.admin.get("/api/audit"), 200)
    expect(srv.operator.post("/api/alerts", {"type": "Bad", "severity": "info", "message": "m"}),
           400, "validation_failed", "type")
    expect(srv.viewer.post("/api/alerts", {"type": "x", "severity": "info", "message": "m"}), 403, "forbidden")
    expect(srv.anon.post("/api/updates", {"version": "1.0.0"}), 401, "unauthorized")
    expect(srv.operator.put("/api/alerts/999999/resolve"), 404, "not_found")
    assert audit(srv)["total"] == before


def test_only_admins_may_read_it():
    srv = server()
    expect(srv.anon.get("/api/audit"), 401, "unauthorized")
    expect(srv.viewer.get("/api/audit"), 403, "forbidden")
    expect(srv.operator.get("/api/audit"), 403, "forbidden")
    session = srv.client()
    expect(session.login(), 200)
    expect(session.get("/api/audit"), 200)


def test_pagination():
    srv = server()
    for i in range(3):
        expect(srv.admin.post("/api/updates", {"version": f"8.0.{i}"}), 201)
    full = audit(srv, "?limit=3")["items"]
    page = audit(srv, "?limit=2&offset=1")
    assert page["items"] == full[1:3] and page["limit"] == 2 and page["offset"] == 1
    expect(srv.admin.get("/api/audit?limit=0"), 400, "validation_failed", "limit")
    expect(srv.admin.get("/api/audit?offset=-5"), 400, "validation_failed", "offset")


def test_vm_actions_and_agent_reports_are_recorded():
    srv = server()
    vm, token = lib.make_vm(srv)
    act = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 200)
    expect(srv.client(token).post(f"/api/vms/{vm['id']}/actions/{act['id']}", {"status": "succeeded"}), 200)
    got = [(e["actor"], e["method"], e["path"], e["target"], e["status"])
           for e in audit(srv, "?limit=3")["items"]]
    assert got == [
        (f"agent:{vm['id']}", "POST", f"/api/vms/{vm['id']}/actions/{act['id']}", f"action:{act['id']}", 200),
        ("token:test-operator", "POST", f"/api/vms/{vm['id']}/restart", vm["id"], 200),
        ("token:test-operator", "POST", f"/api/vms/{vm['id']}/restart", vm["id"], 202),
    ], got
