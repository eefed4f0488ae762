#ifndef LAB_STATIC_H
#define LAB_STATIC_H

#include <stdbool.h>

#include "api.h"

/* True for /lab and everything below it. */
bool static_is_ui_path(const char *path);
/*
 * Serves the dashboard's built files from the configured --ui directory:
 * the file itself when it exists inside that directory, index.html for any
 * other path (client-side routes). Never anything outside the directory.
 */
void static_serve(struct request *r);

#endif
