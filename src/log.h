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
/*
 * From log_buffer_start() to log_buffer_stop(), info lines are written in
 * batches every 100 ms (a crash loses at most that much of them);
 * warnings and errors still go out at once.
 */
void log_buffer_start(void);
void log_buffer_stop(void);
/*
 * Writes {FIELDS,"ts","level"}: fields is the inside of a JSON object,
 * already escaped (buf_json_string). For the per-request line, where
 * building a jansson object cost more than the rest of the logging.
 */
void log_fields(const char *level, const char *fields);
/* Silences info lines (tests and the CLI). */
void log_set_quiet(int quiet);

#endif
