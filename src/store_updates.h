#ifndef LAB_STORE_UPDATES_H
#define LAB_STORE_UPDATES_H

/*
 * Agent updates: a version to roll out and its rollout state. Every
 * function returns STORE_*; an update comes out as a new reference with
 * id, version, description, rollout_status, batch_percent, created_at,
 * started_at, completed_at and progress {target, updated, failed}:
 * target counts the VMs its rollout aims at, updated those of them that
 * run the version, failed those whose update action of this rollout
 * failed or expired.
 */

#include <jansson.h>

#include "store.h"

/* The columns of an update row (table alias u), progress as p_* columns. */
#define STORE_UPDATE_COLS                                                      \
	"u.id, u.version, u.description, u.rollout_status, u.batch_percent, "  \
	"u.created_at, u.started_at, u.completed_at, "                         \
	"(SELECT count(*) FROM rollout_targets t "                             \
	"WHERE t.update_id = u.id) AS p_target, "                              \
	"(SELECT count(*) FROM rollout_targets t JOIN vms v ON v.id = "        \
	"t.vm_id "                                                             \
	"WHERE t.update_id = u.id AND v.version = u.version) AS p_updated, "   \
	"(SELECT count(*) FROM rollout_targets t WHERE t.update_id = u.id "    \
	"AND EXISTS (SELECT 1 FROM actions a WHERE a.update_id = u.id "        \
	"AND a.vm_id = t.vm_id AND a.status IN ('failed', 'expired') "         \
	"AND a.created_at >= coalesce(u.started_at, 0))) AS p_failed"

/* Turns the p_* columns of a STORE_UPDATE_COLS row into "progress". */
void store_update_fix_progress(json_t *row);

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
