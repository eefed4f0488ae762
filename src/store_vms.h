#ifndef LAB_STORE_VMS_H
#define LAB_STORE_VMS_H

/*
 * VMs. Lists are hot (dashboards poll them), so VM rows are written
 * straight into a struct buf as JSON text rather than built as jansson
 * objects: {"id", "hostname", "ip_address", "customer_id",
 * "customer_name", "tier", "status", "created_at", "last_heartbeat",
 * "cpu_cores", "memory_gb", "disk_gb", "version", "monthly_cost",
 * "latest_metrics"}. Every function returns STORE_*; on failure what was
 * appended to out is unspecified and the caller discards it.
 */

#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "store.h"

struct vm_filter {
	const char *status;      /* NULL: any */
	const char *customer_id; /* NULL: any */
	const char *tier;        /* NULL: any */
	const char *q;           /* substring of hostname or IP, any case */
};

/*
 * Appends the page {"items","total","limit","offset"} of the VMs matching
 * f, newest first (created_at, then insertion order), to out; total is
 * the count of all matches.
 */
int store_vm_list(struct store *st, const struct vm_filter *f, long long limit,
                  long long offset, struct buf *out);
/* Appends VM id as a JSON object to out. STORE_NOTFOUND if none. */
int store_vm_get(struct store *st, const char *id, struct buf *out);
/*
 * Inserts a VM from v (validated columns, borrowed: id, hostname,
 * ip_address, customer_id, tier, status, cpu_cores, memory_gb, disk_gb,
 * version, monthly_cost; absent tier takes the customer's, absent status
 * is offline) and its agent token's hash, in one transaction, then
 * appends the new VM to out. STORE_INVALID when customer_id names no
 * customer; STORE_CONFLICT with *conflict "id" or "ip_address".
 */
int store_vm_create(struct store *st, json_t *v, const char *token_hash,
                    const char **conflict, struct buf *out);
/*
 * Sets the columns in set (validated, borrowed; other keys ignored) and
 * appends the VM after it to out. STORE_NOTFOUND, STORE_INVALID (no such
 * customer_id), STORE_CONFLICT (*conflict = "ip_address").
 */
int store_vm_update(struct store *st, const char *id, json_t *set,
                    const char **conflict, struct buf *out);
/* Deletes VM id with its metrics, alerts, actions and token. */
int store_vm_delete(struct store *st, const char *id);
/* STORE_OK when VM id exists, else STORE_NOTFOUND. */
int store_vm_exists(struct store *st, const char *id);

/* Appends d as a JSON number (null when not finite). */
void store_vms_json_number(struct buf *out, double d);
/* Appends Unix time t as a quoted RFC 3339 string. */
void store_vms_json_time(struct buf *out, int64_t t);

#endif
