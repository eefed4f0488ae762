/* SQL of the rule engine, rollouts, webhooks and retention. */

#include "store_rules.h"
#include "store_updates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rules.h"
#include "util.h"

static const char *
col_text(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

/* Steps stmt to its end. Returns STORE_*. */
static int
step_done(struct db *db, sqlite3_stmt *stmt)
{
	int rc = db_rc(db, sqlite3_step(stmt));

	db_done(stmt);
	return rc;
}

/* Reads one integer from sql with the given integer parameters. */
static int
query_int(struct db *db, const char *sql, long long a, long long b,
          long long *out)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int rc = STORE_ERR, step;

	*out = 0;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, a);
	sqlite3_bind_int64(stmt, 2, b);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*out = sqlite3_column_int64(stmt, 0);
		rc = STORE_OK;
	} else {
		rc = step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
	db_done(stmt);
	return rc;
}

int
store_rules_vms(struct db *db, void (*cb)(const struct rules_vm *, void *),
                void *arg)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT id, customer_id, status, created_at, last_heartbeat,"
	        " m_ts, m_disk, m_quota FROM vms");
	struct rules_vm vm;
	int step;

	if (stmt == NULL)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		vm.id = col_text(stmt, 0);
		vm.customer_id = col_text(stmt, 1);
		vm.status = col_text(stmt, 2);
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
		cb(col_text(stmt, 0), col_text(stmt, 1), col_text(stmt, 2),
		   col_text(stmt, 3), arg);
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
		cb(col_text(stmt, 0), arg);
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
		p.vm_id = col_text(stmt, 1);
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
	int rc = query_int(db,
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
	return query_int(db,
	                 "SELECT coalesce(max(rowid), 0) FROM metrics"
	                 " WHERE ?1 = ?1 AND ?2 = ?2",
	                 0, 0, seq);
}

int
store_rules_set_offline(struct db *db, const char *vm_id, int64_t cutoff,
                        bool *still_silent)
{
	sqlite3_stmt *stmt;
	int rc = STORE_ERR, step;

	*still_silent = false;
	stmt = db_prepare(db, "UPDATE vms SET status = 'offline' WHERE id = ?1"
	                      " AND status NOT IN ('offline', 'maintenance')"
	                      " AND coalesce(last_heartbeat, created_at) < ?2");
	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, vm_id);
	sqlite3_bind_int64(stmt, 2, cutoff);
	rc = step_done(db, stmt);
	if (rc != STORE_OK)
		return rc;
	/* Read again: a heartbeat may have come in since the pass read. */
	stmt = db_prepare(db, "SELECT 1 FROM vms WHERE id = ?1"
	                      " AND status <> 'maintenance'"
	                      " AND coalesce(last_heartbeat, created_at) < ?2");
	if (stmt == NULL)
		return STORE_ERR;
	db_bind_text(stmt, 1, vm_id);
	sqlite3_bind_int64(stmt, 2, cutoff);
	step = sqlite3_step(stmt);
	*still_silent = step == SQLITE_ROW;
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? STORE_OK
	                                               : db_rc(db, step);
	db_done(stmt);
	return rc;
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

/* Rollouts */

static int
rollout_read(struct db *db, long long id, json_t **out)
{
	sqlite3_stmt *stmt = db_prepare(db, "SELECT " STORE_UPDATE_COLS
	                                    " FROM updates u WHERE u.id = ?1");
	int rc, step;

	*out = NULL;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*out = db_row_json(stmt);
		store_update_fix_progress(*out);
		rc = STORE_OK;
	} else {
		rc = step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
	db_done(stmt);
	return rc;
}

int
store_rollout_get(struct store *st, long long id, json_t **out)
{
	struct db *db = store_acquire(st);
	int rc = rollout_read(db, id, out);

	store_release(st, db);
	return rc;
}

