/*
 * actions.c: the agent's action log and its state file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"

static const char *const phase_names[] = {"queued", "running", "done"};

struct action *
actions_find(struct actions *a, long long id)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].id == id)
			return &a->v[i];
	return NULL;
}

static struct action *
append(struct actions *a)
{
	struct action *nv;
	size_t ncap;

	if (a->n == a->cap) {
		ncap = a->cap == 0 ? 16 : a->cap * 2;
		nv = realloc(a->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		a->v = nv;
		a->cap = ncap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	a->v[a->n].exit_code = -1;
	return &a->v[a->n++];
}

static int
copy_str(char *dst, size_t len, const char *src)
{
	int n = snprintf(dst, len, "%s", src != NULL ? src : "");

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Loads one entry of the state file. Returns 0, or -1 if malformed. */
static int
load_entry(struct actions *a, json_t *e)
{
	json_t *id = json_object_get(e, "id");
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *version = json_string_value(json_object_get(e, "version"));
	const char *phase = json_string_value(json_object_get(e, "phase"));
	const char *output = json_string_value(json_object_get(e, "output"));
	struct action *act;
	size_t p;

	if (!json_is_integer(id) || json_integer_value(id) <= 0 ||
	    type == NULL || phase == NULL ||
	    actions_find(a, json_integer_value(id)))
		return -1;
	act = append(a);
	if (act == NULL)
		return -1;
	act->id = json_integer_value(id);
	if (copy_str(act->type, sizeof(act->type), type) != 0 ||
	    copy_str(act->version, sizeof(act->version), version) != 0)
		goto bad;
	for (p = 0; p < sizeof(phase_names) / sizeof(phase_names[0]); p++)
		if (strcmp(phase, phase_names[p]) == 0)
			break;
	if (p == sizeof(phase_names) / sizeof(phase_names[0]))
		goto bad;
	act->phase = (enum action_phase)p;
	act->succeeded = json_is_true(json_object_get(e, "succeeded"));
	act->exit_code =
	    (int)json_integer_value(json_object_get(e, "exit_code"));
	act->reported = json_is_true(json_object_get(e, "reported"));
	if (output != NULL) {
		act->output = strdup(output);
		if (act->output == NULL)
			goto bad;
	}
	return 0;
bad:
	free(act->output);
	a->n--;
	return -1;
}

/* Finishes actions that a stopped agent left running. */
static void
settle_interrupted(struct actions *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		struct action *act = &a->v[i];
		const char *msg;

		if (act->phase != ACTION_RUNNING)
			continue;
		act->phase = ACTION_DONE;
		act->reported = false;
		act->succeeded = strcmp(act->type, "restart") == 0;
		act->exit_code = act->succeeded ? 0 : -1;
		msg =
		    act->succeeded
		        ? "[lab-fleet-agent: the agent was restarted while the "
		          "restart hook ran; taken as done]\n"
		        : "[lab-fleet-agent: the agent stopped while the hook "
		          "ran; "
		          "its outcome is unknown]\n";
		free(act->output);
		act->output = strdup(msg);
	}
}

