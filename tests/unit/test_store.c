/*
 * Unit tests of the store core on a temporary file: migrations, row
 * conversion, lists, tokens and sessions, the heartbeat group commit.
 */

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "hb_writer.h"
#include "log.h"
#include "schema.h"
#include "store.h"
#include "store_auth.h"
#include "store_live.h"

static char dir[64];
static char path[128];
static struct store *st;

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lab-fleet-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fleet.db", dir);
	log_set_quiet(1);
	ck_assert_int_eq(store_open(path, 4, &st), STORE_OK);
}

static void
teardown(void)
{
	char cmd[200];

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
exec_sql(const char *sql)
{
	struct db *db = store_acquire(st);

	ck_assert_int_eq(db_exec(db, sql), STORE_OK);
	store_release(st, db);
}

START_TEST(migrations_apply_once)
{
	struct store *again;

	ck_assert_int_eq(store_schema_version(st), schema_latest());
	/* Reopening applies nothing and keeps the data. */
	exec_sql("INSERT INTO customers (id, name, email, tier, created_at) "
	         "VALUES ('c1', 'A', 'a@x.test', 'pro', 0)");
	ck_assert_int_eq(store_open(path, 1, &again), STORE_OK);
	ck_assert_int_eq(store_schema_version(again), schema_latest());
	store_close(again);
	ck_assert(store_ping(st));
}
END_TEST

START_TEST(row_json_converts_times_and_bools)
{
	struct qb q;
	json_t *items, *row;
	long long total;

	exec_sql("INSERT INTO customers (id, name, email, tier, created_at) "
	         "VALUES ('c1', 'A', 'a@x.test', 'pro', 0)");
	exec_sql(
	    "INSERT INTO alerts (customer_id, type, severity, message, "
	    "created_at, resolved) VALUES ('c1', 't', 'info', 'm', 60, 1)");
	qb_init(&q);
	qb_add(&q, "customer_id = ?", 1, json_string("c1"));
	ck_assert_int_eq(store_list(st, "id, created_at, resolved, message",
	                            "alerts", &q, "id", 10, 0, NULL, &items,
	                            &total),
	                 STORE_OK);
	qb_free(&q);
	ck_assert_int_eq(total, 1);
	row = json_array_get(items, 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "created_at")),
	                 "1970-01-01T00:01:00Z");
	ck_assert(json_is_true(json_object_get(row, "resolved")));
	ck_assert_str_eq(json_string_value(json_object_get(row, "message")),
	                 "m");
	json_decref(items);
}
END_TEST

START_TEST(list_paginates_and_counts)
{
	struct qb q;
	json_t *items;
	long long total;
	char sql[200];
	int i;

	for (i = 0; i < 25; i++) {
		snprintf(sql, sizeof(sql),
		         "INSERT INTO audit (at, actor, method, path, status) "
		         "VALUES (%d, 'a', 'POST', '/p', 200)",
		         i);
		exec_sql(sql);
	}
	qb_init(&q);
	ck_assert_int_eq(store_list(st, "id, at", "audit", &q, "id DESC", 10,
	                            20, NULL, &items, &total),
	                 STORE_OK);
	qb_free(&q);
	ck_assert_int_eq(total, 25);
	ck_assert_uint_eq(json_array_size(items), 5);
	json_decref(items);
}
END_TEST

START_TEST(unique_and_foreign_keys_map_to_store_codes)
{
	struct db *db = store_acquire(st);

	ck_assert_int_eq(db_exec(db, "INSERT INTO customers (id, name, email, "
	                             "tier, created_at) VALUES ('c1', 'A', "
	                             "'a@x.test', 'pro', 0)"),
	                 STORE_OK);
	/* Email is unique regardless of case. */
	ck_assert_int_eq(db_exec(db, "INSERT INTO customers (id, name, email, "
	                             "tier, created_at) VALUES ('c2', 'B', "
	                             "'A@X.TEST', 'pro', 0)"),
	                 STORE_CONFLICT);
	ck_assert_int_eq(db_exec(db, "INSERT INTO vms (id, hostname, "
	                             "ip_address, customer_id, tier, "
	                             "created_at, cpu_cores, memory_gb, "
	                             "disk_gb) VALUES ('v', 'h', '1.1.1.1', "
	                             "'nobody', 'pro', 0, 1, 1, 1)"),
	                 STORE_INVALID);
	store_release(st, db);
}
END_TEST

