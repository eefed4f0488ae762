/*
 * Unit tests of the rules (tables of cases), the anomaly detector on
 * synthetic series, webhook bodies, and the engine's SQL on a temporary
 * database: retention roll-up, alert events written by triggers, rollout
 * batches.
 */

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "retention.h"
#include "rules.h"
#include "store.h"
#include "store_channels.h"
#include "store_live.h"
#include "store_retention.h"
#include "store_rollout.h"

/* A deterministic normal variate generator (LCG + Box-Muller). */
static unsigned long long rng_state;

static double
uniform(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double
normal(double mean, double sd)
{
	return mean +
	       sd * sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

/* Feeds n points of f(i) and returns how many times the alert held. */
static int
run_series(struct rules_detector *d, int from, int n, double (*f)(int),
           double k)
{
	int i, on = 0;

	for (i = from; i < from + n; i++)
		on += rules_detector_feed(d, f(i), k);
	return on;
}

static double
flat(int i)
{
	(void)i;
	return 12.0;
}

static double
noisy(int i)
{
	(void)i;
	return normal(40, 6);
}

static double
step(int i)
{
	return i < 200 ? normal(15, 1.5) : normal(70, 1.5);
}

static double
spike(int i)
{
	return i == 150 ? 100.0 : normal(20, 2);
}

static double
spikes(int i)
{
	return i % 25 == 0 && i > 0 ? 95.0 : normal(20, 2);
}

START_TEST(detector_flat_series_never_alerts)
{
	struct rules_detector d = {0};

	ck_assert_int_eq(run_series(&d, 0, 1000, flat, 4), 0);
	/* A small wiggle on a flat line is not an anomaly either. */
	ck_assert(!rules_detector_feed(&d, 14, 4));
	ck_assert(!rules_detector_feed(&d, 15, 4));
	ck_assert(!rules_detector_feed(&d, 14, 4));
	ck_assert(!d.active);
}
END_TEST

START_TEST(detector_noisy_series_never_alerts)
{
	struct rules_detector d = {0};

	rng_state = 42;
	ck_assert_int_eq(run_series(&d, 0, 20000, noisy, 4), 0);
}
END_TEST

START_TEST(detector_single_spikes_never_alert)
{
	struct rules_detector d = {0};
	double before;

	rng_state = 7;
	ck_assert_int_eq(run_series(&d, 0, 150, spike, 4), 0);
	before = d.mean;
	ck_assert_int_eq(run_series(&d, 150, 1, spike, 4), 0);
	ck_assert_int_eq(d.run, 1);
	/* One spike barely moves the baseline. */
	ck_assert(fabs(d.mean - before) < 1.0);
	ck_assert_int_eq(run_series(&d, 151, 100, spike, 4), 0);
	/* Nor do isolated spikes every 25 points. */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(run_series(&d, 0, 2000, spikes, 4), 0);
}
END_TEST

START_TEST(detector_step_change_alerts_then_becomes_baseline)
{
	struct rules_detector d = {0};
	int i, first = -1, last = -1;

	rng_state = 99;
	ck_assert_int_eq(run_series(&d, 0, 200, step, 4), 0);
	for (i = 200; i < 600; i++) {
		if (rules_detector_feed(&d, step(i), 4)) {
			if (first < 0)
				first = i;
			last = i;
		}
	}
	/* Raised after RULES_DETECT_RAISE outliers in a row... */
	ck_assert_int_eq(first, 200 + RULES_DETECT_RAISE - 1);
	/* ...held while the new level is far from the baseline... */
	ck_assert_int_gt(last - first, 5);
	/* ...and cleared once the new level is the baseline. */
	ck_assert(!d.active);
	ck_assert(fabs(d.mean - 70) < 5);
	ck_assert_int_lt(last, 400);
}
END_TEST

START_TEST(detector_drop_alerts_too_and_warmup_judges_nothing)
{
	struct rules_detector d = {0};
	int i;

	for (i = 0; i < RULES_DETECT_WARMUP - 1; i++)
		ck_assert(!rules_detector_feed(&d, i % 2 ? 60 : 0, 4));
	memset(&d, 0, sizeof(d));
	for (i = 0; i < 100; i++)
		rules_detector_feed(&d, 80 + (i % 3), 4);
	for (i = 0; i < RULES_DETECT_RAISE - 1; i++)
		ck_assert(!rules_detector_feed(&d, 2, 4));
	ck_assert(rules_detector_feed(&d, 2, 4));
	ck_assert(d.last_z < -4);
	/* Clears after RULES_DETECT_CLEAR ordinary points. */
	for (i = 0; i < RULES_DETECT_CLEAR - 1; i++)
		ck_assert(rules_detector_feed(&d, 81, 4));
	ck_assert(!rules_detector_feed(&d, 81, 4));
	/* NaN is ignored. */
	ck_assert(!rules_detector_feed(&d, NAN, 4));
}
END_TEST

START_TEST(disk_thresholds)
{
	static const struct {
		double disk;
		enum rules_sev want;
	} cases[] = {
	    {0, RULES_SEV_NONE},     {79.9, RULES_SEV_NONE},
	    {80, RULES_SEV_NONE},    {80.1, RULES_SEV_WARNING},
	    {90, RULES_SEV_WARNING}, {90.01, RULES_SEV_HIGH},
	    {100, RULES_SEV_HIGH},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_int_eq(rules_disk(cases[i].disk, 80, 90),
		                 cases[i].want);
	ck_assert_str_eq(rules_sev_name(RULES_SEV_HIGH), "high");
	ck_assert_ptr_null(rules_sev_name(RULES_SEV_NONE));
	ck_assert_int_eq(rules_sev_parse("warning"), RULES_SEV_WARNING);
	ck_assert_int_eq(rules_sev_parse("bogus"), RULES_SEV_NONE);
	ck_assert_int_eq(rules_sev_parse(NULL), RULES_SEV_NONE);
}
END_TEST

START_TEST(offline_threshold)
{
	static const struct {
		int64_t now, last, created;
		bool want;
	} cases[] = {
	    {1000, 900, 0, false},   /* 100 s: fine */
	    {1000, 700, 0, false},   /* exactly 300 s */
	    {1000, 699, 0, true},    /* 301 s */
	    {1000, 0, 900, false},   /* never, but young */
	    {1000, 0, 600, true},    /* never, and old */
	    {1000, 990, 100, false}, /* recent beat of an old VM */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_int_eq(rules_offline(cases[i].now, cases[i].last,
		                               cases[i].created, 300),
		                 cases[i].want);
}
END_TEST

START_TEST(sustained_needs_the_whole_window)
{
	struct rules_sustain s = {0};
	int64_t t;

	/* Over for 4 minutes of a 5-minute window: not yet. */
	for (t = 1000; t <= 1240; t += 30)
		ck_assert(!rules_sustain_feed(&s, t, 95, 90, 300, 90));
	ck_assert(!rules_sustain_feed(&s, 1270, 95, 90, 300, 90));
	ck_assert(rules_sustain_feed(&s, 1300, 95, 90, 300, 90));
	ck_assert(rules_sustain_holds(&s, 300));
	/* One point under breaks it, and the run starts again. */
	ck_assert(!rules_sustain_feed(&s, 1330, 50, 90, 300, 90));
	ck_assert(!rules_sustain_feed(&s, 1360, 95, 90, 300, 90));
	ck_assert(!rules_sustain_feed(&s, 1600, 95, 90, 300, 90));
	/* A single spike never holds. */
	memset(&s, 0, sizeof(s));
	ck_assert(!rules_sustain_feed(&s, 10, 100, 90, 300, 90));
	ck_assert(!rules_sustain_feed(&s, 40, 10, 90, 300, 90));
	/* A gap longer than max_gap restarts the run. */
	memset(&s, 0, sizeof(s));
	ck_assert(!rules_sustain_feed(&s, 0 + 1, 95, 90, 300, 90));
	ck_assert(!rules_sustain_feed(&s, 400, 95, 90, 300, 90));
	ck_assert_int_eq(s.since, 400);
	/* Out-of-order points change nothing. */
	ck_assert(!rules_sustain_feed(&s, 100, 10, 90, 300, 90));
	ck_assert_int_eq(s.since, 400);
}
END_TEST

START_TEST(batches_and_backoff)
{
	ck_assert_int_eq(rules_batch_size(0, 10), 0);
	ck_assert_int_eq(rules_batch_size(5, 40), 2);
	ck_assert_int_eq(rules_batch_size(10, 10), 1);
	ck_assert_int_eq(rules_batch_size(3, 1), 1);
	ck_assert_int_eq(rules_batch_size(1000, 10), 100);
	ck_assert_int_eq(rules_batch_size(7, 100), 7);
	ck_assert_int_eq(rules_batch_size(7, 500), 7);
	ck_assert_int_eq(rules_backoff(0), 1);
	ck_assert_int_eq(rules_backoff(1), 2);
	ck_assert_int_eq(rules_backoff(5), 32);
	ck_assert_int_eq(rules_backoff(10), 600);
	ck_assert_int_eq(rules_backoff(1000), 600);
}
END_TEST

START_TEST(webhook_bodies)
{
	json_t *alert = json_pack("{s:i, s:s, s:s, s:s, s:b}", "id", 7, "type",
	                          "disk_space", "severity", "warning",
	                          "message", "disk 85% full", "resolved", 0);
	json_t *vm = json_pack("{s:s, s:s}", "id", "vm-1", "hostname", "web1");
	struct notify_event ev = {1, "raised", "warning", alert, vm, NULL};
	json_t *o;
	char *s;

	ck_assert_ptr_null(notify_body(&ev, "json", "high"));
	s = notify_body(&ev, "json", "warning");
	ck_assert_ptr_nonnull(s);
	o = json_loads(s, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")),
	                 "raised");
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(o, "alert"), "id")),
	                 7);
	ck_assert(json_is_null(json_object_get(o, "customer")));
	json_decref(o);
	free(s);
	s = notify_body(&ev, "slack", "info");
	o = json_loads(s, 0, NULL);
	ck_assert_int_eq(json_object_size(o), 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "text")),
	                 "Alert [WARNING] disk_space on web1 (vm-1): "
	                 "disk 85% full");
	json_decref(o);
	free(s);
	json_decref(alert);
	json_decref(vm);
}
END_TEST

