#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "reply.h"
#include "server.h"
#include "store_auth.h"
#include "util.h"

static const char *const role_names[] = {
    [ROLE_NONE] = "none",     [ROLE_AGENT] = "agent",
    [ROLE_VIEWER] = "viewer", [ROLE_OPERATOR] = "operator",
    [ROLE_ADMIN] = "admin",
};

const char *
auth_role_name(enum role role)
{
	return role_names[role];
}

enum role
auth_role_parse(const char *name)
{
	int i;

	for (i = ROLE_VIEWER; i <= ROLE_ADMIN; i++)
		if (strcmp(name, role_names[i]) == 0)
			return (enum role)i;
	if (strcmp(name, "agent") == 0)
		return ROLE_AGENT;
	return ROLE_NONE;
}

void
auth_token_new(char *out)
{
	memcpy(out, "lf_", 3);
	util_random_hex(out + 3, 32);
}

void
auth_token_hash(const char *token, char *out)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token,
	                   strlen(token), NULL, 0);
	sodium_bin2hex(out, AUTH_HASH_LEN, h, sizeof(h));
}

int
auth_password_hash(const char *password, char *out, size_t outlen)
{
	if (outlen < crypto_pwhash_STRBYTES)
		return -1;
	return crypto_pwhash_str_alg(
	    out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

bool
auth_password_ok(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool
auth_csrf_ok(const struct principal *who, const char *csrf)
{
	return who->csrf[0] != '\0' && util_const_eq(who->csrf, csrf);
}

/* The value of cookie name in a Cookie header, copied into out. */
static bool
cookie_value(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	while (p != NULL && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t vlen = strcspn(v, ";");

			if (vlen == 0 || vlen >= outlen)
				return false;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = strchr(p, ';');
	}
	return false;
}

bool
auth_authenticate(struct request *r)
{
	const char *h = req_header(r, "Authorization");
	char hash[AUTH_HASH_LEN];
	char sid[128];
	int rc;

	memset(&r->who, 0, sizeof(r->who));
	if (h != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) > 200) {
			reply_error(r, 401, "unauthorized", NULL,
			            "use Authorization: Bearer TOKEN");
			return false;
		}
		/* Only the hash is looked up, so no timing leaks the secret. */
		auth_token_hash(h + 7, hash);
		rc = store_token_lookup(r->srv->st, hash, &r->who);
	} else {
		const char *cookie = req_header(r, "Cookie");

		if (cookie == NULL || !cookie_value(cookie, AUTH_SESSION_COOKIE,
		                                    sid, sizeof(sid))) {
			reply_error(r, 401, "unauthorized", NULL,
			            "authentication required: a Bearer token "
			            "or a session");
			return false;
		}
		auth_token_hash(sid, hash);
		rc =
		    store_session_lookup(r->srv->st, hash, util_now(), &r->who);
	}
	if (rc == STORE_OK)
		return true;
	memset(&r->who, 0, sizeof(r->who));
	if (rc == STORE_NOTFOUND)
		reply_error(r, 401, "unauthorized", NULL,
		            "invalid, revoked or expired credentials");
	else
		reply_store(r, rc, "credentials");
	return false;
}
