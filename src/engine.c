/* Background work: being written (issue 3). */

#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "util.h"

struct engine {
	int unused;
};

struct engine *
engine_start(struct server *srv)
{
	(void)srv;
	return xcalloc(1, sizeof(struct engine));
}

void
engine_stop(struct engine *e)
{
	free(e);
}

int
engine_cli_channel(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("lab-fleet: channels are not built yet\n", stderr);
	return 2;
}
