#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum opt_type { OPT_INT, OPT_DOUBLE, OPT_STRING, OPT_BOOL };

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset;
	double min, max;
	const char *help;
};

#define O(field) offsetof(struct config, field)

static const struct opt opts[] = {
    {"port", OPT_INT, O(port), 1, 65535, "TCP port (8686)"},
    {"bind", OPT_STRING, O(bind), 0, 0, "address to listen on (127.0.0.1)"},
    {"db", OPT_STRING, O(db), 0, 0, "SQLite file (./data/fleet.db)"},
    {"ui", OPT_STRING, O(ui), 0, 0, "dashboard files served at /lab/"},
    {"dev", OPT_BOOL, O(dev), 0, 0, "enable POST /api/seed-test-data"},
    {"cors-origin", OPT_STRING, O(cors_origin), 0, 0,
     "origins allowed by CORS, comma-separated (none)"},
    {"threads", OPT_INT, O(threads), 1, 64, "database connections (8)"},
    {"heartbeat-interval", OPT_INT, O(heartbeat_interval), 1, 86400,
     "seconds between agent heartbeats (30)"},
    {"rule-interval", OPT_INT, O(rule_interval), 1, 3600,
     "seconds between rule passes (15)"},
    {"offline-after", OPT_INT, O(offline_after), 1, 86400 * 30,
     "seconds without heartbeat before offline (300)"},
    {"disk-warning", OPT_DOUBLE, O(disk_warning), 0, 100,
     "disk percent for a warning (80)"},
    {"disk-high", OPT_DOUBLE, O(disk_high), 0, 100,
     "disk percent for a high alert (90)"},
    {"cpu-high", OPT_DOUBLE, O(cpu_high), 0, 100, "sustained CPU percent (90)"},
    {"memory-high", OPT_DOUBLE, O(memory_high), 0, 100,
     "sustained memory percent (90)"},
    {"sustained-minutes", OPT_INT, O(sustained_minutes), 1, 1440,
     "minutes CPU or memory must stay high (5)"},
    {"sustained-seconds", OPT_INT, O(sustained_seconds), 0, 86400,
     "overrides sustained-minutes when > 0 (0)"},
    {"quota-high", OPT_DOUBLE, O(quota_high), 0, 100, "API quota percent (90)"},
    {"anomaly-k", OPT_DOUBLE, O(anomaly_k), 1, 100,
     "deviations from baseline for unusual activity (4)"},
    {"action-timeout", OPT_INT, O(action_timeout), 1, 86400 * 7,
     "seconds before an unacknowledged action expires (900)"},
    {"log-rule-passes", OPT_BOOL, O(log_rule_passes), 0, 0,
     "log every rule pass with its duration (false)"},
    {"raw-retention-days", OPT_INT, O(raw_retention_days), 1, 3650,
     "days raw metric points are kept (7)"},
    {"rollup-retention-days", OPT_INT, O(rollup_retention_days), 1, 36500,
     "days 5-minute averages are kept (365)"},
    {NULL, OPT_INT, 0, 0, 0, NULL},
};

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 8686;
	cfg->bind = xstrdup("127.0.0.1");
	cfg->db = xstrdup("./data/fleet.db");
	cfg->threads = 8;
	cfg->heartbeat_interval = 30;
	cfg->rule_interval = 15;
	cfg->offline_after = 300;
	cfg->disk_warning = 80;
	cfg->disk_high = 90;
	cfg->cpu_high = 90;
	cfg->memory_high = 90;
	cfg->sustained_minutes = 5;
	cfg->quota_high = 90;
	cfg->anomaly_k = 4;
	cfg->action_timeout = 900;
	cfg->raw_retention_days = 7;
	cfg->rollup_retention_days = 365;
}

