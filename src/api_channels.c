/*
 * Routes of /api/channels (webhook notification channels) and of
 * POST /api/updates/:id/rollout (starting an update rollout): the
 * engine's resources, all admin only.
 */

#include <stdio.h>

#include "api.h"
#include "reply.h"
#include "server.h"
#include "store_channels.h"
#include "store_rollout.h"
#include "util.h"
#include "valid.h"

static const char *const formats[] = {"json", "slack", NULL};
static const char *const severities[] = {"info", "warning", "high", NULL};

static void
channels_list(struct request *r)
{
	json_t *items;
	int rc = store_channel_list(r->srv->st, &items);

	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "channels");
		return;
	}
	reply_list(r, items, (long long)json_array_size(items), 1000, 0);
}

static void
channels_create(struct request *r)
{
	json_t *body = reply_need_object(r), *row;
	const char *url = NULL, *format = "json", *sev = "warning";
	struct verr e = {0};
	bool enabled = true;
	int rc;

	if (body == NULL)
		return;
	if (v_string(body, "url", true, 1, 2000, &url, &e) &&
	    !v_is_http_url(url))
		verr_set(&e, "url", "url must be an http:// or https:// URL");
	v_enum(body, "format", false, formats, &format, &e);
	v_enum(body, "min_severity", false, severities, &sev, &e);
	v_bool(body, "enabled", false, &enabled, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	rc = store_channel_create(r->srv->st, url, format, sev, enabled, &row);
	if (rc != STORE_OK) {
		reply_store(r, rc, "channel");
		return;
	}
	snprintf(r->audit_buf, sizeof(r->audit_buf), "channel:%lld",
	         (long long)json_integer_value(json_object_get(row, "id")));
	r->audit_target = r->audit_buf;
	reply_json(r, 201, row);
}

static void
channels_delete(struct request *r)
{
	long long id;
	int rc;

	if (!util_parse_int(r->params[0], 1, 1LL << 62, &id)) {
		reply_not_found(r, "channel");
		return;
	}
	rc = store_channel_delete(r->srv->st, id);
	if (rc != STORE_OK) {
		reply_store(r, rc, "channel");
		return;
	}
	reply_empty(r, 204);
}

static void
updates_rollout(struct request *r)
{
	json_t *body = r->body, *row;
	long long id, pct = 10;
	struct verr e = {0};
	int rc;

	if (!util_parse_int(r->params[0], 1, 1LL << 62, &id)) {
		reply_not_found(r, "update");
		return;
	}
	/* The body is optional: batch_percent defaults to 10. */
	if (body != NULL && !json_is_object(body)) {
		reply_need_object(r);
		return;
	}
	if (body != NULL)
		v_int(body, "batch_percent", false, 1, 100, &pct, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	rc = store_rollout_start(r->srv->st, id, pct, r->who.name, util_now(),
	                         &row);
	if (rc == STORE_CONFLICT) {
		reply_error(r, 409, "conflict", NULL,
		            "update %lld is already rolling out or completed",
		            id);
		return;
	}
	if (rc != STORE_OK) {
		reply_store(r, rc, "update");
		return;
	}
	reply_json(r, 202, row);
}

const struct route api_channels_routes[] = {
    {"GET", "/api/channels", channels_list, ROLE_ADMIN, 0},
    {"POST", "/api/channels", channels_create, ROLE_ADMIN, 0},
    {"DELETE", "/api/channels/:id", channels_delete, ROLE_ADMIN, 0},
    {"POST", "/api/updates/:id/rollout", updates_rollout, ROLE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
