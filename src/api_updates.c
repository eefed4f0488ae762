/* Agent updates: list, read, create. Rollouts live in the engine. */

#include <stdio.h>

#include "api.h"
#include "reply.h"
#include "server.h"
#include "store_updates.h"
#include "util.h"
#include "valid.h"

static void
updates_list(struct request *r)
{
	long long limit, offset, total;
	json_t *items;
	int rc;

	if (!reply_page_params(r, &limit, &offset))
		return;
	rc = store_update_list(r->srv->st, limit, offset, &items, &total);
	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "updates");
		return;
	}
	reply_list(r, items, total, limit, offset);
}

static void
updates_get(struct request *r)
{
	json_t *update;
	long long id;
	int rc;

	if (!util_parse_int(r->params[0], 1, 1LL << 62, &id)) {
		reply_not_found(r, "update");
		return;
	}
	rc = store_update_get(r->srv->st, id, &update);
	if (rc != STORE_OK) {
		reply_store(r, rc, "update");
		return;
	}
	reply_json(r, 200, update);
}

static void
updates_create(struct request *r)
{
	json_t *body = reply_need_object(r), *update;
	const char *version = NULL, *description = NULL;
	struct verr e = {0};
	int rc;

	if (body == NULL)
		return;
	if (v_string(body, "version", true, 1, 64, &version, &e) &&
	    !v_is_version(version))
		verr_set(&e, "version",
		         "version must look like 1.2.3 (optionally -suffix)");
	v_string(body, "description", false, 0, 2000, &description, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	rc = store_update_create(r->srv->st, version, description, &update);
	if (rc != STORE_OK) {
		reply_store(r, rc, "update");
		return;
	}
	snprintf(r->audit_buf, sizeof(r->audit_buf), "update:%lld",
	         (long long)json_integer_value(json_object_get(update, "id")));
	r->audit_target = r->audit_buf;
	reply_json(r, 201, update);
}

const struct route api_updates_routes[] = {
    {"GET", "/api/updates", updates_list, ROLE_VIEWER, 0},
    {"POST", "/api/updates", updates_create, ROLE_ADMIN, 0},
    {"GET", "/api/updates/:id", updates_get, ROLE_VIEWER, 0},
    {NULL, NULL, NULL, 0, 0},
};
