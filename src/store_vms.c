#include "store_vms.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_auth.h"
#include "store_live.h"
#include "util.h"

/* Column order is what put_vm() reads. */
/* clang-format off */
#define VM_SELECT \
	"SELECT v.id, v.hostname, v.ip_address, v.customer_id, c.name," \
	" v.tier, v.status, v.created_at, " \
	VM_LIVE("ts", "last_heartbeat") "," \
	" v.cpu_cores, v.memory_gb, v.disk_gb, v.version, v.monthly_cost, " \
	VM_LIVE("ts", "m_ts") ", " \
	VM_LIVE("cpu", "m_cpu") ", " \
	VM_LIVE("mem", "m_mem") ", " \
	VM_LIVE("disk", "m_disk") ", " \
	VM_LIVE("disk_used", "m_disk_used") ", " \
	VM_LIVE("load1", "m_load1") ", " \
	VM_LIVE("uptime", "m_uptime") ", " \
	VM_LIVE("quota", "m_quota") \
	" FROM vms v LEFT JOIN customers c ON c.id = v.customer_id" \
	VM_JOIN_NEWEST_POINT
/* clang-format on */

/* The columns an update may set; their bind index is position + 2. */
static const char *const writable[] = {
    "hostname", "ip_address",   "customer_id", "tier",
    "status",   "cpu_cores",    "memory_gb",   "disk_gb",
    "version",  "monthly_cost", NULL};

void
store_vms_json_number(struct buf *out, double d)
{
	char tmp[40];
	long long v;

	if (!isfinite(d)) {
		buf_puts(out, "null");
		return;
	}
	/*
	 * Most values (percents, gigabytes, prices) have a few decimals:
	 * print those as fixed point, which is exact when it reads back as
	 * the same double, and much cheaper than printf's %g.
	 */
	if (fabs(d) < 1e12) {
		v = llround(d * 1e6);
		if ((double)v / 1e6 == d) {
			long long ip = (v < 0 ? -v : v) / 1000000;
			long long fp = (v < 0 ? -v : v) % 1000000;
			char *p = tmp + sizeof(tmp);
			int digits = 6;

			*--p = '\0';
			while (fp != 0 && fp % 10 == 0) {
				fp /= 10;
				digits--;
			}
			if (fp != 0) {
				for (; digits > 0; digits--) {
					*--p = (char)('0' + fp % 10);
					fp /= 10;
				}
				*--p = '.';
			}
			do {
				*--p = (char)('0' + ip % 10);
				ip /= 10;
			} while (ip != 0);
			if (v < 0)
				*--p = '-';
			buf_puts(out, p);
			return;
		}
	}
	snprintf(tmp, sizeof(tmp), "%.17g", d);
	buf_puts(out, tmp);
}

void
store_vms_json_time(struct buf *out, int64_t t)
{
	char s[UTIL_TIME_LEN + 2];
	int64_t z, era, doe, yoe, y, doy, mp, d, m, secs;

	if (t < 0 || t > 253402300799LL) {
		s[0] = '"';
		util_time_format(t, s + 1);
		buf_puts(out, s);
		buf_puts(out, "\"");
		return;
	}
	/*
	 * Civil date from days since the epoch (H. Hinnant's algorithm):
	 * no locale, no time zone lock, as gmtime_r would take.
	 */
	z = t / 86400;
	secs = t % 86400;
	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	s[0] = '"';
	s[1] = (char)('0' + y / 1000);
	s[2] = (char)('0' + y / 100 % 10);
	s[3] = (char)('0' + y / 10 % 10);
	s[4] = (char)('0' + y % 10);
	s[5] = '-';
	s[6] = (char)('0' + m / 10);
	s[7] = (char)('0' + m % 10);
	s[8] = '-';
	s[9] = (char)('0' + d / 10);
	s[10] = (char)('0' + d % 10);
	s[11] = 'T';
	s[12] = (char)('0' + secs / 36000);
	s[13] = (char)('0' + secs / 3600 % 10);
	s[14] = ':';
	s[15] = (char)('0' + secs % 3600 / 600);
	s[16] = (char)('0' + secs % 3600 / 60 % 10);
	s[17] = ':';
	s[18] = (char)('0' + secs % 60 / 10);
	s[19] = (char)('0' + secs % 10);
	s[20] = 'Z';
	s[21] = '"';
	buf_append(out, s, 22);
}

static void
put_text(struct buf *out, sqlite3_stmt *stmt, int col)
{
	const char *s = (const char *)sqlite3_column_text(stmt, col);

	if (s == NULL)
		buf_puts(out, "null");
	else
		buf_json_string(out, s);
}

