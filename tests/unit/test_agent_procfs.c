/*
 * test_agent_procfs.c: the agent's /proc parsers on fixture files.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../../agent/procfs.h"

static char fixture_path[4096];

/* Fixtures live beside this file: tests/unit/fixtures/proc/NAME. */
static const char *
fx(const char *name)
{
	const char *dir = getenv("AGENT_PROC_FIXTURES");
	int n;

	if (dir == NULL)
		dir = "tests/unit/fixtures/proc";
	n = snprintf(fixture_path, sizeof(fixture_path), "%s/%s", dir, name);
	ck_assert(n > 0 && (size_t)n < sizeof(fixture_path));
	return fixture_path;
}

static double
cpu_between(const char *before, const char *after)
{
	struct cpu_sample a, b;
	double pct = -1;

	ck_assert_int_eq(procfs_cpu_read(fx(before), &a), 0);
	ck_assert_int_eq(procfs_cpu_read(fx(after), &b), 0);
	ck_assert_int_eq(procfs_cpu_percent(&a, &b, &pct), 0);
	return pct;
}

START_TEST(cpu_normal)
{
	struct cpu_sample s;

	ck_assert_int_eq(procfs_cpu_read(fx("stat.normal"), &s), 0);
	ck_assert_int_eq(s.nfields, 10);
	ck_assert_uint_eq(s.v[PROCFS_CPU_USER], 4705);
	ck_assert_uint_eq(s.v[PROCFS_CPU_IDLE], 3699176);
	ck_assert_uint_eq(s.v[PROCFS_CPU_IOWAIT], 23060);
	ck_assert_uint_eq(s.v[PROCFS_CPU_SOFTIRQ], 277);
}
END_TEST

START_TEST(cpu_old_kernel_four_fields)
{
	struct cpu_sample s;

	ck_assert_int_eq(procfs_cpu_read(fx("stat.old-kernel"), &s), 0);
	ck_assert_int_eq(s.nfields, 4);
	ck_assert_uint_eq(s.v[PROCFS_CPU_IDLE], 8680);
	ck_assert_uint_eq(s.v[PROCFS_CPU_IOWAIT], 0);
	ck_assert_uint_eq(s.v[PROCFS_CPU_STEAL], 0);
}
END_TEST

