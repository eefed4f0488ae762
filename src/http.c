#include "http.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <time.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "log.h"
#include "router.h"
#include "server.h"
#include "stats.h"
#include "util.h"

struct http {
	struct MHD_Daemon *d;
	struct server *srv;
	atomic_int inflight; /* requests begun and not yet completed */
};

/* How long SIGTERM waits for requests in flight before closing anyway. */
#define HTTP_DRAIN_MS 15000

/* Per connection-request state, freed when MHD says the request is done. */
struct pending {
	struct buf body;
	bool too_large;
	bool answered; /* 413 sent before the body: ignore what follows */
	size_t drained;
	double t0;
};

const char *
req_query(struct request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *
req_header(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void
peer_address(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, outlen, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(
		    AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(
		    AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)outlen);
}

/* Adds CORS headers when the request's Origin is one we were told of. */
static void
add_cors(struct request *r, struct MHD_Response *resp)
{
	const char *allowed = r->srv->cfg->cors_origin;
	const char *origin = req_header(r, "Origin");
	const char *p;
	size_t olen;

	if (allowed == NULL || origin == NULL)
		return;
	olen = strlen(origin);
	for (p = allowed; p != NULL && *p; p = strchr(p, ',')) {
		while (*p == ',' || *p == ' ')
			p++;
		if (strncmp(p, origin, olen) == 0 &&
		    (p[olen] == '\0' || p[olen] == ',' || p[olen] == ' ')) {
			MHD_add_response_header(
			    resp, "Access-Control-Allow-Origin", origin);
			MHD_add_response_header(
			    resp, "Access-Control-Allow-Credentials", "true");
			MHD_add_response_header(
			    resp, "Access-Control-Allow-Headers",
			    "Authorization, Content-Type, X-CSRF-Token");
			MHD_add_response_header(
			    resp, "Access-Control-Allow-Methods",
			    "GET, POST, PUT, PATCH, DELETE");
			MHD_add_response_header(resp, "Vary", "Origin");
			return;
		}
	}
}

static void
log_request(struct request *r, double ms)
{
	struct buf f;

	buf_init(&f, 0);
	buf_puts(&f, "\"method\":");
	buf_json_string(&f, r->method);
	buf_puts(&f, ",\"path\":");
	buf_json_string(&f, r->path);
	buf_printf(&f, ",\"status\":%d,\"ms\":%.3f,\"who\":", r->status, ms);
	buf_json_string(&f, r->who.name[0] ? r->who.name : "-");
	buf_puts(&f, ",\"addr\":");
	buf_json_string(&f, r->addr);
	log_fields("info", f.data);
	buf_free(&f);
}

static enum MHD_Result
send_answer(struct MHD_Connection *c, struct request *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->file_fd >= 0) {
		resp = MHD_create_response_from_fd((uint64_t)r->file_size,
		                                   r->file_fd);
		r->file_fd = -1; /* MHD closes it */
	} else {
		size_t len;
		char *data = buf_steal(&r->out, &len);

		resp = MHD_create_response_from_buffer(len, data,
		                                       MHD_RESPMEM_MUST_FREE);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	                        r->content_type
	                            ? r->content_type
	                            : "application/json; charset=utf-8");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control",
	                        r->cache_control ? r->cache_control
	                                         : "no-store");
	if (r->allow[0] && r->status == 405)
		MHD_add_response_header(resp, "Allow", r->allow);
	if (r->set_cookie != NULL)
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	add_cors(r, resp);
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
request_init(struct request *r, struct server *srv, struct MHD_Connection *c,
             const char *method, const char *url)
{
	memset(r, 0, sizeof(*r));
	r->srv = srv;
	r->conn = c;
	r->method = method;
	r->path = url;
	r->file_fd = -1;
	r->status = 500;
	buf_init(&r->out, 0);
	peer_address(c, r->addr, sizeof(r->addr));
}

static void
request_free(struct request *r)
{
	json_decref(r->body);
	buf_free(&r->out);
	free(r->set_cookie);
	if (r->file_fd >= 0)
		close(r->file_fd);
}

/* Answers directly, before routing: 413 and the like. */
static enum MHD_Result
answer_early(struct http *h, struct MHD_Connection *c, const char *method,
             const char *url, int status, const char *code, const char *msg,
             double t0)
{
	struct request r;
	enum MHD_Result ret;

	request_init(&r, h->srv, c, method, url);
	r.status = status;
	buf_printf(&r.out, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
	           code, msg);
	ret = send_answer(c, &r);
	stats_record(h->srv->stats, -1, status, util_mono_ms() - t0);
	log_request(&r, util_mono_ms() - t0);
	request_free(&r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct pending *p = *con_cls;
	struct request r;
	enum MHD_Result ret;
	double ms;

	(void)version;
	if (p == NULL) {
		const char *cl = MHD_lookup_connection_value(
		    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		long long n;

		p = xcalloc(1, sizeof(*p));
		atomic_fetch_add(&h->inflight, 1);
		buf_init(&p->body, HTTP_MAX_BODY);
		p->t0 = util_mono_ms();
		*con_cls = p;
		/* Refuse an announced oversize body before reading any. */
		if (cl != NULL && util_parse_int(cl, 0, 1LL << 62, &n) &&
		    n > HTTP_MAX_BODY) {
			p->too_large = true;
			p->answered = true;
			return answer_early(h, c, method, url, 413,
			                    "payload_too_large",
			                    "the body is over 1 MiB", p->t0);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/*
		 * MHD takes a response only before or after the body, so a
		 * chunked body that outgrows the cap is drained (up to a
		 * bound, then the connection is dropped) and answered 413.
		 */
		if (!p->too_large &&
		    !buf_append(&p->body, upload, *upload_size)) {
			p->too_large = true;
			buf_free(&p->body);
		}
		if (p->too_large) {
			p->drained += *upload_size;
			if (p->drained > HTTP_MAX_DRAIN)
				return MHD_NO;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (p->too_large && p->answered)
		return MHD_YES;
	if (p->too_large)
		return answer_early(h, c, method, url, 413, "payload_too_large",
		                    "the body is over 1 MiB", p->t0);

	/* On the stack: a 2.5 kB malloc per request made glibc consolidate
	 * its free lists every time. */
	request_init(&r, h->srv, c, method, url);
	router_dispatch(&r, p->body.data, p->body.len);
	ret = send_answer(c, &r);
	ms = util_mono_ms() - p->t0;
	stats_record(h->srv->stats, r.route ? router_index(r.route) : -1,
	             r.status, ms);
	log_request(&r, ms);
	request_free(&r);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct pending *p = *con_cls;

	(void)c;
	(void)toe;
	if (p == NULL)
		return;
	atomic_fetch_sub(&h->inflight, 1);
	buf_free(&p->body);
	free(p);
	*con_cls = NULL;
}

/* MHD's own format strings: checked as printf formats by the compiler. */
__attribute__((format(printf, 2, 0))) static void
on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http: %s", msg);
}

struct http *
http_start(struct server *srv)
{
	struct http *h = xcalloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	                 MHD_USE_ERROR_LOG | MHD_USE_ITC;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, srv->cfg->bind, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)srv->cfg->port);
	} else if (inet_pton(AF_INET6, srv->cfg->bind, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)srv->cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		log_error("--bind %s is not an IP address", srv->cfg->bind);
		free(h);
		return NULL;
	}
	h->srv = srv;
	/*
	 * One thread per connection: a heartbeat waits for its group commit
	 * without holding up anyone else, and the commit batches whatever
	 * arrived meanwhile.
	 */
	h->d = MHD_start_daemon(
	    flags, (uint16_t)srv->cfg->port, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    /*
	     * No MHD_OPTION_LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT,
	     * with which a second server on a taken port starts without a
	     * word and the kernel splits the connections between the two.
	     * MHD's default, SO_REUSEADDR, still allows a quick restart.
	     */
	    MHD_OPTION_END);
	if (h->d == NULL) {
		log_error("cannot listen on %s:%d", srv->cfg->bind,
		          srv->cfg->port);
		free(h);
		return NULL;
	}
	return h;
}

void
http_stop(struct http *h)
{
	struct timespec nap = {0, 10 * 1000000L};
	double until;

	if (h == NULL)
		return;
	/*
	 * Stop accepting, then let the requests already begun get their
	 * answers; idle keep-alive connections are simply closed.
	 */
	MHD_quiesce_daemon(h->d);
	until = util_mono_ms() + HTTP_DRAIN_MS;
	while (atomic_load(&h->inflight) > 0 && util_mono_ms() < until)
		nanosleep(&nap, NULL);
	MHD_stop_daemon(h->d);
	free(h);
}
