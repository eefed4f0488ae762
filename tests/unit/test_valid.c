/*
 * test_valid.c: the request body checks of src/valid.c, as tables of
 * cases: ids, emails, host names, IP addresses, versions, type names,
 * URLs, and the typed getters with their ranges and error messages.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "valid.h"

struct str_case {
	const char *s;
	bool ok;
};

/* A string of n copies of c, then tail; static storage, one at a time. */
static const char *
rep(char c, size_t n, const char *tail)
{
	static char b[1024];

	ck_assert_uint_lt(n + strlen(tail), sizeof(b));
	memset(b, c, n);
	snprintf(b + n, sizeof(b) - n, "%s", tail);
	return b;
}

static void
check_table(bool (*pred)(const char *), const char *name,
            const struct str_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(pred(cases[i].s) == cases[i].ok,
		              "%s(\"%s\") should be %s", name, cases[i].s,
		              cases[i].ok ? "true" : "false");
}

#define TABLE(pred, cases)                                                     \
	check_table(pred, #pred, cases, sizeof(cases) / sizeof(cases[0]))

START_TEST(ids)
{
	static const struct str_case cases[] = {
	    {"a", true},         {"Z", true},        {"0", true},
	    {"vm-00001", true},  {"cus_1a2b", true}, {"a.b_c-d", true},
	    {"", false},         {"-a", false},      {".a", false},
	    {"_a", false},       {"a b", false},     {"a/b", false},
	    {"a\\b", false},     {"a\n", false},     {"ä", false},
	    {"a%20", false},     {"a'b", false},     {"a;b", false},
	    {"<script>", false}, {"a:b", false},
	};

	TABLE(v_is_id, cases);
	ck_assert(v_is_id(rep('x', 64, "")));
	ck_assert(!v_is_id(rep('x', 65, "")));
	ck_assert(v_is_id(rep('x', 63, "-")));
}
END_TEST

START_TEST(emails)
{
	static const struct str_case cases[] = {
	    {"a@b.co", true},
	    {"first.last+tag@sub.example.com", true},
	    {"x@a-b.io", true},
	    {"UPPER@EXAMPLE.COM", true},
	    {"o'brien@example.ie", true},
	    {"", false},
	    {"@b.co", false},
	    {"a@", false},
	    {"a@b", false},
	    {"a@localhost", false},
	    {"a@@b.co", false},
	    {"a@b@c.co", false},
	    {"a b@c.co", false},
	    {"a@b c.co", false},
	    {"a@-b.co", false},
	    {"a@b-.co", false},
	    {"a@b..co", false},
	    {"a@.b.co", false},
	    {"<a@b.co>", false},
	    {"a@b.co;", false},
	    {"a,b@c.co", false},
	    {"\"a\"@b.co", false},
	    {"é@b.co", false},
	    {"a@bé.co", false},
	    {"a\t@b.co", false},
	    {"a@b_c.co", false},
	};

	TABLE(v_is_email, cases);
	/* 254 characters at most in all. */
	ck_assert(v_is_email(rep('a', 254 - 7, "@ex.com")));
	ck_assert(!v_is_email(rep('a', 255 - 7, "@ex.com")));
}
END_TEST

START_TEST(hostnames)
{
	static const struct str_case cases[] = {
	    {"a", true},
	    {"web-01", true},
	    {"WEB-01", true},
	    {"web-01.example.com", true},
	    {"1.2.3.4", true},
	    {"0a", true},
	    {"a-b-c.d-e", true},
	    {"", false},
	    {"-a", false},
	    {"a-", false},
	    {"a..b", false},
	    {".a", false},
	    {"a.", false},
	    {"a-.b", false},
	    {"a.-b", false},
	    {"a_b", false},
	    {"a b", false},
	    {"ä.com", false},
	    {"a/b", false},
	    {"a:80", false},
	    {"<b>", false},
	    {"a\n", false},
	    {"*.example.com", false},
	};
	char name[300];
	size_t i;

	TABLE(v_is_hostname, cases);
	/* Labels up to 63 characters, names up to 253. */
	ck_assert(v_is_hostname(rep('a', 63, ".com")));
	ck_assert(!v_is_hostname(rep('a', 64, ".com")));
	/* Four labels of 62 and dots: 251 characters, then 253 and 254. */
	memset(name, 'b', 251);
	for (i = 62; i < 251; i += 63)
		name[i] = '.';
	snprintf(name + 251, sizeof(name) - 251, ".c");
	ck_assert_uint_eq(strlen(name), 253);
	ck_assert(v_is_hostname(name));
	snprintf(name + 251, sizeof(name) - 251, ".cc");
	ck_assert(!v_is_hostname(name));
}
END_TEST

START_TEST(ip_addresses)
{
	static const struct str_case cases[] = {
	    {"0.0.0.0", true},
	    {"10.0.0.1", true},
	    {"255.255.255.255", true},
	    {"::", true},
	    {"::1", true},
	    {"2001:db8::1", true},
	    {"2001:DB8:0:0:0:0:0:1", true},
	    {"fe80::1", true},
	    {"::ffff:192.0.2.1", true},
	    {"", false},
	    {"256.0.0.1", false},
	    {"1.2.3", false},
	    {"1.2.3.4.5", false},
	    {"01.2.3.4", false},
	    {"1.2.3.-4", false},
	    {"1.2.3.4 ", false},
	    {" 1.2.3.4", false},
	    {"1.2.3.4/24", false},
	    {"1.2.3.4:80", false},
	    {"0x7f.0.0.1", false},
	    {"2130706433", false},
	    {"::g", false},
	    {"1:2:3:4:5:6:7:8:9", false},
	    {"2001:db8:::1", false},
	    {"fe80::1%eth0", false},
	    {"[::1]", false},
	    {"localhost", false},
	};

	TABLE(v_is_ip, cases);
}
END_TEST

START_TEST(versions)
{
	static const struct str_case cases[] = {
	    {"1.0", true},         {"1.2.3", true},
	    {"2.5.0-rc1", true},   {"10.20.30+build.5", true},
	    {"0.1.0_beta", true},  {"", false},
	    {"1", false},          {"v1.2.3", false},
	    {".1.2", false},       {"1.2.3 ", false},
	    {"1.2;rm -rf", false}, {"1.2.3\n", false},
	    {"latest", false},     {"1.2.3/4", false},
	    {"1.2.\"3\"", false},  {"１.２", false},
	};

	TABLE(v_is_version, cases);
	ck_assert(v_is_version(rep('1', 62, ".2")));
	ck_assert(!v_is_version(rep('1', 63, ".2")));
}
END_TEST

START_TEST(type_names_and_urls)
{
	static const struct str_case types[] = {
	    {"disk_space", true}, {"a", true},   {"_", true},    {"", false},
	    {"Disk", false},      {"a1", false}, {"a-b", false}, {"a b", false},
	};
	static const struct str_case urls[] = {
	    {"http://x", true},
	    {"https://example.com/hook?a=b", true},
	    {"http://127.0.0.1:8080/x", true},
	    {"", false},
	    {"ftp://x", false},
	    {"http://", false},
	    {"http:///x", false},
	    {"https:// x", false},
	    {"javascript:alert(1)", false},
	    {"http://x/\x7f", false},
	    {"http://x/é", false},
	};

	TABLE(v_is_type_name, types);
	ck_assert(v_is_type_name(rep('z', 40, "")));
	ck_assert(!v_is_type_name(rep('z', 41, "")));
	TABLE(v_is_http_url, urls);
}
END_TEST

/* Parses a one-key object {"k": <value>}; value is JSON text. */
static json_t *
obj(const char *value)
{
	char text[512];
	json_error_t jerr;
	json_t *o;

	snprintf(text, sizeof(text), "{\"k\": %s}", value);
	o = json_loads(text, 0, &jerr);
	ck_assert_msg(o != NULL, "bad test JSON %s: %s", text, jerr.text);
	return o;
}

struct num_case {
	const char *json;
	double min;
	bool min_open;
	double max;
	bool ok;
	double want;
};

START_TEST(numbers)
{
	static const struct num_case cases[] = {
	    {"0", 0, false, 100, true, 0},
	    {"100", 0, false, 100, true, 100},
	    {"55.5", 0, false, 100, true, 55.5},
	    {"1e2", 0, false, 100, true, 100},
	    {"-0.0", 0, false, 100, true, 0},
	    {"100.0001", 0, false, 100, false, 0},
	    {"-1", 0, false, 100, false, 0},
	    {"0", 0, true, 1e300, false, 0},
	    {"1e-9", 0, true, 1e300, true, 1e-9},
	    {"1e308", 0, false, 1e300, false, 0},
	    {"-1e308", 0, false, 1e300, false, 0},
	    {"\"5\"", 0, false, 100, false, 0},
	    {"\"NaN\"", 0, false, 100, false, 0},
	    {"\"Infinity\"", 0, false, 100, false, 0},
	    {"true", 0, false, 100, false, 0},
	    {"[1]", 0, false, 100, false, 0},
	    {"{}", 0, false, 100, false, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct num_case *c = &cases[i];
		json_t *o = obj(c->json);
		struct verr e = {0};
		double out = -12345;
		bool ok = v_number(o, "k", true, c->min, c->min_open, c->max,
		                   &out, &e);

		ck_assert_msg(ok == c->ok, "v_number(%s) should be %s", c->json,
		              c->ok ? "ok" : "rejected");
		ck_assert(e.failed == !c->ok);
		if (ok)
			ck_assert_double_eq(out, c->want);
		else
			ck_assert_str_eq(e.field, "k");
		json_decref(o);
	}
}
END_TEST

START_TEST(numbers_not_finite)
{
	/*
	 * jansson refuses NaN and infinities in text and in json_real(),
	 * so nothing non-finite reaches v_number; overflowing text is a
	 * parse error, never an infinity.
	 */
	json_error_t jerr;

	ck_assert_ptr_null(json_real(0.0 / 0.0));
	ck_assert_ptr_null(json_real(1.0 / 0.0));
	ck_assert_ptr_null(json_loads("{\"k\": 1e999}", 0, &jerr));
	ck_assert_ptr_null(json_loads("{\"k\": NaN}", 0, &jerr));
	ck_assert_ptr_null(json_loads("{\"k\": -Infinity}", 0, &jerr));
}
END_TEST

struct int_case {
	const char *json;
	long long min, max;
	bool ok;
	long long want;
};

START_TEST(integers)
{
	static const struct int_case cases[] = {
	    {"1", 1, 4096, true, 1},
	    {"4096", 1, 4096, true, 4096},
	    {"2.0", 1, 4096, true, 2},
	    {"0", 1, 4096, false, 0},
	    {"4097", 1, 4096, false, 0},
	    {"-5", 1, 4096, false, 0},
	    {"1.5", 1, 4096, false, 0},
	    {"1e300", 1, 4096, false, 0},
	    {"-1e300", LLONG_MIN, LLONG_MAX, false, 0},
	    {"9223372036854775807", 0, LLONG_MAX, true, LLONG_MAX},
	    {"9223372036854775808", 0, LLONG_MAX, false, 0},
	    {"\"3\"", 1, 10, false, 0},
	    {"true", 0, 10, false, 0},
	    {"[]", 0, 10, false, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct int_case *c = &cases[i];
		json_error_t jerr;
		char text[128];
		json_t *o;
		struct verr e = {0};
		long long out = -1;
		bool ok;

		snprintf(text, sizeof(text), "{\"k\": %s}", c->json);
		o = json_loads(text, 0, &jerr);
		if (o == NULL) {
			/* Too big for jansson's integers: a parse error. */
			ck_assert_msg(!c->ok, "%s did not parse", c->json);
			continue;
		}
		ok = v_int(o, "k", true, c->min, c->max, &out, &e);
		ck_assert_msg(ok == c->ok, "v_int(%s) should be %s", c->json,
		              c->ok ? "ok" : "rejected");
		if (ok)
			ck_assert_int_eq(out, c->want);
		else
			ck_assert_str_eq(e.field, "k");
		json_decref(o);
	}
}
END_TEST

START_TEST(strings_count_characters)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:n}", "ascii", "abcd", "utf8",
	                      "日本語🙂", "num", 3, "nul");
	struct verr e = {0};
	const char *out = NULL;

	ck_assert(v_string(o, "ascii", true, 1, 4, &out, &e));
	ck_assert_str_eq(out, "abcd");
	/* Four code points in thirteen bytes. */
	ck_assert_uint_eq(v_utf8_len("日本語🙂"), 4);
	ck_assert(v_string(o, "utf8", true, 4, 4, &out, &e));
	ck_assert(!e.failed);
	ck_assert(!v_string(o, "ascii", true, 1, 3, &out, &e));
	ck_assert(e.failed);
	ck_assert_str_eq(e.field, "ascii");
	ck_assert_str_eq(e.msg, "ascii must be 1 to 3 characters long");
	json_decref(o);

	o = json_pack("{s:i, s:n}", "num", 3, "nul");
	memset(&e, 0, sizeof(e));
	ck_assert(!v_string(o, "num", true, 0, 10, &out, &e));
	ck_assert_str_eq(e.msg, "num must be a string");
	/* null is absent: fine unless required. */
	memset(&e, 0, sizeof(e));
	ck_assert(!v_string(o, "nul", false, 0, 10, &out, &e));
	ck_assert(!e.failed);
	ck_assert(!v_string(o, "nul", true, 0, 10, &out, &e));
	ck_assert_str_eq(e.msg, "nul is required");
	memset(&e, 0, sizeof(e));
	ck_assert(!v_string(o, "missing", true, 0, 10, &out, &e));
	ck_assert_str_eq(e.field, "missing");
	json_decref(o);

	/* An embedded NUL never gets through. */
	o = json_object();
	json_object_set_new(o, "k", json_stringn("a\0b", 3));
	memset(&e, 0, sizeof(e));
	ck_assert(!v_string(o, "k", true, 0, 10, &out, &e));
	ck_assert(e.failed);
	json_decref(o);
}
END_TEST

