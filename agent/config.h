/*
 * config.h: the agent's command line (and LAB_FLEET_AGENT_* environment).
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_TOKEN_MAX 1024

struct config {
	const char *server; /* base URL, http:// or https:// */
	const char *vm_id;
	const char *token_file;
	const char *hooks_dir;    /* NULL: every action fails */
	const char *mount;        /* "/" */
	const char *version_file; /* "/etc/lab-fleet/version" */
	const char *state_dir;    /* "/var/lib/lab-fleet-agent"; "" none */
	const char *proc_dir;     /* "/proc" */
	int interval_s;           /* 30 */
	int hook_timeout_s;       /* 600 */
	int max_backoff_s;        /* 300 */
	int timeout_s;            /* 20, per request */
	bool once;
	bool dry_run;
};

enum {
	CONFIG_OK = 0,
	CONFIG_EXIT = 1,   /* --help or --version printed: exit 0 */
	CONFIG_USAGE = -1, /* bad command line: err says why */
};

/*
 * Fills cfg from the environment (LAB_FLEET_AGENT_SERVER, ..._VM_ID, ...
 * one per long option) and then argv, which wins. Strings point into
 * argv or the environment. Returns CONFIG_OK, CONFIG_EXIT, or
 * CONFIG_USAGE with err filled.
 */
int config_parse(int argc, char **argv, struct config *cfg, char *err,
                 size_t errlen);

/* Writes the usage text to f. */
void config_usage(FILE *f);

/* True for an id the API accepts: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ */
bool config_id_ok(const char *id);

/*
 * Reads the agent token: the file's first line, trimmed. Refuses a file
 * that is not a regular file, that others may read (or write), or whose
 * token is empty, too long or holds spaces or control characters.
 * Returns 0, or -1 with err saying why. out must hold CONFIG_TOKEN_MAX+1.
 */
int config_read_token(const char *path, char *out, size_t outlen, char *err,
                      size_t errlen);

#endif
