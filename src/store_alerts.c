#include "store_alerts.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ALERT_COLS                                                             \
	"id, vm_id, customer_id, type, severity, message, created_at, "        \
	"resolved, resolved_at, resolved_by, source"

int
store_alert_severity_rank(const char *severity)
{
	if (severity == NULL)
		return 0;
	if (strcmp(severity, "info") == 0)
		return 1;
	if (strcmp(severity, "warning") == 0)
		return 2;
	if (strcmp(severity, "high") == 0)
		return 3;
	return 0;
}

/* Reads alert id on db (inside the caller's transaction, if any). */
static int
read_alert(struct db *db, long long id, json_t **out)
{
	return db_get_row(db, "SELECT " ALERT_COLS " FROM alerts WHERE id = ?1",
	                  json_pack("[I]", id), out);
}

/*
 * Runs sql bound to the texts a (and b unless NULL) and takes the first
 * column of the first row: *text (a new string, NULL for SQL NULL) when
 * text is not NULL. STORE_NOTFOUND when there is no row.
 */
static int
lookup(struct db *db, const char *sql, const char *a, const char *b,
       char **text)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int rc = STORE_ERR, step;

	if (text != NULL)
		*text = NULL;
	if (stmt == NULL)
		return rc;
	db_bind_text(stmt, 1, a);
	if (b != NULL)
		db_bind_text(stmt, 2, b);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(stmt, 0);

		if (text != NULL && v != NULL)
			*text = xstrdup(v);
		rc = STORE_OK;
	} else {
		rc = step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
	db_done(stmt);
	return rc;
}

int
store_alert_list(struct store *st, const struct alert_filter *f,
                 long long limit, long long offset, json_t **items,
                 long long *total)
{
	struct qb q;
	int rc;

	qb_init(&q);
	if (f->resolved >= 0)
		qb_add(&q, "resolved = ?", 1,
		       json_integer(f->resolved ? 1 : 0));
	if (f->severity != NULL)
		qb_add(&q, "severity = ?", 1, json_string(f->severity));
	if (f->type != NULL)
		qb_add(&q, "type = ?", 1, json_string(f->type));
	if (f->vm_id != NULL)
		qb_add(&q, "vm_id = ?", 1, json_string(f->vm_id));
	if (f->customer_id != NULL)
		qb_add(&q, "customer_id = ?", 1, json_string(f->customer_id));
	if (f->source != NULL)
		qb_add(&q, "source = ?", 1, json_string(f->source));
	rc = store_list(st, ALERT_COLS, "alerts", &q, "id DESC", limit, offset,
	                NULL, items, total);
	qb_free(&q);
	return rc;
}

int
store_alert_get(struct store *st, long long id, json_t **out)
{
	struct db *db = store_acquire(st);
	int rc = read_alert(db, id, out);

	store_release(st, db);
	return rc;
}

/* Inserts an alert; *id is its id. */
static int
insert_alert(struct db *db, const char *vm_id, const char *customer_id,
             const char *type, const char *severity, const char *message,
             const char *source, long long *id)
{
	return db_insert(db,
	                 "INSERT INTO alerts (vm_id, customer_id, type, "
	                 "severity, message, created_at, source) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	                 json_pack("[s?s?s?s?s?Is?]", vm_id, customer_id, type,
	                           severity, message, (json_int_t)util_now(),
	                           source),
	                 id);
}

int
store_alert_create(struct store *st, const char *vm_id, const char *customer_id,
                   const char *type, const char *severity, const char *message,
                   const char **bad_field, json_t **out)
{
	struct db *db = store_acquire(st);
	char *vm_customer = NULL;
	long long id;
	int rc;

	*out = NULL;
	*bad_field = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	if (vm_id != NULL) {
		rc = lookup(db, "SELECT customer_id FROM vms WHERE id = ?1",
		            vm_id, NULL, &vm_customer);
		if (rc == STORE_NOTFOUND) {
			*bad_field = "vm_id";
			rc = STORE_INVALID;
		}
		if (rc != STORE_OK)
			goto out;
		if (customer_id == NULL)
			customer_id = vm_customer;
	}
	if (customer_id != NULL) {
		rc = lookup(db, "SELECT 1 FROM customers WHERE id = ?1",
		            customer_id, NULL, NULL);
		if (rc == STORE_NOTFOUND) {
			*bad_field = "customer_id";
			rc = STORE_INVALID;
		}
		if (rc != STORE_OK)
			goto out;
	}
	rc = insert_alert(db, vm_id, customer_id, type, severity, message,
	                  "manual", &id);
	if (rc == STORE_OK)
		rc = read_alert(db, id, out);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	if (rc != STORE_OK) {
		json_decref(*out);
		*out = NULL;
	}
	db_rollback(db);
	free(vm_customer);
	store_release(st, db);
	return rc;
}

int
store_alert_resolve(struct store *st, long long id, const char *who,
                    json_t **out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt =
	    db_prepare(db, "UPDATE alerts SET resolved = 1, resolved_at = ?2, "
	                   "resolved_by = ?3 WHERE id = ?1 AND resolved = 0");
	int rc = STORE_ERR;

	*out = NULL;
	if (stmt == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, util_now());
	db_bind_text(stmt, 3, who);
	rc = db_rc(db, sqlite3_step(stmt));
	db_done(stmt);
	if (rc == STORE_OK)
		rc = read_alert(db, id, out);
out:
	store_release(st, db);
	return rc;
}

