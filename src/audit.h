#ifndef LAB_AUDIT_H
#define LAB_AUDIT_H

#include "api.h"

/*
 * Records a successful write: who, method, path, target, status and the
 * caller's address. Called by the router after every 2xx write.
 */
void audit_record(struct request *r);

#endif
