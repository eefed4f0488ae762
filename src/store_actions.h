#ifndef LAB_STORE_ACTIONS_H
#define LAB_STORE_ACTIONS_H

/*
 * VM actions (restart, rebuild, update): requested through the API or a
 * rollout, handed to the agent by the heartbeat writer, reported back by
 * the agent. Every function returns STORE_*; an action comes out as a new
 * reference with id, vm_id, type, status, version, update_id, created_at,
 * updated_at, sent_at, completed_at, exit_code, output, requested_by.
 */

#include <stdbool.h>

#include <jansson.h>

#include "store.h"

/* The columns of an action as the API shows it. */
#define STORE_ACTION_COLS                                                      \
	"id, vm_id, type, status, version, update_id, created_at, "            \
	"updated_at, sent_at, completed_at, exit_code, output, requested_by"

/*
 * Requests an action of type ("restart" or "rebuild") for vm_id on
 * behalf of requested_by. In one BEGIN IMMEDIATE transaction: when an
 * action of that type is already pending or sent for the VM, *out is that
 * one and *created false; otherwise a new pending action is inserted,
 * *created true, and a rebuild also puts the VM in maintenance. *out is
 * a new reference (NULL on failure). STORE_NOTFOUND if there is no VM.
 */
int store_action_request(struct store *st, const char *vm_id, const char *type,
                         const char *requested_by, bool *created, json_t **out);

/*
 * The actions of vm_id, newest first. *items is a new array (also on
 * failure, then empty). STORE_NOTFOUND if there is no such VM.
 */
int store_action_list(struct store *st, const char *vm_id, long long limit,
                      long long offset, json_t **items, long long *total);

/* What an agent reports about one action. */
struct action_report {
	const char *status; /* "succeeded" or "failed" */
	const char *output; /* may be NULL */
	bool has_exit_code;
	long long exit_code;
};

/*
 * Records the outcome of action id of vm_id. An action that is already
 * final (succeeded, failed, expired) is left as it is: STORE_OK when the
 * report repeats its status, else STORE_CONFLICT. A rebuild that
 * succeeds brings its VM back online from maintenance; an update that
 * succeeds records its version on the VM. *out is the action after the
 * call, a new reference (also with STORE_CONFLICT; NULL otherwise on
 * failure). STORE_NOTFOUND if vm_id has no such action.
 */
int store_action_report(struct store *st, const char *vm_id, long long id,
                        const struct action_report *rep, json_t **out);

#endif
