/* Admin resources: API tokens, users, the audit log. */

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "reply.h"
#include "server.h"
#include "store_auth.h"
#include "util.h"
#include "valid.h"

static const char *const human_roles[] = {"admin", "operator", "viewer", NULL};

static void
tokens_list(struct request *r)
{
	json_t *items;
	int rc = store_token_list(r->srv->st, &items);

	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "tokens");
		return;
	}
	reply_list(r, items, (long long)json_array_size(items), 1000, 0);
}

static void
tokens_create(struct request *r)
{
	json_t *body = reply_need_object(r), *row;
	const char *name = NULL, *role = NULL;
	char token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_LEN];
	struct verr e = {0};
	int rc;

	if (body == NULL)
		return;
	v_string(body, "name", true, 1, 100, &name, &e);
	v_enum(body, "role", true, human_roles, &role, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	auth_token_new(token);
	auth_token_hash(token, hash);
	rc = store_token_create(r->srv->st, name, role, NULL, hash, &row);
	if (rc != STORE_OK) {
		reply_store(r, rc, "token");
		return;
	}
	json_object_set_new(row, "token", json_string(token));
	snprintf(r->audit_buf, sizeof(r->audit_buf), "token:%lld",
	         (long long)json_integer_value(json_object_get(row, "id")));
	r->audit_target = r->audit_buf;
	reply_json(r, 201, row);
}

static void
tokens_delete(struct request *r)
{
	long long id;
	int rc;

	if (!util_parse_int(r->params[0], 1, 1LL << 62, &id)) {
		reply_not_found(r, "token");
		return;
	}
	rc = store_token_delete(r->srv->st, id);
	if (rc != STORE_OK) {
		reply_store(r, rc, "token");
		return;
	}
	reply_empty(r, 204);
}

static void
users_list(struct request *r)
{
	json_t *items;
	int rc = store_user_list(r->srv->st, &items);

	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "users");
		return;
	}
	reply_list(r, items, (long long)json_array_size(items), 1000, 0);
}

static bool
valid_username(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._-@", s[i])))
			return false;
	return n > 0;
}

static void
users_create(struct request *r)
{
	json_t *body = reply_need_object(r), *row;
	const char *username = NULL, *password = NULL, *role = NULL;
	char hash[256];
	struct verr e = {0};
	int rc;

	if (body == NULL)
		return;
	if (v_string(body, "username", true, 1, 64, &username, &e) &&
	    !valid_username(username))
		verr_set(&e, "username",
		         "username may use letters, digits and . _ - @");
	v_string(body, "password", true, 8, 1000, &password, &e);
	v_enum(body, "role", true, human_roles, &role, &e);
	if (e.failed) {
		reply_invalid(r, &e);
		return;
	}
	if (auth_password_hash(password, hash, sizeof(hash)) != 0) {
		reply_error(r, 500, "internal", NULL, "could not hash");
		return;
	}
	rc = store_user_add(r->srv->st, username, role, hash, &row);
	if (rc != STORE_OK) {
		reply_store(r, rc, "user");
		return;
	}
	r->audit_target = username;
	reply_json(r, 201, row);
}

static void
audit_list(struct request *r)
{
	long long limit, offset, total;
	json_t *items;
	struct qb q;
	int rc;

	if (!reply_page_params(r, &limit, &offset))
		return;
	qb_init(&q);
	rc = store_list(
	    r->srv->st, "id, at, actor, method, path, target, status, address",
	    "audit", &q, "id DESC", limit, offset, NULL, &items, &total);
	qb_free(&q);
	if (rc != STORE_OK) {
		json_decref(items);
		reply_store(r, rc, "audit");
		return;
	}
	reply_list(r, items, total, limit, offset);
}

const struct route api_admin_routes[] = {
    {"GET", "/api/tokens", tokens_list, ROLE_ADMIN, 0},
    {"POST", "/api/tokens", tokens_create, ROLE_ADMIN, 0},
    {"DELETE", "/api/tokens/:id", tokens_delete, ROLE_ADMIN, 0},
    {"GET", "/api/users", users_list, ROLE_ADMIN, 0},
    {"POST", "/api/users", users_create, ROLE_ADMIN, 0},
    {"GET", "/api/audit", audit_list, ROLE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
