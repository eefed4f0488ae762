#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int log_quiet;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_set_quiet(int quiet)
{
	log_quiet = quiet;
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
	pthread_mutex_lock(&log_lock);
	fputs(line, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	free(line);
}

static void
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
