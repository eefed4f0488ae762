#include "valid.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
verr_set(struct verr *e, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e->failed)
		return;
	e->failed = true;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Looks key up; false when absent or null, failing if required. */
static json_t *
v_lookup(json_t *o, const char *key, bool required, struct verr *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			verr_set(e, key, "%s is required", key);
		return NULL;
	}
	return v;
}

size_t
v_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

bool
v_string(json_t *o, const char *key, bool required, size_t min_chars,
         size_t max_chars, const char **out, struct verr *e)
{
	json_t *v = v_lookup(o, key, required, e);
	size_t n;

	if (v == NULL)
		return false;
	if (!json_is_string(v)) {
		verr_set(e, key, "%s must be a string", key);
		return false;
	}
	/* jansson keeps a \u0000 only with JSON_ALLOW_NUL; be sure anyway. */
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		verr_set(e, key, "%s must not contain NUL characters", key);
		return false;
	}
	n = v_utf8_len(json_string_value(v));
	if (n < min_chars || n > max_chars) {
		verr_set(e, key, "%s must be %zu to %zu characters long", key,
		         min_chars, max_chars);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

void
v_not_null(json_t *o, const char *key, struct verr *e)
{
	json_t *v = json_object_get(o, key);

	if (v != NULL && json_is_null(v))
		verr_set(e, key, "%s must not be null", key);
}

bool
v_string_to(json_t *o, const char *key, bool required, size_t min_chars,
            size_t max_chars, bool (*check)(const char *), const char *msg,
            json_t *set, struct verr *e)
{
	const char *s;

	if (!v_string(o, key, required, min_chars, max_chars, &s, e))
		return false;
	if (check != NULL && !check(s))
		verr_set(e, key, "%s", msg);
	else
		json_object_set_new(set, key, json_string(s));
	return true;
}

bool
v_enum(json_t *o, const char *key, bool required, const char *const *allowed,
       const char **out, struct verr *e)
{
	json_t *v = v_lookup(o, key, required, e);
	char list[200] = "";
	size_t i;

	if (v == NULL)
		return false;
	for (i = 0; json_is_string(v) && allowed[i] != NULL; i++) {
		if (strcmp(json_string_value(v), allowed[i]) == 0) {
			*out = allowed[i];
			return true;
		}
	}
	for (i = 0; allowed[i] != NULL; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
		         allowed[i]);
	}
	verr_set(e, key, "%s must be one of: %s", key, list);
	return false;
}

bool
v_number(json_t *o, const char *key, bool required, double min, bool min_open,
         double max, double *out, struct verr *e)
{
	json_t *v = v_lookup(o, key, required, e);
	double d;

	if (v == NULL)
		return false;
	if (!json_is_number(v)) {
		verr_set(e, key, "%s must be a number", key);
		return false;
	}
	d = json_number_value(v);
	if (!isfinite(d) || d < min || (min_open && d == min) || d > max) {
		if (max >= 1e300)
			verr_set(e, key, "%s must be %s %g", key,
			         min_open ? "greater than" : "at least", min);
		else
			verr_set(e, key, "%s must be between %g and %g", key,
			         min, max);
		return false;
	}
	*out = d;
	return true;
}

bool
v_int(json_t *o, const char *key, bool required, long long min, long long max,
      long long *out, struct verr *e)
{
	json_t *v = v_lookup(o, key, required, e);
	long long i;

	if (v == NULL)
		return false;
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d != floor(d) || d < -9e15 || d > 9e15) {
			verr_set(e, key, "%s must be an integer", key);
			return false;
		}
		i = (long long)d;
	} else if (json_is_integer(v)) {
		i = json_integer_value(v);
	} else {
		verr_set(e, key, "%s must be an integer", key);
		return false;
	}
	if (i < min || i > max) {
		verr_set(e, key, "%s must be between %lld and %lld", key, min,
		         max);
		return false;
	}
	*out = i;
	return true;
}

bool
v_bool(json_t *o, const char *key, bool required, bool *out, struct verr *e)
{
	json_t *v = v_lookup(o, key, required, e);

	if (v == NULL)
		return false;
	if (!json_is_boolean(v)) {
		verr_set(e, key, "%s must be true or false", key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool
v_is_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 64 || !is_alnum(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return false;
	return true;
}

bool
v_is_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    strlen(s) > 254)
		return false;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == '(' || *p == ')' || *p == ',' || *p == ';' ||
		    *p == ':' || *p == '\\' || *p == '"' ||
		    (unsigned char)*p >= 0x7f)
			return false;
	/* The domain: dot-separated labels, at least one dot. */
	return v_is_hostname(at + 1) && strchr(at + 1, '.') != NULL;
}

bool
v_is_hostname(const char *s)
{
	size_t n = strlen(s), label = 0, i;

	if (n < 1 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

bool
v_is_ip(const char *s)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, s, addr) == 1 ||
	       inet_pton(AF_INET6, s, addr) == 1;
}

bool
v_is_http_url(const char *s)
{
	const char *host;
	const char *p;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	if (*host == '\0' || *host == '/' || strlen(s) > 2000)
		return false;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

bool
v_is_type_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 40)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return true;
}

bool
v_is_version(const char *s)
{
	size_t n = strlen(s), i;
	int dots = 0;

	if (n < 1 || n > 64 || !(s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.')
			dots++;
		else if (!is_alnum(c) && c != '-' && c != '+' && c != '_')
			return false;
	}
	return dots >= 1;
}
