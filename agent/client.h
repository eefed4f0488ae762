/*
 * client.h: the agent's HTTP client (libcurl), JSON in and out.
 */
#ifndef AGENT_CLIENT_H
#define AGENT_CLIENT_H

#include <signal.h>

#include <jansson.h>

/* Answers larger than this are cut off and count as a failure. */
#define CLIENT_MAX_BODY (1024 * 1024)

struct client;

struct client_reply {
	long status;     /* HTTP status; 0 when no answer came */
	json_t *body;    /* new reference: the parsed answer, or NULL */
	char error[512]; /* why it failed: transport error or server's
	                    error.message */
};

/*
 * Makes a client for the server at base_url (a trailing slash is
 * dropped), with connect and whole-request timeouts in seconds. Call
 * curl_global_init() first. Returns NULL when out of memory.
 */
struct client *client_new(const char *base_url, long connect_timeout_s,
                          long timeout_s);

/*
 * Makes requests in flight give up (within about a second) once *flag
 * is non-zero; the flag is borrowed and typically set by a signal
 * handler.
 */
void client_set_abort(struct client *c, const volatile sig_atomic_t *flag);

/* Sets the Bearer token; copied. Returns 0, or -1 when out of memory. */
int client_set_token(struct client *c, const char *token);

/* The server URL as given, without a trailing slash (borrowed). */
const char *client_base(const struct client *c);

/*
 * Sends METHOD base+path with body (borrowed; NULL for none) as JSON.
 * Returns 0 when the server answered, whatever the status (see
 * out->status, out->error for non-2xx), or -1 when no answer came
 * (out->error says why). out->body is a new reference the caller drops
 * with client_reply_clear().
 */
int client_request(struct client *c, const char *method, const char *path,
                   json_t *body, struct client_reply *out);

void client_reply_clear(struct client_reply *r);

/* Frees the client; NULL is fine. */
void client_free(struct client *c);

#endif