static void
put_real(struct buf *out, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		buf_puts(out, "null");
	else
		store_vms_json_number(out, sqlite3_column_double(stmt, col));
}

static void
put_int(struct buf *out, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		buf_puts(out, "null");
	else
		buf_printf(out, "%lld",
		           (long long)sqlite3_column_int64(stmt, col));
}

static void
put_time(struct buf *out, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		buf_puts(out, "null");
	else
		store_vms_json_time(out, sqlite3_column_int64(stmt, col));
}

/* Appends the current row of a VM_SELECT statement as a JSON object. */
static void
put_vm(struct buf *out, sqlite3_stmt *stmt)
{
	buf_puts(out, "{\"id\":");
	put_text(out, stmt, 0);
	buf_puts(out, ",\"hostname\":");
	put_text(out, stmt, 1);
	buf_puts(out, ",\"ip_address\":");
	put_text(out, stmt, 2);
	buf_puts(out, ",\"customer_id\":");
	put_text(out, stmt, 3);
	buf_puts(out, ",\"customer_name\":");
	put_text(out, stmt, 4);
	buf_puts(out, ",\"tier\":");
	put_text(out, stmt, 5);
	buf_puts(out, ",\"status\":");
	put_text(out, stmt, 6);
	buf_puts(out, ",\"created_at\":");
	put_time(out, stmt, 7);
	buf_puts(out, ",\"last_heartbeat\":");
	put_time(out, stmt, 8);
	buf_puts(out, ",\"cpu_cores\":");
	put_int(out, stmt, 9);
	buf_puts(out, ",\"memory_gb\":");
	put_real(out, stmt, 10);
	buf_puts(out, ",\"disk_gb\":");
	put_real(out, stmt, 11);
	buf_puts(out, ",\"version\":");
	put_text(out, stmt, 12);
	buf_puts(out, ",\"monthly_cost\":");
	put_real(out, stmt, 13);
	buf_puts(out, ",\"latest_metrics\":");
	if (sqlite3_column_type(stmt, 14) == SQLITE_NULL) {
		buf_puts(out, "null}");
		return;
	}
	buf_puts(out, "{\"timestamp\":");
	put_time(out, stmt, 14);
	buf_puts(out, ",\"cpu_percent\":");
	put_real(out, stmt, 15);
	buf_puts(out, ",\"memory_percent\":");
	put_real(out, stmt, 16);
	buf_puts(out, ",\"disk_percent\":");
	put_real(out, stmt, 17);
	buf_puts(out, ",\"disk_used_gb\":");
	put_real(out, stmt, 18);
	buf_puts(out, ",\"load1\":");
	put_real(out, stmt, 19);
	buf_puts(out, ",\"uptime_s\":");
	put_int(out, stmt, 20);
	buf_puts(out, ",\"api_quota_percent\":");
	put_real(out, stmt, 21);
	buf_puts(out, "}}");
}

int
store_vm_list(struct store *st, const struct vm_filter *f, long long limit,
              long long offset, struct buf *out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	struct buf sql;
	struct qb q;
	long long total = 0;
	int rc = STORE_ERR, step, n, rows = 0;

	qb_init(&q);
	buf_init(&sql, 0);
	if (f->status != NULL)
		qb_add(&q, "v.status = ?", 1, json_string(f->status));
	if (f->customer_id != NULL)
		qb_add(&q, "v.customer_id = ?", 1, json_string(f->customer_id));
	if (f->tier != NULL)
		qb_add(&q, "v.tier = ?", 1, json_string(f->tier));
	if (f->q != NULL && f->q[0] != '\0')
		qb_add(&q,
		       "instr(lower(v.hostname), lower(?)) > 0 OR "
		       "instr(lower(v.ip_address), lower(?)) > 0",
		       2, json_string(f->q), json_string(f->q));
	n = (int)json_array_size(q.args);

	/* One snapshot for the count and the page. */
	rc = db_exec(db, "BEGIN");
	if (rc != STORE_OK)
		goto out;
	rc = STORE_ERR;
	buf_printf(&sql, "SELECT count(*) FROM vms v WHERE %s", q.where.data);
	stmt = db_prepare(db, sql.data);
	if (stmt == NULL)
		goto out;
	db_bind_args(stmt, q.args);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		total = sqlite3_column_int64(stmt, 0);
	rc = db_rc(db, step);
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;

	buf_reset(&sql);
	buf_printf(&sql,
	           VM_SELECT " WHERE %s ORDER BY v.created_at DESC, v.rowid "
	                     "DESC LIMIT ?%d OFFSET ?%d",
	           q.where.data, n + 1, n + 2);
	stmt = db_prepare(db, sql.data);
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_args(stmt, q.args);
	sqlite3_bind_int64(stmt, n + 1, limit);
	sqlite3_bind_int64(stmt, n + 2, offset);
	buf_puts(out, "{\"items\":[");
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (rows++ > 0)
			buf_puts(out, ",");
		put_vm(out, stmt);
	}
	buf_printf(out, "],\"total\":%lld,\"limit\":%lld,\"offset\":%lld}",
	           total, limit, offset);
	rc = db_rc(db, step);
	db_done(stmt);
