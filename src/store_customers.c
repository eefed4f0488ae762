#include "store_customers.h"

#include <string.h>

#include "util.h"

#define CUSTOMER_COLS                                                          \
	"id, name, email, company, tier, billing_status, monthly_fee, "        \
	"created_at, (SELECT count(*) FROM vms WHERE vms.customer_id = "       \
	"customers.id) AS vm_count"

/* The columns a create or an update may set, in the order of INSERT. */
static const char *const writable[] = {
    "name", "email", "company", "tier", "billing_status", "monthly_fee", NULL};

int
store_customer_list(struct store *st, const struct customer_filter *f,
                    long long limit, long long offset, json_t **items,
                    long long *total)
{
	struct qb q;
	int rc;

	qb_init(&q);
	if (f->tier != NULL)
		qb_add(&q, "tier = ?", 1, json_string(f->tier));
	if (f->billing_status != NULL)
		qb_add(&q, "billing_status = ?", 1,
		       json_string(f->billing_status));
	if (f->q != NULL && f->q[0] != '\0') {
		/* instr() needs no escaping of % and _ as LIKE would. */
		qb_add(&q,
		       "instr(lower(name), lower(?)) > 0 OR "
		       "instr(lower(email), lower(?)) > 0 OR "
		       "instr(lower(coalesce(company, '')), lower(?)) > 0",
		       3, json_string(f->q), json_string(f->q),
		       json_string(f->q));
	}
	rc = store_list(st, CUSTOMER_COLS, "customers", &q,
	                "created_at DESC, rowid DESC", limit, offset, NULL,
	                items, total);
	qb_free(&q);
	return rc;
}

/* Reads customer id on db. */
static int
get_on(struct db *db, const char *id, json_t **out)
{
	return db_get_row(
	    db, "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?1",
	    json_pack("[s?]", id), out);
}

/* Reads customer id into *out, then commits; *out is NULL on failure. */
static int
read_commit(struct db *db, const char *id, json_t **out)
{
	int rc = get_on(db, id, out);

	if (rc == STORE_OK)
		rc = db_commit(db);
	if (rc != STORE_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
store_customer_get(struct store *st, const char *id, json_t **out)
{
	struct db *db = store_acquire(st);
	int rc = get_on(db, id, out);

	store_release(st, db);
	return rc;
}

int
store_customer_exists(struct store *st, const char *id)
{
	struct db *db = store_acquire(st);
	int rc = db_get_row(db, "SELECT 1 FROM customers WHERE id = ?1",
	                    json_pack("[s?]", id), NULL);

	store_release(st, db);
	return rc;
}

int
store_customer_create(struct store *st, json_t *c, const char **conflict,
                      json_t **out)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	int rc, i;

	*out = NULL;
	*conflict = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	stmt = db_prepare(db, "INSERT INTO customers (id, name, email, "
	                      "company, tier, billing_status, monthly_fee, "
	                      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	                      "coalesce(?6, 'active'), coalesce(?7, 0), ?8)");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_json(stmt, 1, json_object_get(c, "id"));
	for (i = 0; writable[i] != NULL; i++)
		db_bind_json(stmt, i + 2, json_object_get(c, writable[i]));
	sqlite3_bind_int64(stmt, 8, util_now());
	rc = db_rc(db, sqlite3_step(stmt));
	if (rc == STORE_CONFLICT)
		*conflict = db_conflict_field(db, "email");
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;
	rc = read_commit(db, json_string_value(json_object_get(c, "id")), out);
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}

int
store_customer_update(struct store *st, const char *id, json_t *set,
                      const char **conflict, json_t **out)
{
	struct db *db = store_acquire(st);
	int rc;

	*out = NULL;
	*conflict = NULL;
	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = db_update_fields(db, "customers", writable, id, set);
	if (rc == STORE_CONFLICT)
		*conflict = db_conflict_field(db, "email");
	if (rc != STORE_OK)
		goto out;
	rc = read_commit(db, id, out);
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}

int
store_customer_delete(struct store *st, const char *id)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	int rc, step;

	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	stmt = db_prepare(db, "SELECT (SELECT count(*) FROM customers WHERE "
	                      "id = ?1), (SELECT count(*) FROM vms WHERE "
	                      "customer_id = ?1)");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step != SQLITE_ROW)
		rc = db_rc(db, step);
	else if (sqlite3_column_int64(stmt, 0) == 0)
		rc = STORE_NOTFOUND;
	else if (sqlite3_column_int64(stmt, 1) > 0)
		rc = STORE_CONFLICT;
	else
		rc = STORE_OK;
	db_done(stmt);
	if (rc != STORE_OK)
		goto out;
	stmt = db_prepare(db, "DELETE FROM customers WHERE id = ?1");
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, id);
	rc = db_rc(db, sqlite3_step(stmt));
	db_done(stmt);
	/* A VM that slipped in meanwhile still holds the row. */
	if (rc == STORE_INVALID)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	db_rollback(db);
	store_release(st, db);
	return rc;
}
