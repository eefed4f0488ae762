/*
 * log.h: the agent's log, one line an event, to stderr.
 */
#ifndef AGENT_LOG_H
#define AGENT_LOG_H

/*
 * Under systemd (JOURNAL_STREAM set) each line starts with a "<N>"
 * priority prefix that journald reads; elsewhere with a UTC timestamp
 * and a level word.
 */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