int
store_rollout_start(struct store *st, long long id, long long batch_percent,
                    const char *who, int64_t now, json_t **out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt, *ins = NULL;
	char *version = NULL, *status = NULL;
	long long size, i = 0;
	int rc, step;

	*out = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = STORE_ERR;
	stmt = db_prepare(
	    db, "SELECT version, rollout_status FROM updates WHERE id = ?1");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		version = xstrdup(col_text(stmt, 0));
		status = xstrdup(col_text(stmt, 1));
	}
	rc = step == SQLITE_ROW
	         ? STORE_OK
	         : (step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step));
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;
	if (strcmp(status, "in_progress") == 0 ||
	    strcmp(status, "completed") == 0) {
		rc = STORE_CONFLICT;
		goto out;
	}
	stmt =
	    db_prepare(db, "DELETE FROM rollout_targets WHERE update_id = ?1");
	if (stmt == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, id);
	if ((rc = step_done(db, stmt)) != STORE_OK)
		goto out;
	if ((rc = query_int(db,
	                    "SELECT count(*) FROM vms WHERE status = 'online'"
	                    " AND (version IS NULL OR version <> (SELECT"
	                    " version FROM updates WHERE id = ?1)) AND ?2 = ?2",
	                    id, 0, &size)) != STORE_OK)
		goto out;
	size = rules_batch_size(size, batch_percent);
	rc = STORE_ERR;
	ins = db_prepare(db, "INSERT INTO rollout_targets (update_id, vm_id,"
	                     " batch) VALUES (?1, ?2, ?3)");
	stmt = db_prepare(db, "SELECT id FROM vms WHERE status = 'online'"
	                      " AND (version IS NULL OR version <> ?1)"
	                      " ORDER BY id");
	if (ins == NULL || stmt == NULL) {
		db_done(stmt);
		goto out;
	}
	db_bind_text(stmt, 1, version);
	rc = STORE_OK;
	while (rc == STORE_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		sqlite3_bind_int64(ins, 1, id);
		db_bind_text(ins, 2, col_text(stmt, 0));
		sqlite3_bind_int64(ins, 3, i / size + 1);
		rc = db_rc(db, sqlite3_step(ins));
		sqlite3_reset(ins);
		i++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = db_rc(db, step);
	db_done(stmt);
	db_done(ins);
	if (rc != STORE_OK)
		goto out;
	stmt = db_prepare(db, "UPDATE updates SET rollout_status = ?2,"
	                      " batch_percent = ?3, started_at = ?4,"
	                      " completed_at = ?5 WHERE id = ?1");
	if (stmt == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, id);
	db_bind_text(stmt, 2, i == 0 ? "completed" : "in_progress");
	sqlite3_bind_int64(stmt, 3, batch_percent);
	sqlite3_bind_int64(stmt, 4, now);
	if (i == 0)
		sqlite3_bind_int64(stmt, 5, now);
	else
		sqlite3_bind_null(stmt, 5);
	if ((rc = step_done(db, stmt)) != STORE_OK)
		goto out;
	if (i > 0) {
		stmt = db_prepare(
		    db, "INSERT INTO actions (vm_id, type, status, version,"
		        " update_id, batch, requested_by, created_at,"
		        " updated_at) SELECT vm_id, 'update', 'pending', ?2,"
		        " ?1, 1, ?3, ?4, ?4 FROM rollout_targets"
		        " WHERE update_id = ?1 AND batch = 1");
		if (stmt == NULL) {
			rc = STORE_ERR;
			goto out;
		}
		sqlite3_bind_int64(stmt, 1, id);
		db_bind_text(stmt, 2, version);
		db_bind_text(stmt, 3, who);
		sqlite3_bind_int64(stmt, 4, now);
		if ((rc = step_done(db, stmt)) != STORE_OK)
			goto out;
	}
	rc = rollout_read(db, id, out);
	if (rc == STORE_OK)
		rc = db_commit(db);
	if (rc != STORE_OK) {
		json_decref(*out);
		*out = NULL;
	}
out:
	db_rollback(db);
	free(version);
	free(status);
	store_release(st, db);
	return rc;
}

int
store_rollout_active(struct db *db, long long *ids, int max, int *n)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT id FROM updates WHERE rollout_status = 'in_progress'"
	        " ORDER BY id LIMIT ?1");
	int step;

	*n = 0;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int(stmt, 1, max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(stmt, 0);
	db_done(stmt);
	return db_rc(db, step);
}

