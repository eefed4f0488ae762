"""Customers: create, read, list with filters, update, delete."""
import re

import lib
from lib import expect

FIELDS = {"id", "name", "email", "company", "tier", "billing_status", "monthly_fee", "created_at", "vm_count"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HOSTILE = [
    "'; DROP TABLE customers; --",
    "<script>alert(1)</script>",
    "Robert\"); DELETE FROM vms WHERE (\"1\"=\"1",
    "ünïcödé ✓ 日本語 🙂",
    "line one\nline two\ttab \\ backslash %s %n {{x}} ${x} 100%_",
]


def body(**fields):
    """A valid create body with a fresh email."""
    b = {"name": "Ada Lovelace", "email": f"{lib.unique('ada')}@example.test",
         "company": "Analytical Engines Ltd", "tier": "pro", "monthly_fee": 149.5}
    b.update(fields)
    return b


def get(srv, cid):
    return srv.viewer.get(f"/api/customers/{cid}")


def count_matching(srv, q):
    return expect(srv.admin.get(f"/api/customers?q={q}&limit=1"), 200)["total"]


def test_create_returns_201_with_the_customer_and_it_persists():
    srv = lib.shared()
    b = body(billing_status="overdue")
    c = expect(srv.admin.post("/api/customers", b), 201)
    assert set(c) == FIELDS, c
    assert re.match(r"^cus_[0-9a-f]{16}$", c["id"]), c["id"]
    for k in ("name", "email", "company", "tier", "billing_status", "monthly_fee"):
        assert c[k] == b[k], (k, c)
    assert TIME.match(c["created_at"]) and c["vm_count"] == 0
    assert expect(get(srv, c["id"]), 200) == c


def test_create_defaults_and_client_id():
    srv = lib.shared()
    cid = lib.unique("cust")
    b = body(id=cid)
    del b["company"], b["monthly_fee"]
    c = expect(srv.admin.post("/api/customers", b), 201)
    assert c["id"] == cid and c["billing_status"] == "active"
    assert c["monthly_fee"] == 0 and c["company"] is None
    # Ids may use the whole pattern, 64 characters at most.
    long_id = "A" + "b.c_d-9" * 9
    assert len(long_id) == 64
    expect(srv.admin.post("/api/customers", body(id=long_id)), 201)
    expect(get(srv, long_id), 200)


def test_create_validation_names_the_field_and_writes_nothing():
    srv = lib.shared()
    marker = lib.unique("inv")
    cases = [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 42}, "name"),
        ({"name": ["a"]}, "name"),
        ({"email": None}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "a@localhost"}, "email"),
        ({"email": "a@@b.example"}, "email"),
        ({"email": "a b@c.example"}, "email"),
        ({"email": "<a@b.example>"}, "email"),
        ({"email": "a@" + "b" * 250 + ".example"}, "email"),
        ({"email": 7}, "email"),
        ({"company": "c" * 201}, "company"),
        ({"company": 3}, "company"),
        ({"tier": None}, "tier"),
        ({"tier": "gold"}, "tier"),
        ({"tier": "PRO"}, "tier"),
        ({"tier": 1}, "tier"),
        ({"billing_status": "paid"}, "billing_status"),
        ({"monthly_fee": -0.01}, "monthly_fee"),
        ({"monthly_fee": "10"}, "monthly_fee"),
        ({"monthly_fee": True}, "monthly_fee"),
        ({"monthly_fee": 1e12}, "monthly_fee"),
        ({"monthly_fee": [1]}, "monthly_fee"),
        ({"id": ""}, "id"),
        ({"id": "-starts-with-dash"}, "id"),
        ({"id": "has/slash"}, "id"),
        ({"id": "has space"}, "id"),
        ({"id": "x" * 65}, "id"),
        ({"id": 12}, "id"),
        ({"id": "ünïcode"}, "id"),
    ]
    for change, field in cases:
        b = body(name=f"{marker} ok")
        b.update(change)
        expect(srv.admin.post("/api/customers", b), 400, "validation_failed", field=field)
    assert count_matching(srv, marker) == 0
    # Many names, but characters are counted, not bytes: 200 emoji fit.
    c = expect(srv.admin.post("/api/customers", body(name="🙂" * 200)), 201)
    assert c["name"] == "🙂" * 200


