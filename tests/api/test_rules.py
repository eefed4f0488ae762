"""The rule engine: alerts that raise, escalate and resolve themselves,
offline detection, maintenance, action expiry. One server with short
thresholds; every wait polls with a deadline or counts rule passes in the
server's log (--log-rule-passes), never a fixed sleep."""
import json

import lib
from lib import expect

ARGS = ["--offline-after", "3", "--rule-interval", "1", "--sustained-seconds", "2",
        "--action-timeout", "3", "--log-rule-passes"]
_srv = None


def srv():
    global _srv
    if _srv is None:
        _srv = lib.own(lib.Server(ARGS)).start()
    return _srv


def passes(s):
    """Rule passes logged so far."""
    n = 0
    for line in s.read_log().splitlines():
        if line.startswith("{") and '"rule pass"' in line:
            n += 1
    return n


def wait_passes(s, k=2):
    """Waits until k more rule passes have completed."""
    start = passes(s)
    lib.wait_for(lambda: passes(s) >= start + k, timeout=15, what=f"{k} rule passes")


def alerts(s, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    return expect(s.admin.get(f"/api/alerts?limit=1000&{qs}"), 200)["items"]


def open_alert(s, vm_id=None, customer_id=None, type=None):
    q = {"resolved": "false", "type": type}
    if vm_id:
        q["vm_id"] = vm_id
    if customer_id:
        q["customer_id"] = customer_id
    items = alerts(s, **q)
    assert len(items) <= 1, f"more than one open {type} alert: {items}"
    return items[0] if items else None


def live_vm(s, **hb):
    """A VM that has sent one heartbeat; returns (vm, agent client)."""
    vm, token = lib.make_vm(s)
    agent = s.client(token)
    expect(lib.heartbeat(agent, vm["id"], **hb), 200)
    return vm, agent


def test_offline_raises_once_and_heartbeat_resolves():
    s = srv()
    vm, agent = live_vm(s)
    a = lib.wait_for(lambda: open_alert(s, vm["id"], type="vm_offline"), timeout=15,
                     what="vm_offline alert")
    assert a["severity"] == "high" and a["source"] == "rule" and a["resolved"] is False
    assert a["vm_id"] == vm["id"]
    assert expect(s.admin.get(f"/api/vms/{vm['id']}"), 200)["status"] == "offline"
    wait_passes(s, 2)
    assert len(alerts(s, vm_id=vm["id"], type="vm_offline")) == 1, "raised twice"

    expect(lib.heartbeat(agent, vm["id"]), 200)
    assert expect(s.admin.get(f"/api/vms/{vm['id']}"), 200)["status"] == "online"
    done = lib.wait_for(lambda: [x for x in alerts(s, vm_id=vm["id"], type="vm_offline")
                                 if x["resolved"]], what="resolved vm_offline")
    assert done[0]["id"] == a["id"] and done[0]["resolved_by"] == "system"
    assert done[0]["resolved_at"]


def test_vm_that_never_sent_a_heartbeat_is_alerted_only_once_old_enough():
    s = srv()
    vm, _ = lib.make_vm(s)
    # Younger than --offline-after: nothing yet.
    assert open_alert(s, vm["id"], type="vm_offline") is None
    a = lib.wait_for(lambda: open_alert(s, vm["id"], type="vm_offline"), timeout=15,
                     what="vm_offline for a silent new VM")
    assert "created" in a["message"]


def test_disk_warning_escalates_to_high_then_resolves():
    s = srv()
    vm, agent = live_vm(s, disk_percent=85.0)
    a = lib.wait_for(lambda: open_alert(s, vm["id"], type="disk_space"), what="disk warning")
    assert a["severity"] == "warning" and a["source"] == "rule"

    expect(lib.heartbeat(agent, vm["id"], disk_percent=95.0), 200)
    b = lib.wait_for(lambda: (x := open_alert(s, vm["id"], type="disk_space"))
                     and x["severity"] == "high" and x, what="escalation to high")
    assert b["id"] == a["id"], "escalation must raise the open alert, not add one"
    assert len(alerts(s, vm_id=vm["id"], type="disk_space")) == 1

    expect(lib.heartbeat(agent, vm["id"], disk_percent=40.0), 200)
    lib.wait_for(lambda: open_alert(s, vm["id"], type="disk_space") is None, what="resolve")
    [r] = alerts(s, vm_id=vm["id"], type="disk_space")
    assert r["resolved"] is True and r["resolved_by"] == "system"


def test_maintenance_raises_nothing_and_clears_open_alerts():
    s = srv()
    vm, agent = live_vm(s, disk_percent=85.0)
    lib.wait_for(lambda: open_alert(s, vm["id"], type="disk_space"), what="disk warning")
    expect(s.operator.put(f"/api/vms/{vm['id']}/status", {"status": "maintenance"}), 200)
    lib.wait_for(lambda: open_alert(s, vm["id"], type="disk_space") is None,
                 what="maintenance to clear the alert")
    expect(lib.heartbeat(agent, vm["id"], disk_percent=97.0, api_quota_percent=99.0), 200)
    # Past the offline threshold (3 s) with no heartbeat: one pass a second.
    wait_passes(s, 5)
    assert open_alert(s, vm["id"], type="disk_space") is None
    assert open_alert(s, vm["id"], type="api_quota") is None
    assert open_alert(s, vm["id"], type="vm_offline") is None
    assert expect(s.admin.get(f"/api/vms/{vm['id']}"), 200)["status"] == "maintenance"


def test_sustained_cpu_alerts_but_a_single_spike_does_not():
    s = srv()
    spiky, spiky_agent = live_vm(s)
    expect(lib.heartbeat(spiky_agent, spiky["id"], cpu_percent=99.0), 200)
    expect(lib.heartbeat(spiky_agent, spiky["id"], cpu_percent=5.0), 200)

    vm, agent = live_vm(s, cpu_percent=99.0)

    def hot():
        expect(lib.heartbeat(agent, vm["id"], cpu_percent=99.0), 200)
        expect(lib.heartbeat(spiky_agent, spiky["id"], cpu_percent=5.0), 200)
        return open_alert(s, vm["id"], type="high_cpu")

    a = lib.wait_for(hot, timeout=15, interval=0.3, what="high_cpu after 2 s over")
    assert a["severity"] == "warning"
    assert open_alert(s, spiky["id"], type="high_cpu") is None

    def cool():
        expect(lib.heartbeat(agent, vm["id"], cpu_percent=20.0), 200)
        return open_alert(s, vm["id"], type="high_cpu") is None

    lib.wait_for(cool, interval=0.3, what="high_cpu to resolve")
    assert alerts(s, vm_id=spiky["id"], type="high_cpu") == []


def test_sustained_memory():
    s = srv()
    vm, agent = live_vm(s, memory_percent=97.0)

    def hot():
        expect(lib.heartbeat(agent, vm["id"], memory_percent=97.0), 200)
        return open_alert(s, vm["id"], type="high_memory")

    lib.wait_for(hot, timeout=15, interval=0.3, what="high_memory")

    def cool():
        expect(lib.heartbeat(agent, vm["id"], memory_percent=30.0), 200)
        return open_alert(s, vm["id"], type="high_memory") is None

    lib.wait_for(cool, interval=0.3, what="high_memory to resolve")


def test_api_quota_alert_names_vm_and_customer():
    s = srv()
    vm, agent = live_vm(s, api_quota_percent=95.0)
    a = lib.wait_for(lambda: open_alert(s, vm["id"], type="api_quota"), what="api_quota")
    assert a["customer_id"] == vm["customer_id"]
    assert [x["id"] for x in alerts(s, customer_id=vm["customer_id"], type="api_quota")] == [a["id"]]
    expect(lib.heartbeat(agent, vm["id"], api_quota_percent=10.0), 200)
    lib.wait_for(lambda: open_alert(s, vm["id"], type="api_quota") is None, what="quota resolve")


def test_overdue_customer_gets_an_info_alert_that_clears():
    s = srv()
    c = lib.make_customer(s)
    expect(s.admin.patch(f"/api/customers/{c['id']}", {"billing_status": "overdue"}), 200)
    a = lib.wait_for(lambda: open_alert(s, customer_id=c["id"], type="billing_overdue"),
                     what="billing alert")
    assert a["severity"] == "info" and a["vm_id"] is None and a["source"] == "rule"
    wait_passes(s, 2)
    assert len(alerts(s, customer_id=c["id"], type="billing_overdue")) == 1
    expect(s.admin.patch(f"/api/customers/{c['id']}", {"billing_status": "active"}), 200)
    lib.wait_for(lambda: open_alert(s, customer_id=c["id"], type="billing_overdue") is None,
                 what="billing alert to clear")


def test_unusual_activity_from_the_vms_own_baseline():
    s = srv()
    vm, agent = live_vm(s, cpu_percent=10.0)
    for i in range(30):
        expect(lib.heartbeat(agent, vm["id"], cpu_percent=10.0 + (i % 3)), 200)
    wait_passes(s, 2)
    assert open_alert(s, vm["id"], type="unusual_activity") is None
    # 80 % is below --cpu-high (90) but far outside a baseline of ~11 %.
    for _ in range(4):
        expect(lib.heartbeat(agent, vm["id"], cpu_percent=80.0), 200)
    a = lib.wait_for(lambda: open_alert(s, vm["id"], type="unusual_activity"),
                     what="unusual_activity")
    assert a["severity"] == "warning" and "baseline" in a["message"]
    assert open_alert(s, vm["id"], type="high_cpu") is None
    for i in range(4):
        expect(lib.heartbeat(agent, vm["id"], cpu_percent=11.0), 200)
    lib.wait_for(lambda: open_alert(s, vm["id"], type="unusual_activity") is None,
                 what="unusual_activity to clear")


def test_alert_resolved_by_hand_is_not_raised_again_until_it_worsens():
    s = srv()
    vm, agent = live_vm(s, disk_percent=85.0)
    a = lib.wait_for(lambda: open_alert(s, vm["id"], type="disk_space"), what="disk warning")
    expect(s.operator.put(f"/api/alerts/{a['id']}/resolve"), 200)

    def still(**hb):
        expect(lib.heartbeat(agent, vm["id"], **hb), 200)
        return True

    still(disk_percent=86.0)
    wait_passes(s, 2)
    assert open_alert(s, vm["id"], type="disk_space") is None
    still(disk_percent=96.0)
    b = lib.wait_for(lambda: open_alert(s, vm["id"], type="disk_space"), what="high disk")
    assert b["severity"] == "high" and b["id"] != a["id"]


def test_unacknowledged_actions_expire():
    s = srv()
    vm, _ = lib.make_vm(s)
    act = expect(s.operator.post(f"/api/vms/{vm['id']}/restart"), 202)["action"]

    def expired():
        items = expect(s.admin.get(f"/api/vms/{vm['id']}/actions"), 200)["items"]
        return [x for x in items if x["id"] == act["id"] and x["status"] == "expired"]

    lib.wait_for(expired, timeout=15, what="the action to expire")


def test_rule_passes_are_logged_with_their_duration():
    s = srv()
    wait_passes(s, 1)
    lines = [json.loads(l) for l in s.read_log().splitlines()
             if l.startswith("{") and '"rule pass"' in l]
    assert lines and isinstance(lines[-1]["ms"], (int, float)) and lines[-1]["vms"] >= 1
