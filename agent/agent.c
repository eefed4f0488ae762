/*
 * agent.c: the heartbeat loop. One thread: heartbeats and reports are
 * blocking libcurl calls; a running hook is watched through its pipe
 * between them, so heartbeats carry on while a long rebuild runs.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "actions.h"
#include "agent.h"
#include "backoff.h"
#include "client.h"
#include "figures.h"
#include "hooks.h"
#include "log.h"
#include "version.h"

#define NEVER INT64_MAX

/* How the last heartbeat went; a change of this is what gets logged. */
enum link {
	LINK_UNKNOWN,
	LINK_UP,
	LINK_UNREACHABLE,  /* no answer: refused, timed out, reset */
	LINK_REFUSED,      /* 401 or 403: the token */
	LINK_REJECTED,     /* other 4xx: the VM id or the body */
	LINK_SERVER_ERROR, /* 5xx */
	LINK_NO_FIGURES,   /* could not read this machine's figures */
};

struct agent {
	const struct config *cfg;
	struct client *client;
	struct actions actions;
	struct figures_src src;
	struct backoff backoff;
	int interval_s;
	enum link link;
	long link_status;
	unsigned failures;
	int64_t down_since;
	struct hook_run *run;
	long long run_id;
	int64_t next_hb;
	int64_t next_report;
	long long report_warned;
	int save_errno_logged;
	char version[FIGURES_VERSION_MAX + 1];
	bool version_logged;
	char version_file[PATH_MAX]; /* absolute, for the hooks */
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reload_signal;
static int wake_pipe[2] = {-1, -1};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = 0;

	if (sig == SIGHUP)
		reload_signal = 1;
	else if (sig != SIGCHLD)
		stop_signal = sig;
	if (wake_pipe[1] != -1 && write(wake_pipe[1], &c, 1) < 0) {
		/* Full pipe: a wake-up is already pending. */
	}
	errno = saved;
}

