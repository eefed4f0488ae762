/*
 * /api/vms: the VMs, their status and their agent tokens. VM bodies are
 * written by the store straight into the reply buffer (see store_vms.h).
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "reply.h"
#include "server.h"
#include "store_auth.h"
#include "store_vms.h"
#include "util.h"
#include "valid.h"

static const char *const tiers[] = {"starter", "pro", "enterprise", NULL};
static const char *const statuses[] = {"online", "offline", "maintenance",
                                       "error", NULL};

static void
vms_list(struct request *r)
{
	struct vm_filter f;
	long long limit, offset;
	int rc;

	if (!reply_page_params(r, &limit, &offset) ||
	    !reply_query_filter(r, "status", statuses, &f.status) ||
	    !reply_query_filter(r, "tier", tiers, &f.tier) ||
	    !reply_query_filter(r, "customer_id", NULL, &f.customer_id) ||
	    !reply_query_filter(r, "q", NULL, &f.q))
		return;
	buf_reset(&r->out);
	rc = store_vm_list(r->srv->st, &f, limit, offset, &r->out);
	if (rc != STORE_OK) {
		reply_store(r, rc, "vms");
		return;
	}
	r->status = 200;
}

/* Answers 200 with VM id, or the store's error. */
static void
reply_vm(struct request *r, const char *id)
{
	int rc;

	buf_reset(&r->out);
	rc = store_vm_get(r->srv->st, id, &r->out);
	if (rc != STORE_OK) {
		reply_store(r, rc, "VM");
		return;
	}
	r->status = 200;
}

static void
vms_get(struct request *r)
{
	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	reply_vm(r, r->params[0]);
}

/*
 * Checks the writable fields of body into set (borrowed, gets new
 * values). create: the required ones must be there and null is absent;
 * otherwise each is optional and null clears version only.
 */
static void
vm_fields(json_t *body, bool create, json_t *set, struct verr *e)
{
	const char *s;
	long long i;
	double d;

	if (create)
		v_string_to(body, "id", false, 1, 64, v_is_id,
		            "id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
		            set, e);
	if (!create)
		v_not_null(body, "hostname", e);
	v_string_to(body, "hostname", create, 1, 253, v_is_hostname,
	            "hostname must be an RFC 1123 host name", set, e);
	if (!create)
		v_not_null(body, "ip_address", e);
	if (v_string(body, "ip_address", create, 1, 64, &s, e)) {
		unsigned char a[16];
		char canon[INET6_ADDRSTRLEN];

		if (!v_is_ip(s)) {
			verr_set(e, "ip_address",
			         "ip_address must be an IPv4 or IPv6 address");
		} else if (strchr(s, ':') != NULL &&
		           inet_pton(AF_INET6, s, a) == 1 &&
		           inet_ntop(AF_INET6, a, canon, sizeof(canon)) !=
		               NULL) {
			/* One spelling per IPv6 address, so UNIQUE holds. */
			json_object_set_new(set, "ip_address",
			                    json_string(canon));
		} else {
			json_object_set_new(set, "ip_address", json_string(s));
		}
	}
	if (!create)
		v_not_null(body, "customer_id", e);
	v_string_to(body, "customer_id", create, 1, 64, v_is_id,
	            "customer_id does not name a customer", set, e);
	if (!create)
		v_not_null(body, "tier", e);
	if (v_enum(body, "tier", false, tiers, &s, e))
		json_object_set_new(set, "tier", json_string(s));
	if (!create)
		v_not_null(body, "status", e);
	if (v_enum(body, "status", false, statuses, &s, e))
		json_object_set_new(set, "status", json_string(s));
	if (!create)
		v_not_null(body, "cpu_cores", e);
	if (v_int(body, "cpu_cores", create, 1, 4096, &i, e))
		json_object_set_new(set, "cpu_cores", json_integer(i));
	if (!create)
		v_not_null(body, "memory_gb", e);
	if (v_number(body, "memory_gb", create, 0, true, 1e6, &d, e))
		json_object_set_new(set, "memory_gb", json_real(d));
	if (!create)
		v_not_null(body, "disk_gb", e);
	if (v_number(body, "disk_gb", create, 0, true, 1e9, &d, e))
		json_object_set_new(set, "disk_gb", json_real(d));
	if (!v_string_to(body, "version", false, 1, 64, v_is_version,
	                 "version must look like 1.2.3", set, e) &&
	    !create && json_is_null(json_object_get(body, "version")))
		json_object_set_new(set, "version", json_null());
	if (!create)
		v_not_null(body, "monthly_cost", e);
	if (v_number(body, "monthly_cost", false, 0, false, 1e9, &d, e))
		json_object_set_new(set, "monthly_cost", json_real(d));
}

