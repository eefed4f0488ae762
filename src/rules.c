/* The alert rules and the anomaly detector: numbers in, decisions out. */

#include "rules.h"

#include <math.h>
#include <string.h>

static const char *const sev_names[] = {NULL, "info", "warning", "high"};

const char *
rules_sev_name(enum rules_sev s)
{
	if (s < RULES_SEV_NONE || s > RULES_SEV_HIGH)
		return NULL;
	return sev_names[s];
}

enum rules_sev
rules_sev_parse(const char *s)
{
	int i;

	if (s == NULL)
		return RULES_SEV_NONE;
	for (i = RULES_SEV_INFO; i <= RULES_SEV_HIGH; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return (enum rules_sev)i;
	return RULES_SEV_NONE;
}

bool
rules_offline(int64_t now, int64_t last_hb, int64_t created_at,
              int64_t offline_after)
{
	int64_t since = last_hb > 0 ? last_hb : created_at;

	return now - since > offline_after;
}

enum rules_sev
rules_disk(double disk, double warning, double high)
{
	if (disk > high)
		return RULES_SEV_HIGH;
	if (disk > warning)
		return RULES_SEV_WARNING;
	return RULES_SEV_NONE;
}

bool
rules_sustain_feed(struct rules_sustain *s, int64_t ts, double v,
                   double threshold, int64_t window, int64_t max_gap)
{
	if (s->last != 0 && ts < s->last)
		return rules_sustain_holds(s, window); /* out of order */
	if (v <= threshold)
		s->since = 0;
	else if (s->since == 0 || ts - s->last > max_gap)
		s->since = ts;
	s->last = ts;
	return rules_sustain_holds(s, window);
}

bool
rules_sustain_holds(const struct rules_sustain *s, int64_t window)
{
	return s->since != 0 && s->last - s->since >= window;
}

bool
rules_detector_feed(struct rules_detector *d, double x, double k)
{
	double sd, dev, lim, a = RULES_DETECT_ALPHA;
	bool outlier;

	if (!isfinite(x))
		return d->active;
	if (d->n == 0) {
		d->mean = x;
		d->var = 0;
		d->n = 1;
		d->last_z = 0;
		return d->active;
	}
	sd = sqrt(d->var);
	if (sd < RULES_DETECT_MIN_SD)
		sd = RULES_DETECT_MIN_SD;
	dev = x - d->mean;
	d->last_z = dev / sd;
	outlier = d->n >= RULES_DETECT_WARMUP && fabs(dev) > k * sd;
	if (outlier) {
		d->run++;
		d->calm = 0;
		/*
		 * Winsorized and damped: an outlier pulls only as far as k
		 * sd, at a quarter of the weight.
		 */
		lim = k * sd;
		dev = dev > 0 ? lim : -lim;
		a /= 4;
	} else {
		d->run = 0;
		d->calm++;
	}
	d->mean += a * dev;
	d->var = (1 - a) * (d->var + a * dev * dev);
	if (d->n < RULES_DETECT_WARMUP)
		d->n++;
	if (!d->active && d->run >= RULES_DETECT_RAISE)
		d->active = true;
	else if (d->active && d->calm >= RULES_DETECT_CLEAR)
		d->active = false;
	return d->active;
}

long long
rules_batch_size(long long targets, long long batch_percent)
{
	long long n;

	if (targets <= 0)
		return 0;
	if (batch_percent < 1)
		batch_percent = 1;
	if (batch_percent > 100)
		batch_percent = 100;
	n = (targets * batch_percent + 99) / 100;
	return n < 1 ? 1 : n;
}

int64_t
rules_backoff(int attempts)
{
	int64_t d = 1;

	while (attempts-- > 0 && d < 600)
		d *= 2;
	return d > 600 ? 600 : d;
}
