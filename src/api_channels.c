/* Routes of /api/channels: being written. */

#include "api.h"

const struct route api_channels_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
