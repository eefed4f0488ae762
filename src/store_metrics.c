#include "store_metrics.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "store_live.h"
#include "store_vms.h"
#include "util.h"

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

/*
 * Points on their way out: raw, or summed into the current bucket of
 * `step` seconds until a row of a later bucket closes it. Rows arrive in
 * time order, so a bucket is never reopened; averaging here rather than
 * with GROUP BY spares SQLite a temporary B-tree (measured: 4x faster).
 */
struct emit {
	struct buf *out;
	long long step;
	long long n; /* points written */
	bool open;
	int64_t bucket;
	double sum[4], weight;
};

static void
put_point(struct emit *e, int64_t t, const double *v, bool round6)
{
	static const char *const names[] = {
	    ",\"cpu_percent\":", ",\"memory_percent\":", ",\"disk_percent\":",
	    ",\"disk_used_gb\":"};
	int i;

	buf_puts(e->out, e->n++ > 0 ? ",{\"timestamp\":" : "{\"timestamp\":");
	store_vms_json_time(e->out, t);
	for (i = 0; i < 4; i++) {
		buf_puts(e->out, names[i]);
		/* Averages need no more than a millionth. */
		store_vms_json_number(e->out,
		                      round6 ? round(v[i] * 1e6) / 1e6 : v[i]);
	}
	buf_puts(e->out, "}");
}

static void
flush_bucket(struct emit *e)
{
	double avg[4];
	int i;

	if (!e->open)
		return;
	for (i = 0; i < 4; i++)
		avg[i] = e->sum[i] / e->weight;
	put_point(e, e->bucket, avg, true);
	e->open = false;
}

/*
 * Runs stmt (bound; columns time, cpu, mem, disk, used, weight) and
 * feeds its rows to e.
 */
static int
emit_rows(struct db *db, sqlite3_stmt *stmt, struct emit *e)
{
	double v[4], w;
	int64_t t, b;
	int step, i;

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		t = sqlite3_column_int64(stmt, 0);
		for (i = 0; i < 4; i++)
			v[i] = sqlite3_column_double(stmt, i + 1);
		if (e->step == 0) {
			put_point(e, t, v, false);
			continue;
		}
		b = t - t % e->step;
		if (!e->open || b != e->bucket) {
			flush_bucket(e);
			e->open = true;
			e->bucket = b;
			e->weight = 0;
			memset(e->sum, 0, sizeof(e->sum));
		}
		w = (double)sqlite3_column_int64(stmt, 5);
		for (i = 0; i < 4; i++)
			e->sum[i] += v[i] * w;
		e->weight += w;
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
	struct emit e = {0};
	long long count;
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
	e.out = out;
	e.step = *step;
	buf_puts(out, "[");
	/* Rollups all precede the raw points: one ordered stream. */
	stmt = db_prepare(db, ROLLUPS " ORDER BY bucket");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, vm_id);
	sqlite3_bind_int64(stmt, 2, since);
	rc = emit_rows(db, stmt, &e);
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;
	stmt = db_prepare(db, RAWS " ORDER BY ts");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, vm_id);
	sqlite3_bind_int64(stmt, 2, since);
	rc = emit_rows(db, stmt, &e);
	db_done(stmt);
	flush_bucket(&e);
	buf_puts(out, "]");
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}

/*
 * One pass over the VMs: counts by status, sums of resources and costs,
 * and averages over the online VMs' live figures (see store_live.h).
 */
/* clang-format off */
#define FLEET_SQL \
	"SELECT count(*), total(status = 'online'), total(status = 'offline')," \
	" total(status = 'maintenance'), total(status = 'error')," \
	" total(monthly_cost), total(cpu_cores), total(memory_gb)," \
	" total(disk_gb), total(" VM_LIVE("disk_used", "m_disk_used") ")," \
	" count(CASE WHEN status = 'online' THEN " VM_LIVE("ts", "m_ts") " END)," \
	" avg(CASE WHEN status = 'online' THEN " VM_LIVE("cpu", "m_cpu") " END)," \
	" avg(CASE WHEN status = 'online' THEN " VM_LIVE("mem", "m_mem") " END)," \
	" avg(CASE WHEN status = 'online' THEN " VM_LIVE("disk", "m_disk") " END)" \
	" FROM vms v" VM_JOIN_NEWEST_POINT
