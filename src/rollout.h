#ifndef LAB_ROLLOUT_H
#define LAB_ROLLOUT_H

/*
 * Update rollouts, driven by the rule engine: each step looks at every
 * rollout in progress, halts it as "failed" when its current batch has a
 * failed or expired action, hands out the next batch's "update" actions
 * once the current one has all succeeded, and marks it "completed" when
 * every target runs the version. Starting one is store_rollout_start.
 */

#include <stdint.h>

struct db;

/* One step at now on connection db. Returns how many rollouts changed. */
int rollout_step(struct db *db, int64_t now);

#endif
