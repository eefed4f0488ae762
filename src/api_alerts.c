/* Alerts: list, read, raise by hand, resolve. */

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "reply.h"
#include "server.h"
#include "store_alerts.h"
#include "util.h"
#include "valid.h"

static const char *const severities[] = {"high", "warning", "info", NULL};
static const char *const sources[] = {"manual", "rule", NULL};

/* True when s is one of allowed. */
static bool
one_of(const char *s, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(s, allowed[i]) == 0)
			return true;
	return false;
}

/* Reads the list filters; answers 400 naming the bad one. */
static bool
list_filters(struct request *r, struct alert_filter *f)
{
	const char *v;

	memset(f, 0, sizeof(*f));
	f->resolved = -1;
	v = req_query(r, "resolved");
	if (v != NULL) {
		if (strcmp(v, "true") == 0) {
			f->resolved = 1;
		} else if (strcmp(v, "false") == 0) {
			f->resolved = 0;
		} else {
			reply_error(r, 400, "validation_failed", "resolved",
			            "resolved must be true or false");
			return false;
		}
	}
	f->severity = req_query(r, "severity");
	if (f->severity != NULL && !one_of(f->severity, severities)) {
		reply_error(r, 400, "validation_failed", "severity",
		            "severity must be one of: high, warning, info");
		return false;
	}
	f->type = req_query(r, "type");
	if (f->type != NULL && !v_is_type_name(f->type)) {
		reply_error(r, 400, "validation_failed", "type",
		            "type must be 1 to 40 of a-z and _");
		return false;
	}
	f->vm_id = req_query(r, "vm_id");
	if (f->vm_id != NULL && !v_is_id(f->vm_id)) {
		reply_error(r, 400, "validation_failed", "vm_id",
		            "vm_id is not a valid id");
		return false;
	}
	f->customer_id = req_query(r, "customer_id");
	if (f->customer_id != NULL && !v_is_id(f->customer_id)) {
		reply_error(r, 400, "validation_failed", "customer_id",
		            "customer_id is not a valid id");
		return false;
	}
	f->source = req_query(r, "source");
	if (f->source != NULL && !one_of(f->source, sources)) {
		reply_error(r, 400, "validation_failed", "source",
		            "source must be one of: manual, rule");
		return false;
	}
	return true;
}

static void
alerts_list(struct request *r)
{
	struct alert_filter f;
	long long limit, offset, total;
	json_t *items;
	int rc;

	if (!list_filters(r, &f) || !reply_page_params(r, &limit, &offset))
		return;
	rc = store_alert_list(r->srv->st, &f, limit, offset, &items, &total);
	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "alerts");
		return;
	}
	reply_list(r, items, total, limit, offset);
}

/* The alert id of the path, or 0 after answering 404. */
static long long
path_id(struct request *r)
{
	long long id;

	if (!util_parse_int(r->params[0], 1, 1LL << 62, &id)) {
		reply_not_found(r, "alert");
		return 0;
	}
	return id;
}

static void
alerts_get(struct request *r)
{
	long long id = path_id(r);
	json_t *alert;
	int rc;

	if (id == 0)
		return;
	rc = store_alert_get(r->srv->st, id, &alert);
	if (rc != STORE_OK) {
		reply_store(r, rc, "alert");
		return;
	}
	reply_json(r, 200, alert);
}

static void
alerts_create(struct request *r)
{
	json_t *body = reply_need_object(r), *alert;
	const char *vm_id = NULL, *customer_id = NULL, *type = NULL;
	const char *severity = NULL, *message = NULL, *source = NULL;
	const char *bad_field;
	struct verr e = {0};
	int rc;

	if (body == NULL)
		return;
	if (v_string(body, "vm_id", false, 1, 64, &vm_id, &e) &&
	    !v_is_id(vm_id))
		verr_set(&e, "vm_id", "vm_id does not name a VM");
	if (v_string(body, "customer_id", false, 1, 64, &customer_id, &e) &&
	    !v_is_id(customer_id))
		verr_set(&e, "customer_id",
		         "customer_id does not name a customer");
	if (v_string(body, "type", true, 1, 40, &type, &e) &&
	    !v_is_type_name(type))
		verr_set(&e, "type", "type must be 1 to 40 of a-z and _");
	v_enum(body, "severity", true, severities, &severity, &e);
	v_string(body, "message", true, 1, 4000, &message, &e);
	if (v_string(body, "source", false, 0, 40, &source, &e) &&
	    strcmp(source, "manual") != 0)
		verr_set(&e, "source",
		         "source must be manual: rule alerts come from the "
		         "server");
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	rc = store_alert_create(r->srv->st, vm_id, customer_id, type, severity,
	                        message, &bad_field, &alert);
	if (rc == STORE_INVALID && bad_field != NULL) {
		reply_error(r, 400, "validation_failed", bad_field,
		            "%s does not exist",
		            strcmp(bad_field, "vm_id") == 0 ? "the VM"
		                                            : "the customer");
		return;
	}
	if (rc != STORE_OK) {
		reply_store(r, rc, "alert");
		return;
	}
	snprintf(r->audit_buf, sizeof(r->audit_buf), "alert:%lld",
	         (long long)json_integer_value(json_object_get(alert, "id")));
	r->audit_target = r->audit_buf;
	reply_json(r, 201, alert);
}

static void
alerts_resolve(struct request *r)
{
	long long id = path_id(r);
	json_t *alert;
	int rc;

	if (id == 0)
		return;
	rc = store_alert_resolve(r->srv->st, id, r->who.name, &alert);
	if (rc != STORE_OK) {
		reply_store(r, rc, "alert");
		return;
	}
	snprintf(r->audit_buf, sizeof(r->audit_buf), "alert:%lld", id);
	r->audit_target = r->audit_buf;
	reply_json(r, 200, alert);
}

const struct route api_alerts_routes[] = {
    {"GET", "/api/alerts", alerts_list, ROLE_VIEWER, 0},
    {"POST", "/api/alerts", alerts_create, ROLE_OPERATOR, 0},
    {"GET", "/api/alerts/:id", alerts_get, ROLE_VIEWER, 0},
    {"PUT", "/api/alerts/:id/resolve", alerts_resolve, ROLE_OPERATOR, 0},
    {NULL, NULL, NULL, 0, 0},
};
