"""The admin commands against a live server's database, and the server on
a full disk."""
import os
import sqlite3
import subprocess
import tempfile

import lib
from lib import expect


def test_backup_while_serving_is_a_consistent_copy():
    srv = lib.shared()
    cust = lib.make_customer(srv, name="Backed Up Inc")
    out = os.path.join(tempfile.mkdtemp(prefix="lab-fleet-backup-"), "copy.db")
    p = srv.cli("backup", "--db", srv.db, out)
    assert p.returncode == 0, p.stderr
    con = sqlite3.connect(out)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [r[0] for r in con.execute("SELECT name FROM customers WHERE id = ?", (cust["id"],))]
        assert names == ["Backed Up Inc"]
    finally:
        con.close()
    # The copy is a working database for lab-fleet itself.
    copy = lib.own(lib.Server(db_dir=os.path.dirname(out)))
    copy.db = out
    copy.start()
    expect(copy.admin.get(f"/api/customers/{cust['id']}"), 200)


def test_backup_usage_errors():
    srv = lib.shared()
    p = srv.cli("backup", "--db", srv.db)
    assert p.returncode == 2 and "usage" in p.stderr
    p = srv.cli("backup", "--db", "/nonexistent/dir/fleet.db", "/tmp/x.db")
    assert p.returncode != 0


def test_migrate_reports_the_schema_version_and_is_idempotent():
    srv = lib.shared()
    a = srv.cli("migrate", "--db", srv.db)
    b = srv.cli("migrate", "--db", srv.db)
    assert a.returncode == 0 and a.stdout == b.stdout and a.stdout.startswith("schema version ")
    # A fresh file gets the whole schema.
    fresh = os.path.join(tempfile.mkdtemp(prefix="lab-fleet-migrate-"), "new.db")
    p = srv.cli("migrate", "--db", fresh)
    assert p.returncode == 0 and p.stdout == a.stdout


def test_newer_schema_is_refused_not_damaged():
    d = tempfile.mkdtemp(prefix="lab-fleet-future-")
    path = os.path.join(d, "fleet.db")
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 999")
    con.execute("CREATE TABLE keep (x)")
    con.execute("INSERT INTO keep VALUES (42)")
    con.commit()
    con.close()
    p = subprocess.run([lib.BINARY, "migrate", "--db", path], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    con = sqlite3.connect(path)
    assert con.execute("SELECT x FROM keep").fetchone()[0] == 42
    con.close()


def test_unknown_commands_print_usage():
    p = subprocess.run([lib.BINARY, "frobnicate"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "usage" in p.stderr
    p = subprocess.run([lib.BINARY, "version"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith("lab-fleet ")


def test_full_disk_answers_503_and_recovers():
    mnt = tempfile.mkdtemp(prefix="lab-fleet-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", mnt], capture_output=True).returncode != 0:
        print("skipped: cannot mount a small tmpfs here")
        return
    srv = None
    try:
        srv = lib.Server(db_dir=mnt).start()
        vm, token = lib.make_vm(srv)
        agent = srv.client(token)
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"x" * 65536)
                    f.flush()
            except OSError:
                pass
        saw_503 = False
        for i in range(300):
            r = lib.heartbeat(agent, vm["id"], cpu_percent=float(i % 100))
            assert r.status in (200, 503), r
            if r.status == 503:
                assert r.json["error"]["code"] and "database" in r.json["error"]["message"]
                saw_503 = True
                break
        assert saw_503, "the disk never filled up"
        expect(srv.anon.get("/"), 200)
        os.unlink(filler)
        expect(lib.heartbeat(agent, vm["id"]), 200)
        expect(srv.admin.get(f"/api/vms/{vm['id']}"), 200)
        srv.stop()
        con = sqlite3.connect(srv.db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    finally:
        if srv is not None and srv.proc and srv.proc.poll() is None:
            srv.kill()
        subprocess.run(["umount", "-l", mnt], capture_output=True)
