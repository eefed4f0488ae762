/* Routes of /api/actions: being written. */

#include "api.h"

const struct route api_actions_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
