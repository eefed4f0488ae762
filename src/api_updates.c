/* Routes of /api/updates: being written. */

#include "api.h"

const struct route api_updates_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
