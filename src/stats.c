#include "stats.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "router.h"
#include "util.h"

#define STATS_ROUTES 129 /* MAX_ROUTES + 1 for everything unrouted */
#define NBUCKETS 12

static const double bucket_ms[NBUCKETS] = {1,   2,   5,   10,   25,   50,
                                           100, 250, 500, 1000, 2500, 10000};

struct route_stats {
	atomic_ullong by_class[6]; /* 1xx..5xx, index status/100 */
	atomic_ullong buckets[NBUCKETS + 1];
	atomic_ullong sum_us;
	atomic_ullong count;
};

struct stats {
	struct route_stats r[STATS_ROUTES];
};

struct stats *
stats_new(void)
{
	return xcalloc(1, sizeof(struct stats));
}

void
stats_free(struct stats *s)
{
	free(s);
}

void
stats_record(struct stats *s, int route, int status, double ms)
{
	struct route_stats *rs;
	int b = 0, cls = status / 100;

	if (route < 0 || route >= STATS_ROUTES - 1)
		route = STATS_ROUTES - 1;
	rs = &s->r[route];
	if (cls < 1 || cls > 5)
		cls = 5;
	atomic_fetch_add(&rs->by_class[cls], 1);
	while (b < NBUCKETS && ms > bucket_ms[b])
		b++;
	atomic_fetch_add(&rs->buckets[b], 1);
	atomic_fetch_add(&rs->sum_us, (unsigned long long)(ms * 1000.0));
	atomic_fetch_add(&rs->count, 1);
}

static void
route_label(int i, char *method, size_t mlen, const char **pattern)
{
	if (i < router_count()) {
		const struct route *rt = router_get(i);

		snprintf(method, mlen, "%s", rt->method);
		*pattern = rt->pattern;
	} else {
		snprintf(method, mlen, "ANY");
		*pattern = "other";
	}
}

void
stats_write(struct stats *s, struct buf *out)
{
	int i, b, c;

	buf_puts(out, "# HELP lab_fleet_http_requests_total HTTP requests "
	              "by route and status class.\n"
	              "# TYPE lab_fleet_http_requests_total counter\n");
	for (i = 0; i < STATS_ROUTES; i++) {
		char method[16];
		const char *pattern;

		if (i >= router_count() && i != STATS_ROUTES - 1)
			continue;
		route_label(i, method, sizeof(method), &pattern);
		for (c = 1; c <= 5; c++) {
			unsigned long long n =
			    atomic_load(&s->r[i].by_class[c]);

			if (n > 0)
				buf_printf(out,
				           "lab_fleet_http_requests_total{"
				           "method=\"%s\",route=\"%s\","
				           "code=\"%dxx\"} %llu\n",
				           method, pattern, c, n);
		}
	}
	buf_puts(out, "# HELP lab_fleet_http_request_duration_seconds "
	              "Request latency by route.\n"
	              "# TYPE lab_fleet_http_request_duration_seconds "
	              "histogram\n");
	for (i = 0; i < STATS_ROUTES; i++) {
		struct route_stats *rs = &s->r[i];
		unsigned long long cum = 0, count = atomic_load(&rs->count);
		char method[16];
		const char *pattern;

		if (count == 0)
			continue;
		route_label(i, method, sizeof(method), &pattern);
		for (b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load(&rs->buckets[b]);
			if (b < NBUCKETS)
				buf_printf(out,
				           "lab_fleet_http_request_duration_"
				           "seconds_bucket{method=\"%s\","
				           "route=\"%s\",le=\"%g\"} %llu\n",
				           method, pattern,
				           bucket_ms[b] / 1000.0, cum);
			else
				buf_printf(out,
				           "lab_fleet_http_request_duration_"
				           "seconds_bucket{method=\"%s\","
				           "route=\"%s\",le=\"+Inf\"} %llu\n",
				           method, pattern, cum);
		}
		buf_printf(out,
		           "lab_fleet_http_request_duration_seconds_sum{"
		           "method=\"%s\",route=\"%s\"} %.6f\n",
		           method, pattern,
		           (double)atomic_load(&rs->sum_us) / 1e6);
		buf_printf(out,
		           "lab_fleet_http_request_duration_seconds_count{"
		           "method=\"%s\",route=\"%s\"} %llu\n",
		           method, pattern, count);
	}
}
