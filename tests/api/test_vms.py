"""VMs: create (with agent token), read, list with filters, update,
status, token rotation, delete."""
import re

import lib
from lib import expect

FIELDS = {"id", "hostname", "ip_address", "customer_id", "customer_name", "tier", "status", "created_at",
          "last_heartbeat", "cpu_cores", "memory_gb", "disk_gb", "version", "monthly_cost", "latest_metrics"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_ip = iter(range(1, 1 << 30))


def fresh_ip():
    n = next(_ip)
    return f"172.{16 + (n >> 16) % 16}.{(n >> 8) & 255}.{n & 255}"


def body(customer_id, **fields):
    b = {"hostname": f"{lib.unique('web')}.example.test", "ip_address": fresh_ip(), "customer_id": customer_id,
         "cpu_cores": 4, "memory_gb": 8, "disk_gb": 120.5, "version": "1.2.3", "monthly_cost": 24.99}
    b.update(fields)
    return b


def get(srv, vm_id):
    return srv.viewer.get(f"/api/vms/{vm_id}")


def total(srv, query):
    return expect(srv.viewer.get(f"/api/vms?limit=1&{query}"), 200)["total"]


def test_create_returns_the_vm_and_a_working_agent_token():
    srv = lib.shared()
    c = lib.make_customer(srv, tier="enterprise", name="Acme Corp")
    b = body(c["id"])
    r = expect(srv.admin.post("/api/vms", b), 201)
    assert set(r) == {"vm", "agent_token"}
    vm, token = r["vm"], r["agent_token"]
    assert set(vm) == FIELDS, vm
    assert re.match(r"^vm_[0-9a-f]{16}$", vm["id"]), vm["id"]
    for k in ("hostname", "ip_address", "customer_id", "cpu_cores", "memory_gb", "disk_gb", "version",
              "monthly_cost"):
        assert vm[k] == b[k], (k, vm)
    # New VMs start offline and take the customer's tier.
    assert vm["status"] == "offline" and vm["tier"] == "enterprise"
    assert vm["customer_name"] == "Acme Corp" and vm["last_heartbeat"] is None
    assert vm["latest_metrics"] is None and TIME.match(vm["created_at"])
    assert re.match(r"^lf_[0-9a-f]{64}$", token)
    assert expect(get(srv, vm["id"]), 200) == vm
    # The token speaks for this VM.
    hb = lib.heartbeat(srv.client(token), vm["id"], cpu_percent=12.34, memory_percent=0,
                       disk_percent=100, disk_used_gb=33.333333333333336)
    expect(hb, 200)
    got = expect(get(srv, vm["id"]), 200)
    m = got["latest_metrics"]
    assert m["cpu_percent"] == 12.34 and m["memory_percent"] == 0 and m["disk_percent"] == 100
    assert m["disk_used_gb"] == 33.333333333333336 and TIME.match(m["timestamp"])
    assert got["last_heartbeat"] == m["timestamp"] and got["status"] == "online"


def test_create_with_id_status_tier_and_defaults():
    srv = lib.shared()
    c = lib.make_customer(srv, tier="starter")
    vid = lib.unique("vm")
    b = body(c["id"], id=vid, status="online", tier="pro")
    del b["version"], b["monthly_cost"]
    vm = expect(srv.admin.post("/api/vms", b), 201)["vm"]
    assert vm["id"] == vid and vm["status"] == "online" and vm["tier"] == "pro"
    assert vm["version"] is None and vm["monthly_cost"] == 0
    # Integral reals are integers; tiny and huge numbers come back exactly.
    vm = expect(srv.admin.post("/api/vms", body(c["id"], cpu_cores=2.0, memory_gb=0.1, disk_gb=1e-7,
                                                monthly_cost=1e9)), 201)["vm"]
    assert vm["cpu_cores"] == 2 and vm["memory_gb"] == 0.1 and vm["disk_gb"] == 1e-7
    assert vm["monthly_cost"] == 1e9


def test_ipv6_addresses_are_accepted_and_unique_in_any_spelling():
    srv = lib.shared()
    c = lib.make_customer(srv)
    n = next(_ip)
    vm = expect(srv.admin.post("/api/vms", body(c["id"], ip_address=f"2001:DB8:0:0::{n:x}")), 201)["vm"]
    assert vm["ip_address"] == f"2001:db8::{n:x}"
    expect(srv.admin.post("/api/vms", body(c["id"], ip_address=f"2001:db8:0000::{n:x}")), 409, "conflict",
           field="ip_address")
    assert total(srv, f"q=2001:db8::{n:x}") == 1


def test_create_validation_names_the_field_and_writes_nothing():
    srv = lib.shared()
    c = lib.make_customer(srv)
    marker = lib.unique("inv")
    cases = [
        ({"hostname": None}, "hostname"), ({"hostname": ""}, "hostname"), ({"hostname": "-web"}, "hostname"),
        ({"hostname": "web-"}, "hostname"), ({"hostname": "a..b"}, "hostname"),
        ({"hostname": "under_score"}, "hostname"), ({"hostname": "a" * 64}, "hostname"),
        ({"hostname": ("a" * 60 + ".") * 4 + "abcdefghijklmn"}, "hostname"), ({"hostname": 7}, "hostname"),
        ({"hostname": "web 1"}, "hostname"), ({"hostname": "<b>x</b>"}, "hostname"),
        ({"hostname": "wéb"}, "hostname"),
        ({"ip_address": None}, "ip_address"), ({"ip_address": "1.2.3"}, "ip_address"),
        ({"ip_address": "256.1.1.1"}, "ip_address"), ({"ip_address": "1.2.3.4/24"}, "ip_address"),
        ({"ip_address": " 1.2.3.4"}, "ip_address"), ({"ip_address": "::g"}, "ip_address"),
        ({"ip_address": "example.com"}, "ip_address"), ({"ip_address": 16909060}, "ip_address"),
        ({"customer_id": None}, "customer_id"), ({"customer_id": "no-such-customer"}, "customer_id"),
        ({"customer_id": "bad id!"}, "customer_id"), ({"customer_id": 5}, "customer_id"),
        ({"tier": "gold"}, "tier"), ({"tier": 2}, "tier"),
        ({"status": "running"}, "status"), ({"status": "ONLINE"}, "status"),
        ({"cpu_cores": None}, "cpu_cores"), ({"cpu_cores": 0}, "cpu_cores"), ({"cpu_cores": -2}, "cpu_cores"),
        ({"cpu_cores": 1.5}, "cpu_cores"), ({"cpu_cores": "4"}, "cpu_cores"), ({"cpu_cores": True}, "cpu_cores"),
        ({"cpu_cores": 4097}, "cpu_cores"), ({"cpu_cores": 1e300}, "cpu_cores"),
        ({"memory_gb": None}, "memory_gb"), ({"memory_gb": 0}, "memory_gb"), ({"memory_gb": -1}, "memory_gb"),
        ({"memory_gb": "8"}, "memory_gb"), ({"memory_gb": 1e7}, "memory_gb"),
        ({"disk_gb": None}, "disk_gb"), ({"disk_gb": 0}, "disk_gb"), ({"disk_gb": [1]}, "disk_gb"),
        ({"disk_gb": 1e10}, "disk_gb"),
        ({"version": "v1"}, "version"), ({"version": "1"}, "version"), ({"version": ""}, "version"),
        ({"version": "1.2.3; rm -rf /"}, "version"), ({"version": 1.2}, "version"),
        ({"monthly_cost": -0.5}, "monthly_cost"), ({"monthly_cost": "9"}, "monthly_cost"),
        ({"monthly_cost": 1e10}, "monthly_cost"),
        ({"id": "-x"}, "id"), ({"id": "x" * 65}, "id"), ({"id": "a/b"}, "id"), ({"id": 3}, "id"),
    ]
    for change, field in cases:
        b = body(c["id"], hostname=f"{marker}.example.test")
        b.update(change)
        expect(srv.admin.post("/api/vms", b), 400, "validation_failed", field=field)
    assert total(srv, f"q={marker}") == 0
    assert expect(srv.viewer.get(f"/api/customers/{c['id']}"), 200)["vm_count"] == 0
    for raw in (b"[]", b"1", b"null"):
        expect(srv.admin.post("/api/vms", raw=raw), 400, "validation_failed")
    expect(srv.admin.post("/api/vms", raw=b'{"cpu_cores": NaN}'), 400, "invalid_json")
    expect(srv.admin.post("/api/vms", raw=b'{"memory_gb": Infinity}'), 400, "invalid_json")


def test_taken_id_or_ip_is_409_and_the_first_stays():
    srv = lib.shared()
    c = lib.make_customer(srv)
    vid = lib.unique("vm")
    first = expect(srv.admin.post("/api/vms", body(c["id"], id=vid)), 201)["vm"]
    expect(srv.admin.post("/api/vms", body(c["id"], id=vid)), 409, "conflict", field="id")
    expect(srv.admin.post("/api/vms", body(c["id"], ip_address=first["ip_address"])), 409, "conflict",
           field="ip_address")
    assert expect(get(srv, vid), 200) == first
    assert expect(srv.viewer.get(f"/api/customers/{c['id']}"), 200)["vm_count"] == 1


def test_auth_and_roles():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    vid = vm["id"]
    calls = [("GET", "/api/vms", None), ("GET", f"/api/vms/{vid}", None),
             ("POST", "/api/vms", body(vm["customer_id"])), ("PATCH", f"/api/vms/{vid}", {"cpu_cores": 8}),
             ("DELETE", f"/api/vms/{vid}", None), ("PUT", f"/api/vms/{vid}/status", {"status": "error"}),
             ("POST", f"/api/vms/{vid}/agent-token", None)]
    for method, path, b in calls:
        expect(srv.anon.request(method, path, b), 401, "unauthorized")
    for method, path, b in calls[2:]:
        expect(srv.viewer.request(method, path, b), 403, "forbidden")
    for method, path, b in calls[2:5] + calls[6:]:
        expect(srv.operator.request(method, path, b), 403, "forbidden")
    # An agent token may not even read its own VM.
    ag = srv.client(token)
    for method, path, b in calls:
        expect(ag.request(method, path, b), 403, "forbidden")
    assert expect(get(srv, vid), 200) == vm
    # The operator may set the status.
    assert expect(srv.operator.put(f"/api/vms/{vid}/status", {"status": "maintenance"}), 200)["status"] == \
        "maintenance"


def test_unknown_vm_is_404():
    srv = lib.shared()
    for vid in ("no-such-vm", "x" * 65, "bad%20id"):
        expect(srv.viewer.get(f"/api/vms/{vid}"), 404, "not_found")
        expect(srv.admin.patch(f"/api/vms/{vid}", {"cpu_cores": 2}), 404, "not_found")
        expect(srv.admin.delete(f"/api/vms/{vid}"), 404, "not_found")
        expect(srv.operator.put(f"/api/vms/{vid}/status", {"status": "online"}), 404, "not_found")
        expect(srv.admin.post(f"/api/vms/{vid}/agent-token"), 404, "not_found")


def test_patch_changes_only_what_is_given():
    srv = lib.shared()
    c1 = lib.make_customer(srv, name="First Owner")
    c2 = lib.make_customer(srv, name="Second Owner")
    vm, _ = lib.make_vm(srv, customer_id=c1["id"])
    vid = vm["id"]
    new_host = f"{lib.unique('db')}.example.test"
    new_ip = fresh_ip()
    changes = [({"hostname": new_host}, {"hostname": new_host}), ({"ip_address": new_ip}, {"ip_address": new_ip}),
               ({"tier": "enterprise"}, {"tier": "enterprise"}), ({"status": "error"}, {"status": "error"}),
               ({"cpu_cores": 16}, {"cpu_cores": 16}), ({"memory_gb": 64.5}, {"memory_gb": 64.5}),
               ({"disk_gb": 2048}, {"disk_gb": 2048}), ({"version": "2.0.0-rc1"}, {"version": "2.0.0-rc1"}),
               ({"monthly_cost": 0}, {"monthly_cost": 0}), ({"version": None}, {"version": None}),
               ({"customer_id": c2["id"]}, {"customer_id": c2["id"], "customer_name": "Second Owner"})]
    want = dict(vm)
    for change, effect in changes:
        got = expect(srv.admin.patch(f"/api/vms/{vid}", change), 200)
        want.update(effect)
        assert got == want, (change, got)
        assert expect(get(srv, vid), 200) == want
    assert expect(srv.viewer.get(f"/api/customers/{c1['id']}"), 200)["vm_count"] == 0
    assert expect(srv.viewer.get(f"/api/customers/{c2['id']}"), 200)["vm_count"] == 1
    assert expect(srv.admin.patch(f"/api/vms/{vid}", {"id": "renamed", "latest_metrics": 1}), 200) == want


def test_patch_rejections_leave_the_vm_alone():
    srv = lib.shared()
    other, _ = lib.make_vm(srv)
    vm, _ = lib.make_vm(srv)
    vid = vm["id"]
    cases = [({"hostname": None}, "hostname"), ({"hostname": "bad_host"}, "hostname"),
             ({"ip_address": None}, "ip_address"), ({"ip_address": "10.0.0.256"}, "ip_address"),
             ({"customer_id": None}, "customer_id"), ({"customer_id": "nobody"}, "customer_id"),
             ({"tier": None}, "tier"), ({"status": None}, "status"), ({"status": "up"}, "status"),
             ({"cpu_cores": None}, "cpu_cores"), ({"cpu_cores": 0}, "cpu_cores"),
             ({"memory_gb": None}, "memory_gb"), ({"disk_gb": -5}, "disk_gb"),
             ({"monthly_cost": None}, "monthly_cost"), ({"version": "latest"}, "version"),
             ({"cpu_cores": 8, "memory_gb": "lots"}, "memory_gb")]
    for change, field in cases:
        expect(srv.admin.patch(f"/api/vms/{vid}", change), 400, "validation_failed", field=field)
    expect(srv.admin.patch(f"/api/vms/{vid}", {"ip_address": other["ip_address"], "cpu_cores": 32}), 409,
           "conflict", field="ip_address")
    assert expect(get(srv, vid), 200) == vm


def test_set_status():
    srv = lib.shared()
    vm, _ = lib.make_vm(srv)
    vid = vm["id"]
    for status in ("maintenance", "error", "online", "offline"):
        got = expect(srv.operator.put(f"/api/vms/{vid}/status", {"status": status}), 200)
        assert got == dict(vm, status=status)
        assert expect(get(srv, vid), 200)["status"] == status
    for b, field in (({}, "status"), ({"status": None}, "status"), ({"status": "rebooting"}, "status"),
                     ({"status": 1}, "status")):
        expect(srv.operator.put(f"/api/vms/{vid}/status", b), 400, "validation_failed", field=field)
    expect(srv.operator.put(f"/api/vms/{vid}/status"), 400, "validation_failed")
    assert expect(get(srv, vid), 200)["status"] == "offline"


def test_agent_token_rotation():
    srv = lib.shared()
    vm, old = lib.make_vm(srv)
    expect(lib.heartbeat(srv.client(old), vm["id"]), 200)
    r = expect(srv.admin.post(f"/api/vms/{vm['id']}/agent-token"), 200)
    assert set(r) == {"agent_token"} and r["agent_token"] != old
    expect(lib.heartbeat(srv.client(old), vm["id"]), 401, "unauthorized")
    expect(lib.heartbeat(srv.client(r["agent_token"]), vm["id"]), 200)
    # A token never speaks for another VM.
    other, _ = lib.make_vm(srv)
    expect(lib.heartbeat(srv.client(r["agent_token"]), other["id"]), 403, "forbidden")


def test_delete_takes_metrics_token_and_alerts_along():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    vid = vm["id"]
    expect(lib.heartbeat(srv.client(token), vid), 200)
    expect(srv.operator.post("/api/alerts", {"vm_id": vid, "type": "manual_note", "severity": "info",
                                             "message": "checked"}), 201)
    assert len(expect(srv.viewer.get(f"/api/vms/{vid}/metrics?hours=1"), 200)["points"]) == 1
    r = srv.admin.delete(f"/api/vms/{vid}")
    assert r.status == 204 and r.body == "", r
    expect(get(srv, vid), 404, "not_found")
    expect(srv.viewer.get(f"/api/vms/{vid}/metrics?hours=1"), 404, "not_found")
    expect(lib.heartbeat(srv.client(token), vid), 401, "unauthorized")
    assert expect(srv.viewer.get(f"/api/alerts?vm_id={vid}"), 200)["total"] == 0
    expect(srv.admin.delete(f"/api/vms/{vid}"), 404, "not_found")
    # Its id and address are free again.
    expect(srv.admin.post("/api/vms", body(vm["customer_id"], id=vid, ip_address=vm["ip_address"])), 201)


def test_list_filters_search_pagination_and_order():
    srv = lib.shared()
    m = lib.unique("flt")
    c1 = lib.make_customer(srv, tier="starter")
    c2 = lib.make_customer(srv, tier="enterprise")
    made = [
        expect(srv.admin.post("/api/vms", body(c1["id"], hostname=f"web-{m}.example.test")), 201)["vm"],
        expect(srv.admin.post("/api/vms", body(c1["id"], hostname=f"DB-{m}.example.test",
                                               status="online")), 201)["vm"],
        expect(srv.admin.post("/api/vms", body(c2["id"], hostname=f"cache-{m}.example.test",
                                               status="maintenance")), 201)["vm"],
    ]
    lst = expect(srv.viewer.get(f"/api/vms?q={m}"), 200)
    assert lst["total"] == 3 and lst["limit"] == 100 and lst["offset"] == 0
    assert [v["id"] for v in lst["items"]] == [v["id"] for v in reversed(made)]  # newest first
    assert all(set(v) == FIELDS for v in lst["items"])
    for query, want in ((f"q={m.upper()}", made[::-1]), (f"q=db-{m}", [made[1]]),
                        (f"status=online&q={m}", [made[1]]), (f"status=offline&q={m}", [made[0]]),
                        (f"status=error&q={m}", []), (f"tier=starter&q={m}", made[1::-1]),
                        (f"tier=enterprise&q={m}", [made[2]]), (f"customer_id={c1['id']}", made[1::-1]),
                        (f"customer_id={c2['id']}&status=maintenance", [made[2]]),
                        (f"q={made[2]['ip_address']}", [made[2]]), ("customer_id=nobody", [])):
        got = expect(srv.viewer.get(f"/api/vms?{query}"), 200)
        assert got["items"] == want and got["total"] == len(want), (query, got)
    page = expect(srv.viewer.get(f"/api/vms?q={m}&limit=1&offset=1"), 200)
    assert page["items"] == [made[1]] and page["total"] == 3 and page["limit"] == 1 and page["offset"] == 1
    for query, field in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"),
                         ("offset=-1", "offset"), ("offset=1e3", "offset"), ("status=up", "status"),
                         ("tier=gold", "tier"), ("q=" + "x" * 201, "q")):
        expect(srv.viewer.get(f"/api/vms?{query}"), 400, "validation_failed", field=field)


def test_hostile_customer_names_come_back_verbatim_in_vm_lists():
    srv = lib.shared()
    for name in ("'; DROP TABLE vms; --", "<img src=x onerror=alert(1)>", "quote \" back \\ slash",
                 "ctl \u0001\u001f\t\n\r end", "ünïcödé ✓ 日本語 🙂", "\u2028\u2029"):
        c = lib.make_customer(srv, name=name)
        vm, _ = lib.make_vm(srv, customer_id=c["id"])
        assert expect(get(srv, vm["id"]), 200)["customer_name"] == name
        items = expect(srv.viewer.get(f"/api/vms?customer_id={c['id']}"), 200)["items"]
        assert [v["customer_name"] for v in items] == [name]


def test_list_is_stable_under_concurrent_writes():
    """A page and its total come from one snapshot: both agree."""
    srv = lib.shared()
    c = lib.make_customer(srv)
    for _ in range(5):
        lib.make_vm(srv, customer_id=c["id"])
    got = expect(srv.viewer.get(f"/api/vms?customer_id={c['id']}&limit=1000"), 200)
    assert got["total"] == len(got["items"]) == 5
