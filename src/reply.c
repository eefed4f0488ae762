#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"
#include "valid.h"

void
reply_json(struct request *r, int status, json_t *obj)
{
	r->status = status;
	buf_reset(&r->out);
	if (!reply_append_json(&r->out, obj))
		r->status = 500;
	json_decref(obj);
}

bool
reply_append_json(struct buf *out, const json_t *v)
{
	return json_dump_callback(v, buf_append_cb, out,
	                          JSON_COMPACT | JSON_PRESERVE_ORDER |
	                              JSON_REAL_PRECISION(15)) == 0;
}

void
reply_empty(struct request *r, int status)
{
	r->status = status;
	buf_reset(&r->out);
}

void
reply_error(struct request *r, int status, const char *code, const char *field,
            const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = json_pack("{s:s, s:s}", "code", code, "message", msg);
	if (err == NULL) /* a message that is not UTF-8 */
		err = json_pack("{s:s, s:s}", "code", code, "message",
		                "invalid request");
	if (field != NULL)
		json_object_set_new(err, "field", json_string(field));
	reply_json(r, status, json_pack("{s:o}", "error", err));
}

void
reply_not_found(struct request *r, const char *what)
{
	reply_error(r, 404, "not_found", NULL, "%s not found", what);
}

void
reply_store(struct request *r, int rc, const char *what)
{
	switch (rc) {
	case STORE_NOTFOUND:
		reply_not_found(r, what);
		break;
	case STORE_CONFLICT:
		reply_error(r, 409, "conflict", NULL,
		            "%s conflicts with "
		            "existing data",
		            what);
		break;
	case STORE_BUSY:
		reply_error(r, 503, "unavailable", NULL,
		            "the database is busy or full, try again");
		break;
	default:
		reply_error(r, 500, "internal", NULL, "internal error");
	}
}

json_t *
reply_need_object(struct request *r)
{
	if (r->body == NULL || !json_is_object(r->body)) {
		reply_error(r, 400, "validation_failed", NULL,
		            "the body must be a JSON object");
		return NULL;
	}
	return r->body;
}

bool
reply_page_params(struct request *r, long long *limit, long long *offset)
{
	const char *l = req_query(r, "limit");
	const char *o = req_query(r, "offset");

	*limit = 100;
	*offset = 0;
	if (l != NULL && !util_parse_int(l, 1, 1000, limit)) {
		reply_error(r, 400, "validation_failed", "limit",
		            "limit must be an integer from 1 to 1000");
		return false;
	}
	if (o != NULL && !util_parse_int(o, 0, 1LL << 53, offset)) {
		reply_error(r, 400, "validation_failed", "offset",
		            "offset must be a non-negative integer");
		return false;
	}
	return true;
}

void
reply_list(struct request *r, json_t *items, long long total, long long limit,
           long long offset)
{
	reply_json(r, 200,
	           json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total",
	                     (json_int_t)total, "limit", (json_int_t)limit,
	                     "offset", (json_int_t)offset));
}

void
reply_invalid(struct request *r, const struct verr *e)
{
	reply_error(r, 400, "validation_failed", e->field, "%s", e->msg);
}

bool
reply_query_filter(struct request *r, const char *key,
                   const char *const *allowed, const char **out)
{
	const char *v = req_query(r, key);
	size_t i;

	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return true;
	if (allowed == NULL) {
		if (v_utf8_len(v) > 200) {
			reply_error(r, 400, "validation_failed", key,
			            "%s must be at most 200 characters", key);
			return false;
		}
		*out = v;
		return true;
	}
	for (i = 0; allowed[i] != NULL; i++) {
		if (strcmp(v, allowed[i]) == 0) {
			*out = allowed[i];
			return true;
		}
	}
	reply_error(r, 400, "validation_failed", key, "unknown %s", key);
	return false;
}

json_t *
reply_need_fields(struct request *r, bool create, reply_fields_fn *check)
{
	json_t *body = reply_need_object(r), *set;
	struct verr e = {0};

	if (body == NULL)
		return NULL;
	set = json_object();
	check(body, create, set, &e);
	if (e.failed) {
		json_decref(set);
		reply_invalid(r, &e);
		return NULL;
	}
	return set;
}
