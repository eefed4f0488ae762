#ifndef LAB_NOTIFY_H
#define LAB_NOTIFY_H

/*
 * Webhook notifications: a thread with its own database connection that
 * turns alert events (written by triggers whenever an alert is raised,
 * escalated or resolved) into deliveries, one per matching channel, and
 * POSTs them with libcurl, retrying failures with backoff. Nothing else
 * ever waits for it: a slow or broken receiver only delays its own
 * channel's queue.
 */

#include <stdbool.h>

#include "store_channels.h"

struct notify;

/* Starts the thread on db_path. NULL (logged) on failure. */
struct notify *notify_start(const char *db_path);
/* Stops the thread and closes; notify_stop(NULL) does nothing. */
void notify_stop(struct notify *n);
/* Tells the thread that events may be waiting, so it looks now. */
void notify_wake(struct notify *n);

/*
 * The body POSTed for ev to a channel of format "json" or "slack", or
 * NULL when ev's severity is below min_severity. Returns a string the
 * caller frees.
 */
char *notify_body(const struct notify_event *ev, const char *format,
                  const char *min_severity);

/*
 * POSTs body (JSON) to url with a timeout. Returns true on a 2xx answer;
 * otherwise false with a short reason in err.
 */
bool notify_post(const char *url, const char *body, char *err, size_t errlen);

#endif
