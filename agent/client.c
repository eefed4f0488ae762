/*
 * client.c: JSON over HTTP with libcurl, one reused handle.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client.h"
#include "version.h"

struct client {
	CURL *curl;
	char *base;
	char *auth; /* "Authorization: Bearer ..." */
	long connect_timeout_s;
	long timeout_s;
	const volatile sig_atomic_t *abort_flag;
};

struct sink {
	char *buf;
	size_t len;
	bool overflow;
};

struct client *
client_new(const char *base_url, long connect_timeout_s, long timeout_s)
{
	struct client *c;
	size_t len;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->base = strdup(base_url);
	c->curl = curl_easy_init();
	if (c->base == NULL || c->curl == NULL) {
		client_free(c);
		return NULL;
	}
	len = strlen(c->base);
	while (len > 0 && c->base[len - 1] == '/')
		c->base[--len] = '\0';
	c->connect_timeout_s = connect_timeout_s;
	c->timeout_s = timeout_s;
	return c;
}

int
client_set_token(struct client *c, const char *token)
{
	static const char prefix[] = "Authorization: Bearer ";
	size_t n = sizeof(prefix) + strlen(token);
	char *auth;

	auth = malloc(n);
	if (auth == NULL)
		return -1;
	if (snprintf(auth, n, "%s%s", prefix, token) < 0) {
		free(auth);
		return -1;
	}
	if (c->auth != NULL) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	c->auth = auth;
	return 0;
}

void
client_set_abort(struct client *c, const volatile sig_atomic_t *flag)
{
	c->abort_flag = flag;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
	const struct client *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return c->abort_flag != NULL && *c->abort_flag != 0;
}

const char *
client_base(const struct client *c)
{
	return c->base;
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	char *nbuf;

	if (s->len + n > CLIENT_MAX_BODY) {
		s->overflow = true;
		return 0;
	}
	nbuf = realloc(s->buf, s->len + n + 1);
	if (nbuf == NULL)
		return 0;
	s->buf = nbuf;
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* Fills r->error from the server's {"error":{"code","message"}}. */
static void
server_error(struct client_reply *r)
{
	json_t *err = json_object_get(r->body, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	int n;

	if (code != NULL && msg != NULL)
		n = snprintf(r->error, sizeof(r->error), "HTTP %ld %s: %s",
		             r->status, code, msg);
	else if (msg != NULL || code != NULL)
		n = snprintf(r->error, sizeof(r->error), "HTTP %ld: %s",
		             r->status, msg != NULL ? msg : code);
	else
		n = snprintf(r->error, sizeof(r->error), "HTTP %ld", r->status);
	if (n < 0)
		r->error[0] = '\0';
}

int
client_request(struct client *c, const char *method, const char *path,
               json_t *body, struct client_reply *out)
{
	struct curl_slist *hdrs = NULL, *h;
	struct sink sink = {NULL, 0, false};
	char url[2048], *payload = NULL;
	CURLcode cc;
	json_error_t jerr;
	int n, rc = -1;

	memset(out, 0, sizeof(*out));
	n = snprintf(url, sizeof(url), "%s%s", c->base, path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		snprintf(out->error, sizeof(out->error), "URL too long");
		goto out;
	}
	if (body != NULL) {
		payload =
		    json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10));
		if (payload == NULL) {
			snprintf(out->error, sizeof(out->error),
			         "cannot encode the request");
			goto out;
		}
	}
	h = curl_slist_append(hdrs, "Accept: application/json");
	if (h != NULL)
		hdrs = h;
	if (payload != NULL) {
		h = curl_slist_append(hdrs, "Content-Type: application/json");
		if (h != NULL)
			hdrs = h;
	}
	if (c->auth != NULL) {
		h = curl_slist_append(hdrs, c->auth);
		if (h != NULL)
			hdrs = h;
	}
	/* An empty Expect: stops curl from waiting for 100-continue. */
	h = curl_slist_append(hdrs, "Expect:");
	if (h != NULL)
		hdrs = h;

	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT,
	                 "lab-fleet-agent/" AGENT_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	if (payload != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE,
		                 (long)strlen(payload));
	}

	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		snprintf(out->error, sizeof(out->error), "%s",
		         sink.overflow ? "answer too large"
		                       : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (sink.len > 0)
		out->body = json_loadb(sink.buf, sink.len, 0, &jerr);
	if (out->status < 200 || out->status > 299)
		server_error(out);
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	free(payload);
	free(sink.buf);
	return rc;
}

void
client_reply_clear(struct client_reply *r)
{
	json_decref(r->body);
	memset(r, 0, sizeof(*r));
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->auth != NULL) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c->base);
	free(c);
}
