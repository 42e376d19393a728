/*
 * file - read a whole small file; paths relative to a directory
 *
 * Public: file_read(), file_dir(), file_join(), file_join_list(),
 * file_check_writers() (a file every user may change is refused: a
 * configuration, script or plugin is code the daemon runs).
 *
 * The configuration loader's file work: reading the file with a size
 * limit, finding its directory, and making the relative paths written in
 * it absolute against that directory. Paths and contents come from the
 * postmaster; nothing here interprets the contents.
 *
 * Ownership: every returned string is pg_malloc'd and the caller's.
 * Errors: NULL; file_read() says why in err ("PATH: strerror", "PATH: file
 * too large (more than N KiB)", "PATH: out of memory"). Allocation uses
 * pg_*(), so memory running out during a SIGHUP reload fails that reload
 * instead of ending the daemon.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "xmalloc.h"

/* read_all - read fd to its end into a buffer of cap + 1 bytes, at most max + 1 */
static char *
read_all(int fd, const char *path, size_t cap, size_t max, size_t *lenp,
    char *err, size_t errlen)
{
	size_t len = 0;
	ssize_t r;
	char *text, *n;

	if ((text = pg_malloc(cap + 1)) == NULL)
		goto oom;
	for (;;) {
		if (len == cap) {
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((n = pg_realloc(text, cap + 1)) == NULL)
				goto oom;
			text = n;
		}
		r = read(fd, text + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(text);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			snprintf(err, errlen, "%s: file too large (more than "
			    "%zu KiB)", path, max / 1024);
			free(text);
			return NULL;
		}
	}
	text[len] = '\0';
	*lenp = len;
	return text;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
	free(text);
	return NULL;
}

char *
file_read(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat st;
	size_t cap;
	char *text;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || (S_ISDIR(st.st_mode) && (errno = EISDIR))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	cap = st.st_size > 0 && (size_t)st.st_size < max ?
	    (size_t)st.st_size + 1 : 4096;
	text = read_all(fd, path, cap, max, lenp, err, errlen);
	close(fd);
	return text;
}

char *
file_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	if (slash == NULL)
		dir = pg_strdup(".");
	else if (slash == path)
		dir = pg_strdup("/");
	else
		dir = pg_strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	if ((real = realpath(dir, NULL)) != NULL) {
		free(dir);
		dir = pg_strdup(real);
		free(real);
	}
	return dir;
}

char *
file_join(const char *dir, const char *p)
{
	size_t len;
	char *r;

	if (p[0] == '/' || dir == NULL)
		return pg_strdup(p);
	len = strlen(dir) + strlen(p) + 2;
	if ((r = pg_malloc(len)) == NULL)
		return NULL;
	if (strcmp(dir, "/") == 0)
		snprintf(r, len, "/%s", p);
	else
		snprintf(r, len, "%s/%s", dir, p);
	return r;
}

char *
file_join_list(const char *dir, const char *list)
{
	size_t cap = strlen(list) + 1, len = 0;
	char *out, *one, *r, *n;
	const char *p = list;

	if ((out = pg_malloc(cap)) == NULL)
		return NULL;
	out[0] = '\0';
	for (;;) {
		const char *end = strchr(p, ';');
		size_t el = end != NULL ? (size_t)(end - p) : strlen(p), rl;

		if ((one = pg_strndup(p, el)) == NULL)
			goto fail;
		r = el == 0 ? one : file_join(dir, one);
		if (r != one)
			free(one);
		if (r == NULL)
			goto fail;
		rl = strlen(r);
		if (len + rl + 2 > cap) {
			cap = (len + rl + 2) * 2;
			if ((n = pg_realloc(out, cap)) == NULL) {
				free(r);
				goto fail;
			}
			out = n;
		}
		if (p != list)
			out[len++] = ';';
		memcpy(out + len, r, rl + 1);
		len += rl;
		free(r);
		if (end == NULL)
			return out;
		p = end + 1;
	}
fail:
	free(out);
	return NULL;
}

int
file_check_writers(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *dir;
	int rc = 0;

	if (stat(path, &st) == -1)
		return 0;
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "%s: writable by every user (mode %04o): "
		    "refused (chmod o-w %s)", path, (unsigned)(st.st_mode & 07777),
		    path);
		return -1;
	}
	if ((dir = file_dir(path)) == NULL)
		return 0;
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) &&
	    !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen, "%s: its directory %s is writable by every "
		    "user (mode %04o): refused (chmod o-w or +t %s)", path, dir,
		    (unsigned)(st.st_mode & 07777), dir);
		rc = -1;
	}
	free(dir);
	return rc;
}
