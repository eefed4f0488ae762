/* /api/customers: who the customers are, what they pay, their VMs. */

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "reply.h"
#include "server.h"
#include "store_customers.h"
#include "store_vms.h"
#include "util.h"
#include "valid.h"

static const char *const tiers[] = {"starter", "pro", "enterprise", NULL};
static const char *const billing[] = {"active", "inactive", "overdue", NULL};

static void
customers_list(struct request *r)
{
	struct customer_filter f;
	long long limit, offset, total;
	json_t *items;
	int rc;

	if (!reply_page_params(r, &limit, &offset) ||
	    !reply_query_filter(r, "tier", tiers, &f.tier) ||
	    !reply_query_filter(r, "billing_status", billing,
	                        &f.billing_status) ||
	    !reply_query_filter(r, "q", NULL, &f.q))
		return;
	rc = store_customer_list(r->srv->st, &f, limit, offset, &items, &total);
	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "customers");
		return;
	}
	reply_list(r, items, total, limit, offset);
}

static void
customers_get(struct request *r)
{
	json_t *row;
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "customer");
		return;
	}
	rc = store_customer_get(r->srv->st, r->params[0], &row);
	if (rc != STORE_OK) {
		reply_store(r, rc, "customer");
		return;
	}
	reply_json(r, 200, row);
}

static void
customers_vms(struct request *r)
{
	struct vm_filter f = {0};
	long long limit, offset;
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "customer");
		return;
	}
	if (!reply_page_params(r, &limit, &offset))
		return;
	rc = store_customer_exists(r->srv->st, r->params[0]);
	if (rc != STORE_OK) {
		reply_store(r, rc, "customer");
		return;
	}
	f.customer_id = r->params[0];
	buf_reset(&r->out);
	rc = store_vm_list(r->srv->st, &f, limit, offset, &r->out);
	if (rc != STORE_OK) {
		reply_store(r, rc, "vms");
		return;
	}
	r->status = 200;
}

/*
 * Checks the writable fields of body into set (borrowed, gets new
 * values). create: the required ones must be there and null is absent;
 * otherwise each is optional and null clears company only.
 */
static void
customer_fields(json_t *body, bool create, json_t *set, struct verr *e)
{
	const char *s;
	double d;

	if (create)
		v_string_to(body, "id", false, 1, 64, v_is_id,
		            "id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
		            set, e);
	if (!create)
		v_not_null(body, "name", e);
	v_string_to(body, "name", create, 1, 200, NULL, NULL, set, e);
	if (!create)
		v_not_null(body, "email", e);
	v_string_to(body, "email", create, 3, 254, v_is_email,
	            "email must be an address like name@example.com", set, e);
	if (!v_string_to(body, "company", false, 0, 200, NULL, NULL, set, e) &&
	    !create && json_is_null(json_object_get(body, "company")))
		json_object_set_new(set, "company", json_null());
	if (!create)
		v_not_null(body, "tier", e);
	if (v_enum(body, "tier", create, tiers, &s, e))
		json_object_set_new(set, "tier", json_string(s));
	if (!create)
		v_not_null(body, "billing_status", e);
	if (v_enum(body, "billing_status", false, billing, &s, e))
		json_object_set_new(set, "billing_status", json_string(s));
	if (!create)
		v_not_null(body, "monthly_fee", e);
	if (v_number(body, "monthly_fee", false, 0, false, 1e9, &d, e))
		json_object_set_new(set, "monthly_fee", json_real(d));
}

/* Answers a failed create or update. */
static void
reply_write_failed(struct request *r, int rc, const char *conflict)
{
	if (rc == STORE_CONFLICT && conflict != NULL)
		reply_error(r, 409, "conflict", conflict,
		            "another customer has this %s", conflict);
	else
		reply_store(r, rc, "customer");
}

static void
customers_create(struct request *r)
{
	json_t *c = reply_need_fields(r, true, customer_fields), *row;
	const char *conflict;
	char id[72];
	int rc;

	if (c == NULL)
		return;
	if (json_object_get(c, "id") == NULL) {
		memcpy(id, "cus_", 4);
		util_random_hex(id + 4, 8);
		json_object_set_new(c, "id", json_string(id));
	} else {
		snprintf(id, sizeof(id), "%s",
		         json_string_value(json_object_get(c, "id")));
	}
	rc = store_customer_create(r->srv->st, c, &conflict, &row);
	json_decref(c);
	if (rc != STORE_OK) {
		reply_write_failed(r, rc, conflict);
		return;
	}
	snprintf(r->audit_buf, sizeof(r->audit_buf), "%s", id);
	r->audit_target = r->audit_buf;
	reply_json(r, 201, row);
}

static void
customers_update(struct request *r)
{
	json_t *set, *row;
	const char *conflict;
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "customer");
		return;
	}
	set = reply_need_fields(r, false, customer_fields);
	if (set == NULL)
		return;
	rc = store_customer_update(r->srv->st, r->params[0], set, &conflict,
	                           &row);
	json_decref(set);
	if (rc != STORE_OK) {
		reply_write_failed(r, rc, conflict);
		return;
	}
	reply_json(r, 200, row);
}

static void
customers_delete(struct request *r)
{
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "customer");
		return;
	}
	rc = store_customer_delete(r->srv->st, r->params[0]);
	if (rc == STORE_CONFLICT) {
		reply_error(r, 409, "conflict", NULL,
		            "the customer still has VMs: delete or move them "
		            "first");
		return;
	}
	if (rc != STORE_OK) {
		reply_store(r, rc, "customer");
		return;
	}
	reply_empty(r, 204);
}

const struct route api_customers_routes[] = {
    {"GET", "/api/customers", customers_list, ROLE_VIEWER, 0},
    {"POST", "/api/customers", customers_create, ROLE_ADMIN, 0},
    {"GET", "/api/customers/:id", customers_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/customers/:id", customers_update, ROLE_ADMIN, 0},
    {"DELETE", "/api/customers/:id", customers_delete, ROLE_ADMIN, 0},
    {"GET", "/api/customers/:id/vms", customers_vms, ROLE_VIEWER, 0},
    {NULL, NULL, NULL, 0, 0},
};
