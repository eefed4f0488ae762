/*
 * lab-fleet: the fleet manager's server and its admin commands.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "hb_writer.h"
#include "http.h"
#include "log.h"
#include "ratelimit.h"
#include "router.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "store_auth.h"
#include "util.h"
#include "version.h"

static void
usage(void)
{
	fputs("usage: lab-fleet serve [flags]            run the server "
	      "(--help for flags)\n"
	      "       lab-fleet token create|list|revoke  API tokens\n"
	      "       lab-fleet user add|passwd           dashboard users\n"
	      "       lab-fleet channel add|list|remove   alert webhooks\n"
	      "       lab-fleet backup --db PATH OUT      online backup\n"
	      "       lab-fleet migrate --db PATH         apply migrations\n"
	      "       lab-fleet version\n",
	      stderr);
}

/* Creates the directory that will hold the database file, if missing. */
static void
make_db_dir(const char *db)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", db);
	mkdir(dirname(tmp), 0750);
}

/*
 * On a database without users, creates "admin" with the password from
 * LAB_FLEET_ADMIN_PASSWORD or a random one, written (0600) beside the
 * database and printed once to the log.
 */
static int
bootstrap_admin(struct store *st, const char *db)
{
	const char *given = getenv("LAB_FLEET_ADMIN_PASSWORD");
	char password[64], hash[256], path[PATH_MAX], tmp[PATH_MAX];
	int fd, rc;

	if (store_user_count(st) != 0)
		return 0;
	if (given != NULL && strlen(given) >= 8)
		snprintf(password, sizeof(password), "%s", given);
	else
		util_random_hex(password, 12);
	if (auth_password_hash(password, hash, sizeof(hash)) != 0)
		return -1;
	rc = store_user_add(st, "admin", "admin", hash, NULL);
	if (rc != STORE_OK)
		return rc == STORE_CONFLICT ? 0 : -1;
	if (given != NULL && strlen(given) >= 8) {
		log_info("created user admin with the password from "
		         "LAB_FLEET_ADMIN_PASSWORD");
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s", db);
	snprintf(path, sizeof(path), "%s/initial-admin-password", dirname(tmp));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dprintf(fd, "%s\n", password);
		fsync(fd);
		close(fd);
	}
	log_info("created user admin with password %s (also in %s)", password,
	         path);
	return 0;
}

static int
serve(int argc, char **argv)
{
	struct config cfg;
	struct server srv;
	struct http *http = NULL;
	struct engine *engine = NULL;
	sigset_t sigs;
	char err[512];
	int sig, rc = 1;

	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			config_usage();
			return 0;
		}
	if (config_load(&cfg, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "lab-fleet: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	/* Signals go to this thread only, through sigwait below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&srv, 0, sizeof(srv));
	log_buffer_start();
	srv.cfg = &cfg;
	srv.started = util_now();
	make_db_dir(cfg.db);
	if (store_open(cfg.db, cfg.threads, &srv.st) != STORE_OK)
		goto out;
	if (bootstrap_admin(srv.st, cfg.db) != 0) {
		log_error("could not create the first admin user");
		goto out;
	}
	srv.hb = hb_writer_start(cfg.db);
	if (srv.hb == NULL)
		goto out;
	srv.stats = stats_new();
	srv.login_limit = ratelimit_new(10, 300);
	router_init();
	if (cfg.ui != NULL && cfg.ui_root == NULL)
		log_warn("--ui %s does not exist: /lab/ answers 404", cfg.ui);
	http = http_start(&srv);
	if (http == NULL)
		goto out;
	engine = engine_start(&srv);
	log_info("lab-fleet %s listening on http://%s:%d (database %s, "
	         "dashboard %s)",
	         LAB_FLEET_VERSION, cfg.bind, cfg.port, cfg.db,
	         cfg.ui_root ? "/lab/" : "off");
	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	log_info("signal %d: finishing requests in flight", sig);
	rc = 0;
out:
	http_stop(http);
	engine_stop(engine);
	hb_writer_stop(srv.hb);
	ratelimit_free(srv.login_limit);
	stats_free(srv.stats);
	store_close(srv.st);
	config_free(&cfg);
	if (rc == 0)
		log_info("stopped cleanly");
	log_buffer_stop();
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	if (sodium_init() < 0) {
		fputs("lab-fleet: libsodium failed to start\n", stderr);
		return 1;
	}
	if (!store_library_init()) {
		fputs("lab-fleet: SQLite failed to start\n", stderr);
		return 1;
	}
	if (argc < 2) {
		usage();
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "serve") == 0)
		return serve(argc - 2, argv + 2);
	log_set_quiet(1);
	if (strcmp(cmd, "token") == 0)
		return cli_token(argc - 2, argv + 2);
	if (strcmp(cmd, "user") == 0)
		return cli_user(argc - 2, argv + 2);
	if (strcmp(cmd, "channel") == 0)
		return cli_channel(argc - 2, argv + 2);
	if (strcmp(cmd, "backup") == 0)
		return cli_backup(argc - 2, argv + 2);
	if (strcmp(cmd, "migrate") == 0)
		return cli_migrate(argc - 2, argv + 2);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("lab-fleet %s\n", LAB_FLEET_VERSION);
		return 0;
	}
	usage();
	return 2;
}
