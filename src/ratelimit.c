#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define RL_SLOTS 1024
#define RL_MAX_FAILS 32

struct rl_entry {
	char key[64];
	int64_t fails[RL_MAX_FAILS]; /* ring of failure times */
	int n, head;
	int64_t last;
};

struct ratelimit {
	pthread_mutex_t lock;
	int max, window;
	struct rl_entry e[RL_SLOTS];
};

struct ratelimit *
ratelimit_new(int max, int window_s)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	rl->max = max < RL_MAX_FAILS ? max : RL_MAX_FAILS;
	rl->window = window_s;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* Drops failures older than the window. */
static void
expire(struct ratelimit *rl, struct rl_entry *e, int64_t now)
{
	while (e->n > 0) {
		int oldest = (e->head - e->n + RL_MAX_FAILS) % RL_MAX_FAILS;

		if (e->fails[oldest] > now - rl->window)
			break;
		e->n--;
	}
}

/*
 * The entry for key; with create, takes a free or the least recently
 * used slot. Caller holds the lock.
 */
static struct rl_entry *
lookup(struct ratelimit *rl, const char *key, bool create)
{
	struct rl_entry *victim = &rl->e[0];
	int i;

	for (i = 0; i < RL_SLOTS; i++) {
		if (rl->e[i].key[0] && strcmp(rl->e[i].key, key) == 0)
			return &rl->e[i];
		if (rl->e[i].last < victim->last)
			victim = &rl->e[i];
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	return victim;
}

bool
ratelimit_allowed(struct ratelimit *rl, const char *key, int *retry_after)
{
	struct rl_entry *e;
	int64_t now = util_now();
	bool ok = true;

	*retry_after = 0;
	pthread_mutex_lock(&rl->lock);
	e = lookup(rl, key, false);
	if (e != NULL) {
		expire(rl, e, now);
		if (e->n >= rl->max) {
			int oldest =
			    (e->head - e->n + RL_MAX_FAILS) % RL_MAX_FAILS;

			ok = false;
			*retry_after =
			    (int)(e->fails[oldest] + rl->window - now) + 1;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

void
ratelimit_fail(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e;
	int64_t now = util_now();

	pthread_mutex_lock(&rl->lock);
	e = lookup(rl, key, true);
	expire(rl, e, now);
	e->fails[e->head] = now;
	e->head = (e->head + 1) % RL_MAX_FAILS;
	if (e->n < RL_MAX_FAILS)
		e->n++;
	e->last = now;
	pthread_mutex_unlock(&rl->lock);
}

void
ratelimit_clear(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e;

	pthread_mutex_lock(&rl->lock);
	e = lookup(rl, key, false);
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&rl->lock);
}
