#ifndef LAB_VALID_H
#define LAB_VALID_H

/*
 * Checked getters for JSON request bodies. Each takes the body object, a
 * key and a struct verr; the first failure is kept in verr (field and
 * message) and later calls do nothing more to it, so a handler checks all
 * its fields and then looks once at verr.failed. Each returns true when
 * the key was present and valid (out set), false when absent or invalid.
 * A JSON null counts as absent unless said otherwise.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct verr {
	bool failed;
	char field[64];
	char msg[256];
};

void verr_set(struct verr *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fails with "is required" when required and absent. */
bool v_string(json_t *o, const char *key, bool required, size_t min_chars,
              size_t max_chars, const char **out, struct verr *e);
bool v_enum(json_t *o, const char *key, bool required,
            const char *const *allowed, const char **out, struct verr *e);
/* A finite number in [min, max]; min_open excludes min itself. */
bool v_number(json_t *o, const char *key, bool required, double min,
              bool min_open, double max, double *out, struct verr *e);
bool v_int(json_t *o, const char *key, bool required, long long min,
           long long max, long long *out, struct verr *e);
bool v_bool(json_t *o, const char *key, bool required, bool *out,
            struct verr *e);
/* Fails with "must not be null" when key is present as JSON null. */
void v_not_null(json_t *o, const char *key, struct verr *e);
/*
 * v_string, then check (NULL for none): a string that passes is copied
 * into the object set under key, one that does not fails with msg.
 * Returns what v_string returned.
 */
bool v_string_to(json_t *o, const char *key, bool required, size_t min_chars,
                 size_t max_chars, bool (*check)(const char *), const char *msg,
                 json_t *set, struct verr *e);

/* Number of UTF-8 code points in s (s is valid UTF-8, as jansson keeps). */
size_t v_utf8_len(const char *s);
bool v_is_id(const char *s);
bool v_is_email(const char *s);
bool v_is_hostname(const char *s);
bool v_is_ip(const char *s);
bool v_is_http_url(const char *s);
/* [a-z_]{1,40}: an alert type */
bool v_is_type_name(const char *s);
/* A dotted version: digits first, at least one dot (1.2, 1.2.3-rc1), at
 * most 64 characters of letters, digits and . - + _ */
bool v_is_version(const char *s);

#endif
