#ifndef LAB_LOG_H
#define LAB_LOG_H

#include <jansson.h>

/*
 * One JSON object a line on stderr: {"ts","level","msg",...}. Secrets never
 * go through here.
 */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes obj (borrowed) as one log line, adding "ts" and "level". */
void log_object(const char *level, json_t *obj);
/* Silences info lines (tests and the CLI). */
void log_set_quiet(int quiet);

#endif
