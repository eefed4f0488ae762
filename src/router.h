#ifndef LAB_ROUTER_H
#define LAB_ROUTER_H

#include "api.h"

/* Builds the route table from every api_*_routes. Call once at start. */
void router_init(void);
/* Number of routes and the i-th one, for /metrics and the OpenAPI test. */
int router_count(void);
const struct route *router_get(int i);
/* Index of a route in the table, for per-route statistics. */
int router_index(const struct route *rt);

/*
 * Finds the route for r->method and r->path and fills r->params and
 * r->route. Returns 0 when found, 404 when no pattern matches the path,
 * 405 (with r->allow filled) when only the method is wrong.
 */
int router_match(struct request *r);

/*
 * Runs a request from end to end: match, authenticate, authorize,
 * parse the body, call the handler, audit. The answer is left in r.
 * body/len is the raw request body (may be NULL).
 */
void router_dispatch(struct request *r, const char *body, size_t len);

#endif
