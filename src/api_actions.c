/* VM actions: request a restart or rebuild, list them, agent reports. */

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "reply.h"
#include "server.h"
#include "store_actions.h"
#include "util.h"
#include "valid.h"

/* The largest output a report may carry, in bytes. */
#define ACTION_OUTPUT_MAX (64 * 1024)

static const char *const report_statuses[] = {"succeeded", "failed", NULL};

/* Answers {"action": action} with status; steals action. */
static void
reply_action(struct request *r, int status, json_t *action)
{
	reply_json(r, status, json_pack("{s:o}", "action", action));
}

static void
request_action(struct request *r, const char *type)
{
	const char *vm_id = r->params[0];
	json_t *action;
	bool created;
	int rc;

	if (!v_is_id(vm_id)) {
		reply_not_found(r, "VM");
		return;
	}
	rc = store_action_request(r->srv->st, vm_id, type, r->who.name,
	                          &created, &action);
	if (rc != STORE_OK) {
		reply_store(r, rc, "VM");
		return;
	}
	reply_action(r, created ? 202 : 200, action);
}

static void
actions_restart(struct request *r)
{
	request_action(r, "restart");
}

static void
actions_rebuild(struct request *r)
{
	request_action(r, "rebuild");
}

static void
actions_list(struct request *r)
{
	long long limit, offset, total;
	json_t *items;
	int rc;

	if (!v_is_id(r->params[0])) {
		reply_not_found(r, "VM");
		return;
	}
	if (!reply_page_params(r, &limit, &offset))
		return;
	rc = store_action_list(r->srv->st, r->params[0], limit, offset, &items,
	                       &total);
	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "VM");
		return;
	}
	reply_list(r, items, total, limit, offset);
}

static void
actions_report(struct request *r)
{
	json_t *body, *action;
	struct action_report rep = {0};
	struct verr e = {0};
	long long id;
	int rc;

	if (!v_is_id(r->params[0]) ||
	    !util_parse_int(r->params[1], 1, 1LL << 62, &id)) {
		reply_not_found(r, "action");
		return;
	}
	body = reply_need_object(r);
	if (body == NULL)
		return;
	v_enum(body, "status", true, report_statuses, &rep.status, &e);
	if (v_string(body, "output", false, 0, ACTION_OUTPUT_MAX, &rep.output,
	             &e) &&
	    strlen(rep.output) > ACTION_OUTPUT_MAX)
		verr_set(&e, "output", "output must be at most %d bytes",
		         ACTION_OUTPUT_MAX);
	rep.has_exit_code = v_int(body, "exit_code", false, -2147483648LL,
	                          2147483647LL, &rep.exit_code, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	rc = store_action_report(r->srv->st, r->params[0], id, &rep, &action);
	if (rc == STORE_CONFLICT) {
		const char *now =
		    json_string_value(json_object_get(action, "status"));

		reply_error(r, 409, "conflict", NULL,
		            "action %lld is already %s", id,
		            now != NULL ? now : "final");
		json_decref(action);
		return;
	}
	if (rc != STORE_OK) {
		reply_store(r, rc, "action");
		return;
	}
	snprintf(r->audit_buf, sizeof(r->audit_buf), "action:%lld", id);
	r->audit_target = r->audit_buf;
	reply_action(r, 200, action);
}

const struct route api_actions_routes[] = {
    {"POST", "/api/vms/:id/restart", actions_restart, ROLE_OPERATOR, 0},
    {"POST", "/api/vms/:id/rebuild", actions_rebuild, ROLE_OPERATOR, 0},
    {"GET", "/api/vms/:id/actions", actions_list, ROLE_VIEWER, 0},
    {"POST", "/api/vms/:id/actions/:action_id", actions_report, ROLE_OPERATOR,
     ROUTE_AGENT},
    {NULL, NULL, NULL, 0, 0},
};
