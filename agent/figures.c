/*
 * figures.c: gathers the heartbeat figures from procfs.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "figures.h"
#include "version.h"

void
figures_src_init(struct figures_src *src, const char *proc_dir,
                 const char *mount, const char *version_file)
{
	memset(src, 0, sizeof(*src));
	src->proc_dir = proc_dir;
	src->mount = mount;
	src->version_file = version_file;
}

static int
proc_path(const struct figures_src *src, const char *name, char *buf,
          size_t len)
{
	int n = snprintf(buf, len, "%s/%s", src->proc_dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
cpu_figure(struct figures_src *src, double *out)
{
	struct cpu_sample cur;
	char path[4096];
	int tries;

	if (proc_path(src, "stat", path, sizeof(path)) != 0)
		return -1;
	for (tries = 0; tries < 3; tries++) {
		if (!src->have_prev) {
			if (procfs_cpu_read(path, &src->prev) != 0)
				return -1;
			src->have_prev = true;
			sleep_ms(500);
		}
		if (procfs_cpu_read(path, &cur) != 0)
			return -1;
		if (procfs_cpu_percent(&src->prev, &cur, out) == 0) {
			src->prev = cur;
			return 0;
		}
		/* No tick passed since the last sample: sample again. */
		src->have_prev = false;
	}
	return -1;
}

static double
round2(double v)
{
	return round(v * 100.0) / 100.0;
}

int
figures_collect(struct figures_src *src, struct figures *out, char *err,
                size_t errlen)
{
	struct mem_info mem;
	struct disk_usage disk;
	char path[4096];

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	errno = 0;
	if (cpu_figure(src, &out->cpu_percent) != 0) {
		snprintf(err, errlen, "cannot read %s/stat: %s", src->proc_dir,
		         errno != 0 ? strerror(errno) : "malformed");
		return -1;
	}
	if (proc_path(src, "meminfo", path, sizeof(path)) != 0 ||
	    procfs_mem_read(path, &mem) != 0) {
		snprintf(err, errlen, "cannot read %s/meminfo", src->proc_dir);
		return -1;
	}
	out->memory_percent = procfs_mem_percent(&mem);
	if (procfs_disk_read(src->mount, &disk) != 0) {
		snprintf(err, errlen, "cannot measure the disk at %s: %s",
		         src->mount, strerror(errno));
		return -1;
	}
	out->disk_percent = disk.percent;
	out->disk_used_gb = disk.used_gb;
	if (proc_path(src, "loadavg", path, sizeof(path)) == 0 &&
	    procfs_first_number_read(path, &out->load1) == 0)
		out->have_load = true;
	if (proc_path(src, "uptime", path, sizeof(path)) == 0 &&
	    procfs_first_number_read(path, &out->uptime_s) == 0)
		out->have_uptime = true;
	if (src->version_file == NULL ||
	    figures_read_version(src->version_file, out->version,
	                         sizeof(out->version)) != 0)
		out->version[0] = '\0';
	return 0;
}

bool
figures_version_ok(const char *s)
{
	size_t n;
	bool dot = false;

	/* Like 1.2.3: a digit first, a dot somewhere, no option look. */
	if (!isdigit((unsigned char)s[0]))
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c == '.')
			dot = true;
		else if (!isalnum(c) && c != '_' && c != '+' && c != '-')
			return false;
	}
	return dot && n <= FIGURES_VERSION_MAX;
}

int
figures_read_version(const char *path, char *out, size_t outlen)
{
	char *text = NULL, *p, *end;
	size_t n;
	int rc = -1;

	out[0] = '\0';
	if (procfs_read_file(path, &text) != 0)
		goto out;
	p = text;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	end = p;
	while (*end != '\0' && *end != '\n' && *end != '\r')
		end++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	n = (size_t)(end - p);
	if (n >= outlen || !figures_version_ok(p))
		goto out;
	memcpy(out, p, n + 1);
	rc = 0;
out:
	free(text);
	return rc;
}

json_t *
figures_json(const struct figures *f)
{
	json_t *o;

	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "cpu_percent",
	                    json_real(round2(f->cpu_percent)));
	json_object_set_new(o, "memory_percent",
	                    json_real(round2(f->memory_percent)));
	json_object_set_new(o, "disk_percent",
	                    json_real(round2(f->disk_percent)));
	json_object_set_new(o, "disk_used_gb",
	                    json_real(round2(f->disk_used_gb)));
	if (f->have_load)
		json_object_set_new(o, "load1", json_real(round2(f->load1)));
	if (f->have_uptime)
		json_object_set_new(o, "uptime_s",
		                    json_integer((json_int_t)f->uptime_s));
	if (f->version[0] != '\0')
		json_object_set_new(o, "version", json_string(f->version));
	json_object_set_new(o, "agent_version", json_string(AGENT_VERSION));
	return o;
}
