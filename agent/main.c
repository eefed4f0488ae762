/*
 * main.c: lab-fleet-agent's entry point. Only main() lives here so the
 * unit tests can link the rest of the agent.
 */
#include <stdio.h>

#include "agent.h"
#include "config.h"

int
main(int argc, char **argv)
{
	struct config cfg;
	char err[512];

	switch (config_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CONFIG_OK:
		break;
	case CONFIG_EXIT:
		return 0;
	default:
		fprintf(stderr, "lab-fleet-agent: %s\n", err);
		config_usage(stderr);
		return 2;
	}
	return agent_main(&cfg);
}