/* clang-format on */

/* Runs a one-row aggregate and hands each column to the caller's slots. */
static int
one_row(struct db *db, const char *sql, int ncols, long long *ints,
        double *reals)
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
	}
	rc = db_rc(db, step);
	db_done(stmt);
	return rc;
}

/*
 * The last figures computed and the commit generation they were read at.
 * Dashboards poll the figures far more often than the fleet changes. Any
 * commit invalidates them at once, except the heartbeat writer's that
 * change no VM's status or version: those, hundreds a second under load,
 * change only the usage averages, and refresh them at most once per
 * FLEET_TELEMETRY_MS. The figures are never older than FLEET_CACHE_MS
 * (the CLI's commits in other processes are not counted).
 */
#define FLEET_CACHE_MS 2000
#define FLEET_TELEMETRY_MS 1000

static struct {
	pthread_mutex_t lock;
	bool valid;
	struct store_generation generation;
	double at_ms;
	struct fleet f;
} fleet_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool
fleet_cache_fresh(struct store_generation gen, double now)
{
	double age = now - fleet_cache.at_ms;

	return fleet_cache.valid && fleet_cache.generation.other == gen.other &&
	       age < FLEET_CACHE_MS &&
	       (fleet_cache.generation.telemetry == gen.telemetry ||
	        age < FLEET_TELEMETRY_MS);
}

static int fleet_read(struct store *st, struct fleet *f);

int
store_fleet(struct store *st, struct fleet *f)
{
	struct store_generation gen = store_generation();
	double now = util_mono_ms();
	int rc;

	pthread_mutex_lock(&fleet_cache.lock);
	if (fleet_cache_fresh(gen, now)) {
		*f = fleet_cache.f;
		f->versions = json_deep_copy(fleet_cache.f.versions);
		pthread_mutex_unlock(&fleet_cache.lock);
		return STORE_OK;
	}
	pthread_mutex_unlock(&fleet_cache.lock);

	/* Read before the figures: a commit during the read makes the
	 * cached copy stale at once, never valid with old data. */
	rc = fleet_read(st, f);
	if (rc != STORE_OK)
		return rc;
	pthread_mutex_lock(&fleet_cache.lock);
	json_decref(fleet_cache.f.versions);
	fleet_cache.f = *f;
	fleet_cache.f.versions = json_deep_copy(f->versions);
	fleet_cache.generation = gen;
	fleet_cache.at_ms = now;
	fleet_cache.valid = true;
	pthread_mutex_unlock(&fleet_cache.lock);
	return STORE_OK;
}

static int
fleet_read(struct store *st, struct fleet *f)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	long long i[16];
	double d[16];
	int rc, step;

	memset(f, 0, sizeof(*f));
	f->versions = json_object();
	rc = db_exec(db, "BEGIN");
	if (rc != STORE_OK)
		goto out;

	/* One pass over the VMs; averages over online VMs' latest points. */
	rc = one_row(db, FLEET_SQL, 14, i, d);
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
	f->has_usage = i[10] > 0;
	f->avg_cpu = d[11];
	f->avg_memory = d[12];
	f->avg_disk = d[13];

	rc = one_row(
	    db,
	    "SELECT count(*), total(billing_status = 'active'), "
	    "total(billing_status = 'inactive'), total(billing_status = "
	    "'overdue'), total(tier = 'starter'), total(tier = 'pro'), "
	    "total(tier = 'enterprise'), total(CASE WHEN billing_status = "
	    "'active' THEN monthly_fee END), total(CASE WHEN billing_status "
	    "= 'overdue' THEN monthly_fee END) FROM customers",
	    9, i, d);
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
	             4, i, NULL);
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
