#include "store_metrics.h"

#include <math.h>
#include <string.h>

#include "store_vms.h"

/*
 * The rollups of a VM that end before its oldest raw point: the retention
 * job folds old raw points into rollups and deletes them, so together
 * they cover the window once. ?1 vm_id, ?2 since.
 */
#define ROLLUPS                                                                \
	"SELECT bucket AS t, cpu, mem, disk, disk_used AS du, n FROM "         \
	"metrics_5m WHERE vm_id = ?1 AND bucket >= ?2 AND bucket < "           \
	"coalesce((SELECT min(ts) FROM metrics WHERE vm_id = ?1), "            \
	"9223372036854775807)"
#define RAWS                                                                   \
	"SELECT ts AS t, cpu, mem, disk, disk_used AS du, 1 AS n FROM "        \
	"metrics WHERE vm_id = ?1 AND ts >= ?2"

/* Appends one point from columns 0..4 (time, cpu, mem, disk, used). */
static void
put_point(struct buf *out, sqlite3_stmt *stmt, bool round6)
{
	static const char *const names[] = {
	    ",\"cpu_percent\":", ",\"memory_percent\":", ",\"disk_percent\":",
	    ",\"disk_used_gb\":"};
	int i;

	buf_puts(out, "{\"timestamp\":");
	store_vms_json_time(out, sqlite3_column_int64(stmt, 0));
	for (i = 0; i < 4; i++) {
		double d = sqlite3_column_double(stmt, i + 1);

		buf_puts(out, names[i]);
		/* Averages need no more than a millionth. */
		if (round6)
			d = round(d * 1e6) / 1e6;
		store_vms_json_number(out, d);
	}
	buf_puts(out, "}");
}

/* Runs stmt (bound) and appends its rows as points; *n counts them. */
static int
put_points(struct db *db, sqlite3_stmt *stmt, bool round6, struct buf *out,
           long long *n)
{
	int step;

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((*n)++ > 0)
			buf_puts(out, ",");
		put_point(out, stmt, round6);
	}
	return db_rc(db, step);
}

/* STORE_OK when VM id exists. */
static int
vm_exists(struct db *db, const char *id)
{
	sqlite3_stmt *stmt = db_prepare(db, "SELECT 1 FROM vms WHERE id = ?1");
	int rc, step;

	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, id);
	step = sqlite3_step(stmt);
	rc = step == SQLITE_ROW    ? STORE_OK
	     : step == SQLITE_DONE ? STORE_NOTFOUND
	                           : db_rc(db, step);
	db_done(stmt);
	return rc;
}

/* How many points (rollups and raw) the window holds. */
static int
count_points(struct db *db, const char *vm_id, int64_t since, long long *n)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT (SELECT count(*) FROM (" ROLLUPS
	        ")) + (SELECT count(*) FROM metrics WHERE vm_id = ?1 AND "
	        "ts >= ?2)");
	int rc, step;

	*n = 0;
	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, vm_id);
	sqlite3_bind_int64(stmt, 2, since);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*n = sqlite3_column_int64(stmt, 0);
	rc = db_rc(db, step);
	db_done(stmt);
	return rc;
}

int
store_metrics_series(struct store *st, const char *vm_id, int64_t since,
                     int64_t window, long long max_points, long long *step,
                     struct buf *out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	long long n = 0, count;
	int rc;

	/* One snapshot: the heartbeat writer may commit meanwhile. */
	rc = db_exec(db, "BEGIN");
	if (rc != STORE_OK)
		goto out;
	rc = vm_exists(db, vm_id);
	if (rc != STORE_OK)
		goto out;
	if (*step == 0) {
		rc = count_points(db, vm_id, since, &count);
		if (rc != STORE_OK)
			goto out;
		/* Aligned buckets of s seconds: at most window/s + 1. */
		if (count > max_points && max_points > 1)
			*step = (window + max_points - 2) / (max_points - 1);
	}
	buf_puts(out, "[");
	if (*step == 0) {
		/* Rollups all precede the raw points: no sort needed. */
		stmt = db_prepare(db, ROLLUPS " ORDER BY bucket");
		rc = STORE_ERR;
		if (stmt == NULL)
			goto out;
		db_bind_text(stmt, 1, vm_id);
		sqlite3_bind_int64(stmt, 2, since);
		rc = put_points(db, stmt, false, out, &n);
		db_done(stmt);
		if (rc != STORE_OK)
			goto out;
		stmt = db_prepare(db, RAWS " ORDER BY ts");
	} else {
		stmt = db_prepare(
		    db, "SELECT (t / ?3) * ?3 AS b, sum(cpu * n) / sum(n), "
		        "sum(mem * n) / sum(n), sum(disk * n) / sum(n), "
		        "sum(du * n) / sum(n) FROM (" ROLLUPS " UNION ALL " RAWS
		        ") GROUP BY b ORDER BY b");
	}
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, vm_id);
	sqlite3_bind_int64(stmt, 2, since);
	if (*step > 0)
		sqlite3_bind_int64(stmt, 3, *step);
	rc = put_points(db, stmt, *step > 0, out, &n);
	db_done(stmt);
	buf_puts(out, "]");
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}

