#ifndef LAB_STORE_RULES_H
#define LAB_STORE_RULES_H

/*
 * The SQL of the server's background work: what the rule pass reads and
 * writes, update rollouts, webhook channels and deliveries, and metric
 * retention. Functions taking a struct db run on the caller's own
 * connection (the engine's threads open theirs with db_open); those
 * taking a struct store borrow one from the pool. All return STORE_*.
 * Strings handed to callbacks are borrowed for the call only.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* One VM as the rule pass sees it. */
struct rules_vm {
	const char *id;
	const char *customer_id;
	const char *status;
	int64_t created_at;
	int64_t last_hb; /* 0: never */
	bool has_point;  /* m_* set */
	double disk;
	bool has_quota;
	double quota;
};

/* Calls cb for every VM. */
int store_rules_vms(struct db *db,
                    void (*cb)(const struct rules_vm *vm, void *arg),
                    void *arg);

/* Calls cb for every unresolved rule alert (vm_id may be NULL). */
int store_rules_open_alerts(struct db *db,
                            void (*cb)(const char *vm_id,
                                       const char *customer_id,
                                       const char *type, const char *severity,
                                       void *arg),
                            void *arg);

/* Calls cb with the id of every customer whose billing is overdue. */
int store_rules_overdue(struct db *db, void (*cb)(const char *id, void *arg),
                        void *arg);

/* A raw metric point, in the order they were stored. */
struct rules_point {
	long long seq; /* rowid */
	const char *vm_id;
	int64_t ts;
	double cpu, mem;
};

/*
 * Calls cb for up to limit points stored after seq after, oldest first;
 * *last is the seq of the last one (after when none).
 */
int store_rules_points(struct db *db, long long after, int limit,
                       void (*cb)(const struct rules_point *p, void *arg),
                       void *arg, long long *last);
/* *seq: the seq just before the first point at or after ts. */
int store_rules_points_since(struct db *db, int64_t ts, long long *seq);
/* *seq: the largest seq stored (0 when there are no points). */
int store_rules_points_max(struct db *db, long long *seq);

/*
 * Sets vm_id offline when its last heartbeat (or, never having sent one,
 * its creation) is before cutoff and it is not in maintenance.
 * *still_silent tells whether the VM is (still) silent, i.e. whether no
 * heartbeat came in meanwhile.
 */
int store_rules_set_offline(struct db *db, const char *vm_id, int64_t cutoff,
                            bool *still_silent);

/*
 * Actions pending or sent for longer than timeout seconds become
 * "expired". *n: how many.
 */
int store_rules_expire_actions(struct db *db, int64_t now, int64_t timeout,
                               int *n);

/* Rollouts */

/*
 * Starts the rollout of update id: targets the online VMs whose version
 * differs, splits them into batches of batch_percent, and creates the
 * first batch's "update" actions (requested_by who). An update that is
 * in progress or completed answers STORE_CONFLICT; a failed one starts
 * over. With no targets the update is completed at once. *out: the
 * update with its progress, a new reference (NULL on failure).
 */
int store_rollout_start(struct store *st, long long id, long long batch_percent,
                        const char *who, int64_t now, json_t **out);
/* *out: update id with rollout fields and progress, a new reference. */
int store_rollout_get(struct store *st, long long id, json_t **out);

/* The ids of the rollouts in progress, at most max of them. */
int store_rollout_active(struct db *db, long long *ids, int max, int *n);

/* Where a rollout stands. */
struct rollout_state {
	char version[80];
	long long batch;  /* the last batch handed out, 0 if none */
	long long last;   /* the last batch there is */
	long long open;   /* actions of that batch pending or sent */
	long long failed; /* actions of that batch failed or expired */
	long long behind; /* targets not yet running the version */
	int64_t started_at;
};

int store_rollout_state(struct db *db, long long id, struct rollout_state *s);
/*
 * Hands out "update" actions to the targets of batch that do not run the
 * version yet. *n: how many.
 */
int store_rollout_hand_out(struct db *db, long long id, long long batch,
                           const char *version, int64_t now, long long *n);
/* Sets rollout_status to status ("completed" also sets completed_at). */
int store_rollout_finish(struct db *db, long long id, const char *status,
                         int64_t now);

/* Channels and deliveries */

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

/* Retention */

/*
 * Rolls up to limit raw points older than cutoff into metrics_5m
 * (5-minute averages, merged with what a bucket already holds) and
 * deletes them, in one transaction. *n: points moved.
 */
int store_retention_rollup(struct db *db, int64_t cutoff, int limit, int *n);
/* Deletes up to limit 5-minute rows older than cutoff. *n: rows. */
int store_retention_prune(struct db *db, int64_t cutoff, int limit, int *n);

#endif