START_TEST(cpu_rejects_bad_files)
{
	struct cpu_sample s;

	ck_assert_int_eq(procfs_cpu_read(fx("stat.no-cpu"), &s), -1);
	ck_assert_int_eq(procfs_cpu_read(fx("stat.short"), &s), -1);
	ck_assert_int_eq(procfs_cpu_read(fx("stat.garbage"), &s), -1);
	ck_assert_int_eq(procfs_cpu_read(fx("stat.overflow"), &s), -1);
	ck_assert_int_eq(procfs_cpu_read(fx("does-not-exist"), &s), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(procfs_cpu_parse("", &s), -1);
	ck_assert_int_eq(procfs_cpu_parse("cpu", &s), -1);
	ck_assert_int_eq(procfs_cpu_parse("cpu  -1 2 3 4\n", &s), -1);
	/* "cpu0" is a per-CPU line, not the total. */
	ck_assert_int_eq(procfs_cpu_parse("cpu0 1 2 3 4\n", &s), -1);
}
END_TEST

START_TEST(cpu_huge_counters)
{
	struct cpu_sample s;

	ck_assert_int_eq(procfs_cpu_read(fx("stat.huge"), &s), 0);
	ck_assert_uint_eq(s.v[PROCFS_CPU_SYSTEM], UINT64_MAX);
	ck_assert_uint_eq(s.v[PROCFS_CPU_USER], UINT64_MAX - 5);
}
END_TEST

START_TEST(cpu_extra_fields_ignored)
{
	struct cpu_sample s;

	ck_assert_int_eq(procfs_cpu_read(fx("stat.future"), &s), 0);
	ck_assert_int_eq(s.nfields, 10);
	ck_assert_uint_eq(s.v[PROCFS_CPU_IDLE], 800);
}
END_TEST

START_TEST(cpu_percent_simple)
{
	struct cpu_sample a, b;
	double pct;

	ck_assert_int_eq(procfs_cpu_parse("cpu  100 0 100 800 0\n", &a), 0);
	ck_assert_int_eq(procfs_cpu_parse("cpu  150 0 150 900\n", &b), 0);
	ck_assert_int_eq(procfs_cpu_percent(&a, &b, &pct), 0);
	ck_assert_double_eq_tol(pct, 50.0, 1e-9);
}
END_TEST

START_TEST(cpu_percent_wraps_at_2_64)
{
	/* user +10, system +10, idle +100: 20 busy of 120. */
	ck_assert_double_eq_tol(cpu_between("stat.huge", "stat.huge-after"),
	                        100.0 * 20 / 120, 1e-9);
}
END_TEST

START_TEST(cpu_percent_wraps_at_2_32)
{
	/* user +500, system +100, idle +400: 600 busy of 1000. */
	ck_assert_double_eq_tol(
	    cpu_between("stat.wrap32-before", "stat.wrap32-after"), 60.0, 1e-9);
}
END_TEST

START_TEST(cpu_percent_iowait_backwards)
{
	/* iowait fell by 10: counts as 0, not as a wrap of 2^64 - 10. */
	ck_assert_double_eq_tol(
	    cpu_between("stat.iowait-before", "stat.iowait-after"), 20.0, 1e-9);
}
END_TEST

START_TEST(cpu_percent_guest_not_counted_twice)
{
	ck_assert_double_eq_tol(
	    cpu_between("stat.guest-before", "stat.guest-after"), 50.0, 1e-9);
}
END_TEST

START_TEST(cpu_percent_no_time)
{
	struct cpu_sample a;
	double pct = 7;

	ck_assert_int_eq(procfs_cpu_read(fx("stat.normal"), &a), 0);
	ck_assert_int_eq(procfs_cpu_percent(&a, &a, &pct), -1);
	ck_assert_double_eq(pct, 0);
}
END_TEST

START_TEST(cpu_percent_bounded)
{
	struct cpu_sample a, b;
	double pct;

	/* Everything went backwards but user: all busy, never above 100. */
	ck_assert_int_eq(procfs_cpu_parse("cpu  0 9 9 900 9\n", &a), 0);
	ck_assert_int_eq(procfs_cpu_parse("cpu  50 0 0 100 0\n", &b), 0);
	ck_assert_int_eq(procfs_cpu_percent(&a, &b, &pct), 0);
	ck_assert_double_eq_tol(pct, 100.0, 1e-9);
}
END_TEST

START_TEST(mem_normal)
{
	struct mem_info m;

	ck_assert_int_eq(procfs_mem_read(fx("meminfo.normal"), &m), 0);
	ck_assert_uint_eq(m.total_kb, 16316412);
	ck_assert_uint_eq(m.available_kb, 12237309);
	ck_assert(!m.estimated);
	ck_assert_double_eq_tol(procfs_mem_percent(&m),
	                        100.0 * (16316412 - 12237309) / 16316412, 1e-9);
}
END_TEST

START_TEST(mem_old_kernel_estimates)
{
	struct mem_info m;

	/* Free + Buffers + Cached + SReclaimable; SwapCached is not Cached. */
	ck_assert_int_eq(procfs_mem_read(fx("meminfo.old-kernel"), &m), 0);
	ck_assert(m.estimated);
	ck_assert_uint_eq(m.available_kb, 500000);
	ck_assert_double_eq_tol(procfs_mem_percent(&m), 50.0, 1e-9);
}
END_TEST

START_TEST(mem_missing_total)
{
	struct mem_info m;

	ck_assert_int_eq(procfs_mem_read(fx("meminfo.no-total"), &m), -1);
	ck_assert_int_eq(procfs_mem_parse("MemTotal: 0 kB\n", &m), -1);
	ck_assert_int_eq(procfs_mem_parse("MemTotal: lots\n", &m), -1);
	/* No MemAvailable and nothing to estimate it from. */
	ck_assert_int_eq(procfs_mem_parse("MemTotal: 100 kB\n", &m), -1);
}
END_TEST

START_TEST(mem_huge)
{
	struct mem_info m;
	double pct;

	ck_assert_int_eq(procfs_mem_read(fx("meminfo.huge"), &m), 0);
	ck_assert_uint_eq(m.total_kb, UINT64_MAX);
	pct = procfs_mem_percent(&m);
	ck_assert_double_eq_tol(pct, 50.0, 1e-6);
}
END_TEST

START_TEST(mem_available_above_total)
{
	struct mem_info m;

	ck_assert_int_eq(
	    procfs_mem_read(fx("meminfo.available-above-total"), &m), 0);
	ck_assert_double_eq(procfs_mem_percent(&m), 0);
}
END_TEST

START_TEST(load_and_uptime)
{
	double v;

	ck_assert_int_eq(procfs_first_number_read(fx("loadavg"), &v), 0);
	ck_assert_double_eq_tol(v, 0.42, 1e-9);
	ck_assert_int_eq(procfs_first_number_read(fx("uptime"), &v), 0);
	ck_assert_double_eq_tol(v, 350735.47, 1e-6);
	ck_assert_int_eq(procfs_first_number_read(fx("loadavg.nan"), &v), -1);
	ck_assert_int_eq(procfs_first_number_read(fx("uptime.empty"), &v), -1);
	ck_assert_int_eq(procfs_first_number("-1 2", &v), -1);
	ck_assert_int_eq(procfs_first_number("inf", &v), -1);
	ck_assert_int_eq(procfs_first_number("1e999 2", &v), -1);
	ck_assert_int_eq(procfs_first_number("12abc", &v), -1);
}
END_TEST

START_TEST(disk_compute)
{
	struct disk_usage d;

	/* 1000 blocks of 4 KiB, 400 free, 350 of those for users. */
	ck_assert_int_eq(procfs_disk_compute(1000, 400, 350, 4096, &d), 0);
	ck_assert_double_eq_tol(d.percent, 100.0 * 600 / 950, 1e-9);
	ck_assert_double_eq_tol(d.used_gb, 600.0 * 4096 / (1 << 30), 1e-12);

	ck_assert_int_eq(procfs_disk_compute(1000, 0, 0, 4096, &d), 0);
	ck_assert_double_eq_tol(d.percent, 100.0, 1e-9);

	/* Inconsistent or empty counts. */
	ck_assert_int_eq(procfs_disk_compute(0, 0, 0, 4096, &d), -1);
	ck_assert_int_eq(procfs_disk_compute(10, 20, 0, 4096, &d), -1);
	ck_assert_int_eq(procfs_disk_compute(10, 5, 5, 0, &d), -1);

	/* bavail above bfree is clamped. */
	ck_assert_int_eq(procfs_disk_compute(100, 50, 80, 512, &d), 0);
	ck_assert_double_eq_tol(d.percent, 50.0, 1e-9);

	/* Counts whose byte totals pass 2^64. */
	ck_assert_int_eq(procfs_disk_compute(UINT64_MAX, 0, 0, 1 << 20, &d), 0);
	ck_assert(isfinite(d.used_gb) && d.used_gb > 1e12);
}
END_TEST

START_TEST(disk_read_root)
{
	struct disk_usage d;

	ck_assert_int_eq(procfs_disk_read("/", &d), 0);
	ck_assert(d.percent >= 0 && d.percent <= 100);
	ck_assert(d.total_gb > 0);
	ck_assert_int_eq(procfs_disk_read("/no/such/mount", &d), -1);
}
END_TEST

START_TEST(read_file_limits)
{
	char *text = NULL;

	ck_assert_int_eq(procfs_read_file(fx("stat.normal"), &text), 0);
	ck_assert_ptr_nonnull(text);
	ck_assert(strncmp(text, "cpu  4705", 9) == 0);
	free(text);
	ck_assert_int_eq(procfs_read_file(fx("uptime.empty"), &text), 0);
	ck_assert_str_eq(text, "");
	free(text);
	ck_assert_int_eq(procfs_read_file(fx("nope"), &text), -1);
	ck_assert_ptr_null(text);
}
END_TEST

START_TEST(live_proc)
{
	struct cpu_sample s;
	struct mem_info m;

	ck_assert_int_eq(procfs_cpu_read("/proc/stat", &s), 0);
	ck_assert_int_ge(s.nfields, 4);
	ck_assert_int_eq(procfs_mem_read("/proc/meminfo", &m), 0);
	ck_assert(procfs_mem_percent(&m) >= 0 && procfs_mem_percent(&m) <= 100);
}
END_TEST

static Suite *
procfs_suite(void)
{
	Suite *s = suite_create("agent_procfs");
	TCase *tc = tcase_create("parsers");

	tcase_add_test(tc, cpu_normal);
	tcase_add_test(tc, cpu_old_kernel_four_fields);
	tcase_add_test(tc, cpu_rejects_bad_files);
	tcase_add_test(tc, cpu_huge_counters);
	tcase_add_test(tc, cpu_extra_fields_ignored);
	tcase_add_test(tc, cpu_percent_simple);
	tcase_add_test(tc, cpu_percent_wraps_at_2_64);
	tcase_add_test(tc, cpu_percent_wraps_at_2_32);
	tcase_add_test(tc, cpu_percent_iowait_backwards);
	tcase_add_test(tc, cpu_percent_guest_not_counted_twice);
	tcase_add_test(tc, cpu_percent_no_time);
	tcase_add_test(tc, cpu_percent_bounded);
	tcase_add_test(tc, mem_normal);
	tcase_add_test(tc, mem_old_kernel_estimates);
	tcase_add_test(tc, mem_missing_total);
	tcase_add_test(tc, mem_huge);
	tcase_add_test(tc, mem_available_above_total);
	tcase_add_test(tc, load_and_uptime);
	tcase_add_test(tc, disk_compute);
	tcase_add_test(tc, disk_read_root);
	tcase_add_test(tc, read_file_limits);
	tcase_add_test(tc, live_proc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(procfs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
