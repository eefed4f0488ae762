#ifndef LAB_HTTP_H
#define LAB_HTTP_H

/*
 * libmicrohttpd glue and nothing else: reads requests (bodies capped at
 * 1 MiB), hands them to the router, writes the answers, logs one JSON
 * line per request and counts it for /metrics.
 */

struct server;
struct http;

#define HTTP_MAX_BODY (1024 * 1024)
/* How much of an oversize chunked body is read before hanging up. */
#define HTTP_MAX_DRAIN (16 * 1024 * 1024)
/*
 * libmicrohttpd's memory per connection, for the request line, headers
 * and its read buffer (bodies are gathered outside it). It clears what it
 * used after every request: 64 KiB cost a measurable share of a
 * heartbeat. 16 KiB still takes 12 KiB of headers, more than nginx's
 * default of 8; past it a client gets 431.
 */
#define HTTP_CONN_MEMORY (16 * 1024)

/* Starts listening. Returns NULL (logged) when the port cannot be had. */
struct http *http_start(struct server *srv);
/* Stops accepting, lets requests in flight finish, frees everything. */
void http_stop(struct http *h);

#endif
