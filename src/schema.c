#include "schema.h"

#include <stdio.h>

#include "log.h"
#include "store.h"

/*
 * Migrations, oldest first. Migration N brings user_version to N. Never
 * edit one that has shipped: add the next.
 */
static const char *const migrations[] = {
    /* 1: the whole first schema. Times are Unix seconds. */
    "CREATE TABLE customers ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " email TEXT NOT NULL,"
    " company TEXT,"
    " tier TEXT NOT NULL,"
    " billing_status TEXT NOT NULL DEFAULT 'active',"
    " monthly_fee REAL NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX customers_email ON customers(email COLLATE NOCASE);"
    "CREATE INDEX customers_tier ON customers(tier);"
    "CREATE INDEX customers_billing ON customers(billing_status);"
    "CREATE INDEX customers_created ON customers(created_at);"

    /* m_* is the latest metric point, kept here so lists need no join. */
    "CREATE TABLE vms ("
    " id TEXT PRIMARY KEY,"
    " hostname TEXT NOT NULL,"
    " ip_address TEXT NOT NULL UNIQUE,"
    " customer_id TEXT NOT NULL REFERENCES customers(id),"
    " tier TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'offline',"
    " created_at INTEGER NOT NULL,"
    " last_heartbeat INTEGER,"
    " cpu_cores INTEGER NOT NULL,"
    " memory_gb REAL NOT NULL,"
    " disk_gb REAL NOT NULL,"
    " version TEXT,"
    " monthly_cost REAL NOT NULL DEFAULT 0,"
    " m_ts INTEGER, m_cpu REAL, m_mem REAL, m_disk REAL, m_disk_used REAL,"
    " m_load1 REAL, m_uptime INTEGER, m_quota REAL);"
    "CREATE INDEX vms_customer ON vms(customer_id);"
    "CREATE INDEX vms_status ON vms(status);"
    "CREATE INDEX vms_tier ON vms(tier);"
    "CREATE INDEX vms_created ON vms(created_at);"
    "CREATE INDEX vms_hostname ON vms(hostname);"

    "CREATE TABLE metrics ("
    " vm_id TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
    " ts INTEGER NOT NULL,"
    " cpu REAL NOT NULL, mem REAL NOT NULL, disk REAL NOT NULL,"
    " disk_used REAL NOT NULL, load1 REAL, uptime INTEGER, quota REAL);"
    "CREATE INDEX metrics_vm_ts ON metrics(vm_id, ts);"
    "CREATE INDEX metrics_ts ON metrics(ts);"

    /* 5-minute averages of points older than the raw retention. */
    "CREATE TABLE metrics_5m ("
    " vm_id TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
    " bucket INTEGER NOT NULL,"
    " cpu REAL NOT NULL, mem REAL NOT NULL, disk REAL NOT NULL,"
    " disk_used REAL NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (vm_id, bucket)) WITHOUT ROWID;"
    "CREATE INDEX metrics_5m_bucket ON metrics_5m(bucket);"

    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY,"
    " vm_id TEXT REFERENCES vms(id) ON DELETE CASCADE,"
    " customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE,"
    " type TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " message TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " resolved INTEGER NOT NULL DEFAULT 0,"
    " resolved_at INTEGER,"
    " resolved_by TEXT,"
    " source TEXT NOT NULL DEFAULT 'manual');"
    "CREATE INDEX alerts_resolved ON alerts(resolved, id);"
    "CREATE INDEX alerts_severity ON alerts(severity, resolved);"
    "CREATE INDEX alerts_type ON alerts(type, resolved);"
    "CREATE INDEX alerts_vm ON alerts(vm_id, resolved);"
    "CREATE INDEX alerts_customer ON alerts(customer_id, resolved);"
    /* At most one open rule alert per subject and type. */
    "CREATE UNIQUE INDEX alerts_rule_open ON alerts("
    " coalesce(vm_id, ''), coalesce(customer_id, ''), type)"
    " WHERE source = 'rule' AND resolved = 0;"

    "CREATE TABLE updates ("
    " id INTEGER PRIMARY KEY,"
    " version TEXT NOT NULL,"
    " description TEXT,"
    " rollout_status TEXT NOT NULL DEFAULT 'pending',"
    " batch_percent INTEGER,"
    " created_at INTEGER NOT NULL,"
    " started_at INTEGER,"
    " completed_at INTEGER);"

    "CREATE TABLE actions ("
    " id INTEGER PRIMARY KEY,"
    " vm_id TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
    " type TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending',"
    " version TEXT,"
    " update_id INTEGER REFERENCES updates(id) ON DELETE SET NULL,"
    " batch INTEGER,"
    " requested_by TEXT,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " completed_at INTEGER,"
    " exit_code INTEGER,"
    " output TEXT);"
    "CREATE INDEX actions_vm ON actions(vm_id, id);"
    "CREATE INDEX actions_open ON actions(vm_id, status)"
    " WHERE status IN ('pending', 'sent');"
    "CREATE INDEX actions_update ON actions(update_id, batch);"

    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " username TEXT NOT NULL UNIQUE,"
    " password_hash TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"

    /* Only a hash of each token is kept. vm_id set: an agent token. */
    "CREATE TABLE tokens ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " vm_id TEXT REFERENCES vms(id) ON DELETE CASCADE,"
    " hash TEXT NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL,"
    " last_used_at INTEGER);"
    "CREATE INDEX tokens_vm ON tokens(vm_id);"

    "CREATE TABLE sessions ("
    " hash TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " csrf TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE INDEX sessions_expires ON sessions(expires_at);"

    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " path TEXT NOT NULL,"
    " target TEXT,"
    " status INTEGER NOT NULL,"
    " address TEXT);"

    "CREATE TABLE channels ("
    " id INTEGER PRIMARY KEY,"
    " url TEXT NOT NULL,"
    " format TEXT NOT NULL DEFAULT 'json',"
    " min_severity TEXT NOT NULL DEFAULT 'warning',"
    " enabled INTEGER NOT NULL DEFAULT 1,"
    " created_at INTEGER NOT NULL,"
    " last_at INTEGER,"
    " last_status TEXT,"
    " last_error TEXT);"

    /* Webhook deliveries waiting or being retried. */
    "CREATE TABLE deliveries ("
    " id INTEGER PRIMARY KEY,"
    " channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,"
    " body TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_at INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX deliveries_next ON deliveries(next_at);",

    /*
     * 2: alert events for the webhooks, written by triggers so that every
     * writer (API, rule engine, heartbeat writer) announces its changes in
     * the same transaction; the targets of each update rollout.
     */
    "CREATE TABLE alert_events ("
    " id INTEGER PRIMARY KEY,"
    " alert_id INTEGER NOT NULL,"
    " event TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE TRIGGER alerts_event_insert AFTER INSERT ON alerts"
    " WHEN EXISTS (SELECT 1 FROM channels WHERE enabled = 1) BEGIN"
    " INSERT INTO alert_events (alert_id, event, severity, created_at)"
    " VALUES (new.id, CASE WHEN new.resolved THEN 'resolved'"
    " ELSE 'raised' END, new.severity,"
    " CAST(strftime('%s', 'now') AS INTEGER)); END;"
    "CREATE TRIGGER alerts_event_resolve AFTER UPDATE OF resolved ON alerts"
    " WHEN new.resolved = 1 AND old.resolved = 0"
    " AND EXISTS (SELECT 1 FROM channels WHERE enabled = 1) BEGIN"
    " INSERT INTO alert_events (alert_id, event, severity, created_at)"
    " VALUES (new.id, 'resolved', new.severity,"
    " CAST(strftime('%s', 'now') AS INTEGER)); END;"
    "CREATE TRIGGER alerts_event_escalate AFTER UPDATE OF severity ON alerts"
    " WHEN new.resolved = 0 AND new.severity <> old.severity"
    " AND EXISTS (SELECT 1 FROM channels WHERE enabled = 1) BEGIN"
    " INSERT INTO alert_events (alert_id, event, severity, created_at)"
    " VALUES (new.id, 'raised', new.severity,"
    " CAST(strftime('%s', 'now') AS INTEGER)); END;"
    "CREATE TABLE rollout_targets ("
    " update_id INTEGER NOT NULL REFERENCES updates(id) ON DELETE CASCADE,"
    " vm_id TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,"
    " batch INTEGER NOT NULL,"
    " PRIMARY KEY (update_id, vm_id)) WITHOUT ROWID;"
    "CREATE INDEX rollout_targets_vm ON rollout_targets(vm_id);"
    "CREATE INDEX deliveries_channel ON deliveries(channel_id, id);",
};

int
schema_latest(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

int
schema_migrate(struct db *db)
{
	sqlite3_stmt *stmt;
	int version = 0, n = schema_latest(), rc;
	char sql[64];

	if (db_begin(db) != STORE_OK)
		return STORE_BUSY;
	stmt = db_prepare(db, "PRAGMA user_version");
	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	db_done(stmt);
	if (version > n) {
		db_rollback(db);
		log_error("database schema %d is newer than this lab-fleet "
		          "(%d): upgrade lab-fleet",
		          version, n);
		return STORE_ERR;
	}
	/* One transaction for all pending steps: all of them or none. */
	for (; version < n; version++) {
		rc = db_exec(db, migrations[version]);
		if (rc != STORE_OK) {
			db_rollback(db);
			log_error("migration %d failed", version + 1);
			return rc;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
		         version + 1);
		rc = db_exec(db, sql);
		if (rc != STORE_OK) {
			db_rollback(db);
			return rc;
		}
	}
	return db_commit(db);
}
