/*
 * config.c: command line and environment for lab-fleet-agent.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "version.h"

enum {
	OPT_SERVER = 1000,
	OPT_VM_ID,
	OPT_TOKEN_FILE,
	OPT_HOOKS,
	OPT_MOUNT,
	OPT_VERSION_FILE,
	OPT_STATE_DIR,
	OPT_PROC,
	OPT_INTERVAL,
	OPT_HOOK_TIMEOUT,
	OPT_MAX_BACKOFF,
	OPT_TIMEOUT,
	OPT_ONCE,
	OPT_DRY_RUN,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"vm-id", required_argument, NULL, OPT_VM_ID},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"hooks", required_argument, NULL, OPT_HOOKS},
    {"mount", required_argument, NULL, OPT_MOUNT},
    {"version-file", required_argument, NULL, OPT_VERSION_FILE},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"proc", required_argument, NULL, OPT_PROC},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT},
    {"max-backoff", required_argument, NULL, OPT_MAX_BACKOFF},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"once", no_argument, NULL, OPT_ONCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void
config_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: lab-fleet-agent --server URL --vm-id ID --token-file PATH\n"
	    "           [--hooks DIR] [--interval S(30)] [--mount PATH(/)]\n"
	    "           [--version-file PATH(/etc/lab-fleet/version)]\n"
	    "           [--state-dir DIR(/var/lib/lab-fleet-agent)]\n"
	    "           [--hook-timeout S(600)] [--max-backoff S(300)]\n"
	    "           [--timeout S(20)] [--once] [--dry-run]\n"
	    "       lab-fleet-agent --dry-run [--mount PATH]\n"
	    "Every option can also be set as LAB_FLEET_AGENT_<NAME>,\n"
	    "e.g. LAB_FLEET_AGENT_VM_ID; the command line wins.\n");
}

bool
config_id_ok(const char *id)
{
	size_t i;

	if (!isalnum((unsigned char)id[0]))
		return false;
	for (i = 1; id[i] != '\0'; i++) {
		unsigned char c = (unsigned char)id[i];

		if (i >= 64)
			return false;
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

static int
parse_seconds(const char *name, const char *s, int max, int *out, char *err,
              size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) {
		snprintf(err, errlen,
		         "--%s: want whole seconds from 1 to %d, "
		         "got \"%s\"",
		         name, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Applies one option. Returns CONFIG_OK, CONFIG_EXIT or CONFIG_USAGE. */
