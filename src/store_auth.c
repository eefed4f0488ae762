#include "store_auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "util.h"

static const char SQL_TOKEN_LOOKUP[] =
    "SELECT id, name, role, vm_id, last_used_at FROM tokens WHERE hash = ?1";

/*
 * Recent token lookups, by hash. Every API call and heartbeat looks its
 * token up, and the query was a tenth of the server's work under load.
 * An entry lives TOKEN_CACHE_MS; deleting or replacing a token in this
 * process empties the cache at once (the epoch), so a revocation through
 * the API or a rotated agent token takes effect immediately, and one
 * through the CLI (another process) within TOKEN_CACHE_MS.
 */
#define TOKEN_CACHE_SLOTS 1024
#define TOKEN_CACHE_MS 1000

struct token_slot {
	char hash[AUTH_HASH_LEN];
	struct principal who;
	double until_ms;
	unsigned long long epoch;
};

static struct {
	pthread_mutex_t lock;
	unsigned long long epoch;
	struct token_slot slots[TOKEN_CACHE_SLOTS];
} token_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The hash is uniformly random hex: its first digits pick the slot. */
static struct token_slot *
token_slot(const char *hash)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 8 && hash[i]; i++)
		v = v * 16 + (unsigned)(hash[i] <= '9'
		                            ? hash[i] - '0'
		                            : (hash[i] | 32) - 'a' + 10);
	return &token_cache.slots[v % TOKEN_CACHE_SLOTS];
}

void
store_token_cache_clear(void)
{
	pthread_mutex_lock(&token_cache.lock);
	token_cache.epoch++;
	pthread_mutex_unlock(&token_cache.lock);
}

static int token_lookup_db(struct store *st, const char *hash,
                           struct principal *who);

int
store_token_lookup(struct store *st, const char *hash, struct principal *who)
{
	struct token_slot *slot = token_slot(hash);
	double now = util_mono_ms();
	unsigned long long epoch;
	int rc;

	pthread_mutex_lock(&token_cache.lock);
	epoch = token_cache.epoch;
	if (slot->epoch == epoch && slot->until_ms > now &&
	    strcmp(slot->hash, hash) == 0) {
		*who = slot->who;
		pthread_mutex_unlock(&token_cache.lock);
		return STORE_OK;
	}
	pthread_mutex_unlock(&token_cache.lock);

	rc = token_lookup_db(st, hash, who);
	if (rc != STORE_OK)
		return rc;
	pthread_mutex_lock(&token_cache.lock);
	/* A revocation during the lookup bumped the epoch: don't keep it. */
	if (token_cache.epoch == epoch) {
		snprintf(slot->hash, sizeof(slot->hash), "%s", hash);
		slot->who = *who;
		slot->until_ms = now + TOKEN_CACHE_MS;
		slot->epoch = epoch;
	}
	pthread_mutex_unlock(&token_cache.lock);
	return STORE_OK;
}

/* The lookup itself. Returns STORE_OK, STORE_NOTFOUND or another STORE_*. */
static int
token_lookup_db(struct store *st, const char *hash, struct principal *who)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(db, SQL_TOKEN_LOOKUP);
	int64_t last_used = 0, now = util_now();
	int rc = STORE_ERR, step;

	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, hash);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		const char *vm = (const char *)sqlite3_column_text(stmt, 3);

		who->token_id = sqlite3_column_int64(stmt, 0);
		last_used = sqlite3_column_int64(stmt, 4);
		who->role =
		    auth_role_parse((const char *)sqlite3_column_text(stmt, 2));
		if (vm != NULL) {
			who->role = ROLE_AGENT;
			snprintf(who->vm_id, sizeof(who->vm_id), "%s", vm);
			snprintf(who->name, sizeof(who->name), "agent:%s", vm);
		} else {
			snprintf(who->name, sizeof(who->name), "token:%s",
			         (const char *)sqlite3_column_text(stmt, 1));
		}
		rc = who->role == ROLE_NONE ? STORE_NOTFOUND : STORE_OK;
	} else {
		rc = step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
	db_done(stmt);
	/*
	 * last_used_at is kept to the minute: one small write a minute per
	 * token, not one per request. Its failure is no reason to refuse.
	 */
	if (rc == STORE_OK && now - last_used >= 60) {
		stmt = db_prepare(db, "UPDATE tokens SET last_used_at = ?2 "
		                      "WHERE id = ?1");
		if (stmt != NULL) {
			sqlite3_bind_int64(stmt, 1, who->token_id);
			sqlite3_bind_int64(stmt, 2, now);
			sqlite3_step(stmt);
		}
	}
out:
	db_done(stmt);
	store_release(st, db);
	return rc;
}

