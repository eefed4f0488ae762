/*
 * The server's background work: the rule engine thread (alerts that
 * raise and clear themselves, offline detection, action expiry, update
 * rollouts), the webhook thread (notify.c) and the retention thread. Each
 * has its own database connection; rule alerts go through
 * store_alert_raise/store_alert_resolve_rule like every other writer's.
 */

#include "engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "notify.h"
#include "retention.h"
#include "rollout.h"
#include "rules.h"
#include "server.h"
#include "store.h"
#include "store_alerts.h"
#include "store_rules.h"
#include "util.h"

/* Points read per query, and at most per pass. */
#define POINTS_CHUNK 5000
#define POINTS_PASS_MAX 500000
/* Seconds between retention runs. */
#define RETENTION_EVERY 60

/* The alert types the rules own, one bit each in the episode masks. */
enum rule_type {
	RT_OFFLINE,
	RT_DISK,
	RT_CPU,
	RT_MEM,
	RT_QUOTA,
	RT_UNUSUAL,
	RT_BILLING,
	RT_COUNT,
};

static const char *const rt_names[RT_COUNT] = {
    "vm_offline", "disk_space",       "high_cpu",        "high_memory",
    "api_quota",  "unusual_activity", "billing_overdue",
};

/* What the engine remembers of one VM (or customer) between passes. */
struct subject {
	char *id;
	struct subject *next;
	unsigned gen; /* pass that last saw it */
	struct rules_sustain cpu, mem;
	struct rules_detector det;
	double last_cpu, last_mem;
	/*
	 * The severity raised in the current episode of each type: while
	 * the condition holds, an alert someone resolved by hand is not
	 * raised again (unless it gets worse).
	 */
	enum rules_sev episode[RT_COUNT];
	int64_t episode_hb; /* last heartbeat when vm_offline was raised */
	/* The open rule alerts: open[t] counts when open_gen[t] is this pass.
	 */
	enum rules_sev open[RT_COUNT];
	unsigned open_gen[RT_COUNT];
};

/* A string-keyed hash table of subjects. */
struct table {
	struct subject **b;
	size_t nb, n;
};

/* An alert change decided by a pass, applied after the scan. */
struct change {
	enum rule_type type;
	enum rules_sev sev; /* RULES_SEV_NONE: resolve */
	char *vm_id;
	char *customer_id;
	char msg[200];
};

struct engine {
	struct server *srv;
	const struct config *cfg;
	pthread_t rules_thread, retention_thread;
	bool rules_started, retention_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	volatile bool stopping;
	struct db *db;  /* rule thread's */
	struct db *rdb; /* retention thread's */
	struct notify *notify;

	struct table vms, customers;
	long long seq; /* last metric point fed */
	bool seq_ready;
	unsigned gen;
	int64_t now;
	struct change *changes;
	size_t nchanges, changes_cap;
};

