#ifndef LAB_UTIL_H
#define LAB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Allocation that cannot fail: running out of memory is fatal here, once. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Seconds since the epoch, wall clock. */
int64_t util_now(void);
/* Monotonic milliseconds, for durations. */
double util_mono_ms(void);

/*
 * Formats t as RFC 3339 UTC ("2026-11-28T05:02:04Z") into out, which must
 * hold UTIL_TIME_LEN bytes. Returns out.
 */
#define UTIL_TIME_LEN 24
char *util_time_format(int64_t t, char *out);

/*
 * Parses a decimal integer in [min, max] with nothing after it.
 * Returns false on any junk, overflow or range error.
 */
bool util_parse_int(const char *s, long long min, long long max,
                    long long *out);

/* Fills out with n random bytes rendered as 2n lowercase hex characters. */
void util_random_hex(char *out, size_t n);

/* True when a and b have the same length and bytes, in constant time. */
bool util_const_eq(const char *a, const char *b);

#endif