def test_bodies_that_are_not_objects_or_not_json():
    srv = lib.shared()
    for raw in (b"[]", b'"x"', b"42", b"null"):
        expect(srv.admin.post("/api/customers", raw=raw), 400, "validation_failed")
    for raw in (b"{", b'{"name": NaN}', b'{"monthly_fee": 1e999}', b"{'a': 1}"):
        expect(srv.admin.post("/api/customers", raw=raw), 400, "invalid_json")
    r = srv.admin.post("/api/customers", raw=b'{"name":"x"}', headers={"Content-Type": "text/plain"})
    expect(r, 415, "unsupported_media_type")


def test_unknown_fields_are_ignored():
    srv = lib.shared()
    c = expect(srv.admin.post("/api/customers", body(vm_count=99, created_at="1999-01-01T00:00:00Z",
                                                     colour="blue")), 201)
    assert c["vm_count"] == 0 and "colour" not in c and not c["created_at"].startswith("1999")


def test_email_is_unique_in_any_case():
    srv = lib.shared()
    email = f"{lib.unique('dup')}@Example.test"
    first = expect(srv.admin.post("/api/customers", body(email=email)), 201)
    expect(srv.admin.post("/api/customers", body(email=email.upper())), 409, "conflict", field="email")
    expect(srv.admin.post("/api/customers", body(email=email.lower())), 409, "conflict", field="email")
    assert expect(srv.admin.get(f"/api/customers?q={email.lower()}"), 200)["items"] == [first]


def test_taken_id_is_409_and_the_first_stays():
    srv = lib.shared()
    cid = lib.unique("taken")
    first = expect(srv.admin.post("/api/customers", body(id=cid, name="First")), 201)
    expect(srv.admin.post("/api/customers", body(id=cid, name="Second")), 409, "conflict", field="id")
    assert expect(get(srv, cid), 200) == first


def test_auth_and_roles():
    srv = lib.shared()
    c = lib.make_customer(srv)
    cid = c["id"]
    for method, path, b in (("GET", "/api/customers", None), ("GET", f"/api/customers/{cid}", None),
                            ("GET", f"/api/customers/{cid}/vms", None), ("POST", "/api/customers", body()),
                            ("PATCH", f"/api/customers/{cid}", {"name": "x"}),
                            ("DELETE", f"/api/customers/{cid}", None)):
        expect(srv.anon.request(method, path, b), 401, "unauthorized")
        expect(srv.client("lf_" + "0" * 64).request(method, path, b), 401, "unauthorized")
    for who in (srv.viewer, srv.operator):
        expect(who.post("/api/customers", body()), 403, "forbidden")
        expect(who.patch(f"/api/customers/{cid}", {"name": "hacked"}), 403, "forbidden")
        expect(who.delete(f"/api/customers/{cid}"), 403, "forbidden")
        expect(who.get(f"/api/customers/{cid}"), 200)
    _, agent = lib.make_vm(srv, customer_id=cid)
    ag = srv.client(agent)
    expect(ag.get("/api/customers"), 403, "forbidden")
    expect(ag.get(f"/api/customers/{cid}"), 403, "forbidden")
    expect(ag.post("/api/customers", body()), 403, "forbidden")
    expect(ag.delete(f"/api/customers/{cid}"), 403, "forbidden")
    assert expect(get(srv, cid), 200)["name"] == c["name"]


def test_unknown_customer_is_404():
    srv = lib.shared()
    for cid in ("nobody-here", "x" * 65, "%20", "a%2Fb"):
        expect(srv.viewer.get(f"/api/customers/{cid}"), 404, "not_found")
        expect(srv.viewer.get(f"/api/customers/{cid}/vms"), 404, "not_found")
        expect(srv.admin.patch(f"/api/customers/{cid}", {"name": "x"}), 404, "not_found")
        expect(srv.admin.delete(f"/api/customers/{cid}"), 404, "not_found")