int
store_rollout_state(struct db *db, long long id, struct rollout_state *s)
{
	sqlite3_stmt *stmt;
	int rc, step;

	memset(s, 0, sizeof(*s));
	stmt = db_prepare(db, "SELECT version, coalesce(started_at, 0)"
	                      " FROM updates WHERE id = ?1");
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		snprintf(s->version, sizeof(s->version), "%s",
		         col_text(stmt, 0));
		s->started_at = sqlite3_column_int64(stmt, 1);
	}
	rc = step == SQLITE_ROW
	         ? STORE_OK
	         : (step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step));
	db_done(stmt);
	if (rc != STORE_OK)
		return rc;
	rc = query_int(db,
	               "SELECT coalesce(max(batch), 0) FROM actions"
	               " WHERE update_id = ?1 AND created_at >= ?2",
	               id, s->started_at, &s->batch);
	if (rc == STORE_OK)
		rc = query_int(db,
		               "SELECT coalesce(max(batch), 0) FROM"
		               " rollout_targets WHERE update_id = ?1"
		               " AND ?2 = ?2",
		               id, 0, &s->last);
	stmt = db_prepare(
	    db, "SELECT coalesce(sum(status IN ('pending', 'sent')), 0),"
	        " coalesce(sum(status IN ('failed', 'expired')), 0)"
	        " FROM actions WHERE update_id = ?1 AND batch = ?2"
	        " AND created_at >= ?3");
	if (rc != STORE_OK || stmt == NULL)
		return rc != STORE_OK ? rc : STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, s->batch);
	sqlite3_bind_int64(stmt, 3, s->started_at);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		s->open = sqlite3_column_int64(stmt, 0);
		s->failed = sqlite3_column_int64(stmt, 1);
	}
	rc = db_rc(db, step);
	db_done(stmt);
	if (rc != STORE_OK)
		return rc;
	stmt = db_prepare(db, "SELECT count(*) FROM rollout_targets t"
	                      " JOIN vms v ON v.id = t.vm_id"
	                      " WHERE t.update_id = ?1"
	                      " AND (v.version IS NULL OR v.version <> ?2)");
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	db_bind_text(stmt, 2, s->version);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		s->behind = sqlite3_column_int64(stmt, 0);
	rc = db_rc(db, step);
	db_done(stmt);
	return rc;
}

int
store_rollout_hand_out(struct db *db, long long id, long long batch,
                       const char *version, int64_t now, long long *n)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "INSERT INTO actions (vm_id, type, status, version, update_id,"
	        " batch, requested_by, created_at, updated_at)"
	        " SELECT t.vm_id, 'update', 'pending', ?3, ?1, ?2,"
	        " 'rollout:' || ?1, ?4, ?4 FROM rollout_targets t"
	        " JOIN vms v ON v.id = t.vm_id WHERE t.update_id = ?1"
	        " AND t.batch = ?2 AND (v.version IS NULL OR v.version <> ?3)");
	int rc;

	*n = 0;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, batch);
	db_bind_text(stmt, 3, version);
	sqlite3_bind_int64(stmt, 4, now);
	rc = db_rc(db, sqlite3_step(stmt));
	if (rc == STORE_OK)
		*n = sqlite3_changes(db_handle(db));
	db_done(stmt);
	return rc;
}

int
store_rollout_finish(struct db *db, long long id, const char *status,
                     int64_t now)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "UPDATE updates SET rollout_status = ?2, completed_at ="
	        " CASE WHEN ?2 = 'completed' THEN ?3 ELSE completed_at END"
	        " WHERE id = ?1 AND rollout_status = 'in_progress'");

	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	db_bind_text(stmt, 2, status);
	sqlite3_bind_int64(stmt, 3, now);
	return step_done(db, stmt);
}

/* Channels */

#define CHANNEL_COLS                                                           \
	"id, url, format, min_severity, enabled, created_at, last_at,"         \
	" last_status, last_error,"                                            \
	" (SELECT count(*) FROM deliveries d WHERE d.channel_id = c.id)"       \
	" AS pending_deliveries"

