/*
 * test_agent_config.c: the agent's command line, environment and token
 * file checks.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../agent/config.h"

static char err[512];

/* Parses a NULL-terminated list of arguments after argv[0]. */
static int
parse(struct config *cfg, const char *const *args)
{
	/* Static: cfg points into these strings for the test's life. */
	static char store[32][128];
	char *argv[32];
	int argc = 0;

	ck_assert(snprintf(store[0], sizeof(store[0]), "lab-fleet-agent") > 0);
	argv[argc] = store[argc];
	argc++;
	while (*args != NULL && argc < 31) {
		ck_assert(snprintf(store[argc], sizeof(store[argc]), "%s",
		                   *args++) >= 0);
		argv[argc] = store[argc];
		argc++;
	}
	argv[argc] = NULL;
	return config_parse(argc, argv, cfg, err, sizeof(err));
}

START_TEST(defaults_and_required)
{
	struct config cfg;
	const char *args[] = {"--server", "http://127.0.0.1:8686/", "--vm-id",
	                      "vm-1",     "--token-file",           "/etc/tok",
	                      NULL};

	ck_assert_int_eq(parse(&cfg, args), CONFIG_OK);
	ck_assert_str_eq(cfg.server, "http://127.0.0.1:8686/");
	ck_assert_str_eq(cfg.vm_id, "vm-1");
	ck_assert_str_eq(cfg.token_file, "/etc/tok");
	ck_assert_int_eq(cfg.interval_s, 30);
	ck_assert_str_eq(cfg.mount, "/");
	ck_assert_ptr_null(cfg.hooks_dir);
	ck_assert_int_eq(cfg.hook_timeout_s, 600);
	ck_assert(!cfg.once && !cfg.dry_run);
}
END_TEST

START_TEST(all_flags)
{
	struct config cfg;
	const char *args[] = {"--server=https://fleet.example/",
	                      "--vm-id",
	                      "vm_abc.1",
	                      "--token-file",
	                      "t",
	                      "--interval",
	                      "5",
	                      "--hooks",
	                      "/h",
	                      "--mount",
	                      "/srv",
	                      "--hook-timeout",
	                      "90",
	                      "--max-backoff",
	                      "7",
	                      "--timeout",
	                      "3",
	                      "--state-dir",
	                      "",
	                      "--version-file",
	                      "/v",
	                      "--once",
	                      NULL};

	ck_assert_int_eq(parse(&cfg, args), CONFIG_OK);
	ck_assert_int_eq(cfg.interval_s, 5);
	ck_assert_str_eq(cfg.hooks_dir, "/h");
	ck_assert_str_eq(cfg.mount, "/srv");
	ck_assert_int_eq(cfg.hook_timeout_s, 90);
	ck_assert_int_eq(cfg.max_backoff_s, 7);
	ck_assert_int_eq(cfg.timeout_s, 3);
	ck_assert_str_eq(cfg.state_dir, "");
	ck_assert_str_eq(cfg.version_file, "/v");
	ck_assert(cfg.once);
}
END_TEST

START_TEST(dry_run_needs_nothing)
{
	struct config cfg;
	const char *args[] = {"--dry-run", "--mount", "/tmp", NULL};

	ck_assert_int_eq(parse(&cfg, args), CONFIG_OK);
	ck_assert(cfg.dry_run);
}
END_TEST

