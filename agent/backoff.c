/*
 * backoff.c: exponential backoff with jitter.
 */
#include <sys/random.h>

#include <time.h>

#include "backoff.h"

void
backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms)
{
	if (base_ms == 0)
		base_ms = 1;
	if (cap_ms < base_ms)
		cap_ms = base_ms;
	b->base_ms = base_ms;
	b->cap_ms = cap_ms;
	b->attempts = 0;
}

unsigned
backoff_delay_ms(unsigned base_ms, unsigned cap_ms, unsigned attempt,
                 uint32_t rnd)
{
	uint64_t d = base_ms, half;

	if (cap_ms < base_ms)
		cap_ms = base_ms;
	while (attempt > 0 && d < cap_ms) {
		d *= 2;
		attempt--;
	}
	if (d > cap_ms)
		d = cap_ms;
	half = d / 2;
	return (unsigned)(d - half + (half > 0 ? rnd % (half + 1) : 0));
}

unsigned
backoff_fail(struct backoff *b)
{
	unsigned d;

	d = backoff_delay_ms(b->base_ms, b->cap_ms, b->attempts,
	                     backoff_random());
	if (b->attempts < 64)
		b->attempts++;
	return d;
}

void
backoff_reset(struct backoff *b)
{
	b->attempts = 0;
}

uint32_t
backoff_random(void)
{
	uint32_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u;
}
