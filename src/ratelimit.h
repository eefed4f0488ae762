#ifndef LAB_RATELIMIT_H
#define LAB_RATELIMIT_H

#include <stdbool.h>

/*
 * Failed-attempt counting per key (the caller's address) in a sliding
 * window: after max failures within window seconds, the key is refused
 * until the oldest failure ages out.
 */
struct ratelimit;

struct ratelimit *ratelimit_new(int max, int window_s);
void ratelimit_free(struct ratelimit *rl);
/* True when key may try now. *retry_after: seconds to wait otherwise. */
bool ratelimit_allowed(struct ratelimit *rl, const char *key, int *retry_after);
void ratelimit_fail(struct ratelimit *rl, const char *key);
void ratelimit_clear(struct ratelimit *rl, const char *key);

#endif
