"""Alerts: list and filters, read, manual create, resolve."""
import itertools
import os

import lib
from lib import expect

_n = itertools.count(1)

HOSTILE = [
    "'; DROP TABLE alerts; --",
    "<script>alert(1)</script>",
    "Robert\"); DELETE FROM vms WHERE (\"1\"=\"1",
    "ünïcödé ✓ 日本語 🙂",
    "line one\nline two\ttab \\ backslash %s %n {{x}} ${x}",
]


def utype():
    """A type name of this run alone ([a-z_] only)."""
    n = next(_n)
    letters = "".join(chr(ord("a") + int(d)) for d in str(n))
    pid = "".join(chr(ord("a") + int(d)) for d in str(os.getpid()))
    return f"t_{pid}_{letters}"


def new_alert(client, **fields):
    body = {"type": utype(), "severity": "warning", "message": "disk nearly full"}
    body.update(fields)
    return client.post("/api/alerts", body)


def total(srv, query=""):
    return expect(srv.admin.get(f"/api/alerts?limit=1{query}"), 200)["total"]


def test_create_returns_the_alert_and_it_persists():
    srv = lib.shared()
    t = utype()
    a = expect(new_alert(srv.operator, type=t, severity="high", message="CPU on fire"), 201)
    assert isinstance(a["id"], int)
    assert a["type"] == t and a["severity"] == "high" and a["message"] == "CPU on fire"
    assert a["vm_id"] is None and a["customer_id"] is None
    assert a["resolved"] is False and a["resolved_at"] is None and a["resolved_by"] is None
    assert a["source"] == "manual"
    assert a["created_at"].endswith("Z") and "T" in a["created_at"]
    assert expect(srv.viewer.get(f"/api/alerts/{a['id']}"), 200) == a
    listed = expect(srv.viewer.get(f"/api/alerts?type={t}"), 200)
    assert listed["items"] == [a] and listed["total"] == 1


def test_known_and_custom_types_are_accepted():
    srv = lib.shared()
    for t in ("vm_offline", "disk_space", "api_quota", "unusual_activity", "high_cpu", "high_memory",
              "backup_failed", "x", "a" * 40, "_"):
        expect(new_alert(srv.admin, type=t), 201)


def test_create_validation_names_the_field():
    srv = lib.shared()
    before = total(srv)
    cases = [
        ({"type": None}, "type"),
        ({"type": ""}, "type"),
        ({"type": "Disk"}, "type"),
        ({"type": "disk-space"}, "type"),
        ({"type": "disk space"}, "type"),
        ({"type": "a" * 41}, "type"),
        ({"type": 5}, "type"),
        ({"severity": None}, "severity"),
        ({"severity": "critical"}, "severity"),
        ({"severity": "HIGH"}, "severity"),
        ({"severity": 1}, "severity"),
        ({"message": None}, "message"),
        ({"message": ""}, "message"),
        ({"message": "x" * 4001}, "message"),
        ({"message": ["x"]}, "message"),
        ({"vm_id": 12}, "vm_id"),
        ({"vm_id": ""}, "vm_id"),
        ({"vm_id": "no such vm"}, "vm_id"),
        ({"vm_id": lib.unique("missing-vm")}, "vm_id"),
        ({"customer_id": lib.unique("missing-cus")}, "customer_id"),
        ({"customer_id": True}, "customer_id"),
        ({"source": "rule"}, "source"),
        ({"source": 3}, "source"),
    ]
    for fields, field in cases:
        body = {"type": "disk_space", "severity": "warning", "message": "m"}
        body.update(fields)
        if fields.get(field, 0) is None:
            del body[field]
        expect(srv.operator.post("/api/alerts", body), 400, "validation_failed", field)
    expect(srv.operator.post("/api/alerts", [1]), 400, "validation_failed")
    expect(srv.operator.post("/api/alerts", raw=b"{\"type\":"), 400, "invalid_json")
    expect(srv.operator.post("/api/alerts", raw=b"type=x", headers={"Content-Type": "text/plain"}),
           415, "unsupported_media_type")
    expect(srv.operator.post("/api/alerts"), 400, "validation_failed")
    assert total(srv) == before


