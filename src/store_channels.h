#ifndef LAB_STORE_CHANNELS_H
#define LAB_STORE_CHANNELS_H

/*
 * The SQL of webhook channels and deliveries. Functions taking a struct
 * db run on the caller's own connection (the notify thread); those taking
 * a struct store borrow one from the pool. All return STORE_*. JSON
 * handed back through *out is a new reference; what a notify_event points
 * to is borrowed for the call only.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* All channels with last_delivery, oldest first: *out a new array. */
int store_channel_list(struct store *st, json_t **out);
/* Creates a channel; *out the channel, a new reference. */
int store_channel_create(struct store *st, const char *url, const char *format,
                         const char *min_severity, bool enabled, json_t **out);
/* STORE_NOTFOUND when there is no channel id. */
int store_channel_delete(struct store *st, long long id);

/* One alert event, with what a webhook body says about it. */
struct notify_event {
	long long id;
	const char *event;    /* "raised" or "resolved" */
	const char *severity; /* at the time of the event */
	json_t *alert;        /* borrowed; never NULL */
	json_t *vm;           /* borrowed; may be NULL */
	json_t *customer;     /* borrowed; may be NULL */
};

/* One enabled channel, for the fan-out. */
struct notify_channel {
	long long id;
	char format[16];
	char min_severity[16];
};

/*
 * Fans out up to limit alert events: for each, calls make(ev, ch, arg)
 * for every enabled channel; a non-NULL result (taken) is queued as a
 * delivery due now. The events are then deleted, all in one
 * transaction. *n: events handled.
 */
int store_notify_fanout(struct db *db, int limit, int64_t now,
                        char *(*make)(const struct notify_event *ev,
                                      const struct notify_channel *ch,
                                      void *arg),
                        void *arg, int *n);

/* A delivery due now. */
struct notify_delivery {
	long long id;
	long long channel_id;
	char *url;  /* owned */
	char *body; /* owned */
	int attempts;
	int64_t created_at;
};

/*
 * Up to max deliveries due at now: the oldest waiting one of each
 * enabled channel, if due, so that a channel receives its events in
 * order. *n: how many were filled in. Free each with
 * store_notify_delivery_free.
 */
int store_notify_due(struct db *db, int64_t now, struct notify_delivery *out,
                     int max, int *n);
void store_notify_delivery_free(struct notify_delivery *d);
/* The earliest next_at of any delivery, or 0 if there is none. */
int store_notify_next(struct db *db, int64_t *at);
/*
 * Records an attempt: next_at 0 removes the delivery (delivered, or given
 * up), else it is retried then. The channel's last_delivery becomes
 * status and error (may be NULL).
 */
int store_notify_result(struct db *db, const struct notify_delivery *d,
                        int64_t now, int64_t next_at, const char *status,
                        const char *error);

#endif
