#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "store.h"
#include "store_auth.h"
#include "util.h"
#include "valid.h"

#include <sodium.h>

/* Flags common to the commands: --db, --role, --name. */
struct cli_args {
	const char *db;
	const char *role;
	const char *name;
	const char *pos[4]; /* positional arguments */
	int npos;
};

static int
cli_parse(int argc, char **argv, struct cli_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->db = getenv("LAB_FLEET_DB");
	if (a->db == NULL)
		a->db = "./data/fleet.db";
	for (i = 0; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--db") == 0)
			dst = &a->db;
		else if (strcmp(argv[i], "--role") == 0)
			dst = &a->role;
		else if (strcmp(argv[i], "--name") == 0)
			dst = &a->name;
		if (dst != NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "lab-fleet: %s needs a value\n",
				        argv[i]);
				return -1;
			}
			*dst = argv[++i];
		} else if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "lab-fleet: unknown flag %s\n",
			        argv[i]);
			return -1;
		} else if (a->npos < 4) {
			a->pos[a->npos++] = argv[i];
		}
	}
	return 0;
}

static struct store *
cli_open(const char *path)
{
	struct store *st;

	if (store_open(path, 1, &st) != STORE_OK) {
		fprintf(stderr, "lab-fleet: cannot open database %s\n", path);
		return NULL;
	}
	return st;
}

static int
token_create(struct cli_args *a)
{
	char token[AUTH_TOKEN_LEN + 1], hash[AUTH_HASH_LEN];
	struct store *st;
	json_t *row;
	int rc;

	if (a->role == NULL || a->name == NULL ||
	    auth_role_parse(a->role) < ROLE_VIEWER) {
		fputs("usage: lab-fleet token create --db PATH --role "
		      "admin|operator|viewer --name NAME\n",
		      stderr);
		return 2;
	}
	if (v_utf8_len(a->name) < 1 || v_utf8_len(a->name) > 100) {
		fputs("lab-fleet: --name must be 1 to 100 characters\n",
		      stderr);
		return 2;
	}
	st = cli_open(a->db);
	if (st == NULL)
		return 1;
	auth_token_new(token);
	auth_token_hash(token, hash);
	rc = store_token_create(st, a->name, a->role, NULL, hash, &row);
	store_close(st);
	if (rc != STORE_OK) {
		fputs("lab-fleet: could not store the token\n", stderr);
		return 1;
	}
	fprintf(stderr,
	        "token %lld (%s, %s) created; it is shown only "
	        "once\n",
	        (long long)json_integer_value(json_object_get(row, "id")),
	        a->name, a->role);
	json_decref(row);
	printf("%s\n", token);
	return 0;
}

static int
token_list(struct cli_args *a)
{
	struct store *st = cli_open(a->db);
	json_t *items, *t;
	size_t i;

	if (st == NULL)
		return 1;
	if (store_token_list(st, &items) != STORE_OK) {
		store_close(st);
		return 1;
	}
	printf("%-6s %-10s %-22s %s\n", "ID", "ROLE", "CREATED", "NAME");
	json_array_foreach(items, i, t)
	{
		printf("%-6lld %-10s %-22s %s\n",
		       (long long)json_integer_value(json_object_get(t, "id")),
		       json_string_value(json_object_get(t, "role")),
		       json_string_value(json_object_get(t, "created_at")),
		       json_string_value(json_object_get(t, "name")));
	}
	json_decref(items);
	store_close(st);
	return 0;
}

static int
token_revoke(struct cli_args *a)
{
	struct store *st;
	long long id;
	int rc;

	if (a->npos < 1 || !util_parse_int(a->pos[0], 1, 1LL << 62, &id)) {
		fputs("usage: lab-fleet token revoke --db PATH ID\n", stderr);
		return 2;
	}
	st = cli_open(a->db);
	if (st == NULL)
		return 1;
	rc = store_token_delete(st, id);
	store_close(st);
	if (rc == STORE_NOTFOUND) {
		fprintf(stderr, "lab-fleet: no token %lld\n", id);
		return 1;
	}
	if (rc != STORE_OK)
		return 1;
	fprintf(stderr, "token %lld revoked\n", id);
	return 0;
}

