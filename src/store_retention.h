#ifndef LAB_STORE_RETENTION_H
#define LAB_STORE_RETENTION_H

/*
 * The SQL of metric retention, run on the retention thread's own
 * connection. Every function returns STORE_*.
 */

#include <stdint.h>

#include "store.h"

/*
 * Copies the newest raw point of each VM whose raw points are all older
 * than cutoff into the VM's row, where its live figures are read from
 * once those points are rolled up (store_live.h). Run it before
 * store_retention_rollup with the same cutoff.
 */
int store_retention_snapshot(struct db *db, int64_t cutoff);
/*
 * Rolls up to limit raw points older than cutoff into metrics_5m
 * (5-minute averages, merged with what a bucket already holds) and
 * deletes them, in one transaction. *n: points moved.
 */
int store_retention_rollup(struct db *db, int64_t cutoff, int limit, int *n);
/* Deletes up to limit 5-minute rows older than cutoff. *n: rows. */
int store_retention_prune(struct db *db, int64_t cutoff, int limit, int *n);

#endif
