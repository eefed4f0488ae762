#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "schema.h"
#include "util.h"

#define STMT_CACHE 128

struct stmt_slot {
	char *sql;
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *h;
	struct stmt_slot cache[STMT_CACHE];
	struct db *next_free;
	/* Set by db_defer_checkpoints: who checkpoints for this connection. */
	void (*wal_kick)(void *);
	void *wal_kick_arg;
	bool telemetry; /* see db_set_telemetry */
};

struct store {
	char *path;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct db **all;
	int nall;
	struct db *free_list;
};

static const char *const bool_columns[] = {"resolved", "enabled", NULL};

/* Pages in the WAL past which a commit checkpoints (SQLite's default). */
#define WAL_AUTOCHECKPOINT 1000
/*
 * On a connection whose checkpoints are deferred to another thread, the
 * WAL size past which its commits checkpoint anyway: the other thread
 * has fallen far behind, and an unbounded WAL makes every commit slower.
 */
#define WAL_DEFERRED_LIMIT 16000

/*
 * Commits made by this process, counted by on_wal_commit: telemetry
 * commits in the high 32 bits, the others in the low 32, so that one
 * atomic read gives both as of the same instant. (A carry out of the low
 * half, after 2^32 commits, costs the cache one miss.)
 */
static atomic_ullong generation;
#define TELEMETRY_COMMIT (1ULL << 32)

/*
 * Runs after every commit of every connection (WAL mode), once the commit
 * is in the WAL: counts it for store_generation(), then does what SQLite's
 * own auto-checkpoint hook would have done, which this hook replaces, or
 * tells the connection's checkpointer to.
 */
static int
on_wal_commit(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct db *db = arg;

	atomic_fetch_add(&generation, db->telemetry ? TELEMETRY_COMMIT : 1);
	if (pages < WAL_AUTOCHECKPOINT)
		return SQLITE_OK;
	if (db->wal_kick != NULL && pages < WAL_DEFERRED_LIMIT)
		db->wal_kick(db->wal_kick_arg);
	else
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE,
		                          NULL, NULL);
	return SQLITE_OK;
}

void
db_defer_checkpoints(struct db *db, void (*kick)(void *), void *arg)
{
	db->wal_kick = kick;
	db->wal_kick_arg = arg;
}

struct store_generation
store_generation(void)
{
	unsigned long long g = atomic_load(&generation);

	return (struct store_generation){.other =
	                                     (unsigned long)(g & 0xffffffffULL),
	                                 .telemetry = (unsigned long)(g >> 32)};
}

void
db_set_telemetry(struct db *db, bool telemetry)
{
	db->telemetry = telemetry;
}

bool
store_library_init(void)
{
	/*
	 * SQLite's memory statistics, on by default, take a global mutex
	 * around every allocation, from every connection: in the heartbeat
	 * writer, a tenth of its time went to malloc. Nothing here reads them.
	 */
	return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK &&
	       sqlite3_initialize() == SQLITE_OK;
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

struct db *
db_open(const char *path)
{
	struct db *db = xcalloc(1, sizeof(*db));
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		log_error("cannot open database: %s", sqlite3_errmsg(db->h));
		sqlite3_close(db->h);
		free(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db->h, 1);
	/*
	 * A writer waits up to 5 s for another; past that the request gets a
	 * 503 rather than a hang. WAL lets readers go on during writes.
	 */
	sqlite3_busy_timeout(db->h, 5000);
	if (db_exec(db, "PRAGMA journal_mode=WAL") != STORE_OK ||
	    db_exec(db, "PRAGMA synchronous=FULL") != STORE_OK ||
	    db_exec(db, "PRAGMA journal_size_limit=67108864") != STORE_OK ||
	    db_exec(db, "PRAGMA foreign_keys=ON") != STORE_OK) {
		db_close(db);
		return NULL;
	}
	sqlite3_wal_hook(db->h, on_wal_commit, db);
	return db;
}

void
db_close(struct db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(db->cache[i].stmt);
		free(db->cache[i].sql);
	}
	sqlite3_close(db->h);
	free(db);
}