/* Folds last_at/last_status/last_error into "last_delivery". */
static void
channel_fix(json_t *row)
{
	json_t *at = json_object_get(row, "last_at");

	if (at == NULL || json_is_null(at)) {
		json_object_set_new(row, "last_delivery", json_null());
	} else {
		json_object_set_new(
		    row, "last_delivery",
		    json_pack("{s:O, s:O, s:O}", "at", at, "status",
		              json_object_get(row, "last_status"), "error",
		              json_object_get(row, "last_error")));
	}
	json_object_del(row, "last_at");
	json_object_del(row, "last_status");
	json_object_del(row, "last_error");
}

int
store_channel_list(struct store *st, json_t **out)
{
	struct qb q;
	long long total;
	int rc;

	qb_init(&q);
	rc = store_list(st, CHANNEL_COLS, "channels c", &q, "id", 1000, 0,
	                channel_fix, out, &total);
	qb_free(&q);
	return rc;
}

int
store_channel_create(struct store *st, const char *url, const char *format,
                     const char *min_severity, bool enabled, json_t **out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(
	    db, "INSERT INTO channels (url, format, min_severity, enabled,"
	        " created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
	long long id;
	int rc = STORE_ERR, step;

	*out = NULL;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, url);
	db_bind_text(stmt, 2, format);
	db_bind_text(stmt, 3, min_severity);
	sqlite3_bind_int(stmt, 4, enabled);
	sqlite3_bind_int64(stmt, 5, util_now());
	rc = step_done(db, stmt);
	if (rc != STORE_OK)
		goto out;
	id = sqlite3_last_insert_rowid(db_handle(db));
	stmt = db_prepare(db, "SELECT " CHANNEL_COLS
	                      " FROM channels c WHERE id = ?1");
	if (stmt == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*out = db_row_json(stmt);
		channel_fix(*out);
	}
	rc = step == SQLITE_ROW ? STORE_OK : db_rc(db, step);
	if (step == SQLITE_DONE)
		rc = STORE_ERR;
	db_done(stmt);
out:
	store_release(st, db);
	return rc;
}

int
store_channel_delete(struct store *st, long long id)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt =
	    db_prepare(db, "DELETE FROM channels WHERE id = ?1");
	int rc = STORE_ERR;

	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, id);
		rc = db_rc(db, sqlite3_step(stmt));
		if (rc == STORE_OK && sqlite3_changes(db_handle(db)) == 0)
			rc = STORE_NOTFOUND;
		db_done(stmt);
	}
	store_release(st, db);
	return rc;
}

/* Deliveries */

/* A row of sql bound to text key, as an object, or NULL. New reference. */
static json_t *
row_by_key(struct db *db, const char *sql, const char *key)
{
	sqlite3_stmt *stmt;
	json_t *row = NULL;

	if (key == NULL)
		return NULL;
	stmt = db_prepare(db, sql);
	if (stmt == NULL)
		return NULL;
	db_bind_text(stmt, 1, key);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		row = db_row_json(stmt);
	db_done(stmt);
	return row;
}

static json_t *
alert_by_id(struct db *db, long long id)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT id, vm_id, customer_id, type, severity, message,"
	        " created_at, resolved, resolved_at, resolved_by, source"
	        " FROM alerts WHERE id = ?1");
	json_t *row = NULL;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		row = db_row_json(stmt);
	db_done(stmt);
	return row;
}

static int
load_channels(struct db *db, struct notify_channel **out, int *n)
{
	sqlite3_stmt *stmt =
	    db_prepare(db, "SELECT id, format, min_severity FROM channels"
	                   " WHERE enabled = 1 ORDER BY id");
	struct notify_channel *ch = NULL;
	int step, cap = 0;

	*n = 0;
	*out = NULL;
	if (stmt == NULL)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			ch = xrealloc(ch, (size_t)cap * sizeof(*ch));
		}
		ch[*n].id = sqlite3_column_int64(stmt, 0);
		snprintf(ch[*n].format, sizeof(ch[*n].format), "%s",
		         col_text(stmt, 1));
		snprintf(ch[*n].min_severity, sizeof(ch[*n].min_severity), "%s",
		         col_text(stmt, 2));
		(*n)++;
	}
	db_done(stmt);
	*out = ch;
	return db_rc(db, step);
}

