/*
 * SQL of the rule engine's pass: the VMs, open rule alerts, overdue
 * customers and metric points it reads, and the offline and action-expiry
 * writes it makes. Rollouts, channels and retention have their own
 * store_*.c files.
 */

#include "store_rules.h"

#include "store_live.h"

/* Each VM with its live figures (store_live.h). */
/* clang-format off */
#define RULES_VMS_SQL \
	"SELECT v.id, v.customer_id, v.status, v.created_at, " \
	VM_LIVE("ts", "last_heartbeat") ", " \
	VM_LIVE("ts", "m_ts") ", " \
	VM_LIVE("disk", "m_disk") ", " \
	VM_LIVE("quota", "m_quota") \
	" FROM vms v" VM_JOIN_NEWEST_POINT
/* clang-format on */

int
store_rules_vms(struct db *db, void (*cb)(const struct rules_vm *, void *),
                void *arg)
{
	sqlite3_stmt *stmt = db_prepare(db, RULES_VMS_SQL);
	struct rules_vm vm;
	int step;

	if (stmt == NULL)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		vm.id = db_col_text(stmt, 0);
		vm.customer_id = db_col_text(stmt, 1);
		vm.status = db_col_text(stmt, 2);
		vm.created_at = sqlite3_column_int64(stmt, 3);
		vm.last_hb = sqlite3_column_int64(stmt, 4);
		vm.has_point = sqlite3_column_type(stmt, 5) != SQLITE_NULL &&
		               sqlite3_column_type(stmt, 6) != SQLITE_NULL;
		vm.disk = sqlite3_column_double(stmt, 6);
		vm.has_quota = sqlite3_column_type(stmt, 7) != SQLITE_NULL;
		vm.quota = sqlite3_column_double(stmt, 7);
		cb(&vm, arg);
	}
	db_done(stmt);
	return db_rc(db, step);
}

int
store_rules_open_alerts(struct db *db,
                        void (*cb)(const char *, const char *, const char *,
                                   const char *, void *),
                        void *arg)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT vm_id, customer_id, type, severity FROM alerts"
	        " WHERE source = 'rule' AND resolved = 0");
	int step;

	if (stmt == NULL)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		cb(db_col_text(stmt, 0), db_col_text(stmt, 1),
		   db_col_text(stmt, 2), db_col_text(stmt, 3), arg);
	db_done(stmt);
	return db_rc(db, step);
}

int
store_rules_overdue(struct db *db, void (*cb)(const char *, void *), void *arg)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT id FROM customers WHERE billing_status = 'overdue'");
	int step;

	if (stmt == NULL)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		cb(db_col_text(stmt, 0), arg);
	db_done(stmt);
	return db_rc(db, step);
}

int
store_rules_points(struct db *db, long long after, int limit,
                   void (*cb)(const struct rules_point *, void *), void *arg,
                   long long *last)
{
	sqlite3_stmt *stmt =
	    db_prepare(db, "SELECT rowid, vm_id, ts, cpu, mem FROM metrics"
	                   " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2");
	struct rules_point p;
	int step;

	*last = after;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, after);
	sqlite3_bind_int(stmt, 2, limit);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		p.seq = sqlite3_column_int64(stmt, 0);
		p.vm_id = db_col_text(stmt, 1);
		p.ts = sqlite3_column_int64(stmt, 2);
		p.cpu = sqlite3_column_double(stmt, 3);
		p.mem = sqlite3_column_double(stmt, 4);
		*last = p.seq;
		cb(&p, arg);
	}
	db_done(stmt);
	return db_rc(db, step);
}

int
store_rules_points_since(struct db *db, int64_t ts, long long *seq)
{
	long long first;
	int rc = db_query_int(db,
	                      "SELECT coalesce(min(rowid), -1) FROM metrics"
	                      " WHERE ts >= ?1 AND ?2 = ?2",
	                      ts, 0, &first);

	if (rc != STORE_OK)
		return rc;
	if (first < 0)
		return store_rules_points_max(db, seq);
	*seq = first - 1;
	return STORE_OK;
}

int
store_rules_points_max(struct db *db, long long *seq)
{
	return db_query_int(db,
	                    "SELECT coalesce(max(rowid), 0) FROM metrics"
	                    " WHERE ?1 = ?1 AND ?2 = ?2",
	                    0, 0, seq);
}

int
store_rules_set_offline(struct db *db, const char *vm_id, int64_t cutoff,
                        bool *still_silent)
{
	int rc;

	*still_silent = false;
	rc = db_write(db,
	              "UPDATE vms AS v SET status = 'offline' WHERE id = ?1"
	              " AND status NOT IN ('offline', 'maintenance')"
	              " AND coalesce(" VM_LAST_HEARTBEAT ", created_at) < ?2",
	              json_pack("[s?I]", vm_id, (json_int_t)cutoff));
	if (rc != STORE_OK)
		return rc;
	/* Read again: a heartbeat may have come in since the pass read. */
	rc = db_get_row(db,
	                "SELECT 1 FROM vms v WHERE id = ?1"
	                " AND status <> 'maintenance'"
	                " AND coalesce(" VM_LAST_HEARTBEAT ", created_at) < ?2",
	                json_pack("[s?I]", vm_id, (json_int_t)cutoff), NULL);
	*still_silent = rc == STORE_OK;
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

int
store_rules_expire_actions(struct db *db, int64_t now, int64_t timeout, int *n)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "UPDATE actions SET status = 'expired', updated_at = ?1,"
	        " completed_at = ?1 WHERE status IN ('pending', 'sent')"
	        " AND coalesce(sent_at, created_at) < ?2");
	int rc;

	*n = 0;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, now - timeout);
	rc = db_rc(db, sqlite3_step(stmt));
	if (rc == STORE_OK)
		*n = sqlite3_changes(db_handle(db));
	db_done(stmt);
	return rc;
}