int
store_open(const char *path, int pool_size, struct store **out)
{
	struct store *st = xcalloc(1, sizeof(*st));
	struct db *db;
	int i;

	*out = NULL;
	st->path = xstrdup(path);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->freed, NULL);
	db = db_open(path);
	if (db == NULL || schema_migrate(db) != STORE_OK) {
		db_close(db);
		store_close(st);
		return STORE_ERR;
	}
	st->all = xcalloc((size_t)pool_size, sizeof(*st->all));
	st->all[st->nall++] = db;
	for (i = 1; i < pool_size; i++) {
		db = db_open(path);
		if (db == NULL) {
			store_close(st);
			return STORE_ERR;
		}
		st->all[st->nall++] = db;
	}
	for (i = 0; i < st->nall; i++) {
		st->all[i]->next_free = st->free_list;
		st->free_list = st->all[i];
	}
	*out = st;
	return STORE_OK;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nall; i++)
		db_close(st->all[i]);
	free(st->all);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->freed);
	free(st->path);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

struct db *
store_acquire(struct store *st)
{
	struct db *db;

	pthread_mutex_lock(&st->lock);
	while (st->free_list == NULL)
		pthread_cond_wait(&st->freed, &st->lock);
	db = st->free_list;
	st->free_list = db->next_free;
	pthread_mutex_unlock(&st->lock);
	return db;
}

void
store_release(struct store *st, struct db *db)
{
	if (!sqlite3_get_autocommit(db->h)) {
		/* A transaction left open by an error path ends here. */
		db_rollback(db);
	}
	pthread_mutex_lock(&st->lock);
	db->next_free = st->free_list;
	st->free_list = db;
	pthread_cond_signal(&st->freed);
	pthread_mutex_unlock(&st->lock);
}

int
store_schema_version(struct store *st)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(db, "PRAGMA user_version");
	int v = -1;

	if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	db_done(stmt);
	store_release(st, db);
	return v;
}

bool
store_ping(struct store *st)
{
	struct db *db = store_acquire(st);
	sqlite3_stmt *stmt = db_prepare(db, "SELECT count(*) FROM customers");
	bool ok = stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW;

	db_done(stmt);
	store_release(st, db);
	return ok;
}

static unsigned
sql_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	unsigned h = sql_hash(sql) % STMT_CACHE;
	struct stmt_slot *slot = &db->cache[h];
	sqlite3_stmt *stmt = NULL;

	if (slot->sql != NULL && strcmp(slot->sql, sql) == 0)
		return slot->stmt;
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
	                       NULL) != SQLITE_OK) {
		log_error("prepare failed: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	/* A collision evicts the older statement: the cache stays small. */
	sqlite3_finalize(slot->stmt);
	free(slot->sql);
	slot->sql = xstrdup(sql);
	slot->stmt = stmt;
	return stmt;
}

void
db_done(sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

int
db_rc(struct db *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return STORE_INVALID;
		return STORE_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
		log_warn("database unavailable: %s", sqlite3_errmsg(db->h));
		return STORE_BUSY;
	default:
		log_error("database error: %s", sqlite3_errmsg(db->h));
		return STORE_ERR;
	}
}

int
db_exec(struct db *db, const char *sql)
{
	return db_rc(db, sqlite3_exec(db->h, sql, NULL, NULL, NULL));
}

/*
 * Runs a statement without parameters or rows through the statement
 * cache: BEGIN and COMMIT run thousands of times a second in the
 * heartbeat writer, and sqlite3_exec would compile them every time.
 */
static int
exec_cached(struct db *db, const char *sql)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int step;

	if (stmt == NULL)
		return STORE_ERR;
	step = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return db_rc(db, step);
}

int
db_begin(struct db *db)
{
	return exec_cached(db, "BEGIN IMMEDIATE");
}

