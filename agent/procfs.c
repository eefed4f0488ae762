/*
 * procfs.c: parsers for /proc/stat, /proc/meminfo, /proc/loadavg,
 * /proc/uptime, and disk usage from statvfs.
 */
#include <sys/statvfs.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

/*
 * A counter that moved backwards is taken to have wrapped only when the
 * wrapped distance is below this; otherwise it went backwards (iowait
 * does) and counts as no time at all. 2^31 ticks is months at 100 Hz.
 */
#define PROCFS_WRAP_MAX ((uint64_t)1 << 31)

int
procfs_read_file(const char *path, char **out)
{
	char *buf = NULL;
	size_t len = 0, cap = 4096;
	ssize_t n;
	int fd, rc = -1, saved;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	buf = malloc(cap);
	if (buf == NULL)
		goto out;
	for (;;) {
		if (len + 1 >= cap) {
			char *nbuf;

			if (cap >= PROCFS_MAX_FILE) {
				errno = EFBIG;
				goto out;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL)
				goto out;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Parses a decimal unsigned 64-bit number after optional blanks. Sets
 * *end past it. Returns 0, or -1 when there is no number or it is too big.
 */
static int
parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	*out = v;
	*end = s;
	return 0;
}

/* Finds a line starting with prefix; returns the text after it or NULL. */
static const char *
find_line(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, plen) == 0)
			return p + plen;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static bool
at_line_end(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return *s == '\n' || *s == '\0';
}

int
procfs_cpu_parse(const char *text, struct cpu_sample *out)
{
	const char *p;
	int n = 0;

	memset(out, 0, sizeof(*out));
	p = find_line(text, "cpu ");
	if (p == NULL)
		p = find_line(text, "cpu\t");
	if (p == NULL)
		return -1;
	while (n < PROCFS_CPU_NFIELDS && !at_line_end(p)) {
		if (parse_u64(p, &out->v[n], &p) != 0)
			return -1;
		n++;
	}
	/* Fields a future kernel adds past guest_nice are ignored. */
	if (n < PROCFS_CPU_IDLE + 1)
		return -1;
	out->nfields = n;
	return 0;
}

int
procfs_cpu_read(const char *path, struct cpu_sample *out)
{
	char *text;
	int rc;

	if (procfs_read_file(path, &text) != 0)
		return -1;
	rc = procfs_cpu_parse(text, out);
	free(text);
	return rc;
}

/* Ticks a counter advanced from a to b, allowing for wrap-around. */
static uint64_t
counter_delta(uint64_t a, uint64_t b)
{
	uint64_t d;

	if (b >= a)
		return b - a;
	d = b - a; /* modulo 2^64 */
	if (d < PROCFS_WRAP_MAX)
		return d;
	if (a <= UINT32_MAX) {
		d = (uint32_t)(b - a); /* a 32-bit counter */
		if (d < PROCFS_WRAP_MAX)
			return d;
	}
	return 0;
}

int
procfs_cpu_percent(const struct cpu_sample *prev, const struct cpu_sample *cur,
                   double *out)
{
	double total = 0, idle = 0, pct;
	int i;

	*out = 0;
	/* guest and guest_nice are already counted in user and nice. */
	for (i = 0; i < PROCFS_CPU_GUEST; i++) {
		double d = (double)counter_delta(prev->v[i], cur->v[i]);

		total += d;
		if (i == PROCFS_CPU_IDLE || i == PROCFS_CPU_IOWAIT)
			idle += d;
	}
	if (total <= 0)
		return -1;
	pct = (total - idle) / total * 100.0;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	*out = pct;
	return 0;
}

/*
 * Reads "Key:   N kB" from meminfo text. Returns 0, or -1 when the key is
 * missing or its value is not a number.
 */
static int
meminfo_field(const char *text, const char *key, uint64_t *out)
{
	char prefix[64];
	const char *p, *end;
	int n;

	n = snprintf(prefix, sizeof(prefix), "%s:", key);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -1;
	p = find_line(text, prefix);
	if (p == NULL)
		return -1;
	if (parse_u64(p, out, &end) != 0)
		return -1;
	return 0;
}

int
procfs_mem_parse(const char *text, struct mem_info *out)
{
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (meminfo_field(text, "MemTotal", &out->total_kb) != 0 ||
	    out->total_kb == 0)
		return -1;
	if (meminfo_field(text, "MemAvailable", &out->available_kb) == 0)
		return 0;

	/* Kernels before 3.14: free memory plus what the caches can give. */
	out->estimated = true;
	if (meminfo_field(text, "MemFree", &out->available_kb) != 0)
		return -1;
	if (meminfo_field(text, "Buffers", &v) == 0)
		out->available_kb += v;
	if (meminfo_field(text, "Cached", &v) == 0)
		out->available_kb += v;
	if (meminfo_field(text, "SReclaimable", &v) == 0)
		out->available_kb += v;
	if (out->available_kb > out->total_kb)
		out->available_kb = out->total_kb;
	return 0;
}

int
procfs_mem_read(const char *path, struct mem_info *out)
{
	char *text;
	int rc;

	if (procfs_read_file(path, &text) != 0)
		return -1;
	rc = procfs_mem_parse(text, out);
	free(text);
	return rc;
}

double
procfs_mem_percent(const struct mem_info *m)
{
	if (m->total_kb == 0 || m->available_kb >= m->total_kb)
		return 0;
	return (double)(m->total_kb - m->available_kb) / (double)m->total_kb *
	       100.0;
}

int
procfs_first_number(const char *text, double *out)
{
	char *end;
	double v;

	*out = 0;
	while (*text == ' ' || *text == '\t')
		text++;
	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtod(text, &end);
	if (errno != 0 || end == text || !isfinite(v) || v < 0)
		return -1;
	if (*end != '\0' && !isspace((unsigned char)*end))
		return -1;
	*out = v;
	return 0;
}

int
procfs_first_number_read(const char *path, double *out)
{
	char *text;
	int rc;

	if (procfs_read_file(path, &text) != 0)
		return -1;
	rc = procfs_first_number(text, out);
	free(text);
	return rc;
}

int
procfs_disk_compute(uint64_t blocks, uint64_t bfree, uint64_t bavail,
                    uint64_t frsize, struct disk_usage *out)
{
	double used, usable, gib = 1024.0 * 1024.0 * 1024.0;

	memset(out, 0, sizeof(*out));
	if (blocks == 0 || frsize == 0 || bfree > blocks)
		return -1;
	if (bavail > bfree)
		bavail = bfree;
	used = (double)(blocks - bfree);
	usable = used + (double)bavail;
	out->percent = usable > 0 ? used / usable * 100.0 : 0;
	if (out->percent > 100)
		out->percent = 100;
	out->used_gb = used * (double)frsize / gib;
	out->total_gb = (double)blocks * (double)frsize / gib;
	return 0;
}

int
procfs_disk_read(const char *mount, struct disk_usage *out)
{
	struct statvfs sv;

	if (statvfs(mount, &sv) != 0)
		return -1;
	return procfs_disk_compute(sv.f_blocks, sv.f_bfree, sv.f_bavail,
	                           sv.f_frsize != 0 ? sv.f_frsize : sv.f_bsize,
	                           out);
}