/*
 * The open rule alerts of one subject: a VM, or a customer (or nothing)
 * without a VM. ?1 is vm_id or customer_id, ?2 the type.
 */
#define RULE_OPEN_VM                                                           \
	" FROM alerts WHERE source = 'rule' AND resolved = 0 AND "             \
	"vm_id = ?1 AND type = ?2"
#define RULE_OPEN_CUSTOMER                                                     \
	" FROM alerts WHERE source = 'rule' AND resolved = 0 AND "             \
	"vm_id IS NULL AND coalesce(customer_id, '') = coalesce(?1, '') AND "  \
	"type = ?2"

int
store_alert_raise(struct store *st, const char *vm_id, const char *customer_id,
                  const char *type, const char *severity, const char *message,
                  bool *created, json_t **alert)
{
	struct db *db = store_acquire(st);
	char *vm_customer = NULL, *open_id = NULL, *open_sev = NULL;
	sqlite3_stmt *stmt;
	long long id = 0;
	json_t *row = NULL;
	int rc;

	*created = false;
	if (alert != NULL)
		*alert = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	if (vm_id != NULL) {
		rc = lookup(db, "SELECT customer_id FROM vms WHERE id = ?1",
		            vm_id, NULL, &vm_customer);
		if (rc == STORE_NOTFOUND)
			rc = STORE_INVALID;
		if (rc != STORE_OK)
			goto out;
		if (customer_id == NULL)
			customer_id = vm_customer;
		rc = lookup(db, "SELECT id" RULE_OPEN_VM " ORDER BY id LIMIT 1",
		            vm_id, type, &open_id);
	} else {
		rc = lookup(
		    db, "SELECT id" RULE_OPEN_CUSTOMER " ORDER BY id LIMIT 1",
		    customer_id, type, &open_id);
	}
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		goto out;
	if (rc == STORE_NOTFOUND) {
		rc = insert_alert(db, vm_id, customer_id, type, severity,
		                  message, "rule", &id);
		if (rc != STORE_OK)
			goto out;
		*created = true;
	} else {
		if (!util_parse_int(open_id, 1, 1LL << 62, &id)) {
			rc = STORE_ERR;
			goto out;
		}
		rc = lookup(db, "SELECT severity FROM alerts WHERE id = ?1",
		            open_id, NULL, &open_sev);
		if (rc != STORE_OK)
			goto out;
		if (store_alert_severity_rank(severity) >
		    store_alert_severity_rank(open_sev)) {
			stmt =
			    db_prepare(db, "UPDATE alerts SET severity = ?2, "
			                   "message = ?3 WHERE id = ?1");
			rc = STORE_ERR;
			if (stmt == NULL)
				goto out;
			sqlite3_bind_int64(stmt, 1, id);
			db_bind_text(stmt, 2, severity);
			db_bind_text(stmt, 3, message);
			rc = db_rc(db, sqlite3_step(stmt));
			db_done(stmt);
			if (rc != STORE_OK)
				goto out;
			*created = true;
		}
	}
	rc = read_alert(db, id, &row);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	if (rc != STORE_OK) {
		*created = false;
		json_decref(row);
	} else if (alert != NULL) {
		*alert = row;
	} else {
		json_decref(row);
	}
	db_rollback(db);
	free(vm_customer);
	free(open_id);
	free(open_sev);
	store_release(st, db);
	return rc;
}

int
store_alert_resolve_rule(struct store *st, const char *vm_id,
                         const char *customer_id, const char *type,
                         json_t **resolved_alert_or_null)
{
	struct db *db = store_acquire(st);
	const char *subject = vm_id != NULL ? vm_id : customer_id;
	char *last_id = NULL;
	sqlite3_stmt *stmt;
	long long id = 0;
	json_t *row = NULL;
	int rc;

	if (resolved_alert_or_null != NULL)
		*resolved_alert_or_null = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = lookup(db,
	            vm_id != NULL ? "SELECT max(id)" RULE_OPEN_VM
	                          : "SELECT max(id)" RULE_OPEN_CUSTOMER,
	            subject, type, &last_id);
	if (rc != STORE_OK || last_id == NULL) /* max() of nothing: NULL */
		goto out;
	if (!util_parse_int(last_id, 1, 1LL << 62, &id)) {
		rc = STORE_ERR;
		goto out;
	}
	stmt = db_prepare(
	    db, vm_id != NULL ? "UPDATE alerts SET resolved = 1, "
	                        "resolved_at = ?3, resolved_by = 'system'"
	                        " WHERE source = 'rule' AND resolved = 0 "
	                        "AND vm_id = ?1 AND type = ?2"
	                      : "UPDATE alerts SET resolved = 1, "
	                        "resolved_at = ?3, resolved_by = 'system'"
	                        " WHERE source = 'rule' AND resolved = 0 "
	                        "AND vm_id IS NULL AND coalesce(customer_id,"
	                        " '') = coalesce(?1, '') AND type = ?2");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, subject);
	db_bind_text(stmt, 2, type);
	sqlite3_bind_int64(stmt, 3, util_now());
	rc = db_rc(db, sqlite3_step(stmt));
	db_done(stmt);
	if (rc == STORE_OK)
		rc = read_alert(db, id, &row);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	if (rc == STORE_OK && resolved_alert_or_null != NULL)
		*resolved_alert_or_null = row;
	else
		json_decref(row);
	db_rollback(db);
	free(last_id);
	store_release(st, db);
	return rc;
}
