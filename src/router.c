#include "router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "auth.h"
#include "reply.h"
#include "server.h"
#include "static.h"

#define MAX_ROUTES 128

static const struct route *all_tables[] = {
    api_service_routes, api_auth_routes,      api_customers_routes,
    api_vms_routes,     api_heartbeat_routes, api_actions_routes,
    api_metrics_routes, api_alerts_routes,    api_updates_routes,
    api_admin_routes,   api_channels_routes,
};

static const struct route *routes[MAX_ROUTES];
static int nroutes;

void
router_init(void)
{
	size_t t;
	const struct route *rt;

	nroutes = 0;
	for (t = 0; t < sizeof(all_tables) / sizeof(all_tables[0]); t++)
		for (rt = all_tables[t]; rt->method != NULL; rt++)
			if (nroutes < MAX_ROUTES)
				routes[nroutes++] = rt;
}

int
router_count(void)
{
	return nroutes;
}

const struct route *
router_get(int i)
{
	return routes[i];
}

int
router_index(const struct route *rt)
{
	int i;

	for (i = 0; i < nroutes; i++)
		if (routes[i] == rt)
			return i;
	return -1;
}

/*
 * Matches pattern against the segments of a path split in place. On a
 * match params[] point into segs; returns the number of params or -1.
 */
static int
match_pattern(const char *pattern, char *const *segs, int nsegs,
              const char **params)
{
	const char *p = pattern, *end;
	size_t len;
	int i = 0, np = 0;

	/* In place, no copy: this runs for every route of every request. */
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (i >= nsegs)
			return -1;
		if (p[0] == ':') {
			if (np < API_MAX_PARAMS)
				params[np++] = segs[i];
		} else if (strncmp(p, segs[i], len) != 0 ||
		           segs[i][len] != '\0') {
			return -1;
		}
		i++;
		p += len;
	}
	return i == nsegs ? np : -1;
}

int
router_match(struct request *r)
{
	char *segs[16];
	char *p, *save = NULL, *tok;
	const char *params[API_MAX_PARAMS];
	int nsegs = 0, i, np;
	bool path_known = false;

	r->allow[0] = '\0';
	if (strlen(r->path) >= sizeof(r->segs))
		return 404;
	snprintf(r->segs, sizeof(r->segs), "%s", r->path);
	for (p = r->segs; (tok = strtok_r(p, "/", &save)) != NULL; p = NULL) {
		if (nsegs == 16)
			return 404;
		segs[nsegs++] = tok;
	}
	for (i = 0; i < nroutes; i++) {
		np = match_pattern(routes[i]->pattern, segs, nsegs, params);
		if (np < 0)
			continue;
		path_known = true;
		if (strcmp(routes[i]->method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		     strcmp(routes[i]->method, "GET") == 0)) {
			r->route = routes[i];
			r->nparams = np;
			memcpy(r->params, params, sizeof(params));
			return 0;
		}
		if (strstr(r->allow, routes[i]->method) == NULL) {
			size_t len = strlen(r->allow);

			snprintf(r->allow + len, sizeof(r->allow) - len, "%s%s",
			         len ? ", " : "", routes[i]->method);
		}
	}
	return path_known ? 405 : 404;
}

static bool
is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

/* The body: JSON only, parsed strictly. Returns false after answering. */
static bool
parse_body(struct request *r, const char *body, size_t len)
{
	const char *ctype;
	json_error_t jerr;

	if (body == NULL || len == 0)
		return true;
	ctype = req_header(r, "Content-Type");
	if (ctype == NULL || strncasecmp(ctype, "application/json", 16) != 0) {
		reply_error(r, 415, "unsupported_media_type", NULL,
		            "the body must be JSON (Content-Type: "
		            "application/json)");
		return false;
	}
	r->body = json_loadb(body, len,
	                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (r->body == NULL) {
		reply_error(r, 400, "invalid_json", NULL,
		            "invalid JSON at line %d column %d: %s", jerr.line,
		            jerr.column, jerr.text);
		return false;
	}
	return true;
}

/* Who may call what: the route's role and the agent binding. */
static bool
authorize(struct request *r)
{
	const struct route *rt = r->route;

	if (r->who.role == ROLE_AGENT) {
		if (!(rt->flags & ROUTE_AGENT) || r->nparams < 1 ||
		    strcmp(r->params[0], r->who.vm_id) != 0) {
			reply_error(r, 403, "forbidden", NULL,
			            "an agent token may only speak for its "
			            "own VM");
			return false;
		}
		return true;
	}
	if (r->who.role < rt->min_role) {
		reply_error(r, 403, "forbidden", NULL,
		            "your role may not do this");
		return false;
	}
	if (r->who.via_cookie && is_write(r->method)) {
		const char *csrf = req_header(r, "X-CSRF-Token");

		if (csrf == NULL || !auth_csrf_ok(&r->who, csrf)) {
			reply_error(r, 403, "forbidden", NULL,
			            "missing or wrong X-CSRF-Token header");
			return false;
		}
	}
	return true;
}

void
router_dispatch(struct request *r, const char *body, size_t len)
{
	int m;

	if (static_is_ui_path(r->path)) {
		static_serve(r);
		return;
	}
	m = router_match(r);
	if (m == 404) {
		reply_error(r, 404, "not_found", NULL, "no such route");
		return;
	}
	if (m == 405) {
		reply_error(r, 405, "method_not_allowed", NULL,
		            "%s is not allowed here (allowed: %s)", r->method,
		            r->allow);
		return;
	}
	if (!(r->route->flags & ROUTE_PUBLIC)) {
		if (!auth_authenticate(r))
			return;
		if (!authorize(r))
			return;
	}
	if (!parse_body(r, body, len))
		return;
	r->route->handler(r);
	if (r->status >= 200 && r->status < 300 && is_write(r->method) &&
	    !(r->route->flags & ROUTE_NO_AUDIT) && r->who.role != ROLE_NONE)
		audit_record(r);
}
