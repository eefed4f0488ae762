#ifndef LAB_RULES_H
#define LAB_RULES_H

/*
 * The alert rules as pure functions over numbers: no SQL, no HTTP, no
 * clock. The engine feeds them the fleet's state and metric points and
 * turns their answers into alerts. See docs/rules.md.
 */

#include <stdbool.h>
#include <stdint.h>

/* Severities, ordered. RULES_SEV_NONE: the condition does not hold. */
enum rules_sev {
	RULES_SEV_NONE = 0,
	RULES_SEV_INFO,
	RULES_SEV_WARNING,
	RULES_SEV_HIGH,
};

/* "info", "warning", "high", or NULL for RULES_SEV_NONE. Static. */
const char *rules_sev_name(enum rules_sev s);
/* The severity named s, or RULES_SEV_NONE when s is no severity. */
enum rules_sev rules_sev_parse(const char *s);

/*
 * True when a VM created at created_at whose last heartbeat was at
 * last_hb (0: never) counts as offline at now: no heartbeat for more
 * than offline_after seconds. A VM that never sent one counts only once
 * it is older than the threshold.
 */
bool rules_offline(int64_t now, int64_t last_hb, int64_t created_at,
                   int64_t offline_after);

/* Disk percent to severity: over high → high, over warning → warning. */
enum rules_sev rules_disk(double disk, double warning, double high);

/*
 * "Over a threshold for a while": fed one point at a time (ts ascending),
 * holds when every point for the last window seconds was over the
 * threshold. A gap longer than max_gap between two points breaks the
 * run, as nothing is known about the time between them.
 */
struct rules_sustain {
	int64_t since; /* first point of the current run over, 0 if none */
	int64_t last;  /* ts of the last point fed */
};

/* Feeds one point. Returns whether the condition holds after it. */
bool rules_sustain_feed(struct rules_sustain *s, int64_t ts, double v,
                        double threshold, int64_t window, int64_t max_gap);
/* Whether the condition holds, without a new point. */
bool rules_sustain_holds(const struct rules_sustain *s, int64_t window);

/*
 * The unusual-activity detector: an exponentially weighted mean and
 * variance of a VM's own CPU. A point is an outlier when it lies more
 * than k deviations from the mean (the deviation never taken below
 * RULES_DETECT_MIN_SD, so a flat series does not make every wiggle an
 * outlier). The alert holds after RULES_DETECT_RAISE outliers in a row
 * and clears after RULES_DETECT_CLEAR ordinary points in a row. Nothing
 * is judged during the first RULES_DETECT_WARMUP points. Outliers move
 * the baseline only as far as k deviations would and at a quarter of the
 * weight, so one spike barely shifts it, while a level that persists
 * becomes the new baseline after a while (about 20 points for a jump of
 * 20 deviations) and the alert then clears.
 */
#define RULES_DETECT_ALPHA 0.05
#define RULES_DETECT_WARMUP 20
#define RULES_DETECT_MIN_SD 2.0
#define RULES_DETECT_RAISE 3
#define RULES_DETECT_CLEAR 3

struct rules_detector {
	double mean;
	double var;
	int n;    /* points seen, capped */
	int run;  /* outliers in a row */
	int calm; /* ordinary points in a row */
	bool active;
	double last_z; /* deviations of the last point, signed */
};

/* Feeds one point. Returns whether the alert holds after it. */
bool rules_detector_feed(struct rules_detector *d, double x, double k);

/*
 * The number of VMs in each rollout batch: batch_percent of targets,
 * rounded up, at least 1 (0 when there are no targets).
 */
long long rules_batch_size(long long targets, long long batch_percent);

/*
 * Delay before delivery attempt number attempts + 1 of a webhook, in
 * seconds: 1, 2, 4, ... doubling up to 600.
 */
int64_t rules_backoff(int attempts);

#endif
