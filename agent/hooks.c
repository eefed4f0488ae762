/*
 * hooks.c: fork and exec of action hooks with a timeout and an output
 * tail read through a pipe.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"

extern char **environ;

#define HOOKS_MARK "[...]\n"
#define HOOKS_RING (HOOKS_TAIL_MAX - (sizeof(HOOKS_MARK) - 1) - 160)

struct hook_run {
	pid_t pid;
	int fd;
	int timeout_s;
	int64_t deadline;  /* ms, monotonic: send SIGTERM */
	int64_t kill_at;   /* ms: send SIGKILL, once timed out */
	int64_t drain_end; /* ms: stop reading, once reaped */
	bool reaped;
	bool timed_out;
	bool sigkilled;
	int status;
	char ring[HOOKS_RING];
	size_t head;    /* next write position */
	size_t used;    /* bytes in ring */
	uint64_t total; /* bytes read in all */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail_result(struct hook_result *res, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail_result(struct hook_result *res, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	res->succeeded = false;
	res->exit_code = code;
	res->output = hooks_utf8_clean(msg, strlen(msg));
}

/*
 * Checks that DIR/NAME can be run. Returns 0 with the path filled, or an
 * exit code (127 missing, 126 unusable) with *res filled.
 */
static int
check_hook(const char *dir, const char *name, char *path, size_t pathlen,
           struct hook_result *res)
{
	struct stat st;
	char real[PATH_MAX];
	int n;

	if (dir == NULL || *dir == '\0') {
		fail_result(
		    res, HOOKS_EXIT_NOTFOUND,
		    "no %s hook: no hooks directory is configured (--hooks)",
		    name);
		return HOOKS_EXIT_NOTFOUND;
	}
	/* Absolute, because the child changes into dir before exec. */
	if (realpath(dir, real) == NULL) {
		fail_result(res, HOOKS_EXIT_NOTFOUND,
		            "no %s hook: hooks directory %s: %s", name, dir,
		            strerror(errno));
		return HOOKS_EXIT_NOTFOUND;
	}
	n = snprintf(path, pathlen, "%s/%s", real, name);
	if (n < 0 || (size_t)n >= pathlen) {
		fail_result(res, HOOKS_EXIT_NOTFOUND,
		            "no %s hook: the hooks path is too long", name);
		return HOOKS_EXIT_NOTFOUND;
	}
	if (stat(path, &st) != 0) {
		fail_result(res, HOOKS_EXIT_NOTFOUND, "no %s hook: %s: %s",
		            name, path, strerror(errno));
		return HOOKS_EXIT_NOTFOUND;
	}
	if (!S_ISREG(st.st_mode)) {
		fail_result(res, HOOKS_EXIT_NOEXEC,
		            "%s hook %s is not a regular file", name, path);
		return HOOKS_EXIT_NOEXEC;
	}
	if (st.st_mode & S_IWOTH) {
		fail_result(
		    res, HOOKS_EXIT_NOEXEC,
		    "%s hook %s is writable by others; refusing to run it",
		    name, path);
		return HOOKS_EXIT_NOEXEC;
	}
	if (access(path, X_OK) != 0) {
		fail_result(res, HOOKS_EXIT_NOEXEC,
		            "%s hook %s is not executable: %s", name, path,
		            strerror(errno));
		return HOOKS_EXIT_NOEXEC;
	}
	return 0;
}

/* Extra entries first, then the agent's environment minus overridden keys. */
static char **
build_env(const char *const *extra)
{
	size_t n = 0, nextra = 0, i, j, k = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	env = calloc(n + nextra + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < nextra; i++)
		env[k++] = (char *)(uintptr_t)extra[i];
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq != NULL ? (size_t)(eq - environ[i]) + 1 : 0;
		bool dup = false;

		for (j = 0; j < nextra && klen > 0; j++)
			if (strncmp(extra[j], environ[i], klen) == 0)
				dup = true;
		if (!dup)
			env[k++] = environ[i];
	}
	env[k] = NULL;
	return env;
}