int
db_commit(struct db *db)
{
	int rc = exec_cached(db, "COMMIT");

	if (rc != STORE_OK)
		db_rollback(db);
	return rc;
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

void
db_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

const char *
db_col_text(sqlite3_stmt *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

int
db_step_done(struct db *db, sqlite3_stmt *stmt)
{
	int rc = db_rc(db, sqlite3_step(stmt));

	db_done(stmt);
	return rc;
}

int
db_query_int(struct db *db, const char *sql, long long a, long long b,
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
db_get_row(struct db *db, const char *sql, json_t *args, json_t **out)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int rc = STORE_ERR, step;

	if (out != NULL)
		*out = NULL;
	if (stmt == NULL)
		goto out;
	db_bind_args(stmt, args);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		if (out != NULL)
			*out = db_row_json(stmt);
		rc = STORE_OK;
	} else {
		rc = step == SQLITE_DONE ? STORE_NOTFOUND : db_rc(db, step);
	}
	db_done(stmt);
out:
	json_decref(args);
	return rc;
}

int
db_write(struct db *db, const char *sql, json_t *args)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	int rc = STORE_ERR;

	if (stmt != NULL) {
		db_bind_args(stmt, args);
		rc = db_rc(db, sqlite3_step(stmt));
		db_done(stmt);
	}
	json_decref(args);
	return rc;
}

int
db_change(struct db *db, const char *sql, json_t *args)
{
	int rc = db_write(db, sql, args);

	/* Both counters belong to the connection: a reset keeps them. */
	if (rc == STORE_OK && sqlite3_changes(db_handle(db)) == 0)
		rc = STORE_NOTFOUND;
	return rc;
}

int
db_insert(struct db *db, const char *sql, json_t *args, long long *id)
{
	int rc = db_write(db, sql, args);

	*id = rc == STORE_OK ? sqlite3_last_insert_rowid(db_handle(db)) : 0;
	return rc;
}

const char *
db_conflict_field(struct db *db, const char *unique)
{
	if (sqlite3_extended_errcode(db_handle(db)) ==
	    SQLITE_CONSTRAINT_PRIMARYKEY)
		return "id";
	return unique;
}

int
db_update_fields(struct db *db, const char *table, const char *const *cols,
                 const char *id, json_t *set)
{
	sqlite3_stmt *stmt;
	struct buf sql;
	int rc = STORE_OK, i, n = 0;

	buf_init(&sql, 0);
	buf_printf(&sql, "UPDATE %s SET ", table);
	for (i = 0; cols[i] != NULL; i++) {
		if (json_object_get(set, cols[i]) == NULL)
			continue;
		buf_printf(&sql, "%s%s = ?%d", n ? ", " : "", cols[i], i + 2);
		n++;
	}
	buf_puts(&sql, " WHERE id = ?1");
	if (n == 0)
		goto out;
	stmt = db_prepare(db, sql.data);
	rc = STORE_ERR;
	if (stmt == NULL)
		goto out;
	db_bind_text(stmt, 1, id);
	for (i = 0; cols[i] != NULL; i++) {
		json_t *v = json_object_get(set, cols[i]);

		if (v != NULL)
			db_bind_json(stmt, i + 2, v);
	}
	rc = db_rc(db, sqlite3_step(stmt));
	db_done(stmt);
out:
	buf_free(&sql);
	return rc;
}

void
db_bind_args(sqlite3_stmt *stmt, json_t *args)
{
	size_t i;

	for (i = 0; i < json_array_size(args); i++)
		db_bind_json(stmt, (int)i + 1, json_array_get(args, i));
}

void
db_bind_json(sqlite3_stmt *stmt, int i, json_t *v)
{
	if (v == NULL) {
		sqlite3_bind_null(stmt, i);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		sqlite3_bind_text(stmt, i, json_string_value(v),
		                  (int)json_string_length(v), SQLITE_TRANSIENT);
		break;
	case JSON_INTEGER:
		sqlite3_bind_int64(stmt, i, json_integer_value(v));
		break;
	case JSON_REAL:
		sqlite3_bind_double(stmt, i, json_real_value(v));
		break;
	case JSON_TRUE:
		sqlite3_bind_int(stmt, i, 1);
		break;
	case JSON_FALSE:
		sqlite3_bind_int(stmt, i, 0);
		break;
	default:
		sqlite3_bind_null(stmt, i);
	}
}