def test_patch_changes_only_what_is_given():
    srv = lib.shared()
    c = lib.make_customer(srv, company="Old Co")
    cid = c["id"]
    new_email = f"{lib.unique('new')}@example.test"
    changes = [({"name": "New Name"}, "name", "New Name"), ({"email": new_email}, "email", new_email),
               ({"company": "New Co"}, "company", "New Co"), ({"tier": "enterprise"}, "tier", "enterprise"),
               ({"billing_status": "inactive"}, "billing_status", "inactive"),
               ({"monthly_fee": 0}, "monthly_fee", 0), ({"monthly_fee": 999.99}, "monthly_fee", 999.99),
               ({"company": None}, "company", None)]
    want = dict(c)
    for change, key, value in changes:
        got = expect(srv.admin.patch(f"/api/customers/{cid}", change), 200)
        want[key] = value
        assert got == want, (change, got)
        assert expect(get(srv, cid), 200) == want
    # Nothing to change: the customer as it is.
    assert expect(srv.admin.patch(f"/api/customers/{cid}", {}), 200) == want
    # id and created_at are not writable.
    assert expect(srv.admin.patch(f"/api/customers/{cid}", {"id": "other", "created_at": "x"}), 200) == want


def test_patch_validation_and_conflicts_leave_the_customer_alone():
    srv = lib.shared()
    other = lib.make_customer(srv)
    c = lib.make_customer(srv)
    cid = c["id"]
    cases = [({"name": None}, "name"), ({"name": ""}, "name"), ({"name": "n" * 201}, "name"),
             ({"email": None}, "email"), ({"email": "bad"}, "email"), ({"tier": None}, "tier"),
             ({"tier": "platinum"}, "tier"), ({"billing_status": None}, "billing_status"),
             ({"billing_status": 1}, "billing_status"), ({"monthly_fee": None}, "monthly_fee"),
             ({"monthly_fee": -1}, "monthly_fee"), ({"monthly_fee": "1"}, "monthly_fee"),
             ({"company": {"a": 1}}, "company"), ({"name": "ok", "tier": "bad"}, "tier")]
    for change, field in cases:
        expect(srv.admin.patch(f"/api/customers/{cid}", change), 400, "validation_failed", field=field)
    expect(srv.admin.patch(f"/api/customers/{cid}", raw=b"[1]"), 400, "validation_failed")
    expect(srv.admin.patch(f"/api/customers/{cid}", {"email": other["email"].upper(), "name": "Changed"}),
           409, "conflict", field="email")
    assert expect(get(srv, cid), 200) == c


def test_delete_is_204_then_404_and_409_while_it_has_vms():
    srv = lib.shared()
    c = lib.make_customer(srv)
    vm, _ = lib.make_vm(srv, customer_id=c["id"])
    expect(srv.admin.delete(f"/api/customers/{c['id']}"), 409, "conflict")
    assert expect(get(srv, c["id"]), 200)["vm_count"] == 1
    r = srv.admin.delete(f"/api/vms/{vm['id']}")
    assert r.status == 204 and r.body == "", r
    r = srv.admin.delete(f"/api/customers/{c['id']}")
    assert r.status == 204 and r.body == "", r
    expect(get(srv, c["id"]), 404, "not_found")
    expect(srv.admin.delete(f"/api/customers/{c['id']}"), 404, "not_found")
    # The email is free again.
    expect(srv.admin.post("/api/customers", body(email=c["email"])), 201)


def test_vm_count_and_the_customers_vms():
    srv = lib.shared()
    c = lib.make_customer(srv)
    other = lib.make_customer(srv)
    vms = [lib.make_vm(srv, customer_id=c["id"])[0] for _ in range(3)]
    lib.make_vm(srv, customer_id=other["id"])
    assert expect(get(srv, c["id"]), 200)["vm_count"] == 3
    listed = expect(srv.viewer.get(f"/api/customers/{c['id']}/vms"), 200)
    assert listed["total"] == 3 and listed["limit"] == 100 and listed["offset"] == 0
    assert {v["id"] for v in listed["items"]} == {v["id"] for v in vms}
    assert all(v["customer_id"] == c["id"] and v["customer_name"] == c["name"] for v in listed["items"])
    page = expect(srv.viewer.get(f"/api/customers/{c['id']}/vms?limit=2&offset=2"), 200)
    assert page["total"] == 3 and len(page["items"]) == 1
    expect(srv.viewer.get(f"/api/customers/{c['id']}/vms?limit=0"), 400, "validation_failed", field="limit")
    row = [x for x in expect(srv.viewer.get(f"/api/customers?q={c['email']}"), 200)["items"]]
    assert row and row[0]["vm_count"] == 3
    empty = expect(srv.viewer.get(f"/api/customers/{other['id']}/vms"), 200)
    assert empty["total"] == 1


