#ifndef LAB_BUF_H
#define LAB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A growable byte buffer with an optional size cap, always NUL-terminated.
 * buf_append* return false (and leave the buffer unchanged) when the cap
 * would be passed; without a cap they cannot fail.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: no limit */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
bool buf_append(struct buf *b, const void *p, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Appends s as a JSON string literal, quotes included; bytes that are not
 * UTF-8 become U+FFFD, so the result is always valid JSON.
 */
bool buf_json_string(struct buf *b, const char *s);
/* jansson's json_dump_callback sink: data is a struct buf. 0 on success. */
int buf_append_cb(const char *p, size_t n, void *data);
/* Takes the data out; the caller owns it and the buffer is empty again. */
char *buf_steal(struct buf *b, size_t *len);

#endif
