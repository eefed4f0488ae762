#ifndef LAB_STORE_ALERTS_H
#define LAB_STORE_ALERTS_H

/*
 * Alerts: manual ones made through the API and rule ones raised and
 * cleared by the rule engine. Every function returns STORE_*; an alert
 * comes out as a new reference shaped as the API shows it (id, vm_id,
 * customer_id, type, severity, message, created_at, resolved,
 * resolved_at, resolved_by, source).
 */

#include <stdbool.h>

#include <jansson.h>

#include "store.h"

/* Filters of store_alert_list; NULL (or resolved < 0) means any. */
struct alert_filter {
	int resolved; /* -1 any, 0 open, 1 resolved */
	const char *severity;
	const char *type;
	const char *vm_id;
	const char *customer_id;
	const char *source;
};

/* Severity rank: info 1, warning 2, high 3, anything else 0. */
int store_alert_severity_rank(const char *severity);

/*
 * Alerts matching f, newest first. *items is a new array (also on
 * failure, then empty) and *total the count of all matches.
 */
int store_alert_list(struct store *st, const struct alert_filter *f,
                     long long limit, long long offset, json_t **items,
                     long long *total);

/* *out: the alert, a new reference. STORE_NOTFOUND if none. */
int store_alert_get(struct store *st, long long id, json_t **out);

/*
 * Creates a manual alert. vm_id and customer_id may be NULL; when vm_id
 * is given and customer_id is not, the VM's customer is taken. When a
 * given VM or customer does not exist, returns STORE_INVALID with
 * *bad_field set to "vm_id" or "customer_id" (a static string). *out: the
 * new alert, a new reference, or NULL on failure.
 */
int store_alert_create(struct store *st, const char *vm_id,
                       const char *customer_id, const char *type,
                       const char *severity, const char *message,
                       const char **bad_field, json_t **out);

/*
 * Marks an alert resolved by who (e.g. "user:admin"). An alert already
 * resolved is left exactly as it is; either way *out is the alert, a new
 * reference. STORE_NOTFOUND if none.
 */
int store_alert_resolve(struct store *st, long long id, const char *who,
                        json_t **out);

/*
 * For the rule engine: raises a rule alert (source "rule") of type about
 * a VM (vm_id, customer_id may be NULL and is then taken from the VM) or
 * about a customer alone (vm_id NULL). There is at most one unresolved
 * rule alert per subject and type (a VM, or a customer without VM):
 *
 *  - none open: a new alert is inserted, *created = true;
 *  - one open with a lower severity: its severity and message are raised
 *    in place, *created = true (it is news worth announcing);
 *  - one open with the same or a higher severity: nothing changes,
 *    *created = false.
 *
 * *alert (may be NULL if not wanted) is the open alert after the call, a
 * new reference. STORE_INVALID when the VM or customer does not exist.
 * Safe to call from any thread, concurrently with the API.
 */
int store_alert_raise(struct store *st, const char *vm_id,
                      const char *customer_id, const char *type,
                      const char *severity, const char *message, bool *created,
                      json_t **alert);

/*
 * For the rule engine: resolves the open rule alert of type about the
 * same subject as store_alert_raise (by vm_id when given, else by
 * customer_id), with resolved_by "system". *resolved_alert_or_null (may
 * be NULL if not wanted) is the alert just resolved, a new reference, or
 * NULL when none was open. Returns STORE_OK in both cases.
 */
int store_alert_resolve_rule(struct store *st, const char *vm_id,
                             const char *customer_id, const char *type,
                             json_t **resolved_alert_or_null);

#endif