def test_message_length_counts_characters():
    srv = lib.shared()
    a = expect(new_alert(srv.operator, message="é" * 4000), 201)
    assert a["message"] == "é" * 4000
    expect(new_alert(srv.operator, message="é" * 4001), 400, "validation_failed", "message")
    expect(new_alert(srv.operator, message="m", source="manual"), 201)


def test_hostile_strings_are_stored_verbatim():
    srv = lib.shared()
    for s in HOSTILE:
        a = expect(new_alert(srv.operator, message=s), 201)
        assert a["message"] == s
        assert expect(srv.admin.get(f"/api/alerts/{a['id']}"), 200)["message"] == s
    # The table is still there and whole.
    expect(srv.admin.get("/api/alerts"), 200)


def test_auth():
    srv = lib.shared()
    a = expect(new_alert(srv.operator), 201)
    expect(srv.anon.get("/api/alerts"), 401, "unauthorized")
    expect(srv.anon.get(f"/api/alerts/{a['id']}"), 401, "unauthorized")
    expect(new_alert(srv.anon), 401, "unauthorized")
    expect(srv.anon.put(f"/api/alerts/{a['id']}/resolve"), 401, "unauthorized")
    expect(srv.viewer.get("/api/alerts"), 200)
    expect(srv.viewer.get(f"/api/alerts/{a['id']}"), 200)
    before = total(srv)
    expect(new_alert(srv.viewer), 403, "forbidden")
    expect(srv.viewer.put(f"/api/alerts/{a['id']}/resolve"), 403, "forbidden")
    assert total(srv) == before
    assert expect(srv.admin.get(f"/api/alerts/{a['id']}"), 200)["resolved"] is False
    expect(srv.admin.delete(f"/api/alerts/{a['id']}"), 405, "method_not_allowed")


def test_not_found():
    srv = lib.shared()
    for path in ("/api/alerts/999999999", "/api/alerts/0", "/api/alerts/-1", "/api/alerts/abc",
                 "/api/alerts/1.5", "/api/alerts/99999999999999999999999"):
        expect(srv.admin.get(path), 404, "not_found")
        expect(srv.operator.put(path + "/resolve"), 404, "not_found")


def test_resolve_records_who_and_is_idempotent():
    srv = lib.shared()
    a = expect(new_alert(srv.operator), 201)
    r = expect(srv.operator.put(f"/api/alerts/{a['id']}/resolve"), 200)
    assert r["id"] == a["id"] and r["resolved"] is True
    assert r["resolved_by"] == "token:test-operator"
    assert r["resolved_at"].endswith("Z")
    assert {k: v for k, v in r.items() if not k.startswith("resolved")} == \
        {k: v for k, v in a.items() if not k.startswith("resolved")}
    # Again, by someone else: 200, nothing changes.
    again = expect(srv.admin.put(f"/api/alerts/{a['id']}/resolve"), 200)
    assert again == r
    assert expect(srv.viewer.get(f"/api/alerts/{a['id']}"), 200) == r


def test_resolve_through_a_session_names_the_user():
    srv = lib.shared()
    a = expect(new_alert(srv.operator), 201)
    c = srv.client()
    expect(c.login(), 200)
    r = expect(c.put(f"/api/alerts/{a['id']}/resolve"), 200)
    assert r["resolved_by"] == "user:admin"


