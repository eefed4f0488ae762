#ifndef LAB_REPLY_H
#define LAB_REPLY_H

#include <stdbool.h>

#include <jansson.h>

#include "api.h"

/* Answers status with obj as the body; steals obj. */
void reply_json(struct request *r, int status, json_t *obj);
/* Appends v to out as the answers write JSON; false if that failed. */
bool reply_append_json(struct buf *out, const json_t *v);
/* Answers status with no body (204). */
void reply_empty(struct request *r, int status);
/*
 * Answers the contract's error shape {"error":{"code","message","field"}};
 * field may be NULL.
 */
void reply_error(struct request *r, int status, const char *code,
                 const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Maps a STORE_* result that is not STORE_OK to its HTTP answer. */
void reply_store(struct request *r, int rc, const char *what);
/* The common cases, named. */
void reply_not_found(struct request *r, const char *what);
/*
 * Requires a JSON object body. Answers 400 and returns NULL when there is
 * none. The result is borrowed from the request.
 */
json_t *reply_need_object(struct request *r);

/*
 * Reads ?limit= (default 100, 1..1000) and ?offset= (default 0). Answers
 * 400 and returns false when either is bad.
 */
bool reply_page_params(struct request *r, long long *limit, long long *offset);
/* Answers 200 {"items","total","limit","offset"}; steals items. */
void reply_list(struct request *r, json_t *items, long long total,
                long long limit, long long offset);
/* Answers 400 validation_failed for the first failure in e. */
struct verr;
void reply_invalid(struct request *r, const struct verr *e);
/*
 * Reads the ?key= filter into *out: NULL when absent or empty, else one
 * of allowed (NULL-terminated) or, when allowed is NULL, any text of at
 * most 200 characters (borrowed from the request). Answers 400 and
 * returns false when the value is none of these.
 */
bool reply_query_filter(struct request *r, const char *key,
                        const char *const *allowed, const char **out);
/*
 * Checks the fields of body into set (borrowed, gets new values); create
 * tells a create from an update. The first failure goes into e.
 */
typedef void reply_fields_fn(json_t *body, bool create, json_t *set,
                             struct verr *e);
/*
 * Requires a JSON object body and checks it with check into a new
 * object. Returns that object (the caller owns it), or NULL when the
 * request was answered 400.
 */
json_t *reply_need_fields(struct request *r, bool create,
                          reply_fields_fn *check);

#endif