static const struct opt *
opt_find(const char *name)
{
	int i;

	for (i = 0; opts[i].name != NULL; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

static int
opt_set(struct config *cfg, const struct opt *o, const char *val, char *err,
        size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	long long i;
	double d;
	char *end;

	switch (o->type) {
	case OPT_INT:
		if (!util_parse_int(val, (long long)o->min, (long long)o->max,
		                    &i)) {
			snprintf(err, errlen,
			         "%s: expected an integer from "
			         "%g to %g, got '%s'",
			         o->name, o->min, o->max, val);
			return -1;
		}
		*(int *)(void *)field = (int)i;
		break;
	case OPT_DOUBLE:
		errno = 0;
		d = strtod(val, &end);
		if (errno != 0 || *end != '\0' || end == val || !isfinite(d) ||
		    d < o->min || d > o->max) {
			snprintf(err, errlen,
			         "%s: expected a number from %g "
			         "to %g, got '%s'",
			         o->name, o->min, o->max, val);
			return -1;
		}
		*(double *)(void *)field = d;
		break;
	case OPT_STRING:
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(val);
		break;
	case OPT_BOOL:
		if (strcmp(val, "1") == 0 || strcmp(val, "true") == 0 ||
		    strcmp(val, "yes") == 0)
			*(bool *)(void *)field = true;
		else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0 ||
		         strcmp(val, "no") == 0)
			*(bool *)(void *)field = false;
		else {
			snprintf(err, errlen, "%s: expected true or false",
			         o->name);
			return -1;
		}
		break;
	}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
config_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0, rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read config file %s", path);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *key, *val, *eq;
		const struct opt *o;

		lineno++;
		key = trim(line);
		if (*key == '#' || *key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected name = value",
			         path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		o = opt_find(key);
		if (o == NULL) {
			snprintf(err, errlen, "%s:%d: unknown setting '%s'",
			         path, lineno, key);
			rc = -1;
			break;
		}
		rc = opt_set(cfg, o, val, err, errlen);
	}
	fclose(f);
	return rc;
}

static int
config_env(struct config *cfg, char *err, size_t errlen)
{
	char name[96];
	int i;

	for (i = 0; opts[i].name != NULL; i++) {
		const char *val;
		size_t j;

		snprintf(name, sizeof(name), "LAB_FLEET_%s", opts[i].name);
		for (j = 10; name[j]; j++)
			name[j] = name[j] == '-'
			              ? '_'
			              : (char)toupper((unsigned char)name[j]);
		val = getenv(name);
		if (val != NULL && opt_set(cfg, &opts[i], val, err, errlen))
			return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	const char *file = getenv("LAB_FLEET_CONFIG");
	char rp[PATH_MAX];
	int i;

	config_defaults(cfg);
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[i + 1];
	if (file != NULL && config_file(cfg, file, err, errlen))
		return -1;
	if (config_env(cfg, err, errlen))
		return -1;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct opt *o;
		const char *val;
		char name[64];
		const char *eq;

		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%s'", arg);
			return -1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s",
		         eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (strcmp(name, "config") == 0) {
			i++;
			continue;
		}
		o = opt_find(name);
		if (o == NULL) {
			snprintf(err, errlen, "unknown flag --%s", name);
			return -1;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (o->type == OPT_BOOL)
			val = "true";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			snprintf(err, errlen, "--%s needs a value", name);
			return -1;
		}
		if (opt_set(cfg, o, val, err, errlen))
			return -1;
	}
	if (cfg->disk_warning > cfg->disk_high) {
		snprintf(err, errlen, "disk-warning must not exceed disk-high");
		return -1;
	}
	if (cfg->ui != NULL && realpath(cfg->ui, rp) != NULL)
		cfg->ui_root = xstrdup(rp);
	return 0;
}

void
config_free(struct config *cfg)
{
	free(cfg->bind);
	free(cfg->db);
	free(cfg->ui);
	free(cfg->ui_root);
	free(cfg->cors_origin);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_usage(void)
{
	int i;

	fputs("usage: lab-fleet serve [flags]\n", stderr);
	fputs("  --config FILE         settings file (name = value)\n", stderr);
	for (i = 0; opts[i].name != NULL; i++)
		fprintf(stderr, "  --%-20s %s\n", opts[i].name, opts[i].help);
	fputs("Every flag can also be set as LAB_FLEET_NAME "
	      "(e.g. LAB_FLEET_OFFLINE_AFTER).\n",
	      stderr);
}
