#ifndef LAB_STORE_METRICS_H
#define LAB_STORE_METRICS_H

/*
 * Reading metric history (raw points in `metrics`, 5-minute rollups in
 * `metrics_5m`) and the fleet's aggregate figures. Returns STORE_*.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "store.h"

/*
 * Appends the JSON array of VM vm_id's points since `since` (Unix
 * seconds), oldest first, to out: [{"timestamp","cpu_percent",
 * "memory_percent","disk_percent","disk_used_gb"}]. Rollups stand in for
 * the raw points the retention job has folded away, so a long window is
 * covered to its start. *step > 0: each point is the average of an
 * aligned bucket of *step seconds (weighted by the points in it).
 * *step == 0: raw points, unless there are more than max_points, in
 * which case *step becomes the smallest step that keeps a window of
 * `window` seconds to max_points buckets. STORE_NOTFOUND: no such VM.
 */
int store_metrics_series(struct store *st, const char *vm_id, int64_t since,
                         int64_t window, long long max_points, long long *step,
                         struct buf *out);

struct fleet {
	long long vms_total, vms_online, vms_offline, vms_maintenance,
	    vms_error;
	long long customers_total, customers_active, customers_inactive,
	    customers_overdue;
	long long tier_starter, tier_pro, tier_enterprise;
	double mrr, overdue, costs;
	bool has_usage; /* some online VM has a latest point */
	double avg_cpu, avg_memory, avg_disk;
	double disk_used_gb, cpu_cores, memory_gb, disk_gb;
	long long alerts_unresolved, alerts_high, alerts_warning, alerts_info;
	json_t *versions; /* {"1.2.3": count}, a new reference */
};

/* Fills f from one snapshot; f->versions is the caller's to decref. */
int store_fleet(struct store *st, struct fleet *f);

#endif