/* Answers a failed create or update. */
static void
reply_write_failed(struct request *r, int rc, const char *conflict)
{
	if (rc == STORE_INVALID)
		reply_error(r, 400, "validation_failed", "customer_id",
		            "customer_id does not name a customer");
	else if (rc == STORE_CONFLICT && conflict != NULL)
		reply_error(r, 409, "conflict", conflict,
		            "another VM has this %s", conflict);
	else
		reply_store(r, rc, "VM");
}

static void
vms_create(struct request *r)
{
	json_t *v = reply_need_fields(r, true, vm_fields);
	char id[72], token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_LEN];
	const char *conflict;
	int rc;

	if (v == NULL)
		return;
	if (json_object_get(v, "id") == NULL) {
		memcpy(id, "vm_", 3);
		util_random_hex(id + 3, 8);
		json_object_set_new(v, "id", json_string(id));
	} else {
		snprintf(id, sizeof(id), "%s",
		         json_string_value(json_object_get(v, "id")));
	}
	auth_token_new(token);
	auth_token_hash(token, hash);
	buf_reset(&r->out);
	buf_puts(&r->out, "{\"vm\":");
	rc = store_vm_create(r->srv->st, v, hash, &conflict, &r->out);
	json_decref(v);
	if (rc != STORE_OK) {
		reply_write_failed(r, rc, conflict);
		return;
	}
	buf_puts(&r->out, ",\"agent_token\":");
	buf_json_string(&r->out, token);
	buf_puts(&r->out, "}");
	r->status = 201;
	snprintf(r->audit_buf, sizeof(r->audit_buf), "%s", id);
	r->audit_target = r->audit_buf;
}

/* Applies set (stolen) to VM r->params[0]; answers 200 with the VM. */
static void
reply_vm_update(struct request *r, json_t *set)
{
	const char *conflict;
	int rc;

	buf_reset(&r->out);
	rc = store_vm_update(r->srv->st, r->params[0], set, &conflict, &r->out);
	json_decref(set);
	if (rc != STORE_OK) {
		reply_write_failed(r, rc, conflict);
		return;
	}
	r->status = 200;
}

static void
vms_update(struct request *r)
{
	json_t *set;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	set = reply_need_fields(r, false, vm_fields);
	if (set == NULL)
		return;
	reply_vm_update(r, set);
}

static void
vms_delete(struct request *r)
{
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	rc = store_vm_delete(r->srv->st, r->params[0]);
	if (rc != STORE_OK) {
		reply_store(r, rc, "VM");
		return;
	}
	reply_empty(r, 204);
}

static void
vms_set_status(struct request *r)
{
	json_t *body;
	struct verr e = {0};
	const char *status;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	body = reply_need_object(r);
	if (body == NULL)
		return;
	if (!v_enum(body, "status", true, statuses, &status, &e)) {
		reply_invalid(r, &e);
		return;
	}
	reply_vm_update(r, json_pack("{s:s}", "status", status));
}

static void
vms_agent_token(struct request *r)
{
	char token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_LEN];
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	auth_token_new(token);
	auth_token_hash(token, hash);
	rc = store_agent_token_set(r->srv->st, r->params[0], hash);
	if (rc != STORE_OK) {
		reply_store(r, rc, "VM");
		return;
	}
	reply_json(r, 200, json_pack("{s:s}", "agent_token", token));
}

const struct route api_vms_routes[] = {
    {"GET", "/api/vms", vms_list, ROLE_VIEWER, 0},
    {"POST", "/api/vms", vms_create, ROLE_ADMIN, 0},
    {"GET", "/api/vms/:id", vms_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/vms/:id", vms_update, ROLE_ADMIN, 0},
    {"DELETE", "/api/vms/:id", vms_delete, ROLE_ADMIN, 0},
    {"PUT", "/api/vms/:id/status", vms_set_status, ROLE_OPERATOR, 0},
    {"POST", "/api/vms/:id/agent-token", vms_agent_token, ROLE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