def test_filters_and_newest_first():
    srv = lib.shared()
    t = utype()
    made = [expect(new_alert(srv.operator, type=t, severity=s), 201)
            for s in ("info", "warning", "high", "warning")]
    expect(srv.operator.put(f"/api/alerts/{made[1]['id']}/resolve"), 200)
    ids = [a["id"] for a in made]
    body = expect(srv.viewer.get(f"/api/alerts?type={t}"), 200)
    assert [a["id"] for a in body["items"]] == ids[::-1]
    assert body["total"] == 4 and body["limit"] == 100 and body["offset"] == 0
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&resolved=false"), 200)
    assert [a["id"] for a in body["items"]] == [ids[3], ids[2], ids[0]]
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&resolved=true"), 200)
    assert [a["id"] for a in body["items"]] == [ids[1]]
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&severity=warning"), 200)
    assert [a["id"] for a in body["items"]] == [ids[3], ids[1]]
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&severity=warning&resolved=false"), 200)
    assert [a["id"] for a in body["items"]] == [ids[3]]
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&source=manual"), 200)
    assert body["total"] == 4
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&source=rule"), 200)
    assert body["total"] == 0 and body["items"] == []
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&limit=2&offset=1"), 200)
    assert [a["id"] for a in body["items"]] == [ids[2], ids[1]]
    assert body["total"] == 4 and body["limit"] == 2 and body["offset"] == 1
    body = expect(srv.viewer.get(f"/api/alerts?type={t}&offset=10"), 200)
    assert body["items"] == [] and body["total"] == 4
    # No filter: everything, newest first.
    body = expect(srv.viewer.get("/api/alerts?limit=1000"), 200)
    all_ids = [a["id"] for a in body["items"]]
    assert all_ids == sorted(all_ids, reverse=True)


def test_bad_filters_are_400_naming_the_parameter():
    srv = lib.shared()
    for query, field in (("resolved=yes", "resolved"), ("resolved=1", "resolved"), ("resolved=", "resolved"),
                         ("severity=critical", "severity"), ("type=Bad", "type"),
                         ("type=" + "a" * 41, "type"), ("vm_id=%20x", "vm_id"),
                         ("customer_id=%27%3B--", "customer_id"), ("source=robot", "source"),
                         ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"),
                         ("offset=-1", "offset")):
        expect(srv.viewer.get(f"/api/alerts?{query}"), 400, "validation_failed", field)


def test_alert_about_a_vm_takes_its_customer():
    srv = lib.shared()
    cus = lib.make_customer(srv)
    other = lib.make_customer(srv)
    vm, agent_token = lib.make_vm(srv, customer_id=cus["id"])
    a = expect(new_alert(srv.operator, vm_id=vm["id"]), 201)
    assert a["vm_id"] == vm["id"] and a["customer_id"] == cus["id"]
    # An explicit customer is kept as given.
    b = expect(new_alert(srv.operator, vm_id=vm["id"], customer_id=other["id"]), 201)
    assert b["customer_id"] == other["id"]
    c = expect(new_alert(srv.operator, customer_id=cus["id"]), 201)
    assert c["vm_id"] is None and c["customer_id"] == cus["id"]
    body = expect(srv.viewer.get(f"/api/alerts?vm_id={vm['id']}&source=manual"), 200)
    assert [x["id"] for x in body["items"]] == [b["id"], a["id"]]
    body = expect(srv.viewer.get(f"/api/alerts?customer_id={cus['id']}&source=manual"), 200)
    assert [x["id"] for x in body["items"]] == [c["id"], a["id"]]
    body = expect(srv.viewer.get(f"/api/alerts?vm_id={vm['id']}&customer_id={other['id']}"), 200)
    assert [x["id"] for x in body["items"]] == [b["id"]]
    # The VM's agent may not raise or resolve alerts.
    agent = srv.client(agent_token)
    expect(new_alert(agent, vm_id=vm["id"]), 403, "forbidden")
    expect(agent.put(f"/api/alerts/{a['id']}/resolve"), 403, "forbidden")
    expect(agent.get("/api/alerts"), 403, "forbidden")


def test_alerts_of_a_deleted_vm_go_with_it():
    srv = lib.shared()
    vm, _ = lib.make_vm(srv)
    a = expect(new_alert(srv.operator, vm_id=vm["id"]), 201)
    r = srv.admin.delete(f"/api/vms/{vm['id']}")
    expect(r, 204)
    expect(srv.admin.get(f"/api/alerts/{a['id']}"), 404, "not_found")
    expect(new_alert(srv.operator, vm_id=vm["id"]), 400, "validation_failed", "vm_id")
