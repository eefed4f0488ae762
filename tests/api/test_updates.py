"""Updates: create, list, read, progress."""

import lib
from lib import expect


def total(srv):
    return expect(srv.admin.get("/api/updates?limit=1"), 200)["total"]


def test_create_returns_a_pending_update_that_persists():
    srv = lib.shared()
    u = expect(srv.admin.post("/api/updates", {"version": "2.4.1", "description": "Faster heartbeats"}), 201)
    assert isinstance(u["id"], int)
    assert u["version"] == "2.4.1" and u["description"] == "Faster heartbeats"
    assert u["rollout_status"] == "pending"
    assert u["created_at"].endswith("Z") and u["completed_at"] is None
    assert u["progress"] == {"target": 0, "updated": 0, "failed": 0}
    assert expect(srv.viewer.get(f"/api/updates/{u['id']}"), 200) == u
    listed = expect(srv.viewer.get("/api/updates?limit=1000"), 200)["items"]
    assert [x for x in listed if x["id"] == u["id"]] == [u]


def test_description_is_optional_and_versions_may_have_a_suffix():
    srv = lib.shared()
    for body in ({"version": "3.0.0"}, {"version": "3.0.0-rc.1", "description": None},
                 {"version": "10.20.30-beta", "description": ""},
                 {"version": "1.0.0", "description": "d" * 2000}):
        u = expect(srv.admin.post("/api/updates", body), 201)
        assert u["version"] == body["version"]
        assert u["description"] == body.get("description")


def test_create_validation_names_the_field():
    srv = lib.shared()
    before = total(srv)
    for body, field in (({}, "version"), ({"version": None}, "version"), ({"version": ""}, "version"),
                        ({"version": "2"}, "version"), ({"version": "v2.1.0"}, "version"),
                        ({"version": "2.1.0 "}, "version"), ({"version": "a.b.c"}, "version"),
                        ({"version": 2}, "version"), ({"version": "1." * 40 + "0"}, "version"),
                        ({"version": "1.0.0", "description": 5}, "description"),
                        ({"version": "1.0.0", "description": "d" * 2001}, "description"),
                        ({"version": "1.0.0", "description": ["x"]}, "description")):
        expect(srv.admin.post("/api/updates", body), 400, "validation_failed", field)
    expect(srv.admin.post("/api/updates", "1.0.0"), 400, "validation_failed")
    expect(srv.admin.post("/api/updates", raw=b"{"), 400, "invalid_json")
    assert total(srv) == before


def test_hostile_description_is_stored_verbatim():
    srv = lib.shared()
    d = "'); DROP TABLE updates; --\n<svg onload=alert(1)>\u00e9\U0001f680 \\ \"quoted\" %x"
    u = expect(srv.admin.post("/api/updates", {"version": "4.0.0", "description": d}), 201)
    assert u["description"] == d
    assert expect(srv.viewer.get(f"/api/updates/{u['id']}"), 200)["description"] == d


def test_auth():
    srv = lib.shared()
    before = total(srv)
    expect(srv.anon.post("/api/updates", {"version": "1.2.3"}), 401, "unauthorized")
    expect(srv.viewer.post("/api/updates", {"version": "1.2.3"}), 403, "forbidden")
    expect(srv.operator.post("/api/updates", {"version": "1.2.3"}), 403, "forbidden")
    assert total(srv) == before
    u = expect(srv.admin.post("/api/updates", {"version": "1.2.3"}), 201)
    expect(srv.anon.get("/api/updates"), 401, "unauthorized")
    expect(srv.anon.get(f"/api/updates/{u['id']}"), 401, "unauthorized")
    expect(srv.viewer.get("/api/updates"), 200)
    expect(srv.operator.get(f"/api/updates/{u['id']}"), 200)


def test_not_found():
    srv = lib.shared()
    for path in ("/api/updates/999999999", "/api/updates/0", "/api/updates/x", "/api/updates/1e3"):
        expect(srv.viewer.get(path), 404, "not_found")


def test_list_is_newest_first_and_paginated():
    srv = lib.shared()
    ids = [expect(srv.admin.post("/api/updates", {"version": f"5.0.{i}"}), 201)["id"] for i in range(3)]
    body = expect(srv.viewer.get("/api/updates?limit=3"), 200)
    assert [u["id"] for u in body["items"]] == ids[::-1]
    assert body["limit"] == 3 and body["offset"] == 0 and body["total"] >= 3
    body = expect(srv.viewer.get("/api/updates?limit=2&offset=1"), 200)
    assert [u["id"] for u in body["items"]] == [ids[1], ids[0]]
    body = expect(srv.viewer.get("/api/updates?limit=1000"), 200)
    all_ids = [u["id"] for u in body["items"]]
    assert all_ids == sorted(all_ids, reverse=True)
    for query, field in (("limit=0", "limit"), ("limit=5000", "limit"), ("offset=x", "offset")):
        expect(srv.viewer.get(f"/api/updates?{query}"), 400, "validation_failed", field)


def test_progress_counts_the_rollout_targets_by_outcome():
    srv = lib.own(lib.Server(["--rule-interval", "1"])).start()
    u = expect(srv.admin.post("/api/updates", {"version": "6.1.0"}), 201)
    vms = [lib.make_vm(srv) for _ in range(4)]
    for vm, token in vms:  # online VMs on another version are the targets
        expect(lib.heartbeat(srv.client(token), vm["id"]), 200)
    started = expect(srv.admin.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 100}), 202)
    assert started["progress"] == {"target": 4, "updated": 0, "failed": 0}

    def update_action(vm, token):
        hb = expect(lib.heartbeat(srv.client(token), vm["id"]), 200)
        return [a for a in hb["actions"] if a["type"] == "update"]

    outcomes = ["succeeded", "succeeded", "failed", None]
    for (vm, token), outcome in zip(vms, outcomes):
        acts = lib.wait_for(lambda: update_action(vm, token), what=f"update action for {vm['id']}")
        assert [(a["version"], a["update_id"]) for a in acts] == [("6.1.0", u["id"])]
        if outcome:
            a = expect(srv.client(token).post(f"/api/vms/{vm['id']}/actions/{acts[0]['id']}",
                                              {"status": outcome, "exit_code": 0 if outcome == "succeeded" else 1}),
                       200)["action"]
            assert a["status"] == outcome and a["update_id"] == u["id"]
    got = expect(srv.viewer.get(f"/api/updates/{u['id']}"), 200)
    assert got["progress"] == {"target": 4, "updated": 2, "failed": 1}, got
    listed = expect(srv.viewer.get("/api/updates"), 200)["items"]
    assert [x["progress"] for x in listed if x["id"] == u["id"]] == [got["progress"]]
    # A successful update records its version on the VM; a failed one does not.
    assert expect(srv.admin.get(f"/api/vms/{vms[0][0]['id']}"), 200)["version"] == "6.1.0"
    assert expect(srv.admin.get(f"/api/vms/{vms[2][0]['id']}"), 200)["version"] != "6.1.0"
    # Another update's progress is its own.
    other = expect(srv.admin.post("/api/updates", {"version": "6.2.0"}), 201)
    assert other["progress"] == {"target": 0, "updated": 0, "failed": 0}