int
store_notify_fanout(struct db *db, int limit, int64_t now,
                    char *(*make)(const struct notify_event *,
                                  const struct notify_channel *, void *),
                    void *arg, int *n)
{
	sqlite3_stmt *ev = NULL, *ins, *del;
	struct notify_channel *ch = NULL;
	struct notify_event e;
	long long any;
	int rc, step = SQLITE_DONE, nch = 0, i;

	*n = 0;
	/* Most of the time there is nothing: look before taking the lock. */
	rc = query_int(db,
	               "SELECT EXISTS (SELECT 1 FROM alert_events)"
	               " WHERE ?1 = ?1 AND ?2 = ?2",
	               0, 0, &any);
	if (rc != STORE_OK || any == 0)
		return rc;
	rc = db_begin(db);
	if (rc != STORE_OK)
		return rc;
	rc = load_channels(db, &ch, &nch);
	if (rc != STORE_OK)
		goto out;
	rc = STORE_ERR;
	ev = db_prepare(db, "SELECT id, alert_id, event, severity FROM"
	                    " alert_events ORDER BY id LIMIT ?1");
	if (ev == NULL)
		goto out;
	sqlite3_bind_int(ev, 1, limit);
	rc = STORE_OK;
	while (rc == STORE_OK && (step = sqlite3_step(ev)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(ev, 0);
		e.event = col_text(ev, 2);
		e.severity = col_text(ev, 3);
		e.alert = alert_by_id(db, sqlite3_column_int64(ev, 1));
		if (e.alert != NULL) {
			e.vm = row_by_key(
			    db,
			    "SELECT id, hostname, ip_address, customer_id,"
			    " tier, status, version FROM vms WHERE id = ?1",
			    json_string_value(
			        json_object_get(e.alert, "vm_id")));
			e.customer = row_by_key(
			    db,
			    "SELECT id, name, email, company, tier,"
			    " billing_status FROM customers WHERE id = ?1",
			    json_string_value(
			        json_object_get(e.alert, "customer_id")));
		}
		for (i = 0; e.alert != NULL && i < nch && rc == STORE_OK; i++) {
			char *body = make(&e, &ch[i], arg);

			if (body == NULL)
				continue;
			ins = db_prepare(
			    db,
			    "INSERT INTO deliveries (channel_id, body,"
			    " next_at, created_at) VALUES (?1, ?2, ?3, ?3)");
			if (ins == NULL) {
				rc = STORE_ERR;
			} else {
				sqlite3_bind_int64(ins, 1, ch[i].id);
				db_bind_text(ins, 2, body);
				sqlite3_bind_int64(ins, 3, now);
				rc = step_done(db, ins);
			}
			free(body);
		}
		json_decref(e.alert);
		json_decref(e.vm);
		json_decref(e.customer);
		if (rc != STORE_OK)
			break;
		del = db_prepare(db, "DELETE FROM alert_events WHERE id = ?1");
		if (del == NULL) {
			rc = STORE_ERR;
			break;
		}
		sqlite3_bind_int64(del, 1, e.id);
		rc = step_done(db, del);
		(*n)++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_rc(db, step);
	db_done(ev);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	db_rollback(db);
	free(ch);
	if (rc != STORE_OK)
		*n = 0;
	return rc;
}

int
store_notify_due(struct db *db, int64_t now, struct notify_delivery *out,
                 int max, int *n)
{
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT d.id, d.channel_id, c.url, d.body, d.attempts,"
	        " d.created_at FROM deliveries d"
	        " JOIN channels c ON c.id = d.channel_id"
	        " WHERE d.next_at <= ?1 AND c.enabled = 1"
	        " AND d.id = (SELECT min(x.id) FROM deliveries x"
	        " WHERE x.channel_id = d.channel_id)"
	        " ORDER BY d.id LIMIT ?2");
	int step;

	*n = 0;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int(stmt, 2, max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW && *n < max) {
		struct notify_delivery *d = &out[(*n)++];

		d->id = sqlite3_column_int64(stmt, 0);
		d->channel_id = sqlite3_column_int64(stmt, 1);
		d->url = xstrdup(col_text(stmt, 2));
		d->body = xstrdup(col_text(stmt, 3));
		d->attempts = sqlite3_column_int(stmt, 4);
		d->created_at = sqlite3_column_int64(stmt, 5);
	}
	db_done(stmt);
	return db_rc(db, step);
}

void
store_notify_delivery_free(struct notify_delivery *d)
{
	if (d == NULL)
		return;
	free(d->url);
	free(d->body);
	d->url = d->body = NULL;
}

int
store_notify_next(struct db *db, int64_t *at)
{
	long long v;
	int rc = query_int(db,
	                   "SELECT coalesce(min(next_at), 0) FROM deliveries"
	                   " WHERE ?1 = ?1 AND ?2 = ?2",
	                   0, 0, &v);

	*at = v;
	return rc;
}

int
store_notify_result(struct db *db, const struct notify_delivery *d, int64_t now,
                    int64_t next_at, const char *status, const char *error)
{
	sqlite3_stmt *stmt;
	int rc = db_begin(db);

	if (rc != STORE_OK)
		return rc;
	rc = STORE_ERR;
	if (next_at == 0)
		stmt = db_prepare(db, "DELETE FROM deliveries WHERE id = ?1"
		                      " AND ?2 = ?2");
	else
		stmt = db_prepare(db, "UPDATE deliveries SET attempts ="
		                      " attempts + 1, next_at = ?2"
		                      " WHERE id = ?1");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, d->id);
	sqlite3_bind_int64(stmt, 2, next_at);
	if ((rc = step_done(db, stmt)) != STORE_OK)
		goto out;
	stmt = db_prepare(db, "UPDATE channels SET last_at = ?2,"
	                      " last_status = ?3, last_error = ?4"
	                      " WHERE id = ?1");
	if (stmt == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, d->channel_id);
	sqlite3_bind_int64(stmt, 2, now);
	db_bind_text(stmt, 3, status);
	db_bind_text(stmt, 4, error);
	if ((rc = step_done(db, stmt)) != STORE_OK)
		goto out;
	rc = db_commit(db);
out:
	db_rollback(db);
	return rc;
}

