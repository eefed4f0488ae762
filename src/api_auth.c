/* Dashboard sign-in: login, logout, who am I. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "ratelimit.h"
#include "reply.h"
#include "server.h"
#include "store_auth.h"
#include "util.h"
#include "valid.h"

static void
set_session_cookie(struct request *r, const char *sid, int max_age)
{
	char cookie[256];

	snprintf(cookie, sizeof(cookie),
	         "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
	         AUTH_SESSION_COOKIE, sid, max_age);
	free(r->set_cookie);
	r->set_cookie = xstrdup(cookie);
}

static void
auth_login(struct request *r)
{
	json_t *body = reply_need_object(r), *user = NULL;
	const char *username = NULL, *password = NULL;
	char sid[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_LEN], csrf[65];
	char *pwhash = NULL;
	struct verr e = {0};
	int retry, rc;

	if (body == NULL)
		return;
	v_string(body, "username", true, 1, 100, &username, &e);
	v_string(body, "password", true, 1, 1000, &password, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	if (!ratelimit_allowed(r->srv->login_limit, r->addr, &retry)) {
		reply_error(r, 429, "rate_limited", NULL,
		            "too many failed sign-ins, try again in %d s",
		            retry);
		return;
	}
	rc = store_user_find(r->srv->st, username, &pwhash, &user);
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		reply_store(r, rc, "user");
		return;
	}
	if (rc == STORE_NOTFOUND || !auth_password_ok(pwhash, password)) {
		ratelimit_fail(r->srv->login_limit, r->addr);
		reply_error(r, 401, "unauthorized", NULL,
		            "wrong username or password");
		goto out;
	}
	ratelimit_clear(r->srv->login_limit, r->addr);
	auth_token_new(sid);
	auth_token_hash(sid, hash);
	util_random_hex(csrf, 32);
	rc = store_session_create(
	    r->srv->st, hash,
	    (long long)json_integer_value(json_object_get(user, "id")), csrf,
	    util_now() + AUTH_SESSION_TTL);
	if (rc != STORE_OK) {
		reply_store(r, rc, "session");
		goto out;
	}
	set_session_cookie(r, sid, AUTH_SESSION_TTL);
	snprintf(r->who.name, sizeof(r->who.name), "user:%s", username);
	r->who.role = ROLE_VIEWER; /* so the login is audited */
	r->audit_target = username;
	reply_json(r, 200,
	           json_pack("{s:O, s:s}", "user", user, "csrf_token", csrf));
out:
	free(pwhash);
	json_decref(user);
}

static void
auth_logout(struct request *r)
{
	const char *cookie = req_header(r, "Cookie");
	char hash[AUTH_HASH_LEN];
	const char *p;

	if (r->who.via_cookie && cookie != NULL &&
	    (p = strstr(cookie, AUTH_SESSION_COOKIE "=")) != NULL) {
		char sid[128];
		size_t n;

		p += strlen(AUTH_SESSION_COOKIE) + 1;
		n = strcspn(p, ";");
		if (n < sizeof(sid)) {
			memcpy(sid, p, n);
			sid[n] = '\0';
			auth_token_hash(sid, hash);
			store_session_delete(r->srv->st, hash);
		}
	}
	set_session_cookie(r, "", 0);
	reply_empty(r, 204);
}

static void
auth_me(struct request *r)
{
	const char *name = strchr(r->who.name, ':');
	json_t *o = json_pack("{s:{s:s, s:s, s:s}}", "user", "username",
	                      name ? name + 1 : r->who.name, "role",
	                      auth_role_name(r->who.role), "kind",
	                      r->who.via_cookie ? "session"
	                      : r->who.vm_id[0] ? "agent"
	                                        : "token");

	if (r->who.user_id)
		json_object_set_new(json_object_get(o, "user"), "id",
		                    json_integer(r->who.user_id));
	if (r->who.via_cookie)
		json_object_set_new(o, "csrf_token", json_string(r->who.csrf));
	reply_json(r, 200, o);
}

const struct route api_auth_routes[] = {
    {"POST", "/api/auth/login", auth_login, ROLE_NONE, ROUTE_PUBLIC},
    {"POST", "/api/auth/logout", auth_logout, ROLE_VIEWER, 0},
    {"GET", "/api/auth/me", auth_me, ROLE_VIEWER, 0},
    {NULL, NULL, NULL, 0, 0},
};
