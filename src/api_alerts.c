/* Routes of /api/alerts: being written. */

#include "api.h"

const struct route api_alerts_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