int
cli_token(int argc, char **argv)
{
	struct cli_args a;

	if (argc < 1 || cli_parse(argc - 1, argv + 1, &a) != 0) {
		fputs("usage: lab-fleet token create|list|revoke ...\n",
		      stderr);
		return 2;
	}
	if (strcmp(argv[0], "create") == 0)
		return token_create(&a);
	if (strcmp(argv[0], "list") == 0)
		return token_list(&a);
	if (strcmp(argv[0], "revoke") == 0)
		return token_revoke(&a);
	fprintf(stderr, "lab-fleet: unknown token command %s\n", argv[0]);
	return 2;
}

/* Reads the password: the first line of stdin, without its newline. */
static int
read_password(char *out, size_t outlen)
{
	size_t n;

	if (fgets(out, (int)outlen, stdin) == NULL)
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n >= 8 ? 0 : -1;
}

int
cli_user(int argc, char **argv)
{
	char password[512], hash[256];
	struct cli_args a;
	struct store *st;
	int rc;

	if (argc < 1 || cli_parse(argc - 1, argv + 1, &a) != 0 || a.npos < 1) {
		fputs("usage: lab-fleet user add --db PATH NAME --role ROLE "
		      "(password on stdin)\n"
		      "       lab-fleet user passwd --db PATH NAME "
		      "(password on stdin)\n",
		      stderr);
		return 2;
	}
	if (read_password(password, sizeof(password)) != 0) {
		fputs("lab-fleet: give a password of at least 8 characters "
		      "on stdin\n",
		      stderr);
		return 2;
	}
	if (auth_password_hash(password, hash, sizeof(hash)) != 0)
		return 1;
	sodium_memzero(password, sizeof(password));
	st = cli_open(a.db);
	if (st == NULL)
		return 1;
	if (strcmp(argv[0], "add") == 0) {
		if (a.role == NULL || auth_role_parse(a.role) < ROLE_VIEWER) {
			fputs("lab-fleet: --role admin|operator|viewer is "
			      "required\n",
			      stderr);
			store_close(st);
			return 2;
		}
		rc = store_user_add(st, a.pos[0], a.role, hash, NULL);
	} else if (strcmp(argv[0], "passwd") == 0) {
		rc = store_user_set_password(st, a.pos[0], hash);
	} else {
		store_close(st);
		fprintf(stderr, "lab-fleet: unknown user command %s\n",
		        argv[0]);
		return 2;
	}
	store_close(st);
	if (rc == STORE_CONFLICT)
		fprintf(stderr, "lab-fleet: user %s exists\n", a.pos[0]);
	else if (rc == STORE_NOTFOUND)
		fprintf(stderr, "lab-fleet: no user %s\n", a.pos[0]);
	else if (rc == STORE_OK)
		fprintf(stderr, "user %s saved\n", a.pos[0]);
	return rc == STORE_OK ? 0 : 1;
}

int
cli_backup(int argc, char **argv)
{
	struct cli_args a;
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int rc = 1;

	if (cli_parse(argc, argv, &a) != 0 || a.npos != 1) {
		fputs("usage: lab-fleet backup --db PATH OUT\n", stderr);
		return 2;
	}
	if (sqlite3_open_v2(a.db, &src, SQLITE_OPEN_READONLY, NULL) !=
	        SQLITE_OK ||
	    sqlite3_open(a.pos[0], &dst) != SQLITE_OK) {
		fprintf(stderr, "lab-fleet: %s\n",
		        sqlite3_errmsg(dst ? dst : src));
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	/* The online backup API copies a consistent snapshot while others
	 * keep writing. */
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		fprintf(stderr, "lab-fleet: %s\n", sqlite3_errmsg(dst));
		goto out;
	}
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK ||
	       rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(10);
	rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ? 0 : 1;
	if (rc == 0)
		fprintf(stderr, "backup of %s written to %s\n", a.db, a.pos[0]);
	else
		fprintf(stderr, "lab-fleet: backup failed: %s\n",
		        sqlite3_errmsg(dst));
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

int
cli_migrate(int argc, char **argv)
{
	struct cli_args a;
	struct store *st;

	if (cli_parse(argc, argv, &a) != 0) {
		fputs("usage: lab-fleet migrate --db PATH\n", stderr);
		return 2;
	}
	st = cli_open(a.db);
	if (st == NULL)
		return 1;
	printf("schema version %d\n", store_schema_version(st));
	store_close(st);
	return 0;
}