/* Runs a one-row aggregate and hands each column to the caller's slots. */
static int
one_row(struct db *db, const char *sql, int ncols, long long *ints,
        double *reals, bool *null0)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int rc, step, i;

	if (stmt == NULL)
		return STORE_ERR;
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		for (i = 0; i < ncols; i++) {
			if (ints != NULL)
				ints[i] = sqlite3_column_int64(stmt, i);
			if (reals != NULL)
				reals[i] = sqlite3_column_double(stmt, i);
		}
		if (null0 != NULL)
			*null0 = sqlite3_column_type(stmt, 0) == SQLITE_NULL;
	}
	rc = db_rc(db, step);
	db_done(stmt);
	return rc;
}

int
store_fleet(struct store *st, struct fleet *f)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	long long i[12];
	double d[12];
	bool none = true;
	int rc, step;

	memset(f, 0, sizeof(*f));
	f->versions = json_object();
	rc = db_exec(db, "BEGIN");
	if (rc != STORE_OK)
		goto out;

	rc = one_row(db,
	             "SELECT count(*), total(status = 'online'), "
	             "total(status = 'offline'), total(status = "
	             "'maintenance'), total(status = 'error'), "
	             "total(monthly_cost), total(cpu_cores), total(memory_gb), "
	             "total(disk_gb), total(m_disk_used) FROM vms",
	             10, i, d, NULL);
	if (rc != STORE_OK)
		goto out;
	f->vms_total = i[0];
	f->vms_online = i[1];
	f->vms_offline = i[2];
	f->vms_maintenance = i[3];
	f->vms_error = i[4];
	f->costs = d[5];
	f->cpu_cores = d[6];
	f->memory_gb = d[7];
	f->disk_gb = d[8];
	f->disk_used_gb = d[9];

	rc = one_row(db,
	             "SELECT avg(m_cpu), avg(m_mem), avg(m_disk) FROM vms "
	             "WHERE status = 'online' AND m_ts IS NOT NULL",
	             3, NULL, d, &none);
	if (rc != STORE_OK)
		goto out;
	f->has_usage = !none;
	f->avg_cpu = d[0];
	f->avg_memory = d[1];
	f->avg_disk = d[2];

	rc = one_row(
	    db,
	    "SELECT count(*), total(billing_status = 'active'), "
	    "total(billing_status = 'inactive'), total(billing_status = "
	    "'overdue'), total(tier = 'starter'), total(tier = 'pro'), "
	    "total(tier = 'enterprise'), total(CASE WHEN billing_status = "
	    "'active' THEN monthly_fee END), total(CASE WHEN billing_status "
	    "= 'overdue' THEN monthly_fee END) FROM customers",
	    9, i, d, NULL);
	if (rc != STORE_OK)
		goto out;
	f->customers_total = i[0];
	f->customers_active = i[1];
	f->customers_inactive = i[2];
	f->customers_overdue = i[3];
	f->tier_starter = i[4];
	f->tier_pro = i[5];
	f->tier_enterprise = i[6];
	f->mrr = d[7];
	f->overdue = d[8];

	rc = one_row(db,
	             "SELECT count(*), total(severity = 'high'), "
	             "total(severity = 'warning'), total(severity = 'info') "
	             "FROM alerts WHERE resolved = 0",
	             4, i, NULL, NULL);
	if (rc != STORE_OK)
		goto out;
	f->alerts_unresolved = i[0];
	f->alerts_high = i[1];
	f->alerts_warning = i[2];
	f->alerts_info = i[3];

	stmt = db_prepare(db, "SELECT version, count(*) FROM vms WHERE "
	                      "version IS NOT NULL GROUP BY version ORDER BY "
	                      "version");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		json_object_set_new(
		    f->versions, (const char *)sqlite3_column_text(stmt, 0),
		    json_integer(sqlite3_column_int64(stmt, 1)));
	rc = db_rc(db, step);
	db_done(stmt);
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}
