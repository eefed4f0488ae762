#ifndef LAB_STORE_RULES_H
#define LAB_STORE_RULES_H

/*
 * The SQL the rule pass reads and writes. The functions run on the
 * caller's own connection (the engine's threads open theirs with
 * db_open) and return STORE_*. Strings handed to callbacks are borrowed
 * for the call only.
 */

#include <stdbool.h>
#include <stdint.h>

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

#endif