static int
setup_signals(void)
{
	struct sigaction sa;
	int i;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void
drain_wake_pipe(void)
{
	char buf[64];

	while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

static void
check_saves(struct agent *ag)
{
	int e = ag->actions.save_errno;

	if (e == ag->save_errno_logged)
		return;
	if (e != 0)
		log_warn("cannot save the action log %s: %s; keeping it in "
		         "memory",
		         ag->actions.path, strerror(e));
	else
		log_info("action log %s saved again", ag->actions.path);
	ag->save_errno_logged = e;
}

static void
set_link(struct agent *ag, enum link link, long status, const char *why)
{
	const char *url = client_base(ag->client);
	int64_t now = now_ms();

	if (link == ag->link && status == ag->link_status)
		return;
	switch (link) {
	case LINK_UP:
		if (ag->link == LINK_UNKNOWN)
			log_info("connected to %s as VM %s; heartbeat every "
			         "%d s",
			         url, ag->cfg->vm_id, ag->interval_s);
		else
			log_info("back in touch with %s after %u failed "
			         "attempts over %lld s",
			         url, ag->failures,
			         (long long)((now - ag->down_since) / 1000));
		break;
	case LINK_UNREACHABLE:
		log_warn("cannot reach %s: %s; retrying with backoff "
		         "(at most %d s apart)",
		         url, why, ag->cfg->max_backoff_s);
		break;
	case LINK_REFUSED:
		log_err("%s refused the agent token: %s; check %s "
		        "(retrying with backoff; SIGHUP rereads the file)",
		        url, why, ag->cfg->token_file);
		break;
	case LINK_REJECTED:
		log_err("%s rejected the heartbeat for VM %s: %s; retrying "
		        "with backoff",
		        url, ag->cfg->vm_id, why);
		break;
	case LINK_SERVER_ERROR:
		log_warn("%s answered with an error: %s; retrying with "
		         "backoff",
		         url, why);
		break;
	case LINK_NO_FIGURES:
		log_err("cannot read this machine's figures: %s; no "
		        "heartbeat until that works",
		        why);
		break;
	case LINK_UNKNOWN:
		break;
	}
	if (link == LINK_UP) {
		ag->failures = 0;
	} else if (ag->link == LINK_UP || ag->link == LINK_UNKNOWN) {
		ag->down_since = now;
	}
	ag->link = link;
	ag->link_status = status;
}

static void
reload_token(struct agent *ag, bool quiet)
{
	char token[CONFIG_TOKEN_MAX + 1], err[512];

	if (config_read_token(ag->cfg->token_file, token, sizeof(token), err,
	                      sizeof(err)) != 0) {
		if (!quiet)
			log_err("keeping the old token: %s", err);
		return;
	}
	if (client_set_token(ag->client, token) != 0)
		log_err("cannot set the token: out of memory");
	else if (!quiet)
		log_info("reread the token file %s", ag->cfg->token_file);
	explicit_bzero(token, sizeof(token));
}

/* Takes the interval and the actions from a heartbeat answer. */
static void
take_answer(struct agent *ag, json_t *answer)
{
	json_t *next = json_object_get(answer, "next_heartbeat_s");
	json_t *list = json_object_get(answer, "actions"), *e;
	bool malformed = false;
	size_t i;

	if (json_is_integer(next) && json_integer_value(next) >= 1 &&
	    json_integer_value(next) <= 86400 &&
	    json_integer_value(next) != ag->interval_s) {
		ag->interval_s = (int)json_integer_value(next);
		log_info("the server asks for a heartbeat every %d s",
		         ag->interval_s);
	}
	json_array_foreach(list, i, e)
	{
		switch (actions_offer(&ag->actions, e)) {
		case 1: {
			const struct action *act =
			    &ag->actions.v[ag->actions.n - 1];

			log_info("action %lld: %s%s%s received", act->id,
			         act->type, act->version[0] != '\0' ? " " : "",
			         act->version);
			break;
		}
		case -1:
			malformed = true;
			break;
		default:
			break;
		}
	}
	if (malformed)
		log_warn("ignored malformed actions in the server's answer");
	check_saves(ag);
}

/*
 * Sends one heartbeat. Returns 0 when the server took it (the answer, a
 * new reference, in *answer if asked for), -1 otherwise.
 */
static int
heartbeat(struct agent *ag, json_t **answer)
{
	struct figures f;
	struct client_reply r;
	json_t *body;
	char path[256], err[512];
	int rc = -1;
	enum link link;

	if (answer != NULL)
		*answer = NULL;
	if (figures_collect(&ag->src, &f, err, sizeof(err)) != 0) {
		set_link(ag, LINK_NO_FIGURES, 0, err);
		return -1;
	}
	if (!ag->version_logged || strcmp(f.version, ag->version) != 0) {
		if (f.version[0] != '\0')
			log_info("this machine's version: %s", f.version);
		else
			log_info("no version known (%s missing or not a "
			         "version); sending none",
			         ag->cfg->version_file);
		memcpy(ag->version, f.version, sizeof(ag->version));
		ag->version_logged = true;
	}
	body = figures_json(&f);
	if (body == NULL) {
		set_link(ag, LINK_NO_FIGURES, 0, "out of memory");
		return -1;
	}
	if (snprintf(path, sizeof(path), "/api/vms/%s/heartbeat",
	             ag->cfg->vm_id) < 0) {
		json_decref(body);
		return -1;
	}
	if (ag->link == LINK_REFUSED)
		reload_token(ag, true);
	if (client_request(ag->client, "PUT", path, body, &r) != 0) {
		link = LINK_UNREACHABLE;
		r.status = 0;
	} else if (r.status >= 200 && r.status <= 299) {
		link = LINK_UP;
	} else if (r.status == 401 || r.status == 403) {
		link = LINK_REFUSED;
	} else if (r.status >= 400 && r.status <= 499 && r.status != 408 &&
	           r.status != 429) {
		link = LINK_REJECTED;
	} else {
		link = LINK_SERVER_ERROR;
	}
	json_decref(body);
	if (link != LINK_UP) {
		/* A request that the signal cut short is no state change. */
		if (!stop_signal)
			set_link(ag, link, r.status, r.error);
		goto out;
	}
	if (!json_is_object(r.body)) {
		set_link(ag, LINK_SERVER_ERROR, -1,
		         "the answer is not a JSON object");
		goto out;
	}
	set_link(ag, LINK_UP, r.status, NULL);
	take_answer(ag, r.body);
	if (answer != NULL) {
		*answer = r.body;
		r.body = NULL;
	}
	rc = 0;
out:
	client_reply_clear(&r);
	return rc;
}

static void
finish_action(struct agent *ag, struct action *act,
              const struct hook_result *res)
{
	actions_finish(&ag->actions, act, res);
	if (res->succeeded)
		log_info("action %lld: %s succeeded", act->id, act->type);
	else
		log_warn("action %lld: %s failed (exit status %d)", act->id,
		         act->type, res->exit_code);
	check_saves(ag);
	ag->next_report = now_ms();
}

/* Fails an action without running anything. */
static void
refuse_action(struct agent *ag, struct action *act, const char *why)
{
	struct hook_result res = {false, HOOKS_EXIT_NOEXEC, NULL};

	res.output = strdup(why);
	finish_action(ag, act, &res);
	hooks_result_clear(&res);
}

/* Starts the oldest queued action unless a hook is running. */
static void
start_next(struct agent *ag)
{
	struct action *act;
	struct hook_result res;
	const char *args[2] = {NULL, NULL};
	char e_id[64], e_type[64], e_vm[96], e_ver[96], e_vfile[4200];
	const char *env[6];
	char why[256];

	if (ag->run != NULL)
		return;
	act = actions_next_queued(&ag->actions);
	if (act == NULL)
		return;
	if (strcmp(act->type, "update") == 0) {
		if (!figures_version_ok(act->version)) {
			snprintf(why, sizeof(why),
			         "update action without a "
			         "valid version (\"%s\"); nothing was run",
			         act->version);
			refuse_action(ag, act, why);
			return;
		}
		args[0] = act->version;
	} else if (strcmp(act->type, "restart") != 0 &&
	           strcmp(act->type, "rebuild") != 0) {
		snprintf(why, sizeof(why),
		         "unknown action type \"%s\"; this "
		         "agent runs restart, rebuild and update",
		         act->type);
		refuse_action(ag, act, why);
		return;
	}
	snprintf(e_id, sizeof(e_id), "LAB_FLEET_ACTION_ID=%lld", act->id);
	snprintf(e_type, sizeof(e_type), "LAB_FLEET_ACTION=%s", act->type);
	snprintf(e_vm, sizeof(e_vm), "LAB_FLEET_VM_ID=%s", ag->cfg->vm_id);
	snprintf(e_ver, sizeof(e_ver), "LAB_FLEET_VERSION=%s", act->version);
	snprintf(e_vfile, sizeof(e_vfile), "LAB_FLEET_VERSION_FILE=%s",
	         ag->version_file);
	env[0] = e_id;
	env[1] = e_type;
	env[2] = e_vm;
	env[3] = e_ver;
	env[4] = e_vfile;
	env[5] = NULL;

	actions_start(&ag->actions, act);
	check_saves(ag);
	log_info("action %lld: running %s hook%s%s", act->id, act->type,
	         args[0] != NULL ? " " : "", args[0] != NULL ? args[0] : "");
	ag->run = hooks_start(ag->cfg->hooks_dir, act->type, args, env,
	                      ag->cfg->hook_timeout_s, &res);
	if (ag->run == NULL) {
		finish_action(ag, act, &res);
		hooks_result_clear(&res);
		return;
	}
	ag->run_id = act->id;
}

static void
step_run(struct agent *ag)
{
	struct hook_result res;
	struct action *act;

	if (ag->run == NULL || !hooks_step(ag->run, &res))
		return;
	hooks_free(ag->run);
	ag->run = NULL;
	act = actions_find(&ag->actions, ag->run_id);
	if (act != NULL)
		finish_action(ag, act, &res);
	hooks_result_clear(&res);
}

/*
 * Reports finished actions. Returns 0 when none are left, -1 when the
 * server could not be told (they wait for the next good heartbeat).
 */
static int
send_reports(struct agent *ag)
{
	struct action *act;
	struct client_reply r;
	json_t *body;
	char path[256];
	int rc = 0, sent;

	ag->next_report = NEVER;
	while ((act = actions_next_unreported(&ag->actions)) != NULL) {
		if (stop_signal)
			return -1;
		body = actions_report_json(act);
		if (body == NULL ||
		    snprintf(path, sizeof(path), "/api/vms/%s/actions/%lld",
		             ag->cfg->vm_id, act->id) < 0) {
			json_decref(body);
			return -1;
		}
		sent = client_request(ag->client, "POST", path, body, &r);
		json_decref(body);
		if (sent == 0 && r.status >= 200 && r.status <= 299) {
			log_info("action %lld: reported %s", act->id,
			         act->succeeded ? "succeeded" : "failed");
		} else if (sent == 0 && r.status >= 400 && r.status <= 499 &&
		           r.status != 401 && r.status != 403 &&
		           r.status != 408 && r.status != 429) {
			log_warn("action %lld: the server will not take the "
			         "report (%s); dropping it",
			         act->id, r.error);
		} else {
			if (ag->report_warned != act->id)
				log_warn("action %lld: cannot report it yet: "
				         "%s; will retry",
				         act->id, r.error);
			ag->report_warned = act->id;
			client_reply_clear(&r);
			rc = -1;
			break;
		}
		client_reply_clear(&r);
		actions_reported(&ag->actions, act);
	}
	check_saves(ag);
	return rc;
}

/* Waits for hook output, a signal, or timeout_ms. */
static void
wait_events(struct agent *ag, int64_t timeout_ms)
{
	struct pollfd pfd[2];
	int n = 0;

	pfd[n].fd = wake_pipe[0];
	pfd[n].events = POLLIN;
	n++;
	if (ag->run != NULL && hooks_fd(ag->run) != -1) {
		pfd[n].fd = hooks_fd(ag->run);
		pfd[n].events = POLLIN;
		n++;
	}
	if (timeout_ms > INT_MAX)
		timeout_ms = INT_MAX;
	if (timeout_ms < 0)
		timeout_ms = 0;
	poll(pfd, (nfds_t)n, (int)timeout_ms);
	drain_wake_pipe();
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void
run_loop(struct agent *ag)
{
	int64_t now, start, wake;

	ag->next_hb = now_ms();
	ag->next_report = ag->actions.n > 0 ? now_ms() : NEVER;
	while (!stop_signal) {
		if (reload_signal) {
			reload_signal = 0;
			reload_token(ag, false);
		}
		now = now_ms();
		if (now >= ag->next_hb) {
			start = now;
			if (heartbeat(ag, NULL) == 0) {
				backoff_reset(&ag->backoff);
				ag->next_hb =
				    start + (int64_t)ag->interval_s * 1000;
				if (ag->next_report == NEVER &&
				    actions_next_unreported(&ag->actions))
					ag->next_report = now_ms();
			} else {
				ag->failures++;
				ag->next_hb =
				    now_ms() + backoff_fail(&ag->backoff);
			}
		}
		start_next(ag);
		step_run(ag);
		if (now_ms() >= ag->next_report) {
			if (ag->link == LINK_UP)
				send_reports(ag);
			else /* the next good heartbeat brings them back */
				ag->next_report = NEVER;
		}
		if (ag->run == NULL && actions_next_queued(&ag->actions))
			continue;
		wake = min64(ag->next_hb, ag->next_report);
		if (ag->run != NULL)
			wake = min64(wake, now_ms() + hooks_wake_ms(ag->run));
		wait_events(ag, wake - now_ms());
	}
	log_info("stopping on signal %d", (int)stop_signal);
	if (ag->run != NULL) {
		log_warn("action %lld: killing its hook; it will count as "
		         "interrupted",
		         ag->run_id);
		hooks_free(ag->run);
		ag->run = NULL;
	}
}

/* --once: one heartbeat, its answer on stdout, its actions carried out. */
static int
run_once(struct agent *ag)
{
	json_t *answer;
	int rc = 1;

	if (heartbeat(ag, &answer) != 0)
		return 1;
	if (json_dumpf(answer, stdout, JSON_INDENT(2)) == 0) {
		fputc('\n', stdout);
		rc = 0;
	}
	fflush(stdout);
	json_decref(answer);
	for (;;) {
		start_next(ag);
		if (ag->run == NULL)
			break;
		while (ag->run != NULL && !stop_signal) {
			step_run(ag);
			if (ag->run != NULL)
				wait_events(ag, hooks_wake_ms(ag->run));
		}
		if (stop_signal) {
			hooks_free(ag->run);
			ag->run = NULL;
			return 1;
		}
	}
	if (send_reports(ag) != 0)
		rc = 1;
	return rc;
}

static int
dry_run(const struct config *cfg)
{
	struct figures_src src;
	struct figures f;
	json_t *body;
	char err[512];
	int rc = 1;

	figures_src_init(&src, cfg->proc_dir, cfg->mount, cfg->version_file);
	if (figures_collect(&src, &f, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	body = figures_json(&f);
	if (body != NULL &&
	    json_dumpf(body, stdout,
	               JSON_INDENT(2) | JSON_REAL_PRECISION(10)) == 0) {
		fputc('\n', stdout);
		rc = 0;
	}
	json_decref(body);
	return rc;
}

/* Makes path absolute against the working directory (hooks run in theirs). */
static void
absolute_path(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= len)
		snprintf(out, len, "%s", path);
}

/* The state file's path, creating its directory; NULL: memory only. */
static char *
state_path(const struct config *cfg)
{
	char *path;
	size_t n;
	struct stat st;

	if (cfg->state_dir == NULL || cfg->state_dir[0] == '\0')
		return NULL;
	if (stat(cfg->state_dir, &st) != 0 &&
	    mkdir(cfg->state_dir, 0700) != 0) {
		log_warn("cannot create the state directory %s: %s; the "
		         "action log is kept in memory only",
		         cfg->state_dir, strerror(errno));
		return NULL;
	}
	n = strlen(cfg->state_dir) + sizeof("/actions.json");
	path = malloc(n);
	if (path == NULL ||
	    snprintf(path, n, "%s/actions.json", cfg->state_dir) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

int
agent_main(const struct config *cfg)
{
	struct agent ag;
	struct disk_usage disk;
	struct stat st;
	char token[CONFIG_TOKEN_MAX + 1], err[512], *spath = NULL;
	int rc = 1;

	if (cfg->dry_run)
		return dry_run(cfg);

	memset(&ag, 0, sizeof(ag));
	ag.cfg = cfg;
	ag.interval_s = cfg->interval_s;
	ag.next_report = NEVER;
	ag.report_warned = -1;
	if (config_read_token(cfg->token_file, token, sizeof(token), err,
	                      sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	if (procfs_disk_read(cfg->mount, &disk) != 0) {
		log_err("cannot measure the disk at %s: %s", cfg->mount,
		        strerror(errno));
		goto out;
	}
	if (cfg->hooks_dir == NULL)
		log_warn("no --hooks directory: every action will fail");
	else if (stat(cfg->hooks_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		log_warn("hooks directory %s is missing: actions will fail "
		         "until it exists",
		         cfg->hooks_dir);
	if (setup_signals() != 0) {
		log_err("cannot set up signals: %s", strerror(errno));
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("cannot initialise libcurl");
		goto out;
	}
	ag.client = client_new(cfg->server, 5, cfg->timeout_s);
	if (ag.client == NULL || client_set_token(ag.client, token) != 0) {
		log_err("out of memory");
		goto out;
	}
	client_set_abort(ag.client, &stop_signal);
	spath = state_path(cfg);
	if (actions_open(&ag.actions, spath, err, sizeof(err)) != 0)
		log_warn("%s", err);
	absolute_path(cfg->version_file, ag.version_file,
	              sizeof(ag.version_file));
	figures_src_init(&ag.src, cfg->proc_dir, cfg->mount, cfg->version_file);
	backoff_init(&ag.backoff, 1000, (unsigned)cfg->max_backoff_s * 1000);

	if (cfg->once) {
		rc = run_once(&ag);
		goto out;
	}
	log_info("lab-fleet-agent %s starting: server %s, VM %s, heartbeat "
	         "every %d s, hooks %s, disk %s",
	         AGENT_VERSION, cfg->server, cfg->vm_id, cfg->interval_s,
	         cfg->hooks_dir != NULL ? cfg->hooks_dir : "(none)",
	         cfg->mount);
	run_loop(&ag);
	rc = 0;
out:
	explicit_bzero(token, sizeof(token));
	hooks_free(ag.run);
	client_free(ag.client);
	actions_close(&ag.actions);
	free(spath);
	curl_global_cleanup();
	return rc;
}