int
store_session_lookup(struct store *st, const char *hash, int64_t now,
                     struct principal *who)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(
	    db, "SELECT u.id, u.username, u.role, s.csrf FROM sessions s "
	        "JOIN users u ON u.id = s.user_id "
	        "WHERE s.hash = ?1 AND s.expires_at > ?2");
	int rc = STORE_ERR, step;

	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, hash);
	sqlite3_bind_int64(stmt, 2, now);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		who->user_id = sqlite3_column_int64(stmt, 0);
		snprintf(who->name, sizeof(who->name), "user:%s",
		         (const char *)sqlite3_column_text(stmt, 1));
		who->role =
		    auth_role_parse((const char *)sqlite3_column_text(stmt, 2));
		snprintf(who->csrf, sizeof(who->csrf), "%s",
		         (const char *)sqlite3_column_text(stmt, 3));
		who->via_cookie = true;
		rc = who->role == ROLE_NONE ? STORE_NOTFOUND : STORE_OK;
	} else {
		rc = step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
out:
	db_done(stmt);
	store_release(st, db);
	return rc;
}

/* Reads one row of sql bound to an integer id into *out. */
static int
get_row(struct store *st, const char *sql, long long id, json_t **out)
{
	struct db *db = store_acquire(st);
	int rc = db_get_row(db, sql, json_pack("[I]", id), out);

	store_release(st, db);
	return rc;
}

#define TOKEN_COLS "id, name, role, vm_id, created_at, last_used_at"

int
store_token_create(struct store *st, const char *name, const char *role,
                   const char *vm_id, const char *hash, json_t **out)
{
	struct db *db = store_acquire(st);
	long long id;
	int rc = db_insert(db,
	                   "INSERT INTO tokens (name, role, vm_id, hash, "
	                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	                   json_pack("[s?s?s?s?I]", name, role, vm_id, hash,
	                             (json_int_t)util_now()),
	                   &id);

	*out = NULL;
	store_release(st, db);
	if (rc != STORE_OK)
		return rc;
	return get_row(st, "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1",
	               id, out);
}

int
store_token_list(struct store *st, json_t **items)
{
	struct qb q;
	long long total;
	int rc;

	qb_init(&q);
	qb_add(&q, "vm_id IS NULL", 0);
	rc = store_list(st, TOKEN_COLS, "tokens", &q, "id", 1000, 0, NULL,
	                items, &total);
	qb_free(&q);
	return rc;
}

int
store_token_delete(struct store *st, long long id)
{
	struct db *db = store_acquire(st);
	int rc =
	    db_change(db, "DELETE FROM tokens WHERE id = ?1 AND vm_id IS NULL",
	              json_pack("[I]", id));

	store_release(st, db);
	store_token_cache_clear();
	return rc;
}

int
store_agent_token_set(struct store *st, const char *vm_id, const char *hash)
{
	struct db *db = store_acquire(st);
	int rc;

	rc = db_begin(db);
	if (rc != STORE_OK)
		goto out;
	rc = db_write(db, "DELETE FROM tokens WHERE vm_id = ?1",
	              json_pack("[s?]", vm_id));
	if (rc != STORE_OK)
		goto out;
	rc = db_change(
	    db,
	    "INSERT INTO tokens (name, role, vm_id, hash, "
	    "created_at) SELECT 'agent', 'agent', id, ?2, ?3 "
	    "FROM vms WHERE id = ?1",
	    json_pack("[s?s?I]", vm_id, hash, (json_int_t)util_now()));
	if (rc == STORE_OK)
		rc = db_commit(db);
out:
	db_rollback(db);
	store_release(st, db);
	store_token_cache_clear();
	return rc;
}

#define USER_COLS "id, username, role, created_at"

