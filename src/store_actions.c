#include "store_actions.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* Action id as the API shows it. */
static int
read_action(struct db *db, long long id, json_t **out)
{
	return db_get_row(db,
	                  "SELECT " STORE_ACTION_COLS
	                  " FROM actions WHERE id = CAST(?1 AS INTEGER)",
	                  json_pack("[I]", id), out);
}

int
store_action_request(struct store *st, const char *vm_id, const char *type,
                     const char *requested_by, bool *created, json_t **out)
{
	struct db *db = store_acquire(st);
	long long id;
	int rc;

	*created = false;
	*out = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = db_get_row(db, "SELECT 1 FROM vms WHERE id = ?1",
	                json_pack("[s?]", vm_id), NULL);
	if (rc != STORE_OK)
		goto out;
	rc =
	    db_get_row(db,
	               "SELECT " STORE_ACTION_COLS " FROM actions "
	               "WHERE vm_id = ?1 AND type = ?2 AND "
	               "status IN ('pending', 'sent') ORDER BY id DESC LIMIT 1",
	               json_pack("[s?s?]", vm_id, type), out);
	if (rc != STORE_NOTFOUND)
		goto out; /* the open one, or an error */

	rc = db_insert(db,
	               "INSERT INTO actions (vm_id, type, status, "
	               "requested_by, created_at, updated_at) "
	               "VALUES (?1, ?2, 'pending', ?3, ?4, ?4)",
	               json_pack("[s?s?s?I]", vm_id, type, requested_by,
	                         (json_int_t)util_now()),
	               &id);
	if (rc != STORE_OK)
		goto out;
	if (strcmp(type, "rebuild") == 0) {
		rc = db_write(
		    db, "UPDATE vms SET status = 'maintenance' WHERE id = ?1",
		    json_pack("[s?]", vm_id));
		if (rc != STORE_OK)
			goto out;
	}
	rc = read_action(db, id, out);
	if (rc == STORE_OK)
		rc = db_commit(db);
	if (rc == STORE_OK)
		*created = true;
out:
	if (rc != STORE_OK) {
		json_decref(*out);
		*out = NULL;
	}
	db_rollback(db);
	store_release(st, db);
	return rc;
}

int
store_action_list(struct store *st, const char *vm_id, long long limit,
                  long long offset, json_t **items, long long *total)
{
	struct db *db = store_acquire(st);
	struct qb q;
	int rc;

	rc = db_get_row(db, "SELECT 1 FROM vms WHERE id = ?1",
	                json_pack("[s?]", vm_id), NULL);
	store_release(st, db);
	if (rc != STORE_OK) {
		*items = json_array();
		*total = 0;
		return rc;
	}
	qb_init(&q);
	qb_add(&q, "vm_id = ?", 1, json_string(vm_id));
	rc = store_list(st, STORE_ACTION_COLS, "actions", &q, "id DESC", limit,
	                offset, NULL, items, total);
	qb_free(&q);
	return rc;
}

/* True when an action in status s will not change any more. */
static bool
is_final(const char *s)
{
	return strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
	       strcmp(s, "expired") == 0;
}

int
store_action_report(struct store *st, const char *vm_id, long long id,
                    const struct action_report *rep, json_t **out)
{
	struct db *db = store_acquire(st);
	const char *status, *type, *version;
	char idtext[32];
	sqlite3_stmt *stmt;
	json_t *cur = NULL;
	int rc;

	*out = NULL;
	snprintf(idtext, sizeof(idtext), "%lld", id);
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = db_get_row(db,
	                "SELECT status, type, version FROM actions "
	                "WHERE id = CAST(?1 AS INTEGER) AND vm_id = ?2",
	                json_pack("[ss?]", idtext, vm_id), &cur);
	if (rc != STORE_OK)
		goto out;
	status = json_string_value(json_object_get(cur, "status"));
	type = json_string_value(json_object_get(cur, "type"));
	version = json_string_value(json_object_get(cur, "version"));
	if (status == NULL || type == NULL) {
		rc = STORE_ERR;
		goto out;
	}
	if (is_final(status)) {
		rc = read_action(db, id, out);
		if (rc == STORE_OK && strcmp(status, rep->status) != 0)
			rc = STORE_CONFLICT;
		goto out;
	}

	stmt = db_prepare(db, "UPDATE actions SET status = ?2, output = ?3, "
	                      "exit_code = ?4, completed_at = ?5, "
	                      "updated_at = ?5 WHERE id = ?1");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	sqlite3_bind_int64(stmt, 1, id);
	db_bind_text(stmt, 2, rep->status);
	db_bind_text(stmt, 3, rep->output);
	if (rep->has_exit_code)
		sqlite3_bind_int64(stmt, 4, rep->exit_code);
	else
		sqlite3_bind_null(stmt, 4);
	sqlite3_bind_int64(stmt, 5, util_now());
	rc = db_rc(db, sqlite3_step(stmt));
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;
	if (strcmp(rep->status, "succeeded") == 0 &&
	    strcmp(type, "rebuild") == 0)
		rc = db_write(db,
		              "UPDATE vms SET status = 'online' "
		              "WHERE id = ?1 AND status = 'maintenance'",
		              json_pack("[s?]", vm_id));
	else if (strcmp(rep->status, "succeeded") == 0 &&
	         strcmp(type, "update") == 0 && version != NULL)
		rc = db_write(db, "UPDATE vms SET version = ?2 WHERE id = ?1",
		              json_pack("[s?s?]", vm_id, version));
	if (rc != STORE_OK)
		goto out;
	rc = read_action(db, id, out);
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	if (rc != STORE_OK && rc != STORE_CONFLICT) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(cur);
	db_rollback(db);
	store_release(st, db);
	return rc;
}
