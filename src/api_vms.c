/* Routes of /api/vms: being written. */

#include "api.h"

const struct route api_vms_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
