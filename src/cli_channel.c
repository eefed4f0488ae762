/*
 * `lab-fleet channel add|list|remove`: the webhook channels, managed from
 * the command line against the database file.
 */

#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store.h"
#include "store_channels.h"
#include "util.h"
#include "valid.h"

static const char *const formats[] = {"json", "slack", NULL};
static const char *const severities[] = {"info", "warning", "high", NULL};

static void
channel_usage(void)
{
	fputs("usage: lab-fleet channel add [--db PATH] URL [--format json|"
	      "slack] [--min-severity info|warning|high]\n"
	      "       lab-fleet channel list [--db PATH]\n"
	      "       lab-fleet channel remove [--db PATH] ID\n",
	      stderr);
}

static bool
one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static void
channel_print(json_t *c)
{
	json_t *last = json_object_get(c, "last_delivery");

	printf("%lld\t%s\t%s\t%s\t%s\t%s\n",
	       (long long)json_integer_value(json_object_get(c, "id")),
	       json_string_value(json_object_get(c, "url")),
	       json_string_value(json_object_get(c, "format")),
	       json_string_value(json_object_get(c, "min_severity")),
	       json_is_true(json_object_get(c, "enabled")) ? "enabled"
	                                                   : "disabled",
	       json_is_object(last)
	           ? json_string_value(json_object_get(last, "status"))
	           : "-");
}

int
cli_channel(int argc, char **argv)
{
	const char *db = getenv("LAB_FLEET_DB"), *format = "json";
	const char *sev = "warning", *pos[3] = {NULL, NULL, NULL};
	struct store *st = NULL;
	json_t *out = NULL;
	long long id;
	int i, npos = 0, rc = 2;
	size_t k;

	if (db == NULL)
		db = "./data/fleet.db";
	for (i = 0; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--db") == 0)
			dst = &db;
		else if (strcmp(argv[i], "--format") == 0)
			dst = &format;
		else if (strcmp(argv[i], "--min-severity") == 0)
			dst = &sev;
		if (dst != NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "lab-fleet: %s needs a value\n",
				        argv[i]);
				return 2;
			}
			*dst = argv[++i];
		} else if (strncmp(argv[i], "--", 2) == 0 || npos == 3) {
			channel_usage();
			return 2;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos == 0) {
		channel_usage();
		return 2;
	}
	if (strcmp(pos[0], "add") == 0) {
		if (npos != 2 || !v_is_http_url(pos[1])) {
			fputs("lab-fleet: channel add needs an http:// or "
			      "https:// URL\n",
			      stderr);
			return 2;
		}
		if (!one_of(format, formats) || !one_of(sev, severities)) {
			fputs("lab-fleet: --format is json or slack, "
			      "--min-severity info, warning or high\n",
			      stderr);
			return 2;
		}
	} else if (strcmp(pos[0], "remove") == 0) {
		if (npos != 2 || !util_parse_int(pos[1], 1, 1LL << 62, &id)) {
			fputs("lab-fleet: channel remove needs a channel id\n",
			      stderr);
			return 2;
		}
	} else if (strcmp(pos[0], "list") != 0 || npos != 1) {
		channel_usage();
		return 2;
	}
	if (store_open(db, 1, &st) != STORE_OK) {
		fprintf(stderr, "lab-fleet: cannot open database %s\n", db);
		return 1;
	}
	rc = 1;
	if (strcmp(pos[0], "add") == 0) {
		if (store_channel_create(st, pos[1], format, sev, true, &out) ==
		    STORE_OK) {
			printf("%lld\n", (long long)json_integer_value(
			                     json_object_get(out, "id")));
			rc = 0;
		}
	} else if (strcmp(pos[0], "remove") == 0) {
		i = store_channel_delete(st, id);
		if (i == STORE_NOTFOUND)
			fprintf(stderr, "lab-fleet: no channel %lld\n", id);
		rc = i == STORE_OK ? 0 : 1;
	} else if (store_channel_list(st, &out) == STORE_OK) {
		for (k = 0; k < json_array_size(out); k++)
			channel_print(json_array_get(out, k));
		rc = 0;
	}
	if (rc != 0 && out == NULL && strcmp(pos[0], "remove") != 0)
		fputs("lab-fleet: database error\n", stderr);
	json_decref(out);
	store_close(st);
	return rc;
}