int
actions_open(struct actions *a, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *list, *e;
	size_t i;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	err[0] = '\0';
	if (path != NULL) {
		a->path = strdup(path);
		if (a->path == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (access(path, F_OK) != 0 && errno == ENOENT)
			return 0;
		root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (root == NULL) {
			snprintf(err, errlen, "cannot load %s: %s", path,
			         jerr.text);
			goto out;
		}
		list = json_object_get(root, "actions");
		if (!json_is_array(list)) {
			snprintf(err, errlen, "%s: no \"actions\" list", path);
			goto out;
		}
		json_array_foreach(list, i, e)
		{
			if (load_entry(a, e) != 0) {
				snprintf(err, errlen,
				         "%s: entry %zu is malformed; skipped",
				         path, i);
			}
		}
		settle_interrupted(a);
		if (err[0] != '\0')
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
actions_offer(struct actions *a, json_t *entry)
{
	json_t *id = json_object_get(entry, "id");
	json_t *version = json_object_get(entry, "version");
	const char *type = json_string_value(json_object_get(entry, "type"));
	struct action *act;

	if (!json_is_integer(id) || json_integer_value(id) <= 0 || type == NULL)
		return -1;
	if (actions_find(a, json_integer_value(id)) != NULL)
		return 0;
	act = append(a);
	if (act == NULL)
		return -1;
	act->id = json_integer_value(id);
	act->phase = ACTION_QUEUED;
	/*
	 * A type or version too long to keep is recorded cut short: the
	 * hook step then fails it with a clear message rather than the
	 * agent dropping it silently.
	 */
	if (copy_str(act->type, sizeof(act->type), type) != 0)
		act->type[sizeof(act->type) - 2] = '?';
	if (json_is_string(version) &&
	    copy_str(act->version, sizeof(act->version),
	             json_string_value(version)) != 0)
		act->version[sizeof(act->version) - 2] = '?';
	actions_save(a);
	return 1;
}

struct action *
actions_next_queued(struct actions *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].phase == ACTION_QUEUED)
			return &a->v[i];
	return NULL;
}

struct action *
actions_next_unreported_after(struct actions *a, const struct action *act)
{
	size_t i = act == NULL ? 0 : (size_t)(act - a->v) + 1;

	for (; i < a->n; i++)
		if (a->v[i].phase == ACTION_DONE && !a->v[i].reported)
			return &a->v[i];
	return NULL;
}

struct action *
actions_next_unreported(struct actions *a)
{
	return actions_next_unreported_after(a, NULL);
}

int
actions_start(struct actions *a, struct action *act)
{
	act->phase = ACTION_RUNNING;
	return actions_save(a);
}

int
actions_finish(struct actions *a, struct action *act,
               const struct hook_result *res)
{
	act->phase = ACTION_DONE;
	act->succeeded = res->succeeded;
	act->exit_code = res->exit_code;
	free(act->output);
	act->output = strdup(res->output != NULL ? res->output : "");
	return actions_save(a);
}

int
actions_reported(struct actions *a, struct action *act)
{
	size_t i, done = 0, drop;

	act->reported = true;
	free(act->output);
	act->output = NULL;
	for (i = 0; i < a->n; i++)
		if (a->v[i].phase == ACTION_DONE && a->v[i].reported)
			done++;
	drop = done > ACTIONS_KEEP ? done - ACTIONS_KEEP : 0;
	for (i = 0; i < a->n && drop > 0;) {
		if (a->v[i].phase == ACTION_DONE && a->v[i].reported) {
			free(a->v[i].output);
			memmove(&a->v[i], &a->v[i + 1],
			        (a->n - i - 1) * sizeof(a->v[0]));
			a->n--;
			drop--;
		} else {
			i++;
		}
	}
	return actions_save(a);
}

json_t *
actions_report_json(const struct action *act)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(
	    o, "status", json_string(act->succeeded ? "succeeded" : "failed"));
	json_object_set_new(
	    o, "output", json_string(act->output != NULL ? act->output : ""));
	if (act->exit_code >= 0)
		json_object_set_new(o, "exit_code",
		                    json_integer(act->exit_code));
	else
		json_object_set_new(o, "exit_code", json_null());
	return o;
}

static json_t *
to_json(const struct actions *a)
{
	json_t *root = json_object(), *list = json_array();
	size_t i;

	if (root == NULL || list == NULL) {
		json_decref(root);
		json_decref(list);
		return NULL;
	}
	for (i = 0; i < a->n; i++) {
		const struct action *act = &a->v[i];
		json_t *e = json_object();

		if (e == NULL)
			continue;
		json_object_set_new(e, "id", json_integer(act->id));
		json_object_set_new(e, "type", json_string(act->type));
		if (act->version[0] != '\0')
			json_object_set_new(e, "version",
			                    json_string(act->version));
		json_object_set_new(e, "phase",
		                    json_string(phase_names[act->phase]));
		if (act->phase == ACTION_DONE) {
			json_object_set_new(e, "succeeded",
			                    json_boolean(act->succeeded));
			json_object_set_new(e, "exit_code",
			                    json_integer(act->exit_code));
			json_object_set_new(e, "reported",
			                    json_boolean(act->reported));
		}
		if (act->output != NULL)
			json_object_set_new(e, "output",
			                    json_string(act->output));
		json_array_append_new(list, e);
	}
	json_object_set_new(root, "actions", list);
	return root;
}

int
actions_save(struct actions *a)
{
	char tmp[4096], *text = NULL;
	json_t *root;
	size_t len, off = 0;
	ssize_t w;
	int fd = -1, rc = -1, n, saved;

	if (a->path == NULL)
		return 0;
	root = to_json(a);
	if (root != NULL)
		text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (text == NULL) {
		a->save_errno = errno = ENOMEM;
		return -1;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", a->path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	len = strlen(text);
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	n = close(fd);
	fd = -1;
	if (n != 0)
		goto out;
	if (rename(tmp, a->path) != 0)
		goto out;
	rc = 0;
out:
	saved = rc == 0 ? 0 : errno;
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(text);
	a->save_errno = saved;
	errno = saved;
	return rc;
}

void
actions_close(struct actions *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].output);
	free(a->v);
	free(a->path);
	memset(a, 0, sizeof(*a));
}
