#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "util.h"

/*
 * While the server runs, info lines (one per request) gather in a buffer
 * that a thread writes out every LOG_FLUSH_MS, or sooner when it fills:
 * a write(2) per request cost more than the rest of the line. Warnings
 * and errors are written at once, with whatever is waiting before them.
 */
#define LOG_FLUSH_MS 100
#define LOG_BUFFER_MAX (64 * 1024)

static int log_quiet;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_wake = PTHREAD_COND_INITIALIZER;
static struct buf pending;
static bool buffering, stopping;
static pthread_t flusher;

/* Writes out what is waiting. Caller holds log_lock. */
static void
flush_locked(void)
{
	if (pending.len > 0) {
		fwrite(pending.data, 1, pending.len, stderr);
		fflush(stderr);
		buf_reset(&pending);
	}
}

static void *
flusher_main(void *arg)
{
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&log_lock);
	while (!stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += LOG_FLUSH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&log_wake, &log_lock, &until);
		flush_locked();
	}
	pthread_mutex_unlock(&log_lock);
	return NULL;
}

void
log_buffer_start(void)
{
	buf_init(&pending, 0);
	stopping = false;
	if (pthread_create(&flusher, NULL, flusher_main, NULL) == 0)
		buffering = true;
}

void
log_buffer_stop(void)
{
	if (!buffering)
		return;
	pthread_mutex_lock(&log_lock);
	stopping = true;
	pthread_cond_signal(&log_wake);
	pthread_mutex_unlock(&log_lock);
	pthread_join(flusher, NULL);
	pthread_mutex_lock(&log_lock);
	buffering = false;
	flush_locked();
	buf_free(&pending);
	pthread_mutex_unlock(&log_lock);
}

void
log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

/* Writes one finished line, now or with the next batch. */
static void
write_line(const char *level, const char *line)
{
	pthread_mutex_lock(&log_lock);
	if (buffering) {
		buf_puts(&pending, line);
		buf_puts(&pending, "\n");
		if (strcmp(level, "info") != 0 || pending.len > LOG_BUFFER_MAX)
			flush_locked();
	} else {
		fputs(line, stderr);
		fputc('\n', stderr);
		fflush(stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

void
log_object(const char *level, json_t *obj)
{
	char ts[UTIL_TIME_LEN];
	char *line;

	if (log_quiet && strcmp(level, "info") == 0)
		return;
	json_object_set_new(obj, "ts",
	                    json_string(util_time_format(util_now(), ts)));
	json_object_set_new(obj, "level", json_string(level));
	line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
	                           JSON_REAL_PRECISION(6));
	if (line == NULL)
		return;
	write_line(level, line);
	free(line);
}

void
log_fields(const char *level, const char *fields)
{
	char ts[UTIL_TIME_LEN];
	struct buf line;

	if (log_quiet && strcmp(level, "info") == 0)
		return;
	buf_init(&line, 0);
	buf_printf(&line, "{%s,\"ts\":\"%s\",\"level\":\"%s\"}", fields,
	           util_time_format(util_now(), ts), level);
	write_line(level, line.data);
	buf_free(&line);
}

__attribute__((format(printf, 2, 0))) static void
log_va(const char *level, const char *fmt, va_list ap)
{
	char msg[1024];
	json_t *obj;

	if (log_quiet && strcmp(level, "info") == 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	obj = json_object();
	json_object_set_new(obj, "msg", json_string(msg));
	log_object(level, obj);
	json_decref(obj);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va("warn", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va("error", fmt, ap);
	va_end(ap);
}
