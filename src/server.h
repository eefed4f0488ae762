#ifndef LAB_SERVER_H
#define LAB_SERVER_H

/* What every handler can reach through request->srv. */

#include <stdint.h>

struct config;
struct store;
struct hb_writer;
struct stats;
struct ratelimit;

struct server {
	const struct config *cfg;
	struct store *st;
	struct hb_writer *hb;
	struct stats *stats;
	struct ratelimit *login_limit;
	int64_t started;
};

#endif