out:
	db_rollback(db);
	buf_free(&sql);
	qb_free(&q);
	store_release(st, db);
	return rc;
}

/* Appends VM id read on db to out. */
static int
get_on(struct db *db, const char *id, struct buf *out)
{
	sqlite3_stmt *stmt = db_prepare(db, VM_SELECT " WHERE v.id = ?1");
	int rc, step;

	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		put_vm(out, stmt);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOTFOUND;
	} else {
		rc = db_rc(db, step);
	}
	db_done(stmt);
	return rc;
}

int
store_vm_get(struct store *st, const char *id, struct buf *out)
{
	struct db *db = store_acquire(st);
	int rc = get_on(db, id, out);

	store_release(st, db);
	return rc;
}

int
store_vm_exists(struct store *st, const char *id)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(db, "SELECT 1 FROM vms WHERE id = ?1");
	int rc = STORE_ERR, step;

	if (stmt != NULL) {
		db_bind_text(stmt, 1, id);
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW)
			rc = STORE_OK;
		else if (step == SQLITE_DONE)
			rc = STORE_NOTFOUND;
		else
			rc = db_rc(db, step);
		db_done(stmt);
	}
	store_release(st, db);
	return rc;
}

int
store_vm_create(struct store *st, json_t *v, const char *token_hash,
                const char **conflict, struct buf *out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	const char *id = json_string_value(json_object_get(v, "id"));
	int rc, i, step;
	int64_t now = util_now();

	*conflict = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	stmt = db_prepare(db, "SELECT 1 FROM customers WHERE id = ?1");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_json(stmt, 1, json_object_get(v, "customer_id"));
	step = sqlite3_step(stmt);
	rc = step == SQLITE_ROW    ? STORE_OK
	     : step == SQLITE_DONE ? STORE_INVALID
	                           : db_rc(db, step);
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;

	stmt = db_prepare(
	    db, "INSERT INTO vms (id, hostname, ip_address, customer_id, "
	        "tier, status, cpu_cores, memory_gb, disk_gb, version, "
	        "monthly_cost, created_at) VALUES (?1, ?2, ?3, ?4, "
	        "coalesce(?5, (SELECT tier FROM customers WHERE id = ?4)), "
	        "coalesce(?6, 'offline'), ?7, ?8, ?9, ?10, coalesce(?11, 0), "
	        "?12)");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, id);
	for (i = 0; writable[i] != NULL; i++)
		db_bind_json(stmt, i + 2, json_object_get(v, writable[i]));
	sqlite3_bind_int64(stmt, 12, now);
	rc = db_rc(db, sqlite3_step(stmt));
	if (rc == STORE_CONFLICT)
		*conflict = db_conflict_field(db, "ip_address");
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;

	rc = db_write(db,
	              "INSERT INTO tokens (name, role, vm_id, hash, "
	              "created_at) VALUES ('agent', 'agent', ?1, ?2, ?3)",
	              json_pack("[s?s?I]", id, token_hash, (json_int_t)now));
	/* A token hash clash would be a broken random source, not a 409. */
	if (rc == STORE_CONFLICT)
		rc = STORE_ERR;
	if (rc != STORE_OK)
		goto out;
	rc = get_on(db, id, out);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}

int
store_vm_update(struct store *st, const char *id, json_t *set,
                const char **conflict, struct buf *out)
{
	struct db *db = store_acquire(st);
	int rc;

	*conflict = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = db_update_fields(db, "vms", writable, id, set);
	if (rc == STORE_CONFLICT)
		*conflict = db_conflict_field(db, "ip_address");
	if (rc != STORE_OK)
		goto out;
	rc = get_on(db, id, out);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}

int
store_vm_delete(struct store *st, const char *id)
{
	struct db *db = store_acquire(st);
	int rc = db_change(db, "DELETE FROM vms WHERE id = ?1",
	                   json_pack("[s?]", id));

	store_release(st, db);
	store_token_cache_clear(); /* its agent token went with it */
	return rc;
}
