/*
 * agent.h: the agent's life: heartbeats, actions, reports.
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include "config.h"

/*
 * Runs the agent as cfg says: --dry-run prints the figures, --once sends
 * one heartbeat, prints the answer and carries out its actions, and
 * otherwise it runs until SIGTERM or SIGINT. Returns the process exit
 * status: 0, or 1 when it cannot start (token file unsafe or unreadable,
 * disk not measurable) or, with --once, when the heartbeat failed.
 */
int agent_main(const struct config *cfg);

#endif