static unsigned
hash_str(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct subject *
table_get(struct table *t, const char *id)
{
	struct subject *s;
	size_t i, h;

	if (t->nb == 0) {
		t->nb = 1024;
		t->b = xcalloc(t->nb, sizeof(*t->b));
	}
	h = hash_str(id) % t->nb;
	for (s = t->b[h]; s != NULL; s = s->next)
		if (strcmp(s->id, id) == 0)
			return s;
	if (t->n >= t->nb) { /* grow: keep chains short */
		size_t nb = t->nb * 2;
		struct subject **b = xcalloc(nb, sizeof(*b)), *next;

		for (i = 0; i < t->nb; i++)
			for (s = t->b[i]; s != NULL; s = next) {
				next = s->next;
				s->next = b[hash_str(s->id) % nb];
				b[hash_str(s->id) % nb] = s;
			}
		free(t->b);
		t->b = b;
		t->nb = nb;
		h = hash_str(id) % t->nb;
	}
	s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(id);
	s->next = t->b[h];
	t->b[h] = s;
	t->n++;
	return s;
}

/* Forgets subjects not seen since pass gen (deleted VMs or customers). */
static void
table_prune(struct table *t, unsigned gen)
{
	struct subject **pp, *s;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (pp = &t->b[i]; (s = *pp) != NULL;) {
			if (s->gen != gen) {
				*pp = s->next;
				free(s->id);
				free(s);
				t->n--;
			} else {
				pp = &s->next;
			}
		}
}

static void
table_free(struct table *t)
{
	table_prune(t, 0);
	table_prune(t, 1);
	free(t->b);
	memset(t, 0, sizeof(*t));
}

static int
rule_type_parse(const char *name)
{
	int t;

	for (t = 0; t < RT_COUNT; t++)
		if (strcmp(rt_names[t], name) == 0)
			return t;
	return -1;
}

/* Notes one open rule alert on its subject. */
static void
open_add(const char *vm, const char *customer, const char *type,
         const char *sev, void *arg)
{
	struct engine *e = arg;
	struct subject *s;
	int t = rule_type_parse(type);

	if (t < 0 || (vm == NULL && customer == NULL))
		return;
	/* VM alerts are one per VM, whatever their customer. */
	s = vm != NULL ? table_get(&e->vms, vm)
	               : table_get(&e->customers, customer);
	s->open[t] = rules_sev_parse(sev);
	if (s->open[t] == RULES_SEV_NONE)
		s->open[t] = RULES_SEV_INFO;
	s->open_gen[t] = e->gen;
}

static enum rules_sev
open_get(struct engine *e, struct subject *s, enum rule_type type)
{
	return s->open_gen[type] == e->gen ? s->open[type] : RULES_SEV_NONE;
}

static int64_t
sustain_window(const struct config *cfg)
{
	return cfg->sustained_seconds > 0
	           ? cfg->sustained_seconds
	           : (int64_t)cfg->sustained_minutes * 60;
}

static void
feed_point(const struct rules_point *p, void *arg)
{
	struct engine *e = arg;
	const struct config *cfg = e->cfg;
	struct subject *s = table_get(&e->vms, p->vm_id);
	int64_t window = sustain_window(cfg);
	int64_t gap = 3 * (int64_t)cfg->heartbeat_interval;

	if (gap < window)
		gap = window;
	rules_sustain_feed(&s->cpu, p->ts, p->cpu, cfg->cpu_high, window, gap);
	rules_sustain_feed(&s->mem, p->ts, p->mem, cfg->memory_high, window,
	                   gap);
	rules_detector_feed(&s->det, p->cpu, cfg->anomaly_k);
	s->last_cpu = p->cpu;
	s->last_mem = p->mem;
	s->gen = e->gen; /* fresh state counts as seen */
}

/* Feeds the points stored since the last pass to the VMs' state. */
static void
feed_points(struct engine *e)
{
	long long last, max, fed = 0;
	int64_t warm;

	if (!e->seq_ready) {
		/* Start with recent history so baselines need no warm-up. */
		warm = sustain_window(e->cfg) * 2;
		if (warm < 3600)
			warm = 3600;
		if (store_rules_points_since(e->db, e->now - warm, &e->seq) !=
		    STORE_OK)
			return;
		e->seq_ready = true;
	}
	/* Rows deleted from the end (a VM deleted): start from there. */
	if (store_rules_points_max(e->db, &max) == STORE_OK && max < e->seq)
		e->seq = max;
	do {
		if (store_rules_points(e->db, e->seq, POINTS_CHUNK, feed_point,
		                       e, &last) != STORE_OK)
			return;
		fed += last - e->seq;
		if (last == e->seq)
			break;
		e->seq = last;
	} while (fed < POINTS_PASS_MAX);
}

/* Queues a change; its message is for the caller to write. */
static struct change *
change_add(struct engine *e, enum rule_type type, enum rules_sev sev,
           const char *vm, const char *customer)
{
	struct change *c;

	if (e->nchanges == e->changes_cap) {
		e->changes_cap = e->changes_cap ? e->changes_cap * 2 : 64;
		e->changes =
		    xrealloc(e->changes, e->changes_cap * sizeof(*e->changes));
	}
	c = &e->changes[e->nchanges++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->sev = sev;
	c->vm_id = vm ? xstrdup(vm) : NULL;
	c->customer_id = customer ? xstrdup(customer) : NULL;
	return c;
}

/*
 * Compares what should be (want) with what is open for one subject and
 * type, and queues the difference. Returns the queued raise, whose
 * message the caller writes, or NULL when there is nothing to raise.
 */
static struct change *
decide(struct engine *e, struct subject *s, enum rule_type type,
       enum rules_sev want, const char *vm, const char *customer)
{
	enum rules_sev open = open_get(e, s, type);

	if (want == RULES_SEV_NONE) {
		s->episode[type] = RULES_SEV_NONE;
		if (open != RULES_SEV_NONE)
			change_add(e, type, RULES_SEV_NONE, vm, customer);
		return NULL;
	}
	if (open >= want)
		return NULL;
	/* Resolved by hand during this episode: only worse news counts. */
	if (open == RULES_SEV_NONE && s->episode[type] >= want)
		return NULL;
	return change_add(e, type, want, vm, customer);
}

#define MSG(c, ...) snprintf((c)->msg, sizeof((c)->msg), __VA_ARGS__)

static void
judge_vm(const struct rules_vm *vm, void *arg)
{
	struct engine *e = arg;
	const struct config *cfg = e->cfg;
	struct subject *s = table_get(&e->vms, vm->id);
	int64_t window = sustain_window(cfg);
	enum rules_sev want;
	struct change *c;
	int t;

	s->gen = e->gen;
	if (strcmp(vm->status, "maintenance") == 0) {
		/* Maintenance raises nothing and clears what was open. */
		for (t = 0; t < RT_BILLING; t++)
			decide(e, s, (enum rule_type)t, RULES_SEV_NONE, vm->id,
			       NULL);
		return;
	}

	want = rules_offline(e->now, vm->last_hb, vm->created_at,
	                     cfg->offline_after)
	           ? RULES_SEV_HIGH
	           : RULES_SEV_NONE;
	/* A heartbeat since the last raise starts a new episode. */
	if (want != RULES_SEV_NONE && s->episode_hb != vm->last_hb)
		s->episode[RT_OFFLINE] = RULES_SEV_NONE;
	s->episode_hb = vm->last_hb;
	if ((c = decide(e, s, RT_OFFLINE, want, vm->id, NULL)) != NULL) {
		if (vm->last_hb > 0)
			MSG(c, "no heartbeat for %lld s",
			    (long long)(e->now - vm->last_hb));
		else
			MSG(c,
			    "no heartbeat since the VM was created %lld s "
			    "ago",
			    (long long)(e->now - vm->created_at));
	}

	want = vm->has_point
	           ? rules_disk(vm->disk, cfg->disk_warning, cfg->disk_high)
	           : RULES_SEV_NONE;
	if ((c = decide(e, s, RT_DISK, want, vm->id, NULL)) != NULL)
		MSG(c, "disk %.1f%% full (over %g%%)", vm->disk,
		    want == RULES_SEV_HIGH ? cfg->disk_high
		                           : cfg->disk_warning);

	want = rules_sustain_holds(&s->cpu, window) ? RULES_SEV_WARNING
	                                            : RULES_SEV_NONE;
	if ((c = decide(e, s, RT_CPU, want, vm->id, NULL)) != NULL)
		MSG(c, "CPU over %g%% for %lld s (now %.1f%%)", cfg->cpu_high,
		    (long long)(s->cpu.last - s->cpu.since), s->last_cpu);

	want = rules_sustain_holds(&s->mem, window) ? RULES_SEV_WARNING
	                                            : RULES_SEV_NONE;
	if ((c = decide(e, s, RT_MEM, want, vm->id, NULL)) != NULL)
		MSG(c, "memory over %g%% for %lld s (now %.1f%%)",
		    cfg->memory_high, (long long)(s->mem.last - s->mem.since),
		    s->last_mem);

	want = vm->has_quota && vm->quota > cfg->quota_high ? RULES_SEV_WARNING
	                                                    : RULES_SEV_NONE;
	if ((c = decide(e, s, RT_QUOTA, want, vm->id, vm->customer_id)) != NULL)
		MSG(c, "API quota %.1f%% used (over %g%%)", vm->quota,
		    cfg->quota_high);

	want = s->det.active ? RULES_SEV_WARNING : RULES_SEV_NONE;
	if ((c = decide(e, s, RT_UNUSUAL, want, vm->id, NULL)) != NULL)
		MSG(c,
		    "CPU %.1f%% is %.1f deviations from this VM's baseline "
		    "of %.1f%%",
		    s->last_cpu, s->det.last_z, s->det.mean);
}

static void
judge_overdue(const char *id, void *arg)
{
	struct engine *e = arg;
	struct subject *s = table_get(&e->customers, id);
	struct change *c;

	s->gen = e->gen;
	if ((c = decide(e, s, RT_BILLING, RULES_SEV_INFO, NULL, id)) != NULL)
		MSG(c, "billing is overdue");
}

/* Open billing alerts of customers no longer overdue get resolved. */
static void
judge_billing_cleared(struct engine *e)
{
	struct subject *s;
	size_t i;

	for (i = 0; i < e->customers.nb; i++)
		for (s = e->customers.b[i]; s != NULL; s = s->next)
			if (s->gen != e->gen &&
			    open_get(e, s, RT_BILLING) != RULES_SEV_NONE)
				decide(e, s, RT_BILLING, RULES_SEV_NONE, NULL,
				       s->id);
}

/* Applies the queued changes. Returns how many alerts changed. */
static int
apply_changes(struct engine *e)
{
	struct store *st = e->srv->st;
	int64_t cutoff = e->now - e->cfg->offline_after;
	size_t i;
	int n = 0, rc;

	for (i = 0; i < e->nchanges; i++) {
		struct change *c = &e->changes[i];
		const char *type = rt_names[c->type];
		struct subject *s =
		    c->vm_id ? table_get(&e->vms, c->vm_id)
		             : table_get(&e->customers, c->customer_id);
		json_t *alert = NULL;
		bool created = false, silent;

		if (c->sev == RULES_SEV_NONE) {
			rc = store_alert_resolve_rule(
			    st, c->vm_id, c->customer_id, type, &alert);
			if (rc == STORE_OK && alert != NULL)
				n++;
			json_decref(alert);
			continue;
		}
		if (c->type == RT_OFFLINE) {
			/* Only if no heartbeat came in since the scan. */
			if (store_rules_set_offline(e->db, c->vm_id, cutoff,
			                            &silent) != STORE_OK ||
			    !silent)
				continue;
		}
		rc = store_alert_raise(st, c->vm_id, c->customer_id, type,
		                       rules_sev_name(c->sev), c->msg, &created,
		                       NULL);
		if (rc != STORE_OK)
			continue;
		s->episode[c->type] = c->sev;
		if (created)
			n++;
	}
	return n;
}

static void
changes_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nchanges; i++) {
		free(e->changes[i].vm_id);
		free(e->changes[i].customer_id);
	}
	e->nchanges = 0;
}

