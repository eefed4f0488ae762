#ifndef LAB_STATS_H
#define LAB_STATS_H

#include "buf.h"

/*
 * Request counters and latency histograms per route, lock-free, for the
 * Prometheus exposition at /metrics.
 */
struct stats;

struct stats *stats_new(void);
void stats_free(struct stats *s);
/* route: router index, or -1 for the dashboard's files and unknown paths */
void stats_record(struct stats *s, int route, int status, double ms);
/* Appends the server's own series in Prometheus text format. */
void stats_write(struct stats *s, struct buf *out);

#endif