START_TEST(bad_command_lines)
{
	struct config cfg;
	const char *missing[] = {"--server", "http://x", NULL};
	const char *interval[] = {"--dry-run", "--interval", "0", NULL};
	const char *interval2[] = {"--dry-run", "--interval", "12x", NULL};
	const char *interval3[] = {"--dry-run", "--interval",
	                           "99999999999999999999", NULL};
	const char *scheme[] = {"--server",     "ftp://x", "--vm-id", "a",
	                        "--token-file", "t",       NULL};
	const char *id[] = {"--server",     "http://x", "--vm-id", "../etc",
	                    "--token-file", "t",        NULL};
	const char *unknown[] = {"--dry-run", "--frobnicate", NULL};
	const char *stray[] = {"--dry-run", "extra", NULL};
	const char *both[] = {"--dry-run", "--once", NULL};

	ck_assert_int_eq(parse(&cfg, missing), CONFIG_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "required"));
	ck_assert_int_eq(parse(&cfg, interval), CONFIG_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--interval"));
	ck_assert_int_eq(parse(&cfg, interval2), CONFIG_USAGE);
	ck_assert_int_eq(parse(&cfg, interval3), CONFIG_USAGE);
	ck_assert_int_eq(parse(&cfg, scheme), CONFIG_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--server"));
	ck_assert_int_eq(parse(&cfg, id), CONFIG_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--vm-id"));
	ck_assert_int_eq(parse(&cfg, unknown), CONFIG_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--frobnicate"));
	ck_assert_int_eq(parse(&cfg, stray), CONFIG_USAGE);
	ck_assert_int_eq(parse(&cfg, both), CONFIG_USAGE);
}
END_TEST

START_TEST(environment_then_flags)
{
	struct config cfg;
	const char *args[] = {"--interval", "9", NULL};

	setenv("LAB_FLEET_AGENT_SERVER", "http://10.0.0.1:8686", 1);
	setenv("LAB_FLEET_AGENT_VM_ID", "vm-env", 1);
	setenv("LAB_FLEET_AGENT_TOKEN_FILE", "/run/tok", 1);
	setenv("LAB_FLEET_AGENT_INTERVAL", "60", 1);
	ck_assert_int_eq(parse(&cfg, args), CONFIG_OK);
	ck_assert_str_eq(cfg.server, "http://10.0.0.1:8686");
	ck_assert_str_eq(cfg.vm_id, "vm-env");
	ck_assert_int_eq(cfg.interval_s, 9);

	setenv("LAB_FLEET_AGENT_INTERVAL", "soon", 1);
	ck_assert_int_eq(parse(&cfg, args), CONFIG_USAGE);
}
END_TEST

START_TEST(ids)
{
	char long_id[80];

	ck_assert(config_id_ok("vm-1"));
	ck_assert(config_id_ok("A"));
	ck_assert(config_id_ok("vm_x.y-z"));
	ck_assert(!config_id_ok(""));
	ck_assert(!config_id_ok("-vm"));
	ck_assert(!config_id_ok(".vm"));
	ck_assert(!config_id_ok("vm/1"));
	ck_assert(!config_id_ok("vm 1"));
	ck_assert(!config_id_ok("vm%2f"));
	memset(long_id, 'a', 64);
	long_id[64] = '\0';
	ck_assert(config_id_ok(long_id));
	long_id[64] = 'a';
	long_id[65] = '\0';
	ck_assert(!config_id_ok(long_id));
}
END_TEST

static char tokpath[64];

static int
token_file(const char *content, mode_t mode, char *out, size_t outlen)
{
	FILE *f;
	int fd;

	ck_assert(
	    snprintf(tokpath, sizeof(tokpath), "/tmp/agent-token-XXXXXX") > 0);
	fd = mkstemp(tokpath);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tokpath, mode), 0);
	return config_read_token(tokpath, out, outlen, err, sizeof(err));
}

START_TEST(token_files)
{
	char tok[CONFIG_TOKEN_MAX + 1], big[CONFIG_TOKEN_MAX + 10];

	ck_assert_int_eq(token_file("lfa_abc123\n", 0600, tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "lfa_abc123");
	unlink(tokpath);
	ck_assert_int_eq(
	    token_file("  tok-2  \r\n# comment\n", 0640, tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "tok-2");
	unlink(tokpath);

	ck_assert_int_eq(token_file("secret\n", 0644, tok, sizeof(tok)), -1);
	ck_assert_ptr_nonnull(strstr(err, "readable by others"));
	ck_assert_ptr_nonnull(strstr(err, "0644"));
	ck_assert_str_eq(tok, "");
	unlink(tokpath);
	ck_assert_int_eq(token_file("secret\n", 0602, tok, sizeof(tok)), -1);
	unlink(tokpath);

	ck_assert_int_eq(token_file("\n\n", 0600, tok, sizeof(tok)), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	unlink(tokpath);
	ck_assert_int_eq(token_file("two words\n", 0600, tok, sizeof(tok)), -1);
	unlink(tokpath);
	ck_assert_int_eq(token_file("tok\x01x\n", 0600, tok, sizeof(tok)), -1);
	unlink(tokpath);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(token_file(big, 0600, tok, sizeof(tok)), -1);
	unlink(tokpath);

	ck_assert_int_eq(config_read_token("/nonexistent/tok", tok, sizeof(tok),
	                                   err, sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/tok"));
	ck_assert_int_eq(
	    config_read_token("/tmp", tok, sizeof(tok), err, sizeof(err)), -1);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("agent_config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, defaults_and_required);
	tcase_add_test(tc, all_flags);
	tcase_add_test(tc, dry_run_needs_nothing);
	tcase_add_test(tc, bad_command_lines);
	tcase_add_test(tc, environment_then_flags);
	tcase_add_test(tc, ids);
	tcase_add_test(tc, token_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
