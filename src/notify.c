/* Webhook notifications: fan-out of alert events and delivery. */

#include "notify.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "rules.h"
#include "util.h"
#include "version.h"

/* Events turned into deliveries per transaction. */
#define NOTIFY_FANOUT 200
/* Deliveries attempted per round (one per channel at most). */
#define NOTIFY_ROUND 32
/* How often the thread looks for work when nobody wakes it (ms). */
#define NOTIFY_POLL_MS 250
/* A delivery still failing after this long is given up. */
#define NOTIFY_GIVE_UP (24 * 3600)

struct notify {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	volatile bool abort_posts; /* read by libcurl's callback, unlocked */
	bool woken;
	struct db *db;
};

static const char *
str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

/* The one-line text of a Slack-compatible message. */
static char *
slack_text(const struct notify_event *ev)
{
	struct buf b;
	const char *sev = str_or(ev->alert, "severity", "info");
	const char *host = str_or(ev->vm, "hostname", NULL);
	const char *cust = str_or(ev->customer, "name", NULL);
	char *s;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "%s [",
	           strcmp(ev->event, "resolved") == 0 ? "Resolved" : "Alert");
	for (i = 0; sev[i] != '\0'; i++)
		buf_printf(&b, "%c",
		           sev[i] >= 'a' && sev[i] <= 'z' ? sev[i] - 'a' + 'A'
		                                          : sev[i]);
	buf_printf(&b, "] %s", str_or(ev->alert, "type", "alert"));
	if (host != NULL)
		buf_printf(&b, " on %s (%s)", host, str_or(ev->vm, "id", "?"));
	if (cust != NULL)
		buf_printf(&b, ", customer %s", cust);
	buf_printf(&b, ": %s", str_or(ev->alert, "message", ""));
	if (strcmp(ev->event, "resolved") == 0)
		buf_printf(&b, " (resolved by %s)",
		           str_or(ev->alert, "resolved_by", "someone"));
	s = buf_steal(&b, NULL);
	buf_free(&b);
	return s;
}

char *
notify_body(const struct notify_event *ev, const char *format,
            const char *min_severity)
{
	json_t *o;
	char *text, *s;

	if (rules_sev_parse(ev->severity) < rules_sev_parse(min_severity))
		return NULL;
	if (strcmp(format, "slack") == 0) {
		text = slack_text(ev);
		o = json_pack("{s:s}", "text", text);
		free(text);
	} else {
		o = json_pack("{s:s, s:O, s:O, s:O}", "event", ev->event,
		              "alert", ev->alert, "vm",
		              ev->vm ? ev->vm : json_null(), "customer",
		              ev->customer ? ev->customer : json_null());
	}
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* libcurl's progress callback: a nonzero answer aborts the transfer. */
static int
abort_check(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
            curl_off_t un)
{
	const volatile bool *abort_flag = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return abort_flag != NULL && *abort_flag;
}

/* notify_post that gives up as soon as *abort_flag turns true. */
static bool
post(const char *url, const char *body, const volatile bool *abort_flag,
     char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode cc;
	bool ok = false;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs =
	    curl_slist_append(hdrs, "User-Agent: lab-fleet/" LAB_FLEET_VERSION);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_check);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA,
	                 (void *)(uintptr_t)abort_flag);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		ok = status >= 200 && status < 300;
		if (!ok)
			snprintf(err, errlen, "HTTP %ld", status);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ok;
}

bool
notify_post(const char *url, const char *body, char *err, size_t errlen)
{
	return post(url, body, NULL, err, errlen);
}

static char *
make_body(const struct notify_event *ev, const struct notify_channel *ch,
          void *arg)
{
	(void)arg;
	return notify_body(ev, ch->format, ch->min_severity);
}

/* One round of deliveries. Returns how many were attempted. */
static int
deliver_round(struct notify *n)
{
	struct notify_delivery d[NOTIFY_ROUND];
	int64_t now = util_now(), next;
	char err[256], msg[320];
	int i, count = 0;
	bool ok;

	if (store_notify_due(n->db, now, d, NOTIFY_ROUND, &count) != STORE_OK)
		count = 0;
	for (i = 0; i < count; i++) {
		err[0] = '\0';
		ok = post(d[i].url, d[i].body, &n->abort_posts, err,
		          sizeof(err));
		if (n->abort_posts) {
			store_notify_delivery_free(&d[i]);
			continue; /* stopping: the delivery waits for next start
			           */
		}
		now = util_now();
		if (ok) {
			store_notify_result(n->db, &d[i], now, 0, "delivered",
			                    NULL);
		} else if (now - d[i].created_at >= NOTIFY_GIVE_UP) {
			snprintf(msg, sizeof(msg),
			         "gave up after %d attempts: %s",
			         d[i].attempts + 1, err);
			log_warn("channel %lld: %s", d[i].channel_id, msg);
			store_notify_result(n->db, &d[i], now, 0, "failed",
			                    msg);
		} else {
			next = now + rules_backoff(d[i].attempts);
			store_notify_result(n->db, &d[i], now, next, "retrying",
			                    err);
		}
		store_notify_delivery_free(&d[i]);
	}
	return count;
}

/* Waits ms or until woken or stopped. Returns false when stopping. */
static bool
wait_work(struct notify *n, long ms)
{
	struct timespec ts;
	bool go;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&n->lock);
	while (!n->stopping && !n->woken)
		if (pthread_cond_timedwait(&n->cond, &n->lock, &ts) != 0)
			break;
	n->woken = false;
	go = !n->stopping;
	pthread_mutex_unlock(&n->lock);
	return go;
}

static void *
notify_main(void *arg)
{
	struct notify *n = arg;
	int events, sent;

	do {
		do {
			events = 0;
			if (store_notify_fanout(n->db, NOTIFY_FANOUT,
			                        util_now(), make_body, NULL,
			                        &events) != STORE_OK)
				break;
		} while (events == NOTIFY_FANOUT);
		sent = deliver_round(n);
	} while (wait_work(n, sent > 0 ? 0 : NOTIFY_POLL_MS));
	return NULL;
}

struct notify *
notify_start(const char *db_path)
{
	struct notify *n = xcalloc(1, sizeof(*n));
	pthread_condattr_t attr;

	n->db = db_open(db_path);
	if (n->db == NULL) {
		free(n);
		return NULL;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		log_error("cannot start the notification thread");
		pthread_mutex_destroy(&n->lock);
		pthread_cond_destroy(&n->cond);
		db_close(n->db);
		free(n);
		return NULL;
	}
	return n;
}

void
notify_wake(struct notify *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->woken = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void
notify_stop(struct notify *n)
{
	if (n == NULL)
		return;
	n->abort_posts = true;
	pthread_mutex_lock(&n->lock);
	n->stopping = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	db_close(n->db);
	free(n);
}
