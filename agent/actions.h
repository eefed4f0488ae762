/*
 * actions.h: the actions the server handed this agent, from receipt to
 * report, kept in a state file so that an action runs once even when
 * answers repeat it or the agent restarts.
 */
#ifndef AGENT_ACTIONS_H
#define AGENT_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "hooks.h"

/* Finished and reported actions remembered (for de-duplication). */
#define ACTIONS_KEEP 200

enum action_phase {
	ACTION_QUEUED,
	ACTION_RUNNING,
	ACTION_DONE,
};

struct action {
	long long id;
	char type[32];
	char version[72]; /* "" when the action has none */
	enum action_phase phase;
	bool succeeded;
	int exit_code;
	char *output; /* owned; dropped once reported */
	bool reported;
};

struct actions {
	struct action *v; /* oldest first */
	size_t n, cap;
	char *path;     /* state file, or NULL to keep it in memory */
	int save_errno; /* errno of the last failed save, 0 after a good one */
};

/*
 * Opens the action log kept in path (NULL: memory only) and loads it.
 * Actions that were running when the agent stopped are finished here: a
 * restart counts as succeeded (stopping the agent is what a restart of
 * the machine does), anything else as failed; both are then reported.
 * A missing file is an empty log. Returns 0, or -1 with err filled when
 * the file exists but cannot be read or parsed (the log then starts
 * empty; the file is left for the operator).
 */
int actions_open(struct actions *a, const char *path, char *err, size_t errlen);

/*
 * Takes one entry of a heartbeat answer's "actions" (borrowed). Returns
 * 1 when it is new and now queued, 0 when it is already known, -1 when
 * it is malformed (no integer id > 0 or no type string).
 */
int actions_offer(struct actions *a, json_t *entry);

/* The action with this id, or NULL. Borrowed: valid until the log
 * changes. */
struct action *actions_find(struct actions *a, long long id);

/* The oldest queued action, or NULL. Borrowed. */
struct action *actions_next_queued(struct actions *a);

/* The oldest finished action not yet reported, or NULL. Borrowed. */
struct action *actions_next_unreported(struct actions *a);

/* The oldest unreported action after act, or NULL. Borrowed. */
struct action *actions_next_unreported_after(struct actions *a,
                                             const struct action *act);

/* Marks act running and saves. */
int actions_start(struct actions *a, struct action *act);

/* Records the hook's result (output copied) and saves. */
int actions_finish(struct actions *a, struct action *act,
                   const struct hook_result *res);

/*
 * Marks act reported (the server took it, or will never take it), drops
 * its output, forgets the oldest reported actions past ACTIONS_KEEP, and
 * saves. act is invalid afterwards.
 */
int actions_reported(struct actions *a, struct action *act);

/* The report body for a finished action. Returns a new reference. */
json_t *actions_report_json(const struct action *act);

/*
 * Writes the log to its file atomically (temporary file, fsync, rename).
 * Returns 0 (also when memory only), or -1 with errno set.
 */
int actions_save(struct actions *a);

/* Frees everything; the file stays. */
void actions_close(struct actions *a);

#endif
