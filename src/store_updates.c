#include "store_updates.h"

#include <stdio.h>

#include "util.h"

/* Moves the p_* columns of a row into its progress object. */
void
store_update_fix_progress(json_t *row)
{
	json_t *p = json_object();

	json_object_set(p, "target", json_object_get(row, "p_target"));
	json_object_set(p, "updated", json_object_get(row, "p_updated"));
	json_object_set(p, "failed", json_object_get(row, "p_failed"));
	json_object_del(row, "p_target");
	json_object_del(row, "p_updated");
	json_object_del(row, "p_failed");
	json_object_set_new(row, "progress", p);
}

int
store_update_get(struct store *st, long long id, json_t **out)
{
	struct qb q;
	json_t *items;
	long long total;
	int rc;

	*out = NULL;
	qb_init(&q);
	qb_add(&q, "u.id = ?", 1, json_integer(id));
	rc = store_list(st, STORE_UPDATE_COLS, "updates u", &q, "u.id", 1, 0,
	                store_update_fix_progress, &items, &total);
	qb_free(&q);
	if (rc == STORE_OK && json_array_size(items) == 0)
		rc = STORE_NOTFOUND;
	if (rc == STORE_OK)
		*out = json_incref(json_array_get(items, 0));
	json_decref(items);
	return rc;
}

int
store_update_list(struct store *st, long long limit, long long offset,
                  json_t **items, long long *total)
{
	struct qb q;
	int rc;

	qb_init(&q);
	rc = store_list(st, STORE_UPDATE_COLS, "updates u", &q, "u.id DESC",
	                limit, offset, store_update_fix_progress, items, total);
	qb_free(&q);
	return rc;
}

int
store_update_create(struct store *st, const char *version,
                    const char *description, json_t **out)
{
	struct db *db = store_acquire(st);
	long long id;
	int rc = db_insert(
	    db,
	    "INSERT INTO updates (version, description, "
	    "rollout_status, created_at) "
	    "VALUES (?1, ?2, 'pending', ?3)",
	    json_pack("[s?s?I]", version, description, (json_int_t)util_now()),
	    &id);

	*out = NULL;
	store_release(st, db);
	if (rc != STORE_OK)
		return rc;
	return store_update_get(st, id, out);
}
