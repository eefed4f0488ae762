#ifndef LAB_ENGINE_H
#define LAB_ENGINE_H

/*
 * The server's background work: the rule engine (alerts that raise and
 * clear themselves, offline detection, action expiry), update rollouts,
 * webhook notifications and metric retention. Runs in its own threads.
 */

struct server;
struct engine;

/* Starts the background threads. NULL (logged) on failure. */
struct engine *engine_start(struct server *srv);
/* Stops them and waits; engine_stop(NULL) does nothing. */
void engine_stop(struct engine *e);

#endif
