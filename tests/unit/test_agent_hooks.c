/*
 * test_agent_hooks.c: running action hooks: exit status, output tail,
 * timeouts that kill the whole process group, hooks that are missing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../../agent/hooks.h"

static char dir[256];

static void
write_hook(const char *name, mode_t mode, const char *body)
{
	char path[512];
	FILE *f;

	ck_assert(snprintf(path, sizeof(path), "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
setup(void)
{
	ck_assert(snprintf(dir, sizeof(dir), "/tmp/agent-hooks-XXXXXX") > 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[512];

	ck_assert(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) > 0);
	ck_assert_int_eq(system(cmd), 0);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* True when pid is gone or a zombie nobody reaped yet. */
static bool
pid_dead(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	ck_assert(snprintf(path, sizeof(path), "/proc/%ld/stat", pid) > 0);
	f = fopen(path, "r");
	if (f == NULL)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

static long
read_pid(const char *name)
{
	char path[512];
	long pid = -1;
	FILE *f;

	ck_assert(snprintf(path, sizeof(path), "%s/%s", dir, name) > 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	return pid;
}

START_TEST(success_with_args_and_env)
{
	struct hook_result r;
	const char *args[] = {"1.2.3", NULL};
	const char *env[] = {"LAB_FLEET_VERSION=1.2.3", "HOME=/nowhere", NULL};

	write_hook("update", 0755,
	           "echo \"updating to $1 ($LAB_FLEET_VERSION) home=$HOME\"\n"
	           "echo 'to stderr' >&2\nexit 0");
	hooks_run(dir, "update", args, env, 10, &r);
	ck_assert(r.succeeded);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_str_eq(
	    r.output, "updating to 1.2.3 (1.2.3) home=/nowhere\nto stderr\n");
	hooks_result_clear(&r);
	ck_assert_ptr_null(r.output);
}
END_TEST

START_TEST(relative_hooks_dir)
{
	struct hook_result r;
	char cwd[4096];

	write_hook("restart", 0755, "echo \"in $(pwd)\"");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir("/tmp"), 0);
	hooks_run(dir + strlen("/tmp/"), "restart", NULL, NULL, 10, &r);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert(r.succeeded);
	ck_assert_ptr_nonnull(strstr(r.output, dir));
	hooks_result_clear(&r);
}
END_TEST

START_TEST(failure_keeps_status_and_output)
{
	struct hook_result r;

	write_hook("rebuild", 0700,
	           "echo 'rebuild broke: disk on fire'\n"
	           "exit 3");
	hooks_run(dir, "rebuild", NULL, NULL, 10, &r);
	ck_assert(!r.succeeded);
	ck_assert_int_eq(r.exit_code, 3);
	ck_assert_str_eq(r.output, "rebuild broke: disk on fire\n");
	hooks_result_clear(&r);
}
END_TEST

START_TEST(missing_hook)
{
	struct hook_result r;

	hooks_run(dir, "restart", NULL, NULL, 10, &r);
	ck_assert(!r.succeeded);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(r.output, "no restart hook"));
	ck_assert_ptr_nonnull(strstr(r.output, dir));
	hooks_result_clear(&r);

	hooks_run("/no/such/dir", "restart", NULL, NULL, 10, &r);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(r.output, "/no/such/dir"));
	hooks_result_clear(&r);

	hooks_run(NULL, "restart", NULL, NULL, 10, &r);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(r.output, "no hooks directory"));
	hooks_result_clear(&r);
}
END_TEST

START_TEST(unusable_hooks)
{
	struct hook_result r;

	write_hook("restart", 0644, "exit 0");
	hooks_run(dir, "restart", NULL, NULL, 10, &r);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_NOEXEC);
	ck_assert_ptr_nonnull(strstr(r.output, "not executable"));
	hooks_result_clear(&r);

	write_hook("rebuild", 0777, "exit 0");
	hooks_run(dir, "rebuild", NULL, NULL, 10, &r);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_NOEXEC);
	ck_assert_ptr_nonnull(strstr(r.output, "writable by others"));
	hooks_result_clear(&r);
}
END_TEST

START_TEST(timeout_kills_the_group)
{
	struct hook_result r;
	struct timespec t0;
	long child;

	write_hook("restart", 0755,
	           "sleep 60 >/dev/null 2>&1 &\necho $! > child.pid\n"
	           "echo started\nsleep 60");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hooks_run(dir, "restart", NULL, NULL, 1, &r);
	ck_assert(seconds_since(&t0) < 1 + HOOKS_KILL_GRACE_MS / 1000.0);
	ck_assert(!r.succeeded);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(r.output, "started\n"));
	ck_assert_ptr_nonnull(strstr(r.output, "timed out after 1 s"));
	/* The group was sent SIGKILL; give the kernel a moment to act. */
	child = read_pid("child.pid");
	for (int i = 0; i < 100 && !pid_dead(child); i++)
		usleep(20000);
	ck_assert(pid_dead(child));
	hooks_result_clear(&r);
}
END_TEST

