#include "audit.h"

#include "log.h"
#include "server.h"
#include "store_auth.h"

void
audit_record(struct request *r)
{
	const char *target = r->audit_target;

	if (target == NULL && r->nparams > 0)
		target = r->params[r->nparams - 1];
	if (store_audit_add(r->srv->st, r->who.name, r->method, r->path, target,
	                    r->status, r->addr) != STORE_OK)
		log_error("audit: could not record %s %s by %s", r->method,
		          r->path, r->who.name);
}
