#ifndef LAB_API_H
#define LAB_API_H

/*
 * What a handler sees of a request, and the route tables each api_*.c
 * exports. Handlers know nothing of libmicrohttpd or SQL: they read the
 * request, call the store, and answer through the reply_* helpers of
 * reply.h.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct server;

enum role {
	ROLE_NONE = 0,
	ROLE_AGENT, /* bound to one VM, see principal.vm_id */
	ROLE_VIEWER,
	ROLE_OPERATOR,
	ROLE_ADMIN,
};

struct principal {
	enum role role;
	char name[160];     /* "user:admin", "token:ci", "agent:vm-1" */
	long long user_id;  /* 0 unless a user */
	long long token_id; /* 0 unless a token */
	char vm_id[72];     /* agent tokens only */
	bool via_cookie;
	char csrf[72]; /* the session's CSRF token, cookie logins only */
};

#define API_MAX_PARAMS 3

struct request {
	/* In */
	const char *method;
	const char *path;
	const char *params[API_MAX_PARAMS]; /* ":x" segments, in order */
	int nparams;
	json_t *body; /* parsed JSON body or NULL when none was sent */
	struct principal who;
	char addr[64];
	struct server *srv;
	void *conn; /* http.c's connection, for headers and query */
	const struct route *route;
	char segs[2048]; /* a copy of the path that params point into */

	/* Out */
	int status;
	struct buf out;
	const char *content_type;
	char *set_cookie; /* owned */
	char allow[64];
	const char *cache_control;
	int file_fd; /* >= 0: answer with this file (static.c), owned */
	long long file_size;
	const char *audit_target; /* what a write acted on, if not params[0] */
	char audit_buf[72];
};

/* Route flags */
#define ROUTE_PUBLIC 0x01   /* no authentication at all */
#define ROUTE_AGENT 0x02    /* an agent token of VM params[0] may call it */
#define ROUTE_NO_AUDIT 0x04 /* telemetry, not an operator's write */

struct route {
	const char *method;
	const char *pattern; /* "/api/vms/:id/heartbeat" */
	void (*handler)(struct request *r);
	enum role min_role;
	int flags;
};

/* Query string value or NULL. Borrowed, valid for the request. */
const char *req_query(struct request *r, const char *key);
/* Request header value or NULL. Borrowed, valid for the request. */
const char *req_header(struct request *r, const char *name);

extern const struct route api_service_routes[];
extern const struct route api_customers_routes[];
extern const struct route api_vms_routes[];
extern const struct route api_heartbeat_routes[];
extern const struct route api_actions_routes[];
extern const struct route api_metrics_routes[];
extern const struct route api_alerts_routes[];
extern const struct route api_updates_routes[];
extern const struct route api_auth_routes[];
extern const struct route api_admin_routes[];
extern const struct route api_channels_routes[];

#endif
