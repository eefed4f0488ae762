/*
 * hooks.h: runs the operator's action hooks (HOOKS/restart,
 * HOOKS/rebuild, HOOKS/update VERSION) in their own process group, with a
 * timeout, keeping the tail of what they print.
 */
#ifndef AGENT_HOOKS_H
#define AGENT_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

/* The most output a result keeps, in bytes, marker included. */
#define HOOKS_TAIL_MAX 4000

/* Milliseconds between SIGTERM and SIGKILL when a hook overruns. */
#define HOOKS_KILL_GRACE_MS 3000

/* How long to keep reading after the hook exits (children holding the
 * pipe). */
#define HOOKS_DRAIN_MS 1000

/* Exit codes for hooks that never ran or were stopped, as shells use. */
#define HOOKS_EXIT_TIMEOUT 124
#define HOOKS_EXIT_NOEXEC 126
#define HOOKS_EXIT_NOTFOUND 127

struct hook_result {
	bool succeeded; /* ran and exited 0 */
	int exit_code;  /* exit status, 128+N for signal N, or as above */
	char *output;   /* owned: valid UTF-8 tail of stdout and stderr */
};

struct hook_run;

/*
 * Starts DIR/NAME with the given arguments (NULL-terminated, may be NULL)
 * and extra environment entries ("KEY=VALUE", NULL-terminated, may be
 * NULL). Returns a new run that the caller steps and frees, or NULL when
 * the hook cannot be started: then *res holds a failed result with a
 * message saying why (no hooks directory, no such hook, not executable,
 * writable by others, fork failed).
 */
struct hook_run *hooks_start(const char *dir, const char *name,
                             const char *const *args,
                             const char *const *env_extra, int timeout_s,
                             struct hook_result *res);

/* The descriptor to poll for output, or -1 once the pipe is closed. */
int hooks_fd(const struct hook_run *run);

/* Milliseconds until the run needs hooks_step() even without output. */
int hooks_wake_ms(const struct hook_run *run);

/*
 * Reads what output is ready, reaps the hook, and enforces the timeout
 * (SIGTERM to the group, SIGKILL after HOOKS_KILL_GRACE_MS). Never
 * blocks. Returns true when the run is over and *res is filled (the
 * caller owns res->output); false while it is still going.
 */
bool hooks_step(struct hook_run *run, struct hook_result *res);

/* Kills the hook's process group at once (the agent is stopping). */
void hooks_kill(struct hook_run *run);

/* Frees a run; a hook still running is killed and reaped. NULL is fine. */
void hooks_free(struct hook_run *run);

/* Starts a hook and steps it to the end. Always fills *res. */
void hooks_run(const char *dir, const char *name, const char *const *args,
               const char *const *env_extra, int timeout_s,
               struct hook_result *res);

/* Frees res->output and clears the result. */
void hooks_result_clear(struct hook_result *res);

/*
 * Returns a new NUL-terminated copy of len bytes that is valid UTF-8:
 * invalid bytes and NUL become '?', and a character cut at the start of
 * the buffer is dropped. NULL only when out of memory.
 */
char *hooks_utf8_clean(const char *s, size_t len);

#endif
