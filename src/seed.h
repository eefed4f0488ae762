#ifndef LAB_SEED_H
#define LAB_SEED_H

/*
 * The demo fleet of `POST /api/seed-test-data` (--dev only): customers
 * over the three tiers, their VMs in every status with a day of metric
 * history, alerts open and resolved, a few updates. Ids, emails and
 * addresses are fixed, so a second run clashes with the first.
 */

#include <jansson.h>

#include "store.h"

/*
 * Inserts the whole demo fleet in one transaction. Returns STORE_OK with
 * *counts (a new reference) {"customers","vms","metric_points","alerts",
 * "updates"}; STORE_CONFLICT, and nothing written, when any of its ids,
 * emails or IP addresses is taken already (a second run).
 */
int seed_demo_fleet(struct store *st, json_t **counts);

#endif
