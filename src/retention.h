#ifndef LAB_RETENTION_H
#define LAB_RETENTION_H

/*
 * Metric retention: raw points older than raw_days are rolled up into
 * 5-minute averages, and those older than rollup_days are deleted. The
 * work goes in small transactions with pauses between them, so the
 * heartbeat writer never waits long for the database.
 */

#include <stdbool.h>
#include <stdint.h>

struct db;

/* Rows per transaction. */
#define RETENTION_BATCH 2000

/*
 * Runs retention at now on connection db until done or *stop becomes
 * true (read between batches). Returns the rows rolled up plus deleted,
 * or -1 when the database failed.
 */
long long retention_run(struct db *db, int64_t now, int raw_days,
                        int rollup_days, const volatile bool *stop);

#endif