START_TEST(timeout_escalates_to_sigkill)
{
	struct hook_result r;
	struct timespec t0;

	write_hook("restart", 0755,
	           "trap '' TERM\necho stubborn\nwhile :; do sleep 1; done");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hooks_run(dir, "restart", NULL, NULL, 1, &r);
	ck_assert(seconds_since(&t0) < 1 + HOOKS_KILL_GRACE_MS / 1000.0 + 3);
	ck_assert_int_eq(r.exit_code, HOOKS_EXIT_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(r.output, "stubborn"));
	hooks_result_clear(&r);
}
END_TEST

START_TEST(killed_by_signal)
{
	struct hook_result r;

	write_hook("restart", 0755, "echo bye\nkill -9 $$");
	hooks_run(dir, "restart", NULL, NULL, 10, &r);
	ck_assert(!r.succeeded);
	ck_assert_int_eq(r.exit_code, 128 + SIGKILL);
	ck_assert_ptr_nonnull(strstr(r.output, "killed by signal 9"));
	hooks_result_clear(&r);
}
END_TEST

START_TEST(output_tail_only)
{
	struct hook_result r;
	size_t len;

	write_hook("rebuild", 0755, "seq 1 50000\nexit 1");
	hooks_run(dir, "rebuild", NULL, NULL, 10, &r);
	ck_assert_int_eq(r.exit_code, 1);
	len = strlen(r.output);
	ck_assert_uint_le(len, HOOKS_TAIL_MAX);
	ck_assert_uint_gt(len, HOOKS_TAIL_MAX / 2);
	ck_assert(strncmp(r.output, "[...]\n", 6) == 0);
	ck_assert_str_eq(r.output + len - 12, "49999\n50000\n");
	hooks_result_clear(&r);
}
END_TEST

START_TEST(stdin_is_empty)
{
	struct hook_result r;

	write_hook("restart", 0755, "cat\necho done");
	hooks_run(dir, "restart", NULL, NULL, 5, &r);
	ck_assert(r.succeeded);
	ck_assert_str_eq(r.output, "done\n");
	hooks_result_clear(&r);
}
END_TEST

START_TEST(background_child_does_not_hang)
{
	struct hook_result r;
	struct timespec t0;
	long child;

	write_hook("restart", 0755,
	           "sleep 30 &\necho $! > child.pid\necho detached");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	hooks_run(dir, "restart", NULL, NULL, 20, &r);
	ck_assert(seconds_since(&t0) < HOOKS_DRAIN_MS / 1000.0 + 2);
	ck_assert(r.succeeded);
	ck_assert_ptr_nonnull(strstr(r.output, "detached"));
	child = read_pid("child.pid");
	kill((pid_t)child, SIGKILL);
	hooks_result_clear(&r);
}
END_TEST

START_TEST(utf8_clean)
{
	char *s;

	s = hooks_utf8_clean("plain\n", 6);
	ck_assert_str_eq(s, "plain\n");
	free(s);
	/* é, €, 😀 are kept whole. */
	s = hooks_utf8_clean("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	ck_assert_str_eq(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	free(s);
	/* A tail cut inside a character drops the leftover bytes. */
	s = hooks_utf8_clean("\x82\xac ok", 5);
	ck_assert_str_eq(s, " ok");
	free(s);
	/* Invalid bytes, overlongs, surrogates, NUL and a cut end become ?. */
	s = hooks_utf8_clean("a\xff"
	                     "b\xc0\xaf"
	                     "c\xed\xa0\x80"
	                     "d\0e\xe2\x82",
	                     14);
	ck_assert_str_eq(s, "a?b??c???d?e??");
	free(s);
}
END_TEST

static Suite *
hooks_suite(void)
{
	Suite *s = suite_create("agent_hooks");
	TCase *tc = tcase_create("hooks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, success_with_args_and_env);
	tcase_add_test(tc, relative_hooks_dir);
	tcase_add_test(tc, failure_keeps_status_and_output);
	tcase_add_test(tc, missing_hook);
	tcase_add_test(tc, unusable_hooks);
	tcase_add_test(tc, timeout_kills_the_group);
	tcase_add_test(tc, timeout_escalates_to_sigkill);
	tcase_add_test(tc, killed_by_signal);
	tcase_add_test(tc, output_tail_only);
	tcase_add_test(tc, stdin_is_empty);
	tcase_add_test(tc, background_child_does_not_hang);
	tcase_add_test(tc, utf8_clean);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hooks_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