def test_list_filters_search_and_order():
    srv = lib.shared()
    m = lib.unique("Zq")
    made = [
        expect(srv.admin.post("/api/customers", body(name=f"{m} Alpha", tier="starter")), 201),
        expect(srv.admin.post("/api/customers", body(name="Beta", company=f"{m} Holdings", tier="pro",
                                                     billing_status="overdue")), 201),
        expect(srv.admin.post("/api/customers", body(name="Gamma", email=f"{m.lower()}@example.test",
                                                     tier="enterprise", billing_status="inactive")), 201),
    ]
    lst = expect(srv.viewer.get(f"/api/customers?q={m}"), 200)
    assert lst["total"] == 3
    # Newest first.
    assert [c["id"] for c in lst["items"]] == [c["id"] for c in reversed(made)]
    assert all(set(c) == FIELDS for c in lst["items"])
    # q ignores case and looks at name, email and company.
    assert expect(srv.viewer.get(f"/api/customers?q={m.upper()}"), 200)["total"] == 3
    for query, want in ((f"tier=starter&q={m}", [made[0]]), (f"tier=pro&q={m}", [made[1]]),
                        (f"billing_status=overdue&q={m}", [made[1]]),
                        (f"billing_status=inactive&tier=enterprise&q={m}", [made[2]]),
                        (f"billing_status=active&tier=enterprise&q={m}", []),
                        (f"q={m}%20Holdings", [made[1]])):
        got = expect(srv.viewer.get(f"/api/customers?{query}"), 200)
        assert got["items"] == want and got["total"] == len(want), (query, got)
    page = expect(srv.viewer.get(f"/api/customers?q={m}&limit=2&offset=1"), 200)
    assert [c["id"] for c in page["items"]] == [made[1]["id"], made[0]["id"]]
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 1
    assert expect(srv.viewer.get(f"/api/customers?q={m}&offset=3"), 200)["items"] == []


def test_list_rejects_bad_parameters():
    srv = lib.shared()
    for query, field in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"),
                         ("limit=-1", "limit"), ("limit=1.5", "limit"), ("offset=-1", "offset"),
                         ("offset=x", "offset"), ("tier=gold", "tier"), ("billing_status=late", "billing_status"),
                         ("q=" + "q" * 201, "q")):
        expect(srv.viewer.get(f"/api/customers?{query}"), 400, "validation_failed", field=field)
    assert expect(srv.viewer.get("/api/customers?limit=1000"), 200)["limit"] == 1000


def test_search_wildcards_are_literal():
    srv = lib.shared()
    m = lib.unique("wc")
    c = expect(srv.admin.post("/api/customers", body(name=f"{m} 100%_off")), 201)
    expect(srv.admin.post("/api/customers", body(name=f"{m} 100 percent off")), 201)
    got = expect(srv.viewer.get(f"/api/customers?q={m}%20100%25_"), 200)
    assert got["items"] == [c], got
    assert expect(srv.viewer.get(f"/api/customers?q={m}%25"), 200)["total"] == 0


def test_hostile_strings_are_stored_verbatim():
    srv = lib.shared()
    for s in HOSTILE:
        c = expect(srv.admin.post("/api/customers", body(name=s, company=s)), 201)
        got = expect(get(srv, c["id"]), 200)
        assert got["name"] == s and got["company"] == s, got
        patched = expect(srv.admin.patch(f"/api/customers/{c['id']}", {"company": s + "!"}), 200)
        assert patched["company"] == s + "!"
    # The table is still there and searchable.
    expect(srv.viewer.get("/api/customers?q=%27%3B%20DROP"), 200)
    assert expect(srv.viewer.get("/api/customers?limit=1"), 200)["total"] >= len(HOSTILE)


def test_creates_are_audited():
    srv = lib.shared()
    c = lib.make_customer(srv)
    entries = expect(srv.admin.get("/api/audit?limit=50"), 200)["items"]
    assert any(e["path"] == "/api/customers" and e["method"] == "POST" and e["target"] == c["id"]
               for e in entries), entries[:5]
