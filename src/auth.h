#ifndef LAB_AUTH_H
#define LAB_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"

#define AUTH_TOKEN_LEN 67 /* "lf_" + 64 hex characters */
#define AUTH_HASH_LEN 65  /* 64 hex characters + NUL */
#define AUTH_SESSION_COOKIE "lab_session"
#define AUTH_SESSION_TTL (12 * 3600)

/*
 * Finds who is calling: a Bearer token or a session cookie. On failure
 * answers 401 and returns false. A valid principal lands in r->who.
 */
bool auth_authenticate(struct request *r);
/* True when csrf is this cookie session's CSRF token (constant time). */
bool auth_csrf_ok(const struct principal *who, const char *csrf);

/* A new random secret: 256 bits as "lf_" + hex. out: AUTH_TOKEN_LEN+1. */
void auth_token_new(char *out);
/* The stored form of a token or session id (BLAKE2b, hex). */
void auth_token_hash(const char *token, char *out);
/* argon2id. Returns 0, or -1 when out of memory. out: 128 bytes. */
int auth_password_hash(const char *password, char *out, size_t outlen);
bool auth_password_ok(const char *hash, const char *password);

const char *auth_role_name(enum role role);
/* ROLE_NONE for an unknown name. */
enum role auth_role_parse(const char *name);

#endif