/* In the child: only async-signal-safe calls from here to exec. */
static void __attribute__((noreturn))
child_exec(const char *dir, const char *path, char **argv, char **envp,
           int out_fd, int null_fd)
{
	sigset_t none;
	static const char msg[] = "lab-fleet-agent: exec of the hook failed\n";

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (dup2(null_fd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(out_fd, STDERR_FILENO) == -1)
		_exit(HOOKS_EXIT_NOEXEC);
	close_range(3, ~0U, 0);
	if (chdir(dir) != 0 && chdir("/") != 0)
		_exit(HOOKS_EXIT_NOEXEC);
	execve(path, argv, envp);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(HOOKS_EXIT_NOEXEC);
	_exit(errno == ENOENT ? HOOKS_EXIT_NOTFOUND : HOOKS_EXIT_NOEXEC);
}

struct hook_run *
hooks_start(const char *dir, const char *name, const char *const *args,
            const char *const *env_extra, int timeout_s,
            struct hook_result *res)
{
	struct hook_run *run = NULL;
	char path[4096], **argv = NULL, **envp = NULL;
	int pfd[2] = {-1, -1}, null_fd = -1;
	size_t nargs = 0, i;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (check_hook(dir, name, path, sizeof(path), res) != 0)
		return NULL;

	while (args != NULL && args[nargs] != NULL)
		nargs++;
	argv = calloc(nargs + 2, sizeof(*argv));
	envp = build_env(env_extra);
	run = calloc(1, sizeof(*run));
	if (argv == NULL || envp == NULL || run == NULL) {
		fail_result(res, HOOKS_EXIT_NOEXEC, "out of memory");
		goto fail;
	}
	argv[0] = path;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = (char *)(uintptr_t)args[i];

	/* Only our end is non-blocking: the hook's writes must block. */
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd == -1 || pipe2(pfd, O_CLOEXEC) != 0 ||
	    fcntl(pfd[0], F_SETFL, O_NONBLOCK) == -1) {
		fail_result(res, HOOKS_EXIT_NOEXEC, "cannot run %s hook: %s",
		            name, strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid == -1) {
		fail_result(res, HOOKS_EXIT_NOEXEC, "cannot run %s hook: %s",
		            name, strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_exec(dir, path, argv, envp, pfd[1], null_fd);

	close(pfd[1]);
	close(null_fd);
	run->pid = pid;
	run->fd = pfd[0];
	run->timeout_s = timeout_s;
	run->deadline = now_ms() + (int64_t)timeout_s * 1000;
	free(argv);
	free(envp);
	return run;
fail:
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	if (null_fd != -1)
		close(null_fd);
	free(argv);
	free(envp);
	free(run);
	return NULL;
}

int
hooks_fd(const struct hook_run *run)
{
	return run->fd;
}

int
hooks_wake_ms(const struct hook_run *run)
{
	int64_t now = now_ms(), until;

	if (run->reaped)
		until = run->drain_end - now;
	else if (run->timed_out)
		until = run->sigkilled ? 200 : run->kill_at - now;
	else
		until = run->deadline - now;
	/* The child's exit is noticed by polling waitpid(). */
	if (!run->reaped && until > 200)
		until = 200;
	return until < 0 ? 0 : (int)until;
}

static void
ring_put(struct hook_run *run, const char *p, size_t n)
{
	run->total += n;
	if (n >= sizeof(run->ring)) {
		p += n - sizeof(run->ring);
		n = sizeof(run->ring);
	}
	while (n > 0) {
		size_t room = sizeof(run->ring) - run->head;
		size_t k = n < room ? n : room;

		memcpy(run->ring + run->head, p, k);
		run->head = (run->head + k) % sizeof(run->ring);
		run->used += k;
		p += k;
		n -= k;
	}
	if (run->used > sizeof(run->ring))
		run->used = sizeof(run->ring);
}

static void
read_output(struct hook_run *run)
{
	char buf[4096];
	ssize_t n;

	while (run->fd != -1) {
		n = read(run->fd, buf, sizeof(buf));
		if (n > 0) {
			ring_put(run, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(run->fd);
		run->fd = -1;
	}
}

static void
signal_group(struct hook_run *run, int sig)
{
	if (kill(-run->pid, sig) != 0)
		kill(run->pid, sig);
}

/* Builds the result text: marker if cut, the tail, then a note. */
static char *
result_text(const struct hook_run *run, const char *note)
{
	size_t start, cap, len = 0, nlen = strlen(note);
	char *raw, *clean;

	cap = sizeof(HOOKS_MARK) + run->used + nlen + 1;
	raw = malloc(cap);
	if (raw == NULL)
		return NULL;
	if (run->total > run->used) {
		memcpy(raw, HOOKS_MARK, sizeof(HOOKS_MARK) - 1);
		len = sizeof(HOOKS_MARK) - 1;
	}
	start = (run->head + sizeof(run->ring) - run->used) % sizeof(run->ring);
	if (start + run->used <= sizeof(run->ring)) {
		memcpy(raw + len, run->ring + start, run->used);
	} else {
		size_t first = sizeof(run->ring) - start;

		memcpy(raw + len, run->ring + start, first);
		memcpy(raw + len + first, run->ring, run->used - first);
	}
	len += run->used;
	memcpy(raw + len, note, nlen);
	len += nlen;
	clean = hooks_utf8_clean(raw, len);
	free(raw);
	return clean;
}

static void
finish(struct hook_run *run, struct hook_result *res)
{
	char note[160];
	int n = 0;

	if (run->fd != -1) {
		close(run->fd);
		run->fd = -1;
	}
	note[0] = '\0';
	if (run->timed_out) {
		res->exit_code = HOOKS_EXIT_TIMEOUT;
		n = snprintf(
		    note, sizeof(note),
		    "\n[lab-fleet-agent: timed out after %d s, killed]\n",
		    run->timeout_s);
	} else if (WIFEXITED(run->status)) {
		res->exit_code = WEXITSTATUS(run->status);
	} else if (WIFSIGNALED(run->status)) {
		res->exit_code = 128 + WTERMSIG(run->status);
		n = snprintf(note, sizeof(note),
		             "\n[lab-fleet-agent: killed by signal %d]\n",
		             WTERMSIG(run->status));
	} else {
		res->exit_code = HOOKS_EXIT_NOEXEC;
	}
	if (n < 0)
		note[0] = '\0';
	res->succeeded = !run->timed_out && WIFEXITED(run->status) &&
	                 WEXITSTATUS(run->status) == 0;
	res->output = result_text(run, note);
}

bool
hooks_step(struct hook_run *run, struct hook_result *res)
{
	int64_t now;
	pid_t r;

	read_output(run);
	now = now_ms();
	if (!run->reaped) {
		do {
			r = waitpid(run->pid, &run->status, WNOHANG);
		} while (r == -1 && errno == EINTR);
		if (r == run->pid || (r == -1 && errno == ECHILD)) {
			run->reaped = true;
			run->drain_end = now + HOOKS_DRAIN_MS;
			/* Leftovers of an overrun hook go with it. */
			if (run->timed_out)
				signal_group(run, SIGKILL);
		}
	}
	if (!run->reaped) {
		if (!run->timed_out && now >= run->deadline) {
			run->timed_out = true;
			run->kill_at = now + HOOKS_KILL_GRACE_MS;
			signal_group(run, SIGTERM);
		} else if (run->timed_out && !run->sigkilled &&
		           now >= run->kill_at) {
			run->sigkilled = true;
			signal_group(run, SIGKILL);
		}
		return false;
	}
	if (run->fd != -1 && now < run->drain_end)
		return false;
	memset(res, 0, sizeof(*res));
	finish(run, res);
	return true;
}

void
hooks_kill(struct hook_run *run)
{
	if (run != NULL && !run->reaped)
		signal_group(run, SIGKILL);
}

void
hooks_free(struct hook_run *run)
{
	if (run == NULL)
		return;
	if (!run->reaped) {
		signal_group(run, SIGKILL);
		while (waitpid(run->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	if (run->fd != -1)
		close(run->fd);
	free(run);
}

void
hooks_run(const char *dir, const char *name, const char *const *args,
          const char *const *env_extra, int timeout_s, struct hook_result *res)
{
	struct hook_run *run;
	struct pollfd pfd;

	run = hooks_start(dir, name, args, env_extra, timeout_s, res);
	if (run == NULL)
		return;
	while (!hooks_step(run, res)) {
		pfd.fd = hooks_fd(run);
		pfd.events = POLLIN;
		pfd.revents = 0;
		poll(&pfd, pfd.fd == -1 ? 0 : 1, hooks_wake_ms(run));
	}
	hooks_free(run);
}

void
hooks_result_clear(struct hook_result *res)
{
	free(res->output);
	memset(res, 0, sizeof(*res));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

char *
hooks_utf8_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k = 0, n;
	char *out;

	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	/* A tail may start inside a character: drop its continuation bytes. */
	while (i < len && i < 3 && u[i] >= 0x80 && u[i] <= 0xBF)
		i++;
	while (i < len) {
		n = u[i] == 0 ? 0 : utf8_seq(u + i, len - i);
		if (n == 0) {
			out[k++] = '?';
			i++;
			continue;
		}
		memcpy(out + k, u + i, n);
		k += n;
		i += n;
	}
	out[k] = '\0';
	return out;
}
