/*
 * test_agent_actions.c: the action log: de-duplication, the state file,
 * actions interrupted by a restart of the agent, report bodies.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "../../agent/actions.h"

static char dir[128], path[256];
static char err[512];

static void
setup(void)
{
	ck_assert(snprintf(dir, sizeof(dir), "/tmp/agent-actions-XXXXXX") > 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert(snprintf(path, sizeof(path), "%s/actions.json", dir) > 0);
}

static void
teardown(void)
{
	char cmd[300];

	ck_assert(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) > 0);
	ck_assert_int_eq(system(cmd), 0);
}

static int
offer(struct actions *a, const char *json)
{
	json_error_t jerr;
	json_t *e = json_loads(json, 0, &jerr);
	int rc;

	ck_assert_ptr_nonnull(e);
	rc = actions_offer(a, e);
	json_decref(e);
	return rc;
}

static void
finish(struct actions *a, struct action *act, bool ok, int code,
       const char *out)
{
	struct hook_result r = {ok, code, NULL};

	r.output = strdup(out);
	ck_assert_int_eq(actions_start(a, act), 0);
	ck_assert_int_eq(actions_finish(a, act, &r), 0);
	hooks_result_clear(&r);
}

START_TEST(offer_dedupes)
{
	struct actions a;

	ck_assert_int_eq(actions_open(&a, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(offer(&a, "{\"id\":7,\"type\":\"restart\","
	                           "\"status\":\"sent\",\"version\":null}"),
	                 1);
	ck_assert_int_eq(offer(&a, "{\"id\":7,\"type\":\"restart\"}"), 0);
	ck_assert_int_eq(offer(&a, "{\"id\":8,\"type\":\"update\","
	                           "\"version\":\"1.2.3\"}"),
	                 1);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_str_eq(a.v[1].version, "1.2.3");
	ck_assert_str_eq(a.v[0].version, "");

	/* Once run and reported it is still known: no second run. */
	finish(&a, actions_find(&a, 7), true, 0, "ok");
	ck_assert_int_eq(actions_reported(&a, actions_find(&a, 7)), 0);
	ck_assert_int_eq(offer(&a, "{\"id\":7,\"type\":\"restart\"}"), 0);
	ck_assert_ptr_eq(actions_next_queued(&a), actions_find(&a, 8));
	actions_close(&a);
}
END_TEST

START_TEST(offer_rejects_malformed)
{
	struct actions a;

	ck_assert_int_eq(actions_open(&a, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(offer(&a, "{\"type\":\"restart\"}"), -1);
	ck_assert_int_eq(offer(&a, "{\"id\":\"7\",\"type\":\"restart\"}"), -1);
	ck_assert_int_eq(offer(&a, "{\"id\":0,\"type\":\"restart\"}"), -1);
	ck_assert_int_eq(offer(&a, "{\"id\":-3,\"type\":\"restart\"}"), -1);
	ck_assert_int_eq(offer(&a, "{\"id\":3}"), -1);
	ck_assert_int_eq(offer(&a, "[1,2]"), -1);
	ck_assert_uint_eq(a.n, 0);
	/* An over-long type is kept (cut, marked) so it can be failed. */
	ck_assert_int_eq(offer(&a, "{\"id\":4,\"type\":\"aaaaaaaaaaaaaaaaaaaa"
	                           "aaaaaaaaaaaaaaaaaaaa\"}"),
	                 1);
	ck_assert_ptr_nonnull(strchr(a.v[0].type, '?'));
	actions_close(&a);
}
END_TEST

START_TEST(state_survives_reopen)
{
	struct actions a;
	struct action *act;

	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_int_eq(offer(&a, "{\"id\":1,\"type\":\"rebuild\"}"), 1);
	ck_assert_int_eq(offer(&a, "{\"id\":2,\"type\":\"restart\"}"), 1);
	ck_assert_int_eq(offer(&a, "{\"id\":3,\"type\":\"update\","
	                           "\"version\":\"2.0\"}"),
	                 1);
	finish(&a, actions_find(&a, 1), false, 3, "disk on fire \xe2\x82\xac");
	actions_close(&a);

	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(a.n, 3);
	act = actions_next_unreported(&a);
	ck_assert_ptr_nonnull(act);
	ck_assert_int_eq(act->id, 1);
	ck_assert(!act->succeeded);
	ck_assert_int_eq(act->exit_code, 3);
	ck_assert_str_eq(act->output, "disk on fire \xe2\x82\xac");
	ck_assert_int_eq(actions_next_queued(&a)->id, 2);
	ck_assert_str_eq(actions_find(&a, 3)->version, "2.0");
	ck_assert_int_eq(actions_reported(&a, act), 0);
	ck_assert_ptr_null(actions_next_unreported(&a));
	actions_close(&a);

	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), 0);
	ck_assert(actions_find(&a, 1)->reported);
	ck_assert_ptr_null(actions_find(&a, 1)->output);
	ck_assert_int_eq(offer(&a, "{\"id\":1,\"type\":\"rebuild\"}"), 0);
	actions_close(&a);
}
END_TEST

