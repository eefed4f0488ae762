/* Update rollouts: batch by batch, halting on failure. */

#include "rollout.h"

#include "log.h"
#include "store_rollout.h"

#define ROLLOUT_MAX 64

/* Advances rollout id. Returns 1 when its state changed, else 0. */
static int
rollout_advance(struct db *db, long long id, int64_t now)
{
	struct rollout_state s;
	long long batch, n = 0;

	if (store_rollout_state(db, id, &s) != STORE_OK)
		return 0;
	if (s.failed > 0) {
		log_warn("rollout of update %lld (%s) halted: %lld failed in "
		         "batch %lld",
		         id, s.version, s.failed, s.batch);
		return store_rollout_finish(db, id, "failed", now) == STORE_OK
		           ? 1
		           : 0;
	}
	if (s.open > 0)
		return 0;
	/* Batches whose VMs all run the version already hand out nothing. */
	for (batch = s.batch + 1; batch <= s.last && n == 0; batch++)
		if (store_rollout_hand_out(db, id, batch, s.version, now, &n) !=
		    STORE_OK)
			return 0;
	if (n > 0) {
		log_info("rollout of update %lld (%s): batch %lld, %lld VMs",
		         id, s.version, batch - 1, n);
		return 1;
	}
	if (s.behind > 0)
		return 0; /* waiting for the VMs to report the version */
	log_info("rollout of update %lld (%s) completed", id, s.version);
	return store_rollout_finish(db, id, "completed", now) == STORE_OK ? 1
	                                                                  : 0;
}

int
rollout_step(struct db *db, int64_t now)
{
	long long ids[ROLLOUT_MAX];
	int i, n, changed = 0;

	if (store_rollout_active(db, ids, ROLLOUT_MAX, &n) != STORE_OK)
		return 0;
	for (i = 0; i < n; i++)
		changed += rollout_advance(db, ids[i], now);
	return changed;
}
