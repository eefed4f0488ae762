"""VM actions: restart and rebuild requests, the list, agent reports."""
import threading

import lib
from lib import expect

FIELDS = {"id", "vm_id", "type", "status", "version", "update_id", "created_at", "updated_at",
          "sent_at", "completed_at", "exit_code", "output", "requested_by"}


def vm_status(srv, vm_id):
    return expect(srv.admin.get(f"/api/vms/{vm_id}"), 200)["status"]


def actions_of(srv, vm_id, query=""):
    return expect(srv.viewer.get(f"/api/vms/{vm_id}/actions{query}"), 200)


def test_restart_is_202_then_the_same_action_with_200():
    srv = lib.shared()
    vm, _ = lib.make_vm(srv)
    body = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)
    a = body["action"]
    assert set(a) >= FIELDS, a
    assert a["vm_id"] == vm["id"] and a["type"] == "restart" and a["status"] == "pending"
    assert a["requested_by"] == "token:test-operator"
    assert a["created_at"].endswith("Z") and a["sent_at"] is None and a["completed_at"] is None
    assert a["output"] is None and a["exit_code"] is None and a["update_id"] is None
    again = expect(srv.admin.post(f"/api/vms/{vm['id']}/restart"), 200)["action"]
    assert again == a
    listed = actions_of(srv, vm["id"])
    assert listed["items"] == [a] and listed["total"] == 1
    # A restart does not touch the VM's status.
    assert vm_status(srv, vm["id"]) == "offline"


