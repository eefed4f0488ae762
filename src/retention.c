/* Metric retention in small batches. */

#include "retention.h"

#include <time.h>

#include "log.h"
#include "store_retention.h"

/* Gives other writers a turn at the database lock. */
static void
pause_briefly(void)
{
	struct timespec ts = {0, 5 * 1000000L};

	nanosleep(&ts, NULL);
}

long long
retention_run(struct db *db, int64_t now, int raw_days, int rollup_days,
              const volatile bool *stop)
{
	int64_t raw_cut = now - (int64_t)raw_days * 86400;
	int64_t rollup_cut = now - (int64_t)rollup_days * 86400;
	long long total = 0;
	int n;

	/* A point in a bucket that is still filling waits for the next run. */
	raw_cut -= raw_cut % 300;
	/* Once for the run, not for every batch: it looks at every VM. */
	if (store_retention_snapshot(db, raw_cut) != STORE_OK)
		return -1;
	do {
		if (store_retention_rollup(db, raw_cut, RETENTION_BATCH, &n) !=
		    STORE_OK)
			return -1;
		total += n;
		pause_briefly();
	} while (n == RETENTION_BATCH && !*stop);
	do {
		if (store_retention_prune(db, rollup_cut, RETENTION_BATCH,
		                          &n) != STORE_OK)
			return -1;
		total += n;
		if (n > 0)
			pause_briefly();
	} while (n == RETENTION_BATCH && !*stop);
	if (total > 0)
		log_info("retention: %lld metric rows rolled up or deleted",
		         total);
	return total;
}
