#ifndef LAB_STORE_AUTH_H
#define LAB_STORE_AUTH_H

/* Users, API and agent tokens, dashboard sessions. Returns STORE_*. */

#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "store.h"

/*
 * Fills who from the token whose hash is given. STORE_NOTFOUND if none.
 * Answers from a cache of the last second's lookups.
 */
int store_token_lookup(struct store *st, const char *hash,
                       struct principal *who);
/*
 * Forgets every cached token lookup: called when tokens are deleted or
 * replaced in this process (also by the cascade of a VM's deletion).
 */
void store_token_cache_clear(void);
/* Fills who from a live session. STORE_NOTFOUND if none or expired. */
int store_session_lookup(struct store *st, const char *hash, int64_t now,
                         struct principal *who);

/* *out: the token row (no hash), a new reference. */
int store_token_create(struct store *st, const char *name, const char *role,
                       const char *vm_id, const char *hash, json_t **out);
int store_token_list(struct store *st, json_t **items);
int store_token_delete(struct store *st, long long id);
/* Replaces the agent token of vm_id. STORE_NOTFOUND if no such VM. */
int store_agent_token_set(struct store *st, const char *vm_id,
                          const char *hash);

int store_user_add(struct store *st, const char *username, const char *role,
                   const char *password_hash, json_t **out);
int store_user_set_password(struct store *st, const char *username,
                            const char *password_hash);
/* *hash and *user are new: free() / json_decref() them. */
int store_user_find(struct store *st, const char *username, char **hash,
                    json_t **user);
int store_user_list(struct store *st, json_t **items);
long long store_user_count(struct store *st);

int store_session_create(struct store *st, const char *hash, long long user_id,
                         const char *csrf, int64_t expires_at);
int store_session_delete(struct store *st, const char *hash);

int store_audit_add(struct store *st, const char *actor, const char *method,
                    const char *path, const char *target, int status,
                    const char *address);

#endif
