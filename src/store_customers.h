#ifndef LAB_STORE_CUSTOMERS_H
#define LAB_STORE_CUSTOMERS_H

/*
 * Customers. Rows come out as the API shows them, vm_count included.
 * Every function returns STORE_*.
 */

#include <jansson.h>

#include "store.h"

struct customer_filter {
	const char *tier;           /* NULL: any */
	const char *billing_status; /* NULL: any */
	const char *q; /* substring of name, email or company, any case */
};

/*
 * The customers matching f, newest first (created_at, then insertion
 * order). *items is a new array (also on failure).
 */
int store_customer_list(struct store *st, const struct customer_filter *f,
                        long long limit, long long offset, json_t **items,
                        long long *total);
/* *out: the customer, a new reference; STORE_NOTFOUND if none. */
int store_customer_get(struct store *st, const char *id, json_t **out);
/*
 * Inserts a customer from c, an object of validated columns (id, name,
 * email, company, tier, billing_status, monthly_fee; borrowed). On
 * STORE_CONFLICT *conflict names the field at fault ("id" or "email").
 * *out: the new row, a new reference.
 */
int store_customer_create(struct store *st, json_t *c, const char **conflict,
                          json_t **out);
/*
 * Sets the columns in set (validated, borrowed; unknown keys are
 * ignored) of customer id. STORE_NOTFOUND if none; STORE_CONFLICT with
 * *conflict = "email" on a taken email. *out: the row after it.
 */
int store_customer_update(struct store *st, const char *id, json_t *set,
                          const char **conflict, json_t **out);
/* STORE_NOTFOUND if none; STORE_CONFLICT while it still has VMs. */
int store_customer_delete(struct store *st, const char *id);
/* True when a customer id exists (STORE_OK), else STORE_NOTFOUND. */
int store_customer_exists(struct store *st, const char *id);

#endif