START_TEST(interrupted_actions_settle)
{
	struct actions a;
	struct action *act;

	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), 0);
	ck_assert_int_eq(offer(&a, "{\"id\":10,\"type\":\"restart\"}"), 1);
	ck_assert_int_eq(offer(&a, "{\"id\":11,\"type\":\"rebuild\"}"), 1);
	ck_assert_int_eq(actions_start(&a, actions_find(&a, 10)), 0);
	actions_close(&a);

	/* The agent died with 10 running: a restart is taken as done. */
	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), 0);
	act = actions_find(&a, 10);
	ck_assert_int_eq(act->phase, ACTION_DONE);
	ck_assert(act->succeeded);
	ck_assert_ptr_nonnull(strstr(act->output, "restarted"));
	ck_assert_int_eq(actions_find(&a, 11)->phase, ACTION_QUEUED);
	ck_assert_int_eq(actions_start(&a, actions_find(&a, 11)), 0);
	actions_close(&a);

	/* ... anything else as failed with an unknown outcome. */
	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), 0);
	act = actions_find(&a, 11);
	ck_assert_int_eq(act->phase, ACTION_DONE);
	ck_assert(!act->succeeded);
	ck_assert_ptr_nonnull(strstr(act->output, "unknown"));
	actions_close(&a);
}
END_TEST

START_TEST(corrupt_state_file)
{
	struct actions a;
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs("{\"actions\": [", f);
	fclose(f);
	ck_assert_int_eq(actions_open(&a, path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_uint_eq(a.n, 0);
	/* It still works, in memory and saving over the bad file. */
	ck_assert_int_eq(offer(&a, "{\"id\":1,\"type\":\"restart\"}"), 1);
	ck_assert_int_eq(a.save_errno, 0);
	actions_close(&a);
}
END_TEST

START_TEST(unwritable_state_dir)
{
	struct actions a;
	char bad[300];

	ck_assert(snprintf(bad, sizeof(bad), "%s/missing/actions.json", dir) >
	          0);
	ck_assert_int_eq(actions_open(&a, bad, err, sizeof(err)), 0);
	ck_assert_int_eq(offer(&a, "{\"id\":1,\"type\":\"restart\"}"), 1);
	ck_assert_int_ne(a.save_errno, 0);
	ck_assert_ptr_nonnull(actions_next_queued(&a));
	actions_close(&a);
}
END_TEST

START_TEST(pruned_past_keep)
{
	struct actions a;
	char buf[64];
	long long i;

	ck_assert_int_eq(actions_open(&a, NULL, err, sizeof(err)), 0);
	for (i = 1; i <= ACTIONS_KEEP + 20; i++) {
		ck_assert(snprintf(buf, sizeof(buf),
		                   "{\"id\":%lld,\"type\":\"restart\"}",
		                   i) > 0);
		ck_assert_int_eq(offer(&a, buf), 1);
		finish(&a, actions_find(&a, i), true, 0, "");
		ck_assert_int_eq(actions_reported(&a, actions_find(&a, i)), 0);
	}
	ck_assert_uint_eq(a.n, ACTIONS_KEEP);
	ck_assert_ptr_null(actions_find(&a, 20));
	ck_assert_ptr_nonnull(actions_find(&a, 21));
	actions_close(&a);
}
END_TEST

START_TEST(report_body)
{
	struct actions a;
	json_t *body;

	ck_assert_int_eq(actions_open(&a, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(offer(&a, "{\"id\":5,\"type\":\"rebuild\"}"), 1);
	finish(&a, actions_find(&a, 5), false, 3, "boom\n");
	body = actions_report_json(actions_find(&a, 5));
	ck_assert_str_eq(json_string_value(json_object_get(body, "status")),
	                 "failed");
	ck_assert_str_eq(json_string_value(json_object_get(body, "output")),
	                 "boom\n");
	ck_assert_int_eq(json_integer_value(json_object_get(body, "exit_code")),
	                 3);
	json_decref(body);
	actions_close(&a);
}
END_TEST

static Suite *
actions_suite(void)
{
	Suite *s = suite_create("agent_actions");
	TCase *tc = tcase_create("actions");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, offer_dedupes);
	tcase_add_test(tc, offer_rejects_malformed);
	tcase_add_test(tc, state_survives_reopen);
	tcase_add_test(tc, interrupted_actions_settle);
	tcase_add_test(tc, corrupt_state_file);
	tcase_add_test(tc, unwritable_state_dir);
	tcase_add_test(tc, pruned_past_keep);
	tcase_add_test(tc, report_body);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(actions_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
