/* Unit tests of the small pieces: buf, util, ratelimit, router, config. */

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "config.h"
#include "ratelimit.h"
#include "router.h"
#include "util.h"

START_TEST(buf_grows_and_caps)
{
	struct buf b;
	int i;

	buf_init(&b, 10);
	ck_assert(buf_puts(&b, "0123456789"));
	ck_assert(!buf_puts(&b, "x"));
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.data, "0123456789");
	buf_free(&b);

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		ck_assert(buf_printf(&b, "%d,", i));
	ck_assert_uint_eq(b.len, strlen(b.data));
	ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_free(&b);
}
END_TEST

START_TEST(buf_json_string_escapes)
{
	struct buf b;

	buf_init(&b, 0);
	buf_json_string(&b, "a\"b\\c\n\x01<>");
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001<>\"");
	buf_free(&b);
}
END_TEST

START_TEST(buf_json_string_keeps_utf8_and_replaces_the_rest)
{
	struct buf b;

	buf_init(&b, 0);
	buf_json_string(&b, "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x9a\x80");
	ck_assert_str_eq(b.data,
	                 "\"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x9a\x80\"");
	buf_reset(&b);
	/* A lone continuation byte, a truncated sequence, an overlong '/', a
	 * surrogate and a byte that never starts anything. */
	buf_json_string(&b, "a\x80"
	                    "b\xe2\x98"
	                    "c\xc0\xaf"
	                    "d\xed\xa0\x80"
	                    "e\xff");
	ck_assert_str_eq(b.data, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffdd"
	                         "\\ufffd\\ufffd\\ufffde\\ufffd\"");
	buf_free(&b);
}
END_TEST

START_TEST(parse_int_ranges)
{
	long long v;

	ck_assert(util_parse_int("42", 0, 100, &v));
	ck_assert_int_eq(v, 42);
	ck_assert(!util_parse_int("101", 0, 100, &v));
	ck_assert(!util_parse_int("-1", 0, 100, &v));
	ck_assert(!util_parse_int("4x", 0, 100, &v));
	ck_assert(!util_parse_int("", 0, 100, &v));
	ck_assert(!util_parse_int(" 4", 0, 100, &v));
	ck_assert(!util_parse_int("99999999999999999999", 0, 1LL << 62, &v));
	ck_assert(!util_parse_int(NULL, 0, 1, &v));
}
END_TEST

START_TEST(time_format_rfc3339)
{
	char out[UTIL_TIME_LEN];

	ck_assert_str_eq(util_time_format(0, out), "1970-01-01T00:00:00Z");
	ck_assert_str_eq(util_time_format(1795842124, out),
	                 "2026-11-28T05:02:04Z");
}
END_TEST

START_TEST(const_eq)
{
	ck_assert(util_const_eq("abc", "abc"));
	ck_assert(!util_const_eq("abc", "abd"));
	ck_assert(!util_const_eq("abc", "abcd"));
}
END_TEST

START_TEST(ratelimit_blocks_after_max_and_clears)
{
	struct ratelimit *rl = ratelimit_new(3, 60);
	int retry;

	ck_assert(ratelimit_allowed(rl, "1.2.3.4", &retry));
	ratelimit_fail(rl, "1.2.3.4");
	ratelimit_fail(rl, "1.2.3.4");
	ck_assert(ratelimit_allowed(rl, "1.2.3.4", &retry));
	ratelimit_fail(rl, "1.2.3.4");
	ck_assert(!ratelimit_allowed(rl, "1.2.3.4", &retry));
	ck_assert_int_gt(retry, 0);
	ck_assert_int_le(retry, 61);
	ck_assert(ratelimit_allowed(rl, "5.6.7.8", &retry));
	ratelimit_clear(rl, "1.2.3.4");
	ck_assert(ratelimit_allowed(rl, "1.2.3.4", &retry));
	ratelimit_free(rl);
}
END_TEST

static struct request *
new_request(const char *method, const char *path)
{
	struct request *r = calloc(1, sizeof(*r));

	r->method = method;
	r->path = path;
	return r;
}

START_TEST(router_matches_params_and_methods)
{
	struct request *r;

	router_init();
	r = new_request("PUT", "/api/vms/vm-1/heartbeat");
	ck_assert_int_eq(router_match(r), 0);
	ck_assert_str_eq(r->route->pattern, "/api/vms/:id/heartbeat");
	ck_assert_int_eq(r->nparams, 1);
	ck_assert_str_eq(r->params[0], "vm-1");
	free(r);

	r = new_request("DELETE", "/api/health");
	ck_assert_int_eq(router_match(r), 405);
	ck_assert_str_eq(r->allow, "GET");
	free(r);

	r = new_request("GET", "/api/nothing");
	ck_assert_int_eq(router_match(r), 404);
	free(r);

	r = new_request("GET", "/api/health/extra");
	ck_assert_int_eq(router_match(r), 404);
	free(r);

	/* HEAD is served by GET routes. */
	r = new_request("HEAD", "/api/health");
	ck_assert_int_eq(router_match(r), 0);
	free(r);
}
END_TEST

START_TEST(config_precedence_and_errors)
{
	struct config cfg;
	char err[256];
	char *ok[] = {"--port", "9000", "--offline-after=30", "--dev"};
	char *bad_range[] = {"--port", "0"};
	char *bad_flag[] = {"--nope"};
	char *missing[] = {"--db"};
	char *bad_disk[] = {"--disk-warning", "95", "--disk-high", "90"};

	setenv("LAB_FLEET_RULE_INTERVAL", "2", 1);
	ck_assert_int_eq(config_load(&cfg, 4, ok, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.port, 9000);
	ck_assert_int_eq(cfg.offline_after, 30);
	ck_assert_int_eq(cfg.rule_interval, 2);
	ck_assert(cfg.dev);
	config_free(&cfg);
	unsetenv("LAB_FLEET_RULE_INTERVAL");

	ck_assert_int_eq(config_load(&cfg, 2, bad_range, err, sizeof(err)), -1);
	ck_assert(strstr(err, "port") != NULL);
	config_free(&cfg);
	ck_assert_int_eq(config_load(&cfg, 1, bad_flag, err, sizeof(err)), -1);
	config_free(&cfg);
	ck_assert_int_eq(config_load(&cfg, 1, missing, err, sizeof(err)), -1);
	config_free(&cfg);
	ck_assert_int_eq(config_load(&cfg, 4, bad_disk, err, sizeof(err)), -1);
	config_free(&cfg);
}
END_TEST

static Suite *
core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, buf_grows_and_caps);
	tcase_add_test(tc, buf_json_string_escapes);
	tcase_add_test(tc, buf_json_string_keeps_utf8_and_replaces_the_rest);
	tcase_add_test(tc, parse_int_ranges);
	tcase_add_test(tc, time_format_rfc3339);
	tcase_add_test(tc, const_eq);
	tcase_add_test(tc, ratelimit_blocks_after_max_and_clears);
	tcase_add_test(tc, router_matches_params_and_methods);
	tcase_add_test(tc, config_precedence_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
