#include "static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "reply.h"
#include "server.h"

struct ctype {
	const char *ext;
	const char *type;
};

static const struct ctype ctypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {NULL, NULL},
};

bool
static_is_ui_path(const char *path)
{
	return strcmp(path, "/lab") == 0 || strncmp(path, "/lab/", 5) == 0;
}

static const char *
content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	int i;

	for (i = 0; dot != NULL && ctypes[i].ext != NULL; i++)
		if (strcmp(dot, ctypes[i].ext) == 0)
			return ctypes[i].type;
	return "application/octet-stream";
}

/*
 * A relative path is safe when no segment is empty, "." or "..", and it
 * has no backslash or control byte. realpath() below is the second wall.
 */
static bool
safe_relative(const char *rel)
{
	const char *p = rel, *seg = rel;

	if (*rel == '\0')
		return false;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
		} else if (*p == '\\' || (unsigned char)*p < 0x20) {
			return false;
		}
	}
}

/* Opens root/rel if it is a regular file inside root. -1 otherwise. */
static int
open_inside(const char *root, const char *rel, struct stat *sb)
{
	char joined[PATH_MAX], real[PATH_MAX];
	size_t rlen = strlen(root);
	int fd, n;

	n = snprintf(joined, sizeof(joined), "%s/%s", root, rel);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return -1;
	if (realpath(joined, real) == NULL)
		return -1;
	if (strncmp(real, root, rlen) != 0 || real[rlen] != '/')
		return -1;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

void
static_serve(struct request *r)
{
	const char *root = r->srv->cfg->ui_root; /* realpath'd at start */
	const char *rel = r->path + 4;           /* after "/lab" */
	struct stat sb;
	int fd = -1;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		snprintf(r->allow, sizeof(r->allow), "GET, HEAD");
		reply_error(r, 405, "method_not_allowed", NULL,
		            "the dashboard is read-only");
		return;
	}
	if (root == NULL) {
		reply_error(r, 404, "not_found", NULL,
		            "the dashboard is not installed (start with --ui "
		            "DIR)");
		return;
	}
	while (*rel == '/')
		rel++;
	if (*rel != '\0' && safe_relative(rel))
		fd = open_inside(root, rel, &sb);
	if (fd >= 0) {
		r->content_type = content_type(rel);
		/* Vite puts content-hashed names under assets/. */
		r->cache_control = strncmp(rel, "assets/", 7) == 0
		                       ? "public, max-age=31536000, immutable"
		                       : "no-cache";
	} else {
		fd = open_inside(root, "index.html", &sb);
		if (fd < 0) {
			reply_error(r, 404, "not_found", NULL,
			            "the dashboard has no index.html");
			return;
		}
		r->content_type = "text/html; charset=utf-8";
		r->cache_control = "no-cache";
	}
	r->status = 200;
	r->file_fd = fd;
	r->file_size = (long long)sb.st_size;
}