/* Retention */

int
store_retention_rollup(struct db *db, int64_t cutoff, int limit, int *n)
{
	sqlite3_stmt *stmt;
	int rc = db_begin(db);

	*n = 0;
	if (rc != STORE_OK)
		return rc;
	/*
	 * Both statements pick the same rows, the oldest by (ts, rowid),
	 * inside one write transaction. A bucket that already holds points
	 * gets the weighted mean of old and new.
	 */
	rc = STORE_ERR;
	stmt = db_prepare(
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
	    " n = n + excluded.n");
	if (stmt == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, cutoff);
	sqlite3_bind_int(stmt, 2, limit);
	if ((rc = step_done(db, stmt)) != STORE_OK)
		goto out;
	stmt = db_prepare(db, "DELETE FROM metrics WHERE rowid IN (SELECT"
	                      " rowid FROM metrics WHERE ts < ?1"
	                      " ORDER BY ts, rowid LIMIT ?2)");
	if (stmt == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, cutoff);
	sqlite3_bind_int(stmt, 2, limit);
	rc = db_rc(db, sqlite3_step(stmt));
	if (rc == STORE_OK)
		*n = sqlite3_changes(db_handle(db));
	db_done(stmt);
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
	sqlite3_stmt *stmt = db_prepare(
	    db, "DELETE FROM metrics_5m WHERE (vm_id, bucket) IN (SELECT"
	        " vm_id, bucket FROM metrics_5m WHERE bucket < ?1 LIMIT ?2)");
	int rc;

	*n = 0;
	if (stmt == NULL)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, cutoff);
	sqlite3_bind_int(stmt, 2, limit);
	rc = db_rc(db, sqlite3_step(stmt));
	if (rc == STORE_OK)
		*n = sqlite3_changes(db_handle(db));
	db_done(stmt);
	return rc;
}