/* Database cases */

static char dir[64];
static char path[128];
static struct store *st;
static struct db *db;

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lab-fleet-rules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fleet.db", dir);
	log_set_quiet(1);
	ck_assert_int_eq(store_open(path, 2, &st), STORE_OK);
	db = db_open(path);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(
	    db_exec(db,
	            "INSERT INTO customers (id, name, email, tier,"
	            " created_at) VALUES ('c1', 'Acme', 'a@x.test', 'pro', 0);"
	            "INSERT INTO vms (id, hostname, ip_address, customer_id,"
	            " tier, status, created_at, cpu_cores, memory_gb,"
	            " disk_gb, version) VALUES"
	            " ('vm-a', 'a', '10.0.0.1', 'c1', 'pro', 'online', 0,"
	            " 1, 1, 1, '1.0.0'),"
	            " ('vm-b', 'b', '10.0.0.2', 'c1', 'pro', 'online', 0,"
	            " 1, 1, 1, '1.0.0'),"
	            " ('vm-c', 'c', '10.0.0.3', 'c1', 'pro', 'online', 0,"
	            " 1, 1, 1, '2.0.0')"),
	    STORE_OK);
}

static void
teardown(void)
{
	char cmd[200];

	db_close(db);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static long long
count(const char *sql)
{
	sqlite3_stmt *stmt = db_prepare(db, sql);
	long long n = -1;

	ck_assert_ptr_nonnull(stmt);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	db_done(stmt);
	return n;
}

START_TEST(retention_rolls_up_in_batches)
{
	int64_t now = 800 * 86400;
	sqlite3_stmt *ins = db_prepare(
	    db, "INSERT INTO metrics (vm_id, ts, cpu, mem, disk, disk_used)"
	        " VALUES (?1, ?2, ?3, 50, 60, 10)");
	volatile bool stop = false;
	int i;

	ck_assert_int_eq(db_begin(db), STORE_OK);
	/* 10 days of a point a minute for vm-a: 7 are past retention. */
	for (i = 0; i < 10 * 1440; i++) {
		sqlite3_bind_text(ins, 1, "vm-a", -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, now - 10 * 86400 + i * 60);
		sqlite3_bind_double(ins, 3, i % 5 == 0 ? 100 : 0);
		ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
		sqlite3_reset(ins);
	}
	db_done(ins);
	/* A 5-minute row from two years ago, to be pruned. */
	ck_assert_int_eq(db_exec(db, "INSERT INTO metrics_5m VALUES ('vm-b',"
	                             " 0, 1, 1, 1, 1, 1)"),
	                 STORE_OK);
	ck_assert_int_eq(db_commit(db), STORE_OK);

	ck_assert_int_eq(retention_run(db, now, 7, 365, &stop), 3 * 1440 + 1);
	ck_assert_int_eq(count("SELECT count(*) FROM metrics"), 7 * 1440);
	ck_assert_int_eq(count("SELECT min(ts) FROM metrics"), now - 7 * 86400);
	/* 3 days of 5-minute buckets, each the mean of 5 points. */
	ck_assert_int_eq(count("SELECT count(*) FROM metrics_5m"), 3 * 288);
	ck_assert_int_eq(count("SELECT sum(n) FROM metrics_5m"), 3 * 1440);
	ck_assert_int_eq(count("SELECT count(*) FROM metrics_5m WHERE"
	                       " abs(cpu - 20) > 1e-9 OR mem <> 50"),
	                 0);
	/* Nothing more to do the second time. */
	ck_assert_int_eq(retention_run(db, now, 7, 365, &stop), 0);
}
END_TEST

START_TEST(rollup_merges_into_a_partly_filled_bucket)
{
	int n;

	ck_assert_int_eq(
	    db_exec(db, "INSERT INTO metrics (vm_id, ts, cpu, mem, disk,"
	                " disk_used) VALUES ('vm-a', 600, 10, 10, 10, 10),"
	                " ('vm-a', 660, 20, 20, 20, 20),"
	                " ('vm-a', 720, 60, 60, 60, 60)"),
	    STORE_OK);
	ck_assert_int_eq(store_retention_rollup(db, 10000, 2, &n), STORE_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_retention_rollup(db, 10000, 2, &n), STORE_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(count("SELECT n FROM metrics_5m WHERE bucket = 600"),
	                 3);
	ck_assert_int_eq(count("SELECT cpu FROM metrics_5m WHERE bucket = 600"),
	                 30);
}
END_TEST

/*
 * A VM's live figures are its newest raw point; when retention deletes
 * the last of them, the VM keeps them as a snapshot in its row.
 */
START_TEST(retention_keeps_the_live_figures_of_a_silent_vm)
{
	const char *live =
	    "SELECT " VM_LIVE("ts", "last_heartbeat") " * 1000 + " VM_LIVE(
	        "cpu", "m_cpu") " FROM vms v" VM_JOIN_NEWEST_POINT
	                        " WHERE v.id = 'vm-a'";
	int n;

	/* vm-a fell silent long ago; vm-b still reports. */
	ck_assert_int_eq(
	    db_exec(db, "INSERT INTO metrics (vm_id, ts, cpu, mem, disk,"
	                " disk_used) VALUES ('vm-a', 600, 10, 10, 10, 10),"
	                " ('vm-a', 660, 42, 20, 20, 20),"
	                " ('vm-b', 700, 5, 5, 5, 5),"
	                " ('vm-b', 20000, 7, 7, 7, 7)"),
	    STORE_OK);
	ck_assert_int_eq(count(live), 660 * 1000 + 42);
	ck_assert_int_eq(store_retention_snapshot(db, 10000), STORE_OK);
	ck_assert_int_eq(store_retention_rollup(db, 10000, 100, &n), STORE_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(count("SELECT count(*) FROM metrics WHERE vm_id ="
	                       " 'vm-a'"),
	                 0);
	ck_assert_int_eq(count(live), 660 * 1000 + 42);
	/* vm-b still has raw points: its row was left alone. */
	ck_assert_int_eq(count("SELECT count(*) FROM vms WHERE id = 'vm-b'"
	                       " AND m_ts IS NULL AND last_heartbeat IS NULL"),
	                 1);
	/* A heartbeat after that is newer than the snapshot. */
	ck_assert_int_eq(
	    db_exec(db, "INSERT INTO metrics (vm_id, ts, cpu, mem, disk,"
	                " disk_used) VALUES ('vm-a', 30000, 3, 3, 3, 3)"),
	    STORE_OK);
	ck_assert_int_eq(count(live), 30000LL * 1000 + 3);
}
END_TEST

static char *
make_test_body(const struct notify_event *ev, const struct notify_channel *ch,
               void *arg)
{
	(*(int *)arg)++;
	return notify_body(ev, ch->format, ch->min_severity);
}

START_TEST(alert_changes_become_deliveries)
{
	int made = 0, n;

	/* No channel: no events are even recorded. */
	ck_assert_int_eq(db_exec(db, "INSERT INTO alerts (vm_id, type,"
	                             " severity, message, created_at) VALUES"
	                             " ('vm-a', 'x', 'high', 'm', 0)"),
	                 STORE_OK);
	ck_assert_int_eq(count("SELECT count(*) FROM alert_events"), 0);
	ck_assert_int_eq(
	    db_exec(db, "INSERT INTO channels (url, min_severity, created_at)"
	                " VALUES ('http://a', 'warning', 0),"
	                " ('http://b', 'high', 0)"),
	    STORE_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO alerts (vm_id, type,"
	                             " severity, message, created_at) VALUES"
	                             " ('vm-a', 'y', 'warning', 'm', 0)"),
	                 STORE_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE alerts SET severity = 'high'"
	                             " WHERE type = 'y'"),
	                 STORE_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE alerts SET resolved = 1"),
	                 STORE_OK);
	/* raised (warning), raised (high), resolved x2 (high). */
	ck_assert_int_eq(count("SELECT count(*) FROM alert_events"), 4);
	ck_assert_int_eq(
	    store_notify_fanout(db, 100, 5, make_test_body, &made, &n),
	    STORE_OK);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(made, 8);
	ck_assert_int_eq(count("SELECT count(*) FROM alert_events"), 0);
	/* a: 1 warning + 3 high; b: 3 high. */
	ck_assert_int_eq(count("SELECT count(*) FROM deliveries"), 7);
	ck_assert_int_eq(
	    count("SELECT count(*) FROM deliveries WHERE channel_id = 2"), 3);
}
END_TEST

START_TEST(deliveries_go_in_order_per_channel)
{
	struct notify_delivery d[8];
	int n, i;

	ck_assert_int_eq(
	    db_exec(db, "INSERT INTO channels (url, created_at) VALUES"
	                " ('http://a', 0), ('http://b', 0);"
	                "INSERT INTO deliveries (channel_id, body, next_at,"
	                " created_at) VALUES (1, '1', 0, 0), (1, '2', 0, 0),"
	                " (2, '3', 50, 0)"),
	    STORE_OK);
	ck_assert_int_eq(store_notify_due(db, 10, d, 8, &n), STORE_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(d[0].body, "1");
	/* Failed: retried later, and channel 1's next waits behind it. */
	ck_assert_int_eq(
	    store_notify_result(db, &d[0], 10, 20, "retrying", "HTTP 500"),
	    STORE_OK);
	store_notify_delivery_free(&d[0]);
	ck_assert_int_eq(store_notify_due(db, 10, d, 8, &n), STORE_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_notify_due(db, 60, d, 8, &n), STORE_OK);
	ck_assert_int_eq(n, 2);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(
		    store_notify_result(db, &d[i], 60, 0, "delivered", NULL),
		    STORE_OK);
		store_notify_delivery_free(&d[i]);
	}
	ck_assert_int_eq(store_notify_due(db, 60, d, 8, &n), STORE_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(d[0].body, "2");
	store_notify_delivery_free(&d[0]);
	ck_assert_int_eq(count("SELECT attempts FROM deliveries WHERE"
	                       " body = '2'"),
	                 0);
}
END_TEST

START_TEST(rollout_targets_and_batches)
{
	struct rollout_state s;
	json_t *u;
	long long n;

	ck_assert_int_eq(db_exec(db, "INSERT INTO updates (id, version,"
	                             " created_at) VALUES (1, '2.0.0', 0)"),
	                 STORE_OK);
	ck_assert_int_eq(store_rollout_start(st, 1, 50, "test", 100, &u),
	                 STORE_OK);
	/* vm-c already runs 2.0.0: two targets, batches of one. */
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(u, "progress"), "target")),
	                 2);
	json_decref(u);
	ck_assert_int_eq(store_rollout_start(st, 1, 50, "test", 100, &u),
	                 STORE_CONFLICT);
	ck_assert_int_eq(store_rollout_state(db, 1, &s), STORE_OK);
	ck_assert_int_eq(s.batch, 1);
	ck_assert_int_eq(s.last, 2);
	ck_assert_int_eq(s.open, 1);
	ck_assert_int_eq(s.behind, 2);
	ck_assert_int_eq(db_exec(db, "UPDATE actions SET status ="
	                             " 'succeeded'; UPDATE vms SET version ="
	                             " '2.0.0' WHERE id = 'vm-a'"),
	                 STORE_OK);
	ck_assert_int_eq(store_rollout_hand_out(db, 1, 2, "2.0.0", 200, &n),
	                 STORE_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM actions WHERE vm_id ="
	                       " 'vm-b' AND batch = 2 AND type = 'update'"),
	                 1);
	ck_assert_int_eq(store_rollout_start(st, 99, 50, "t", 1, &u),
	                 STORE_NOTFOUND);
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *pure = tcase_create("pure");
	TCase *sql = tcase_create("sql");

	tcase_add_test(pure, detector_flat_series_never_alerts);
	tcase_add_test(pure, detector_noisy_series_never_alerts);
	tcase_add_test(pure, detector_single_spikes_never_alert);
	tcase_add_test(pure, detector_step_change_alerts_then_becomes_baseline);
	tcase_add_test(pure,
	               detector_drop_alerts_too_and_warmup_judges_nothing);
	tcase_add_test(pure, disk_thresholds);
	tcase_add_test(pure, offline_threshold);
	tcase_add_test(pure, sustained_needs_the_whole_window);
	tcase_add_test(pure, batches_and_backoff);
	tcase_add_test(pure, webhook_bodies);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(sql, setup, teardown);
	tcase_set_timeout(sql, 60);
	tcase_add_test(sql, retention_rolls_up_in_batches);
	tcase_add_test(sql, rollup_merges_into_a_partly_filled_bucket);
	tcase_add_test(sql, retention_keeps_the_live_figures_of_a_silent_vm);
	tcase_add_test(sql, alert_changes_become_deliveries);
	tcase_add_test(sql, deliveries_go_in_order_per_channel);
	tcase_add_test(sql, rollout_targets_and_batches);
	suite_add_tcase(s, sql);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(rules_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
