"""Update rollouts over fake VMs: batch by batch, completed when every
target runs the version, halted as failed when a batch has a failure."""
import lib
from lib import expect

ARGS = ["--offline-after", "120", "--rule-interval", "1"]
_srv = None


def srv():
    global _srv
    if _srv is None:
        _srv = lib.own(lib.Server(ARGS)).start()
    return _srv


class FakeAgent:
    """Heartbeats like lab-fleet-agent and runs update actions: succeeds
    (and reports the new version) unless told to fail."""

    def __init__(self, s, customer_id, version="1.0.0", fail=False):
        self.vm, token = lib.make_vm(s, customer_id=customer_id, version=version)
        self.client = s.client(token)
        self.version = version
        self.fail = fail
        self.seen = []

    def beat(self):
        r = expect(lib.heartbeat(self.client, self.vm["id"], version=self.version), 200)
        for a in r["actions"]:
            if a["type"] != "update" or a["id"] in [x["id"] for x in self.seen]:
                continue
            self.seen.append(a)
            status = "failed" if self.fail else "succeeded"
            expect(self.client.post(f"/api/vms/{self.vm['id']}/actions/{a['id']}",
                                    {"status": status, "output": "ran the update hook"}), 200)
            if not self.fail:
                self.version = a["version"]
        return r


def quiesce(s):
    """Takes the VMs of earlier tests out of rollouts (maintenance)."""
    online = expect(s.admin.get("/api/vms?status=online&limit=1000"), 200)["items"]
    for vm in online:
        expect(s.operator.put(f"/api/vms/{vm['id']}/status", {"status": "maintenance"}), 200)


def fleet(s, n, **kw):
    quiesce(s)
    c = lib.make_customer(s)
    agents = [FakeAgent(s, c["id"], **kw) for _ in range(n)]
    for a in agents:
        a.beat()
    return agents


def update(s, version):
    return expect(s.admin.post("/api/updates", {"version": version}), 201)


def get_update(s, uid):
    return expect(s.viewer.get(f"/api/updates/{uid}"), 200)


def test_rollout_completes_batch_by_batch():
    s = srv()
    agents = fleet(s, 5)
    u = update(s, "2.0.0")
    r = expect(s.admin.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 40}), 202)
    assert r["id"] == u["id"] and r["rollout_status"] == "in_progress"
    assert r["batch_percent"] == 40 and r["started_at"] and r["completed_at"] is None
    assert r["progress"] == {"target": 5, "updated": 0, "failed": 0}

    # The first batch: 40 % of 5, rounded up.
    assert sum(1 for a in agents if a.beat()["actions"]) == 2

    def progressed():
        for a in agents:
            a.beat()
        return get_update(s, u["id"])["rollout_status"] == "completed"

    lib.wait_for(progressed, timeout=30, interval=0.2, what="the rollout to complete")
    done = get_update(s, u["id"])
    assert done["completed_at"]
    assert done["progress"]["failed"] == 0 and done["progress"]["updated"] == 5
    for a in agents:
        assert expect(s.viewer.get(f"/api/vms/{a.vm['id']}"), 200)["version"] == "2.0.0"
        assert len(a.seen) == 1 and a.seen[0]["version"] == "2.0.0"
    # Batches were handed out one after the other.
    assert len({x["id"] for a in agents for x in a.seen}) == 5
    expect(s.admin.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 40}), 409, "conflict")


def test_failure_in_a_batch_halts_the_rollout():
    s = srv()
    agents = fleet(s, 4)
    agents[0].fail = True
    agents[1].fail = True
    u = update(s, "3.0.0")
    expect(s.admin.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 100}), 202)

    def halted():
        for a in agents:
            a.beat()
        return get_update(s, u["id"])["rollout_status"] == "failed"

    lib.wait_for(halted, timeout=30, interval=0.2, what="the rollout to halt")
    got = get_update(s, u["id"])
    assert got["completed_at"] is None and got["progress"]["failed"] == 2
    assert expect(s.viewer.get(f"/api/vms/{agents[0].vm['id']}"), 200)["version"] == "1.0.0"


def test_failed_batch_stops_later_batches():
    s = srv()
    agents = fleet(s, 3)
    u = update(s, "3.1.0")
    r = expect(s.admin.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 1}), 202)
    assert r["progress"]["target"] == 3
    for a in agents:
        a.fail = True

    def halted():
        for a in agents:
            a.beat()
        return get_update(s, u["id"])["rollout_status"] == "failed"

    lib.wait_for(halted, timeout=30, interval=0.2, what="the rollout to halt")
    # Batches of one VM: one failure, nothing handed out after it.
    assert sum(len(a.seen) for a in agents) == 1
    got = get_update(s, u["id"])
    assert got["progress"]["failed"] == 1 and got["progress"]["updated"] == 0
    for a in agents:
        a.beat()
    assert sum(len(a.seen) for a in agents) == 1


def test_rollout_validation_and_auth():
    s = srv()
    u = update(s, "9.9.9")
    expect(s.admin.post("/api/updates/999999/rollout", {"batch_percent": 10}), 404, "not_found")
    expect(s.admin.post("/api/updates/abc/rollout", {}), 404, "not_found")
    for bad in (0, 101, "10", 2.5):
        expect(s.admin.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": bad}), 400,
               "validation_failed", "batch_percent")
    expect(s.operator.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 10}), 403, "forbidden")
    expect(s.viewer.post(f"/api/updates/{u['id']}/rollout", {"batch_percent": 10}), 403, "forbidden")
    assert get_update(s, u["id"])["rollout_status"] == "pending"


def test_nothing_to_update_completes_at_once():
    s = srv()
    # Every online VM already runs this version.
    online = expect(s.admin.get("/api/vms?status=online&limit=1000"), 200)["items"]
    for vm in online:
        expect(s.admin.patch(f"/api/vms/{vm['id']}", {"version": "7.7.7"}), 200)
    u = update(s, "7.7.7")
    r = expect(s.admin.post(f"/api/updates/{u['id']}/rollout"), 202)
    assert r["rollout_status"] == "completed" and r["completed_at"]
    assert r["progress"] == {"target": 0, "updated": 0, "failed": 0}
