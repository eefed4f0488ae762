/*
 * backoff.h: exponential backoff with jitter for retrying the server.
 */
#ifndef AGENT_BACKOFF_H
#define AGENT_BACKOFF_H

#include <stdint.h>

struct backoff {
	unsigned base_ms;  /* first delay */
	unsigned cap_ms;   /* no delay is longer */
	unsigned attempts; /* failures since the last success */
};

/* Sets up a backoff; cap_ms below base_ms is raised to base_ms. */
void backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms);

/*
 * Delay before retry number `attempt` (0 for the first retry), given a
 * random 32-bit value: min(cap, base * 2^attempt), then a random point in
 * its upper half ("equal jitter"), so retries never bunch up and never
 * come sooner than half the nominal delay.
 */
unsigned backoff_delay_ms(unsigned base_ms, unsigned cap_ms, unsigned attempt,
                          uint32_t rnd);

/* Records a failure and returns how long to wait, with fresh randomness. */
unsigned backoff_fail(struct backoff *b);

/* Records a success: the next failure starts from base again. */
void backoff_reset(struct backoff *b);

/* A random 32-bit value from getrandom(), or a clock-derived one. */
uint32_t backoff_random(void);

#endif
