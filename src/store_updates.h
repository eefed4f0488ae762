#ifndef LAB_STORE_UPDATES_H
#define LAB_STORE_UPDATES_H

/*
 * Agent updates: a version to roll out and its rollout state. Every
 * function returns STORE_*; an update comes out as a new reference with
 * id, version, description, rollout_status, batch_percent, created_at,
 * started_at, completed_at and progress {target, updated, failed}:
 * target counts the VMs that have an action of this update, updated those
 * whose action succeeded, failed those whose action failed.
 */

#include <jansson.h>

#include "store.h"

/*
 * Creates an update of version (description may be NULL) in rollout
 * status pending. *out: the update, a new reference (NULL on failure).
 */
int store_update_create(struct store *st, const char *version,
                        const char *description, json_t **out);

/* *out: update id, a new reference. STORE_NOTFOUND if none. */
int store_update_get(struct store *st, long long id, json_t **out);

/*
 * Updates, newest first. *items is a new array (also on failure, then
 * empty) and *total the count of all.
 */
int store_update_list(struct store *st, long long limit, long long offset,
                      json_t **items, long long *total);

#endif
