/*
 * test_agent_figures.c: the heartbeat body and the version file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "../../agent/figures.h"

static char vpath[64];

static int
version_from(const char *content, char *out, size_t outlen)
{
	FILE *f;
	int fd, rc;

	ck_assert(snprintf(vpath, sizeof(vpath), "/tmp/agent-ver-XXXXXX") > 0);
	fd = mkstemp(vpath);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	rc = figures_read_version(vpath, out, outlen);
	unlink(vpath);
	return rc;
}

START_TEST(version_file)
{
	char v[FIGURES_VERSION_MAX + 1];

	ck_assert_int_eq(version_from("1.2.3\n", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "1.2.3");
	ck_assert_int_eq(
	    version_from("\n  2.0.0-rc1+b7 \r\nnext\n", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "2.0.0-rc1+b7");
	ck_assert_int_eq(version_from("1.0_beta-2", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "1.0_beta-2");

	ck_assert_int_eq(version_from("", v, sizeof(v)), -1);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(version_from("1.2 3\n", v, sizeof(v)), -1);
	ck_assert_int_eq(version_from("-rf\n", v, sizeof(v)), -1);
	ck_assert_int_eq(version_from("1.2;reboot\n", v, sizeof(v)), -1);
	ck_assert_int_eq(version_from("1.2.3\n", v, 4), -1);
	ck_assert_int_eq(figures_read_version("/no/such/file", v, sizeof(v)),
	                 -1);
	ck_assert(!figures_version_ok(""));
	ck_assert(!figures_version_ok("v1.0"));
	ck_assert(!figures_version_ok("12"));
	ck_assert(!figures_version_ok("1.0~beta"));
	ck_assert(figures_version_ok("10.04"));
}
END_TEST

START_TEST(collect_from_fixture_proc)
{
	struct figures_src src;
	struct figures f;
	char err[256];
	const char *dir = getenv("AGENT_PROC_FIXTURES");
	char pdir[512], stat_before[600];

	if (dir == NULL)
		dir = "tests/unit/fixtures/proc";
	ck_assert(snprintf(pdir, sizeof(pdir), "%s/machine", dir) > 0);
	ck_assert(snprintf(stat_before, sizeof(stat_before),
	                   "%s/stat.iowait-before", dir) > 0);
	figures_src_init(&src, pdir, "/", "/no/such/version");
	ck_assert_int_eq(procfs_cpu_read(stat_before, &src.prev), 0);
	src.have_prev = true;

	ck_assert_int_eq(figures_collect(&src, &f, err, sizeof(err)), 0);
	ck_assert_double_eq_tol(f.cpu_percent, 20.0, 1e-9);
	ck_assert_double_eq_tol(f.memory_percent,
	                        100.0 * (16316412 - 12237309) / 16316412, 1e-9);
	ck_assert(f.have_load && f.have_uptime);
	ck_assert_double_eq_tol(f.load1, 0.42, 1e-9);
	ck_assert(f.disk_percent >= 0 && f.disk_percent <= 100);
	ck_assert_str_eq(f.version, "");

	/* No /proc at all: a clear error naming the file. */
	figures_src_init(&src, "/no/proc", "/", NULL);
	ck_assert_int_eq(figures_collect(&src, &f, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/no/proc/stat"));
	/* A mount that does not exist. */
	figures_src_init(&src, "/proc", "/no/such/mount", NULL);
	ck_assert_int_eq(figures_collect(&src, &f, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/no/such/mount"));
}
END_TEST

START_TEST(body)
{
	struct figures f;
	json_t *o;

	memset(&f, 0, sizeof(f));
	f.cpu_percent = 12.3456;
	f.memory_percent = 50;
	f.disk_percent = 99.999;
	f.disk_used_gb = 16.631;
	o = figures_json(&f);
	ck_assert_double_eq_tol(
	    json_real_value(json_object_get(o, "cpu_percent")), 12.35, 1e-9);
	ck_assert_double_eq_tol(
	    json_real_value(json_object_get(o, "disk_percent")), 100.0, 1e-9);
	ck_assert_ptr_null(json_object_get(o, "version"));
	ck_assert_ptr_null(json_object_get(o, "load1"));
	ck_assert_ptr_nonnull(json_object_get(o, "agent_version"));
	json_decref(o);

	f.have_load = f.have_uptime = true;
	f.load1 = 1.5;
	f.uptime_s = 99.9;
	memcpy(f.version, "1.2.3", 6);
	o = figures_json(&f);
	ck_assert_str_eq(json_string_value(json_object_get(o, "version")),
	                 "1.2.3");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "uptime_s")),
	                 99);
	ck_assert_double_eq_tol(json_real_value(json_object_get(o, "load1")),
	                        1.5, 1e-9);
	json_decref(o);
}
END_TEST

START_TEST(live_machine)
{
	struct figures_src src;
	struct figures f;
	char err[256];

	figures_src_init(&src, "/proc", "/", NULL);
	ck_assert_int_eq(figures_collect(&src, &f, err, sizeof(err)), 0);
	ck_assert(f.cpu_percent >= 0 && f.cpu_percent <= 100);
	ck_assert(f.memory_percent > 0 && f.memory_percent <= 100);
	ck_assert(f.disk_used_gb > 0);
	ck_assert(f.uptime_s > 0);
}
END_TEST

static Suite *
figures_suite(void)
{
	Suite *s = suite_create("agent_figures");
	TCase *tc = tcase_create("figures");

	tcase_add_test(tc, version_file);
	tcase_add_test(tc, collect_from_fixture_proc);
	tcase_add_test(tc, body);
	tcase_add_test(tc, live_machine);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(figures_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