/*
 * One pass of every rule at now. Returns the number of alerts raised or
 * resolved, or -1 when the database could not be read.
 */
static int
rule_pass(struct engine *e, int64_t now)
{
	int changed = 0, expired = 0;

	e->now = now;
	e->gen++;
	if (e->gen < 2) /* 0 and 1 are table_free's */
		e->gen = 2;
	feed_points(e);
	if (store_rules_open_alerts(e->db, open_add, e) != STORE_OK ||
	    store_rules_vms(e->db, judge_vm, e) != STORE_OK ||
	    store_rules_overdue(e->db, judge_overdue, e) != STORE_OK) {
		changes_clear(e);
		return -1;
	}
	judge_billing_cleared(e);
	changed = apply_changes(e);
	changes_clear(e);
	table_prune(&e->vms, e->gen);
	table_prune(&e->customers, e->gen);
	if (changed > 0)
		notify_wake(e->notify);
	store_rules_expire_actions(e->db, now, e->cfg->action_timeout,
	                           &expired);
	rollout_step(e->db, now);
	return changed;
}

/* Waits until deadline (monotonic ms) or stop. False when stopping. */
static bool
engine_wait(struct engine *e, double deadline_ms)
{
	struct timespec ts;
	double now_ms;
	bool go;

	pthread_mutex_lock(&e->lock);
	while (!e->stopping) {
		now_ms = util_mono_ms();
		if (now_ms >= deadline_ms)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((deadline_ms - now_ms) / 1000);
		ts.tv_nsec +=
		    (long)((long long)(deadline_ms - now_ms) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	}
	go = !e->stopping;
	pthread_mutex_unlock(&e->lock);
	return go;
}

static void *
rules_main(void *arg)
{
	struct engine *e = arg;
	double start, ms;
	int changed;

	do {
		start = util_mono_ms();
		changed = rule_pass(e, util_now());
		ms = util_mono_ms() - start;
		if (e->cfg->log_rule_passes) {
			json_t *o = json_pack(
			    "{s:s, s:I, s:f, s:i}", "msg", "rule pass", "vms",
			    (json_int_t)e->vms.n, "ms", ms, "changed", changed);

			log_object("info", o);
			json_decref(o);
		}
		if (ms > e->cfg->rule_interval * 1000.0 / 2)
			log_warn("rule pass took %.0f ms, over half of "
			         "--rule-interval",
			         ms);
	} while (engine_wait(e, start + e->cfg->rule_interval * 1000.0));
	return NULL;
}

static void *
retention_main(void *arg)
{
	struct engine *e = arg;
	double start;

	do {
		start = util_mono_ms();
		retention_run(e->rdb, util_now(), e->cfg->raw_retention_days,
		              e->cfg->rollup_retention_days, &e->stopping);
	} while (engine_wait(e, start + RETENTION_EVERY * 1000.0));
	return NULL;
}

struct engine *
engine_start(struct server *srv)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	pthread_condattr_t attr;
	const char *path = store_path(srv->st);

	e->srv = srv;
	e->cfg = srv->cfg;
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_warn("libcurl failed to start: webhooks cannot be sent");
	e->db = db_open(path);
	e->rdb = db_open(path);
	e->notify = notify_start(path);
	if (e->db == NULL || e->rdb == NULL || e->notify == NULL)
		goto fail;
	if (pthread_create(&e->rules_thread, NULL, rules_main, e) != 0)
		goto fail;
	e->rules_started = true;
	if (pthread_create(&e->retention_thread, NULL, retention_main, e) != 0)
		goto fail;
	e->retention_started = true;
	return e;
fail:
	log_error("cannot start the rule engine");
	engine_stop(e);
	return NULL;
}

void
engine_stop(struct engine *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (e->rules_started)
		pthread_join(e->rules_thread, NULL);
	if (e->retention_started)
		pthread_join(e->retention_thread, NULL);
	notify_stop(e->notify);
	db_close(e->db);
	db_close(e->rdb);
	changes_clear(e);
	free(e->changes);
	table_free(&e->vms);
	table_free(&e->customers);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	curl_global_cleanup();
	free(e);
}
