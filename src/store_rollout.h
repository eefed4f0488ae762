#ifndef LAB_STORE_ROLLOUT_H
#define LAB_STORE_ROLLOUT_H

/*
 * The SQL of update rollouts. Functions taking a struct db run on the
 * caller's own connection (the engine's rule thread); those taking a
 * struct store borrow one from the pool. All return STORE_*. JSON handed
 * back through *out is a new reference.
 */

#include <stdint.h>

#include <jansson.h>

#include "store.h"

/*
 * Starts the rollout of update id: targets the online VMs whose version
 * differs, splits them into batches of batch_percent, and creates the
 * first batch's "update" actions (requested_by who). An update that is
 * in progress or completed answers STORE_CONFLICT; a failed one starts
 * over. With no targets the update is completed at once. *out: the
 * update with its progress, a new reference (NULL on failure).
 */
int store_rollout_start(struct store *st, long long id, long long batch_percent,
                        const char *who, int64_t now, json_t **out);
/* *out: update id with rollout fields and progress, a new reference. */
int store_rollout_get(struct store *st, long long id, json_t **out);

/* The ids of the rollouts in progress, at most max of them. */
int store_rollout_active(struct db *db, long long *ids, int max, int *n);

/* Where a rollout stands. */
struct rollout_state {
	char version[80];
	long long batch;  /* the last batch handed out, 0 if none */
	long long last;   /* the last batch there is */
	long long open;   /* actions of that batch pending or sent */
	long long failed; /* actions of that batch failed or expired */
	long long behind; /* targets not yet running the version */
	int64_t started_at;
};

int store_rollout_state(struct db *db, long long id, struct rollout_state *s);
/*
 * Hands out "update" actions to the targets of batch that do not run the
 * version yet. *n: how many.
 */
int store_rollout_hand_out(struct db *db, long long id, long long batch,
                           const char *version, int64_t now, long long *n);
/* Sets rollout_status to status ("completed" also sets completed_at). */
int store_rollout_finish(struct db *db, long long id, const char *status,
                         int64_t now);

#endif
