/* Routes of /api/customers: being written. */

#include "api.h"

const struct route api_customers_routes[] = {
    {NULL, NULL, NULL, 0, 0},
};
