/*
 * procfs.h: the figures a heartbeat carries, read from /proc and statvfs.
 *
 * Every parser comes in two forms: one taking the text of the file (so
 * unit tests can feed fixtures) and one taking a path.
 */
#ifndef AGENT_PROCFS_H
#define AGENT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fields of the aggregate "cpu" line of /proc/stat, in clock ticks. */
enum {
	PROCFS_CPU_USER,
	PROCFS_CPU_NICE,
	PROCFS_CPU_SYSTEM,
	PROCFS_CPU_IDLE,
	PROCFS_CPU_IOWAIT,
	PROCFS_CPU_IRQ,
	PROCFS_CPU_SOFTIRQ,
	PROCFS_CPU_STEAL,
	PROCFS_CPU_GUEST,
	PROCFS_CPU_GUEST_NICE,
	PROCFS_CPU_NFIELDS
};

struct cpu_sample {
	uint64_t v[PROCFS_CPU_NFIELDS];
	int nfields; /* how many the kernel gave; the rest are 0 */
};

struct mem_info {
	uint64_t total_kb;
	uint64_t available_kb;
	bool estimated; /* no MemAvailable: worked out from free + caches */
};

struct disk_usage {
	double percent;
	double used_gb; /* GiB, 1024^3 bytes */
	double total_gb;
};

/* Largest size procfs_read_file() reads; /proc files we use are small. */
#define PROCFS_MAX_FILE (256 * 1024)

/*
 * Reads a whole file into a new NUL-terminated buffer that the caller
 * frees. Returns 0, or -1 with errno set (EFBIG past PROCFS_MAX_FILE).
 */
int procfs_read_file(const char *path, char **out);

/*
 * Parses the aggregate "cpu " line of /proc/stat text. Needs at least the
 * first four fields (user nice system idle); later ones default to 0.
 * Returns 0, or -1 when the line is missing or malformed.
 */
int procfs_cpu_parse(const char *text, struct cpu_sample *out);
int procfs_cpu_read(const char *path, struct cpu_sample *out);

/*
 * Busy share of the time between two samples, 0 to 100. Counters that
 * wrapped (at 2^32 or 2^64) count by their wrapped distance; counters
 * that went backwards (as iowait can) count as 0. Returns 0, or -1 when
 * no time passed between the samples.
 */
int procfs_cpu_percent(const struct cpu_sample *prev,
                       const struct cpu_sample *cur, double *out);

/*
 * Parses /proc/meminfo text. Needs MemTotal; without MemAvailable (old
 * kernels) estimates it from MemFree, Buffers, Cached and SReclaimable.
 * Returns 0, or -1 when MemTotal is missing, zero or malformed.
 */
int procfs_mem_parse(const char *text, struct mem_info *out);
int procfs_mem_read(const char *path, struct mem_info *out);

/* Used share of memory, 0 to 100. */
double procfs_mem_percent(const struct mem_info *m);

/*
 * First number of /proc/loadavg or /proc/uptime text. Returns 0, or -1
 * when the text does not start with a finite number >= 0.
 */
int procfs_first_number(const char *text, double *out);
int procfs_first_number_read(const char *path, double *out);

/*
 * Disk usage from statvfs counts, the way df counts it: used is what is
 * not free, the percent is used over what non-root users can have.
 * Returns 0, or -1 when the counts are inconsistent or empty.
 */
int procfs_disk_compute(uint64_t blocks, uint64_t bfree, uint64_t bavail,
                        uint64_t frsize, struct disk_usage *out);

/* statvfs() on a mount point, then procfs_disk_compute(). */
int procfs_disk_read(const char *mount, struct disk_usage *out);

#endif