START_TEST(tokens_and_sessions)
{
	char token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_LEN];
	struct principal who;
	json_t *row;
	long long id;

	auth_token_new(token);
	ck_assert_uint_eq(strlen(token), AUTH_TOKEN_LEN);
	auth_token_hash(token, hash);
	ck_assert_int_eq(
	    store_token_create(st, "ci", "operator", NULL, hash, &row),
	    STORE_OK);
	id = json_integer_value(json_object_get(row, "id"));
	json_decref(row);
	memset(&who, 0, sizeof(who));
	ck_assert_int_eq(store_token_lookup(st, hash, &who), STORE_OK);
	ck_assert_int_eq(who.role, ROLE_OPERATOR);
	ck_assert_str_eq(who.name, "token:ci");
	ck_assert_int_eq(store_token_delete(st, id), STORE_OK);
	ck_assert_int_eq(store_token_lookup(st, hash, &who), STORE_NOTFOUND);
	ck_assert_int_eq(store_token_delete(st, id), STORE_NOTFOUND);

	ck_assert_int_eq(store_user_add(st, "ann", "viewer", "x", NULL),
	                 STORE_OK);
	ck_assert_int_eq(store_user_add(st, "ann", "viewer", "x", NULL),
	                 STORE_CONFLICT);
	ck_assert_int_eq(store_session_create(st, "s1", 1, "csrf", 1000),
	                 STORE_OK);
	memset(&who, 0, sizeof(who));
	ck_assert_int_eq(store_session_lookup(st, "s1", 999, &who), STORE_OK);
	ck_assert(who.via_cookie);
	ck_assert_str_eq(who.csrf, "csrf");
	/* Expired: not found. */
	ck_assert_int_eq(store_session_lookup(st, "s1", 1000, &who),
	                 STORE_NOTFOUND);
}
END_TEST

START_TEST(password_hash_is_argon2id)
{
	char hash[256];

	ck_assert_int_eq(auth_password_hash("hunter22", hash, sizeof(hash)), 0);
	ck_assert(strncmp(hash, "$argon2id$", 10) == 0);
	ck_assert(auth_password_ok(hash, "hunter22"));
	ck_assert(!auth_password_ok(hash, "hunter23"));
}
END_TEST

struct hb_arg {
	struct hb_writer *w;
	const char *vm;
	int n;
	int ok;
};

static void *
hb_thread(void *p)
{
	struct hb_arg *a = p;
	struct heartbeat hb = {0};
	char status[16];
	json_t *actions;
	int i;

	hb.vm_id = a->vm;
	hb.cpu = 10;
	hb.mem = 20;
	hb.disk = 30;
	hb.disk_used = 5;
	for (i = 0; i < a->n; i++) {
		if (hb_writer_submit(a->w, &hb, status, sizeof(status),
		                     &actions) == STORE_OK) {
			a->ok++;
			json_decref(actions);
		}
	}
	return NULL;
}

START_TEST(group_commit_stores_every_heartbeat)
{
	struct hb_writer *w;
	struct hb_arg args[4];
	pthread_t th[4];
	struct heartbeat hb = {0};
	char status[16];
	json_t *actions;
	struct db *db;
	sqlite3_stmt *s;
	int i;

	exec_sql("INSERT INTO customers (id, name, email, tier, created_at) "
	         "VALUES ('c1', 'A', 'a@x.test', 'pro', 0)");
	exec_sql("INSERT INTO vms (id, hostname, ip_address, customer_id, "
	         "tier, created_at, cpu_cores, memory_gb, disk_gb) VALUES "
	         "('v1', 'h', '10.0.0.1', 'c1', 'pro', 0, 1, 1, 1)");
	exec_sql("INSERT INTO actions (vm_id, type, created_at, updated_at) "
	         "VALUES ('v1', 'restart', 0, 0)");
	w = hb_writer_start(path);
	ck_assert_ptr_nonnull(w);
	for (i = 0; i < 4; i++) {
		args[i] = (struct hb_arg){w, "v1", 50, 0};
		pthread_create(&th[i], NULL, hb_thread, &args[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(args[i].ok, 50);
	}
	hb.vm_id = "missing";
	ck_assert_int_eq(
	    hb_writer_submit(w, &hb, status, sizeof(status), &actions),
	    STORE_NOTFOUND);
	hb_writer_stop(w);

	db = store_acquire(st);
	s = db_prepare(db, "SELECT count(*) FROM metrics WHERE vm_id = 'v1'");
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 200);
	db_done(s);
	s = db_prepare(db, "SELECT status FROM actions");
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "sent");
	db_done(s);
	/* The VM's live figures are its newest point (store_live.h). */
	s = db_prepare(db,
	               "SELECT v.status, " VM_LIVE(
	                   "cpu", "m_cpu") " FROM vms v" VM_JOIN_NEWEST_POINT
	                                   " WHERE v.id = 'v1'");
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "online");
	ck_assert(sqlite3_column_double(s, 1) == 10.0);
	db_done(s);
	store_release(st, db);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, migrations_apply_once);
	tcase_add_test(tc, row_json_converts_times_and_bools);
	tcase_add_test(tc, list_paginates_and_counts);
	tcase_add_test(tc, unique_and_foreign_keys_map_to_store_codes);
	tcase_add_test(tc, tokens_and_sessions);
	tcase_add_test(tc, password_hash_is_argon2id);
	tcase_add_test(tc, group_commit_stores_every_heartbeat);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