START_TEST(enums_and_bools)
{
	static const char *const tiers[] = {"starter", "pro", "enterprise",
	                                    NULL};
	json_t *o = json_pack("{s:s, s:s, s:i, s:b, s:i}", "ok", "pro", "case",
	                      "PRO", "num", 1, "yes", 1, "one", 1);
	struct verr e = {0};
	const char *out = NULL;
	bool b = false;

	ck_assert(v_enum(o, "ok", true, tiers, &out, &e));
	ck_assert_ptr_eq(out, tiers[1]);
	ck_assert(!v_enum(o, "case", true, tiers, &out, &e));
	ck_assert_str_eq(e.msg,
	                 "case must be one of: starter, pro, enterprise");
	memset(&e, 0, sizeof(e));
	ck_assert(!v_enum(o, "num", true, tiers, &out, &e));
	ck_assert_str_eq(e.field, "num");
	memset(&e, 0, sizeof(e));
	ck_assert(v_bool(o, "yes", true, &b, &e) && b);
	ck_assert(!v_bool(o, "one", true, &b, &e));
	ck_assert_str_eq(e.msg, "one must be true or false");
	json_decref(o);
}
END_TEST

START_TEST(first_error_wins)
{
	json_t *o = json_pack("{s:s, s:i}", "name", "", "fee", -1);
	struct verr e = {0};
	const char *s;
	double d;

	v_string(o, "name", true, 1, 10, &s, &e);
	v_number(o, "fee", true, 0, false, 100, &d, &e);
	verr_set(&e, "other", "later");
	ck_assert(e.failed);
	ck_assert_str_eq(e.field, "name");
	ck_assert_str_eq(e.msg, "name must be 1 to 10 characters long");
	json_decref(o);
}
END_TEST

static Suite *
valid_suite(void)
{
	Suite *s = suite_create("valid");
	TCase *tc = tcase_create("valid");

	tcase_add_test(tc, ids);
	tcase_add_test(tc, emails);
	tcase_add_test(tc, hostnames);
	tcase_add_test(tc, ip_addresses);
	tcase_add_test(tc, versions);
	tcase_add_test(tc, type_names_and_urls);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, numbers_not_finite);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, strings_count_characters);
	tcase_add_test(tc, enums_and_bools);
	tcase_add_test(tc, first_error_wins);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(valid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
