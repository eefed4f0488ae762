/*
 * SQL of webhook channels and their deliveries: the channel list, the
 * fan-out of alert events into deliveries, and the delivery queue.
 */

#include "store_channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
	long long id;
	int rc;

	*out = NULL;
	rc = db_insert(db,
	               "INSERT INTO channels (url, format, min_severity, "
	               "enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	               json_pack("[s?s?s?bI]", url, format, min_severity,
	                         enabled, (json_int_t)util_now()),
	               &id);
	if (rc == STORE_OK)
		rc = db_get_row(
		    db, "SELECT " CHANNEL_COLS " FROM channels c WHERE id = ?1",
		    json_pack("[I]", id), out);
	/* The row just written must be there. */
	if (rc == STORE_NOTFOUND)
		rc = STORE_ERR;
	if (rc == STORE_OK)
		channel_fix(*out);
	store_release(st, db);
	return rc;
}

int
store_channel_delete(struct store *st, long long id)
{
	struct db *db = store_acquire(st);
	int rc = db_change(db, "DELETE FROM channels WHERE id = ?1",
	                   json_pack("[I]", id));

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
		         db_col_text(stmt, 1));
		snprintf(ch[*n].min_severity, sizeof(ch[*n].min_severity), "%s",
		         db_col_text(stmt, 2));
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
	rc = db_query_int(db,
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
		e.event = db_col_text(ev, 2);
		e.severity = db_col_text(ev, 3);
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
				rc = db_step_done(db, ins);
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
		rc = db_step_done(db, del);
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
		d->url = xstrdup(db_col_text(stmt, 2));
		d->body = xstrdup(db_col_text(stmt, 3));
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
	int rc = db_query_int(db,
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
	if ((rc = db_step_done(db, stmt)) != STORE_OK)
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
	if ((rc = db_step_done(db, stmt)) != STORE_OK)
		goto out;
	rc = db_commit(db);
out:
	db_rollback(db);
	return rc;
}