static int
apply(struct config *cfg, int opt, const char *name, const char *arg, char *err,
      size_t errlen)
{
	switch (opt) {
	case OPT_SERVER:
		cfg->server = arg;
		break;
	case OPT_VM_ID:
		cfg->vm_id = arg;
		break;
	case OPT_TOKEN_FILE:
		cfg->token_file = arg;
		break;
	case OPT_HOOKS:
		cfg->hooks_dir = arg;
		break;
	case OPT_MOUNT:
		cfg->mount = arg;
		break;
	case OPT_VERSION_FILE:
		cfg->version_file = arg;
		break;
	case OPT_STATE_DIR:
		cfg->state_dir = arg;
		break;
	case OPT_PROC:
		cfg->proc_dir = arg;
		break;
	case OPT_INTERVAL:
		return parse_seconds(name, arg, 86400, &cfg->interval_s, err,
		                     errlen);
	case OPT_HOOK_TIMEOUT:
		return parse_seconds(name, arg, 86400, &cfg->hook_timeout_s,
		                     err, errlen);
	case OPT_MAX_BACKOFF:
		return parse_seconds(name, arg, 86400, &cfg->max_backoff_s, err,
		                     errlen);
	case OPT_TIMEOUT:
		return parse_seconds(name, arg, 600, &cfg->timeout_s, err,
		                     errlen);
	case OPT_ONCE:
	case OPT_DRY_RUN: {
		bool on = arg == NULL || strcmp(arg, "1") == 0 ||
		          strcmp(arg, "true") == 0 || strcmp(arg, "yes") == 0;

		if (opt == OPT_ONCE)
			cfg->once = on;
		else
			cfg->dry_run = on;
		break;
	}
	case OPT_HELP:
		config_usage(stdout);
		return CONFIG_EXIT;
	case OPT_VERSION:
		printf("lab-fleet-agent %s\n", AGENT_VERSION);
		return CONFIG_EXIT;
	default:
		snprintf(err, errlen, "unknown option");
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

/* LAB_FLEET_AGENT_ plus the option's name in upper case, - as _. */
static const char *
env_value(const char *name)
{
	char key[64] = "LAB_FLEET_AGENT_";
	size_t k = strlen(key), i;

	for (i = 0; name[i] != '\0' && k + 1 < sizeof(key); i++)
		key[k++] = name[i] == '-'
		               ? '_'
		               : (char)toupper((unsigned char)name[i]);
	key[k] = '\0';
	return getenv(key);
}

static int
validate(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->once && cfg->dry_run) {
		snprintf(err, errlen,
		         "--once and --dry-run exclude each other");
		return CONFIG_USAGE;
	}
	if (cfg->dry_run)
		return CONFIG_OK;
	if (cfg->server == NULL || cfg->vm_id == NULL ||
	    cfg->token_file == NULL) {
		snprintf(err, errlen,
		         "--server, --vm-id and --token-file are "
		         "required");
		return CONFIG_USAGE;
	}
	if (strncmp(cfg->server, "http://", 7) != 0 &&
	    strncmp(cfg->server, "https://", 8) != 0) {
		snprintf(err, errlen,
		         "--server: want an http:// or https:// "
		         "URL, got \"%s\"",
		         cfg->server);
		return CONFIG_USAGE;
	}
	if (!config_id_ok(cfg->vm_id)) {
		snprintf(err, errlen,
		         "--vm-id: \"%s\" is not a VM id "
		         "(letters, digits, . _ -, at most 64)",
		         cfg->vm_id);
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

int
config_parse(int argc, char **argv, struct config *cfg, char *err,
             size_t errlen)
{
	const struct option *o;
	const char *v;
	int opt, rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mount = "/";
	cfg->version_file = "/etc/lab-fleet/version";
	cfg->state_dir = "/var/lib/lab-fleet-agent";
	cfg->proc_dir = "/proc";
	cfg->interval_s = 30;
	cfg->hook_timeout_s = 600;
	cfg->max_backoff_s = 300;
	cfg->timeout_s = 20;
	err[0] = '\0';

	for (o = options; o->name != NULL; o++) {
		if (o->val == OPT_HELP || o->val == OPT_VERSION)
			continue;
		v = env_value(o->name);
		if (v == NULL)
			continue;
		rc = apply(cfg, o->val, o->name, v, err, errlen);
		if (rc != CONFIG_OK)
			return rc;
	}

	optind = 0; /* 0 also resets getopt's internal state (GNU) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		const char *name = "?";

		if (opt == '?' || opt == ':') {
			snprintf(err, errlen,
			         "unknown option or missing value: "
			         "%s",
			         argv[optind - 1]);
			return CONFIG_USAGE;
		}
		for (o = options; o->name != NULL; o++)
			if (o->val == opt)
				name = o->name;
		rc = apply(cfg, opt, name, optarg, err, errlen);
		if (rc != CONFIG_OK)
			return rc;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
		return CONFIG_USAGE;
	}
	return validate(cfg, err, errlen);
}

int
config_read_token(const char *path, char *out, size_t outlen, char *err,
                  size_t errlen)
{
	char buf[CONFIG_TOKEN_MAX + 2], *p, *end;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, rc = -1;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open token file %s: %s", path,
		         strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat token file %s: %s", path,
		         strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "token file %s is not a regular file",
		         path);
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		snprintf(err, errlen,
		         "token file %s is readable by others "
		         "(mode %04o); refusing to use it: chmod 600 %s",
		         path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n == -1 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "cannot read token file %s: %s", path,
		         strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	p = buf;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	end = p;
	while (*end > ' ' && *end < 0x7f)
		end++;
	len = (size_t)(end - p);
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	if (*end != '\0' && *end != '\n') {
		snprintf(err, errlen,
		         "token file %s: the first line holds "
		         "spaces, control or non-ASCII characters",
		         path);
		goto out;
	}
	if (len == 0 || len > CONFIG_TOKEN_MAX || len >= outlen) {
		snprintf(err, errlen, "token file %s: %s", path,
		         len == 0 ? "empty" : "token too long");
		goto out;
	}
	memcpy(out, p, len);
	out[len] = '\0';
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
