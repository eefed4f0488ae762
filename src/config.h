#ifndef LAB_CONFIG_H
#define LAB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Settings of `lab-fleet serve`, from (later wins) the defaults, the
 * --config file (lines "name = value", # comments), LAB_FLEET_NAME
 * environment variables and --name flags. Names are the long flag names:
 * --offline-after, LAB_FLEET_OFFLINE_AFTER, "offline-after = 300".
 */
struct config {
	int port;
	char *bind;
	char *db;
	char *ui;
	char *ui_root; /* realpath of ui, or NULL when absent */
	bool dev;
	char *cors_origin;      /* comma-separated allowed origins or NULL */
	int threads;            /* database connection pool size */
	int heartbeat_interval; /* next_heartbeat_s told to agents */

	/* Rule engine */
	int rule_interval;
	int offline_after;
	double disk_warning;
	double disk_high;
	double cpu_high;
	double memory_high;
	int sustained_minutes;
	int sustained_seconds; /* > 0: overrides sustained_minutes (tests) */
	double quota_high;
	double anomaly_k;
	int action_timeout;
	bool log_rule_passes; /* one log line per rule pass, with its time */

	/* Retention */
	int raw_retention_days;
	int rollup_retention_days;
};

/*
 * Fills cfg from defaults, file, environment and argv (argv[0] is the
 * first flag). Returns 0, or -1 with a message in err.
 */
int config_load(struct config *cfg, int argc, char **argv, char *err,
                size_t errlen);
void config_free(struct config *cfg);
/* Prints the flags and their defaults. */
void config_usage(void);

#endif