def test_concurrent_restarts_make_one_action():
    srv = lib.shared()
    vm, _ = lib.make_vm(srv)
    results = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def hit():
        start.wait()
        r = srv.operator.post(f"/api/vms/{vm['id']}/restart")
        with lock:
            results.append(r)

    threads = [threading.Thread(target=hit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 9 + [202], statuses
    assert len({r.json["action"]["id"] for r in results}) == 1
    assert actions_of(srv, vm["id"])["total"] == 1


def test_rebuild_puts_the_vm_in_maintenance_until_it_succeeds():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    expect(lib.heartbeat(agent, vm["id"]), 200)
    assert vm_status(srv, vm["id"]) == "online"
    a = expect(srv.operator.post(f"/api/vms/{vm['id']}/rebuild"), 202)["action"]
    assert a["type"] == "rebuild" and a["status"] == "pending"
    assert vm_status(srv, vm["id"]) == "maintenance"
    assert expect(srv.operator.post(f"/api/vms/{vm['id']}/rebuild"), 200)["action"]["id"] == a["id"]
    # A restart is a different type: a new action beside the rebuild.
    r = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    assert r["id"] != a["id"]
    # The agent gets both with its heartbeat; the VM stays in maintenance.
    hb = expect(lib.heartbeat(agent, vm["id"]), 200)
    handed = {x["id"]: x for x in hb["actions"]}
    assert set(handed) == {a["id"], r["id"]}
    assert all(x["status"] == "sent" for x in handed.values())
    assert vm_status(srv, vm["id"]) == "maintenance"
    # Sent but not yet reported still counts as open: same action, 200.
    same = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 200)["action"]
    assert same["id"] == r["id"] and same["status"] == "sent" and same["sent_at"].endswith("Z")
    done = expect(agent.post(f"/api/vms/{vm['id']}/actions/{a['id']}",
                             {"status": "succeeded", "output": "reimaged", "exit_code": 0}), 200)["action"]
    assert done["status"] == "succeeded" and done["output"] == "reimaged" and done["exit_code"] == 0
    assert done["completed_at"].endswith("Z") and done["sent_at"].endswith("Z")
    assert vm_status(srv, vm["id"]) == "online"


def test_failed_rebuild_leaves_maintenance_and_a_new_one_can_be_asked():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    a = expect(srv.operator.post(f"/api/vms/{vm['id']}/rebuild"), 202)["action"]
    expect(lib.heartbeat(agent, vm["id"]), 200)
    f = expect(agent.post(f"/api/vms/{vm['id']}/actions/{a['id']}",
                          {"status": "failed", "output": "disk error", "exit_code": 3}), 200)["action"]
    assert f["status"] == "failed" and f["exit_code"] == 3
    assert vm_status(srv, vm["id"]) == "maintenance"
    b = expect(srv.operator.post(f"/api/vms/{vm['id']}/rebuild"), 202)["action"]
    assert b["id"] != a["id"] and b["status"] == "pending"
    assert [x["id"] for x in actions_of(srv, vm["id"])["items"]] == [b["id"], a["id"]]


def test_report_is_idempotent_and_final_states_conflict():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    a = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    path = f"/api/vms/{vm['id']}/actions/{a['id']}"
    done = expect(agent.post(path, {"status": "succeeded", "output": "ok"}), 200)["action"]
    assert done["status"] == "succeeded" and done["exit_code"] is None
    assert expect(agent.post(path, {"status": "succeeded", "output": "other"}), 200)["action"] == done
    expect(agent.post(path, {"status": "failed"}), 409, "conflict")
    assert actions_of(srv, vm["id"])["items"] == [done]
    # Once final, a new restart is a new action.
    b = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    assert b["id"] != a["id"]


def test_who_may_report():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    other, other_token = lib.make_vm(srv)
    a = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    path = f"/api/vms/{vm['id']}/actions/{a['id']}"
    ok = {"status": "succeeded"}
    expect(srv.anon.post(path, ok), 401, "unauthorized")
    expect(srv.viewer.post(path, ok), 403, "forbidden")
    expect(srv.client(other_token).post(path, ok), 403, "forbidden")
    # Another VM's agent cannot reach it through its own VM's path either.
    expect(srv.client(other_token).post(f"/api/vms/{other['id']}/actions/{a['id']}", ok), 404, "not_found")
    assert actions_of(srv, vm["id"])["items"][0]["status"] == "pending"
    expect(srv.client(token).post(path, ok), 200)
    # An operator (or admin) may report by hand.
    b = expect(srv.operator.post(f"/api/vms/{vm['id']}/rebuild"), 202)["action"]
    expect(srv.operator.post(f"/api/vms/{vm['id']}/actions/{b['id']}", {"status": "failed"}), 200)


def test_agent_tokens_may_not_request_or_list():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    expect(agent.post(f"/api/vms/{vm['id']}/restart"), 403, "forbidden")
    expect(agent.post(f"/api/vms/{vm['id']}/rebuild"), 403, "forbidden")
    expect(agent.get(f"/api/vms/{vm['id']}/actions"), 403, "forbidden")
    assert actions_of(srv, vm["id"])["total"] == 0


def test_auth_on_requests_and_list():
    srv = lib.shared()
    vm, _ = lib.make_vm(srv)
    for kind in ("restart", "rebuild"):
        expect(srv.anon.post(f"/api/vms/{vm['id']}/{kind}"), 401, "unauthorized")
        expect(srv.viewer.post(f"/api/vms/{vm['id']}/{kind}"), 403, "forbidden")
    expect(srv.anon.get(f"/api/vms/{vm['id']}/actions"), 401, "unauthorized")
    assert actions_of(srv, vm["id"])["total"] == 0
    assert vm_status(srv, vm["id"]) == "offline"
    expect(srv.admin.post(f"/api/vms/{vm['id']}/restart"), 202)


def test_unknown_vm_or_action_is_404():
    srv = lib.shared()
    missing = lib.unique("no-vm")
    expect(srv.operator.post(f"/api/vms/{missing}/restart"), 404, "not_found")
    expect(srv.operator.post(f"/api/vms/{missing}/rebuild"), 404, "not_found")
    expect(srv.viewer.get(f"/api/vms/{missing}/actions"), 404, "not_found")
    expect(srv.operator.post(f"/api/vms/{missing}/actions/1", {"status": "failed"}), 404, "not_found")
    vm, token = lib.make_vm(srv)
    other, _ = lib.make_vm(srv)
    a = expect(srv.operator.post(f"/api/vms/{other['id']}/restart"), 202)["action"]
    for aid in ("999999999", "0", "abc", "-3", str(a["id"])):
        expect(srv.operator.post(f"/api/vms/{vm['id']}/actions/{aid}", {"status": "failed"}),
               404, "not_found")
    expect(srv.client(token).post(f"/api/vms/{vm['id']}/actions/{a['id']}", {"status": "failed"}),
           404, "not_found")
    assert actions_of(srv, other["id"])["items"] == [a]


def test_report_validation_names_the_field():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    a = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    path = f"/api/vms/{vm['id']}/actions/{a['id']}"
    for body, field in (({}, "status"), ({"status": "done"}, "status"), ({"status": "pending"}, "status"),
                        ({"status": "sent"}, "status"), ({"status": "expired"}, "status"),
                        ({"status": 1}, "status"),
                        ({"status": "failed", "output": 5}, "output"),
                        ({"status": "failed", "output": "x" * (64 * 1024 + 1)}, "output"),
                        ({"status": "failed", "output": "é" * (32 * 1024 + 1)}, "output"),
                        ({"status": "failed", "exit_code": "1"}, "exit_code"),
                        ({"status": "failed", "exit_code": 1.5}, "exit_code"),
                        ({"status": "failed", "exit_code": 2 ** 40}, "exit_code")):
        expect(agent.post(path, body), 400, "validation_failed", field)
    expect(agent.post(path, [1]), 400, "validation_failed")
    expect(agent.post(path), 400, "validation_failed")
    expect(agent.post(path, raw=b"{oops"), 400, "invalid_json")
    assert actions_of(srv, vm["id"])["items"] == [a]
    # Exactly 64 KiB is fine; null exit_code is no exit code.
    done = expect(agent.post(path, {"status": "failed", "output": "y" * (64 * 1024), "exit_code": None}),
                  200)["action"]
    assert done["output"] == "y" * (64 * 1024) and done["exit_code"] is None


def test_hostile_output_is_stored_verbatim():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    out = ("'; UPDATE actions SET status='succeeded'; --\n<img src=x onerror=alert(1)>\n"
           "\u00e9\u6f22\U0001f600 \\ \" %s%n\r\n")
    a = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
    done = expect(agent.post(f"/api/vms/{vm['id']}/actions/{a['id']}",
                             {"status": "failed", "output": out, "exit_code": -1}), 200)["action"]
    assert done["output"] == out and done["exit_code"] == -1
    assert actions_of(srv, vm["id"])["items"][0]["output"] == out


def test_list_is_newest_first_and_paginated():
    srv = lib.shared()
    vm, token = lib.make_vm(srv)
    agent = srv.client(token)
    ids = []
    for _ in range(3):
        a = expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]
        expect(agent.post(f"/api/vms/{vm['id']}/actions/{a['id']}", {"status": "succeeded"}), 200)
        ids.append(a["id"])
    ids.append(expect(srv.operator.post(f"/api/vms/{vm['id']}/rebuild"), 202)["action"]["id"])
    body = actions_of(srv, vm["id"])
    assert [a["id"] for a in body["items"]] == ids[::-1]
    assert body["total"] == 4 and body["limit"] == 100 and body["offset"] == 0
    body = actions_of(srv, vm["id"], "?limit=2&offset=1")
    assert [a["id"] for a in body["items"]] == [ids[2], ids[1]] and body["total"] == 4
    for query, field in (("?limit=0", "limit"), ("?limit=abc", "limit"), ("?offset=-1", "offset")):
        expect(srv.viewer.get(f"/api/vms/{vm['id']}/actions{query}"), 400, "validation_failed", field)
    other, _ = lib.make_vm(srv)
    assert actions_of(srv, other["id"])["items"] == []


def test_actions_go_with_their_vm():
    srv = lib.shared()
    vm, _ = lib.make_vm(srv)
    expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 202)
    expect(srv.admin.delete(f"/api/vms/{vm['id']}"), 204)
    expect(srv.viewer.get(f"/api/vms/{vm['id']}/actions"), 404, "not_found")
    expect(srv.operator.post(f"/api/vms/{vm['id']}/restart"), 404, "not_found")
