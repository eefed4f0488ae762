/* GET /, GET /api/health: what this is and whether it is well. */

#include "api.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "version.h"

static void
service_info(struct request *r)
{
	reply_json(r, 200,
	           json_pack("{s:s, s:s, s:s, s:s}", "service", "lab-fleet",
	                     "version", LAB_FLEET_VERSION, "api", "/api",
	                     "dashboard", "/lab/"));
}

static void
service_health(struct request *r)
{
	bool ok = store_ping(r->srv->st);

	reply_json(r, ok ? 200 : 503,
	           json_pack("{s:s, s:s, s:I}", "status",
	                     ok ? "ok" : "degraded", "database",
	                     ok ? "ok" : "unavailable", "uptime_s",
	                     (json_int_t)(util_now() - r->srv->started)));
}

const struct route api_service_routes[] = {
    {"GET", "/", service_info, ROLE_NONE, ROUTE_PUBLIC},
    {"GET", "/api/health", service_health, ROLE_NONE, ROUTE_PUBLIC},
    {NULL, NULL, NULL, 0, 0},
};