int
store_user_add(struct store *st, const char *username, const char *role,
               const char *password_hash, json_t **out)
{
	struct db *db = store_acquire(st);
	long long id;
	int rc = db_insert(db,
	                   "INSERT INTO users (username, role, password_hash, "
	                   "created_at) VALUES (?1, ?2, ?3, ?4)",
	                   json_pack("[s?s?s?I]", username, role, password_hash,
	                             (json_int_t)util_now()),
	                   &id);

	if (out != NULL)
		*out = NULL;
	store_release(st, db);
	if (rc != STORE_OK || out == NULL)
		return rc;
	return get_row(st, "SELECT " USER_COLS " FROM users WHERE id = ?1", id,
	               out);
}

int
store_user_set_password(struct store *st, const char *username,
                        const char *password_hash)
{
	struct db *db = store_acquire(st);
	int rc;

	/* A new password ends every session of that user, in one go. */
	rc = db_begin(db);
	if (rc == STORE_OK)
		rc = db_change(db,
		               "UPDATE users SET password_hash = ?1 "
		               "WHERE username = ?2",
		               json_pack("[ss]", password_hash, username));
	if (rc == STORE_OK)
		rc = db_write(db,
		              "DELETE FROM sessions WHERE user_id = "
		              "(SELECT id FROM users WHERE username = ?1)",
		              json_pack("[s]", username));
	if (rc == STORE_OK)
		rc = db_commit(db);
	db_rollback(db);
	store_release(st, db);
	return rc;
}

int
store_user_find(struct store *st, const char *username, char **hash,
                json_t **user)
{
	struct db *db = store_acquire(st);
	int rc = db_get_row(db,
	                    "SELECT " USER_COLS ", password_hash FROM users "
	                    "WHERE username = ?1",
	                    json_pack("[s?]", username), user);

	*hash = NULL;
	if (rc == STORE_OK) {
		*hash = xstrdup(
		    json_string_value(json_object_get(*user, "password_hash")));
		json_object_del(*user, "password_hash");
	}
	store_release(st, db);
	return rc;
}

int
store_user_list(struct store *st, json_t **items)
{
	struct qb q;
	long long total;
	int rc;

	qb_init(&q);
	rc = store_list(st, USER_COLS, "users", &q, "id", 1000, 0, NULL, items,
	                &total);
	qb_free(&q);
	return rc;
}

long long
store_user_count(struct store *st)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(db, "SELECT count(*) FROM users");
	long long n = -1;

	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	db_done(stmt);
	store_release(st, db);
	return n;
}

int
store_session_create(struct store *st, const char *hash, long long user_id,
                     const char *csrf, int64_t expires_at)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt;
	int rc = STORE_ERR;

	/* Expired sessions are swept on each login: they never pile up. */
	stmt = db_prepare(db, "DELETE FROM sessions WHERE expires_at <= ?1");
	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, util_now());
		sqlite3_step(stmt);
	}
	db_done(stmt);
	stmt = db_prepare(db, "INSERT INTO sessions (hash, user_id, csrf, "
	                      "created_at, expires_at) "
	                      "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (stmt != NULL) {
		db_bind_text(stmt, 1, hash);
		sqlite3_bind_int64(stmt, 2, user_id);
		db_bind_text(stmt, 3, csrf);
		sqlite3_bind_int64(stmt, 4, util_now());
		sqlite3_bind_int64(stmt, 5, expires_at);
		rc = db_rc(db, sqlite3_step(stmt));
	}
	db_done(stmt);
	store_release(st, db);
	return rc;
}

int
store_session_delete(struct store *st, const char *hash)
{
	struct db *db = store_acquire(st);
	int rc = db_write(db, "DELETE FROM sessions WHERE hash = ?1",
	                  json_pack("[s]", hash));

	store_release(st, db);
	return rc;
}

int
store_audit_add(struct store *st, const char *actor, const char *method,
                const char *path, const char *target, int status,
                const char *address)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(
	    db, "INSERT INTO audit (at, actor, method, path, target, status, "
	        "address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int rc = STORE_ERR;

	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, util_now());
		db_bind_text(stmt, 2, actor);
		db_bind_text(stmt, 3, method);
		db_bind_text(stmt, 4, path);
		db_bind_text(stmt, 5, target);
		sqlite3_bind_int(stmt, 6, status);
		db_bind_text(stmt, 7, address);
		rc = db_rc(db, sqlite3_step(stmt));
	}
	db_done(stmt);
	store_release(st, db);
	return rc;
}
