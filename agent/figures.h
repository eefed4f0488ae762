/*
 * figures.h: one heartbeat's worth of figures about this machine.
 */
#ifndef AGENT_FIGURES_H
#define AGENT_FIGURES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "procfs.h"

#define FIGURES_VERSION_MAX 64

struct figures {
	double cpu_percent;
	double memory_percent;
	double disk_percent;
	double disk_used_gb;
	double load1;
	double uptime_s;
	bool have_load;
	bool have_uptime;
	char version[FIGURES_VERSION_MAX + 1]; /* "" when unknown */
};

struct figures_src {
	const char *proc_dir;     /* normally "/proc" */
	const char *mount;        /* file system whose usage is sent */
	const char *version_file; /* first line is this VM's version */
	struct cpu_sample prev;   /* last /proc/stat sample */
	bool have_prev;
};

/* Sets up a source; the strings are borrowed and must outlive it. */
void figures_src_init(struct figures_src *src, const char *proc_dir,
                      const char *mount, const char *version_file);

/*
 * Reads the figures. CPU is measured since the previous call; the first
 * call takes two samples half a second apart. Load, uptime and version
 * are optional. Returns 0, or -1 with err saying which figure failed.
 */
int figures_collect(struct figures_src *src, struct figures *out, char *err,
                    size_t errlen);

/*
 * Reads a version from a file: its first line, trimmed. Returns 0, or -1
 * when the file is missing or its line is not a version (see below).
 */
int figures_read_version(const char *path, char *out, size_t outlen);

/*
 * True for a version the agent sends and passes to the update hook: like
 * 1.2.3, a digit first, at least one dot, then letters, digits and
 * . _ + - only, at most FIGURES_VERSION_MAX long.
 */
bool figures_version_ok(const char *s);

/* The heartbeat body for these figures. Returns a new reference. */
json_t *figures_json(const struct figures *f);

#endif
