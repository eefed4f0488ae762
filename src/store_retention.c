/* SQL of metric retention: roll-up into metrics_5m and pruning. */

#include "store_retention.h"

int
store_retention_snapshot(struct db *db, int64_t cutoff)
{
	/*
	 * The newest raw point is the VM's live figures and last heartbeat
	 * (see store_live.h). For a VM whose newest point is older than the
	 * cutoff, newer than its row's snapshot: copy it into the row.
	 */
	return db_write(
	    db,
	    "UPDATE vms AS v SET (last_heartbeat, m_ts, m_cpu, m_mem,"
	    " m_disk, m_disk_used, m_load1, m_uptime, m_quota) ="
	    " (SELECT ts, ts, cpu, mem, disk, disk_used, load1, uptime,"
	    " quota FROM metrics WHERE vm_id = v.id"
	    " ORDER BY ts DESC, rowid DESC LIMIT 1)"
	    " WHERE (SELECT max(ts) FROM metrics WHERE vm_id = v.id)"
	    " BETWEEN coalesce(v.m_ts, -1) + 1 AND ?1 - 1",
	    json_pack("[I]", (json_int_t)cutoff));
}

int
store_retention_rollup(struct db *db, int64_t cutoff, int limit, int *n)
{
	int rc = db_begin(db);

	*n = 0;
	if (rc != STORE_OK)
		return rc;
	/*
	 * Both statements pick the same rows, the oldest by (ts, rowid),
	 * inside one write transaction. A bucket that already holds points
	 * gets the weighted mean of old and new.
	 */
	rc = db_write(
	    db,
	    "INSERT INTO metrics_5m (vm_id, bucket, cpu, mem, disk,"
	    " disk_used, n) SELECT vm_id, ts - ts % 300, avg(cpu), avg(mem),"
	    " avg(disk), avg(disk_used), count(*) FROM metrics"
	    " WHERE rowid IN (SELECT rowid FROM metrics WHERE ts < ?1"
	    " ORDER BY ts, rowid LIMIT ?2) GROUP BY 1, 2"
	    " ON CONFLICT (vm_id, bucket) DO UPDATE SET"
	    " cpu = (cpu * n + excluded.cpu * excluded.n)"
	    " / (n + excluded.n),"
	    " mem = (mem * n + excluded.mem * excluded.n)"
	    " / (n + excluded.n),"
	    " disk = (disk * n + excluded.disk * excluded.n)"
	    " / (n + excluded.n),"
	    " disk_used = (disk_used * n + excluded.disk_used * excluded.n)"
	    " / (n + excluded.n),"
	    " n = n + excluded.n",
	    json_pack("[Ii]", (json_int_t)cutoff, limit));
	if (rc != STORE_OK)
		goto out;
	rc = db_write(db,
	              "DELETE FROM metrics WHERE rowid IN (SELECT"
	              " rowid FROM metrics WHERE ts < ?1"
	              " ORDER BY ts, rowid LIMIT ?2)",
	              json_pack("[Ii]", (json_int_t)cutoff, limit));
	if (rc == STORE_OK)
		*n = sqlite3_changes(db_handle(db));
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	db_rollback(db);
	if (rc != STORE_OK)
		*n = 0;
	return rc;
}

int
store_retention_prune(struct db *db, int64_t cutoff, int limit, int *n)
{
	int rc = db_write(db,
	                  "DELETE FROM metrics_5m WHERE (vm_id, bucket) IN "
	                  "(SELECT vm_id, bucket FROM metrics_5m WHERE "
	                  "bucket < ?1 LIMIT ?2)",
	                  json_pack("[Ii]", (json_int_t)cutoff, limit));

	*n = rc == STORE_OK ? sqlite3_changes(db_handle(db)) : 0;
	return rc;
}
