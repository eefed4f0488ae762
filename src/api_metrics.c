/* Routes of /api/metrics: being written. */

#include "api.h"

const struct route api_metrics_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
