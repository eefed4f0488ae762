/* SQL of update rollouts: targets, batches, their actions and progress. */

#include "store_rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "store_updates.h"
#include "util.h"

static int
rollout_read(struct db *db, long long id, json_t **out)
{
	int rc = db_get_row(
	    db, "SELECT " STORE_UPDATE_COLS " FROM updates u WHERE u.id = ?1",
	    json_pack("[I]", id), out);

	if (rc == STORE_OK)
		store_update_fix_progress(*out);
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
		version = xstrdup(db_col_text(stmt, 0));
		status = xstrdup(db_col_text(stmt, 1));
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
	if ((rc = db_step_done(db, stmt)) != STORE_OK)
		goto out;
	if ((rc = db_query_int(
	         db,
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
		db_bind_text(ins, 2, db_col_text(stmt, 0));
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
	if ((rc = db_step_done(db, stmt)) != STORE_OK)
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
		if ((rc = db_step_done(db, stmt)) != STORE_OK)
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
		         db_col_text(stmt, 0));
		s->started_at = sqlite3_column_int64(stmt, 1);
	}
	rc = step == SQLITE_ROW
	         ? STORE_OK
	         : (step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step));
	db_done(stmt);
	if (rc != STORE_OK)
		return rc;
	rc = db_query_int(db,
	                  "SELECT coalesce(max(batch), 0) FROM actions"
	                  " WHERE update_id = ?1 AND created_at >= ?2",
	                  id, s->started_at, &s->batch);
	if (rc == STORE_OK)
		rc = db_query_int(db,
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
	return db_step_done(db, stmt);
}