static bool
is_time_column(const char *name)
{
	size_t n = strlen(name);

	return (n > 3 && strcmp(name + n - 3, "_at") == 0) ||
	       strcmp(name, "timestamp") == 0 ||
	       strcmp(name, "last_heartbeat") == 0 || strcmp(name, "at") == 0;
}

static bool
is_bool_column(const char *name)
{
	int i;

	for (i = 0; bool_columns[i] != NULL; i++)
		if (strcmp(name, bool_columns[i]) == 0)
			return true;
	return false;
}

json_t *
db_row_json(sqlite3_stmt *stmt)
{
	json_t *o = json_object();
	char ts[UTIL_TIME_LEN];
	int i, n = sqlite3_column_count(stmt);

	for (i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(stmt, i);
		json_t *v;

		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_INTEGER: {
			sqlite3_int64 x = sqlite3_column_int64(stmt, i);

			if (is_time_column(name))
				v = json_string(util_time_format(x, ts));
			else if (is_bool_column(name))
				v = json_boolean(x);
			else
				v = json_integer(x);
			break;
		}
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(stmt, i));
			break;
		case SQLITE_TEXT:
			v = json_stringn(
			    (const char *)sqlite3_column_text(stmt, i),
			    (size_t)sqlite3_column_bytes(stmt, i));
			break;
		default:
			v = json_null();
		}
		json_object_set_new(o, name, v ? v : json_null());
	}
	return o;
}

void
qb_init(struct qb *q)
{
	buf_init(&q->where, 0);
	buf_puts(&q->where, "1");
	q->args = json_array();
}

void
qb_free(struct qb *q)
{
	buf_free(&q->where);
	json_decref(q->args);
}

void
qb_add(struct qb *q, const char *clause, int nvals, ...)
{
	va_list ap;
	int i;

	buf_printf(&q->where, " AND (%s)", clause);
	va_start(ap, nvals);
	for (i = 0; i < nvals; i++)
		json_array_append_new(q->args, va_arg(ap, json_t *));
	va_end(ap);
}

int
store_list(struct store *st, const char *cols, const char *from, struct qb *q,
           const char *order, long long limit, long long offset,
           void (*fix)(json_t *row), json_t **items, long long *total)
{
	struct db *db = store_acquire(st);
	struct buf sql;
	sqlite3_stmt *stmt;
	int n = (int)json_array_size(q->args);
	int rc = STORE_ERR, step;

	*items = json_array();
	*total = 0;
	buf_init(&sql, 0);
	buf_printf(&sql, "SELECT count(*) FROM %s WHERE %s", from,
	           q->where.data);
	stmt = db_prepare(db, sql.data);
	if (stmt == NULL)
		goto out;
	db_bind_args(stmt, q->args);
	step = sqlite3_step(stmt);
	if (step != SQLITE_ROW) {
		rc = db_rc(db, step);
		db_done(stmt);
		goto out;
	}
	*total = sqlite3_column_int64(stmt, 0);
	db_done(stmt);

	buf_reset(&sql);
	buf_printf(&sql,
	           "SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT ?%d "
	           "OFFSET ?%d",
	           cols, from, q->where.data, order, n + 1, n + 2);
	stmt = db_prepare(db, sql.data);
	if (stmt == NULL)
		goto out;
	db_bind_args(stmt, q->args);
	sqlite3_bind_int64(stmt, n + 1, limit);
	sqlite3_bind_int64(stmt, n + 2, offset);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		json_t *row = db_row_json(stmt);

		if (fix != NULL)
			fix(row);
		json_array_append_new(*items, row);
	}
	rc = db_rc(db, step);
	db_done(stmt);
out:
	buf_free(&sql);
	store_release(st, db);
	return rc;
}
