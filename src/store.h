#ifndef LAB_STORE_H
#define LAB_STORE_H

/*
 * The database: a pool of SQLite connections to one file in WAL mode with
 * synchronous=FULL and foreign keys on, numbered migrations, cached
 * prepared statements, and helpers that the store_*.c modules share.
 * Nothing here knows about HTTP. Rows come out as jansson objects (new
 * references) shaped as the API shows them.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "buf.h"

enum {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_CONFLICT, /* a UNIQUE or RESTRICT constraint */
	STORE_INVALID,  /* a reference to a row that does not exist */
	STORE_BUSY,     /* locked past the timeout, disk full, read-only */
	STORE_ERR,
};

struct store;
struct db;

/*
 * Opens (creating if needed) the database at path with pool_size
 * connections and applies the migrations. Returns STORE_OK or STORE_ERR
 * with a message logged.
 */
int store_open(const char *path, int pool_size, struct store **out);
void store_close(struct store *st);
const char *store_path(const struct store *st);
/* Schema version after migrations (PRAGMA user_version). */
int store_schema_version(struct store *st);
/* True when a trivial read works: /api/health. */
bool store_ping(struct store *st);

/*
 * Counts of the commits this process has made, read together: a cache of
 * derived figures is valid while they stay equal. Telemetry commits are
 * those the heartbeat writer marks with db_set_telemetry (metric points
 * only, no VM's status or version changed); other, all the rest. Other
 * processes' commits (the CLI) are not counted.
 */
struct store_generation {
	unsigned long other, telemetry;
};
struct store_generation store_generation(void);
/* Counts db's next commits as telemetry, or not, in store_generation(). */
void db_set_telemetry(struct db *db, bool telemetry);

/* Borrows a connection from the pool, waiting for a free one. */
struct db *store_acquire(struct store *st);
void store_release(struct store *st, struct db *db);
/* Opens a connection outside the pool (writer threads). */
/*
 * Sets SQLite up for this process; call once, before anything else uses
 * SQLite. Returns false when SQLite refuses.
 */
bool store_library_init(void);
struct db *db_open(const char *path);
/*
 * Commits on db that fill the WAL past SQLite's auto-checkpoint mark call
 * kick(arg) instead of checkpointing themselves; whoever kick wakes does
 * it (see hb_writer.c). Past a hard limit they checkpoint anyway.
 */
void db_defer_checkpoints(struct db *db, void (*kick)(void *), void *arg);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);

/*
 * A prepared statement for sql, from this connection's cache. Returns
 * NULL (logged) if sql does not compile. Call db_done() when finished.
 */
sqlite3_stmt *db_prepare(struct db *db, const char *sql);
void db_done(sqlite3_stmt *stmt);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return STORE_*. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
/* Runs sql with no result rows. Returns STORE_*. */
int db_exec(struct db *db, const char *sql);
/* Maps an SQLite result code to STORE_*, logging unexpected ones. */
int db_rc(struct db *db, int rc);

/* Binds a JSON scalar (string, number, bool, null; NULL too) to index i. */
void db_bind_json(sqlite3_stmt *stmt, int i, json_t *v);
void db_bind_text(sqlite3_stmt *stmt, int i, const char *s);
/* Binds the values of the array args (borrowed) to ?1, ?2, .... */
void db_bind_args(sqlite3_stmt *stmt, json_t *args);

/*
 * Small helpers shared by the store modules of the background work
 * (store_rules.c, store_rollout.c, store_channels.c, store_retention.c).
 */
/* Column i of the current row as text: borrowed until the next step. */
const char *db_col_text(sqlite3_stmt *stmt, int i);
/* Steps stmt to its end, then db_done(stmt). Returns STORE_*. */
int db_step_done(struct db *db, sqlite3_stmt *stmt);
/*
 * Reads one integer from sql with a and b bound to ?1 and ?2 into *out
 * (0 on failure). Returns STORE_OK, STORE_NOTFOUND when sql gives no
 * row, or another STORE_*.
 */
int db_query_int(struct db *db, const char *sql, long long a, long long b,
                 long long *out);
/*
 * Reads the first row of sql, with the values of the array args (stolen,
 * NULL for none) bound to ?1, ?2, ..., into *out through db_row_json (a
 * new reference, NULL on failure; out may be NULL to test for a row).
 * Returns STORE_OK, STORE_NOTFOUND when sql gives no row, or another
 * STORE_*.
 */
int db_get_row(struct db *db, const char *sql, json_t *args, json_t **out);
/*
 * UPDATE table SET col = value for each column of cols (NULL-terminated)
 * that the object set has, cols[i] bound to ?(i + 2), WHERE id = ?1.
 * Does nothing when set has none of them. Returns STORE_*; after a
 * failure the connection's error is still the UPDATE's.
 */
/*
 * Runs the write sql with the values of the array args (stolen, NULL for
 * none) bound to ?1, ?2, .... Returns STORE_*.
 */
int db_write(struct db *db, const char *sql, json_t *args);
/* db_write, but STORE_NOTFOUND when sql changed no row. */
int db_change(struct db *db, const char *sql, json_t *args);
/*
 * Runs the INSERT sql with the values of the array args (stolen) bound
 * to ?1, ?2, ...; *id is the new row's rowid (0 on failure). Returns
 * STORE_*.
 */
int db_insert(struct db *db, const char *sql, json_t *args, long long *id);
/*
 * Which field a write that gave STORE_CONFLICT ran into: "id" for the
 * primary key, else unique (the table's other UNIQUE column).
 */
const char *db_conflict_field(struct db *db, const char *unique);
int db_update_fields(struct db *db, const char *table, const char *const *cols,
                     const char *id, json_t *set);

/*
 * The current row as an object: INTEGER columns named *_at, timestamp or
 * last_heartbeat become RFC 3339 strings, columns named resolved or
 * enabled become booleans. Returns a new reference.
 */
json_t *db_row_json(sqlite3_stmt *stmt);

/* A WHERE clause built from whitelisted conditions and their values. */
struct qb {
	struct buf where;
	json_t *args; /* array of values, bound in order */
};
void qb_init(struct qb *q);
void qb_free(struct qb *q);
/* Adds "AND clause"; clause has one '?' per value; values are stolen. */
void qb_add(struct qb *q, const char *clause, int nvals, ...);

/*
 * SELECT cols FROM from WHERE (q) ORDER BY order LIMIT OFFSET, plus the
 * total count. *items is a new array; rows go through db_row_json and
 * then through fix (may be NULL) to reshape them.
 */
int store_list(struct store *st, const char *cols, const char *from,
               struct qb *q, const char *order, long long limit,
               long long offset, void (*fix)(json_t *row), json_t **items,
               long long *total);

#endif
