/*
 * spool - a byte store in memory up to a limit, then in an unlinked file
 *
 * Public: spool_new(), spool_free(), spool_write(), spool_read(),
 * spool_size(), spool_in_memory(), spool_truncate(), spool_map().
 *
 * Up to memory_max bytes live in a buffer that grows by doubling. The write
 * that would go past memory_max moves everything to a temporary file under
 * dir, opened with O_TMPFILE (else mkstemp() and unlink() at once), so the
 * file has no name and a crash leaves nothing behind. From then on writes
 * collect in a 64 KiB tail buffer that is written out when full; reads take
 * the flushed part with pread() and the rest from the tail buffer, so reading
 * never needs to flush.
 *
 * Ownership: dir is copied. The spool owns its buffer and descriptor.
 * Failure: -1 with errno (ENOMEM, ENOSPC, EIO, open(2)'s errors). A write
 * that fails in memory or while moving to the file stores nothing and can be
 * retried. A write that fails on the file (ENOSPC, EIO) may have stored part
 * of its bytes; what was stored before it stays readable, and the spool
 * refuses further writes until spool_truncate().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_TMPFILE, mkostemp() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spool.h"
#include "xmalloc.h"

#define SPOOL_TAIL	(64 * 1024)

struct spool {
	size_t		 memory_max;
	char		*dir;
	char		*buf;		/* memory mode: content; file mode: tail */
	size_t		 cap;
	size_t		 blen;		/* bytes in buf */
	int		 fd;		/* -1: memory mode */
	off_t		 flen;		/* file mode: bytes written to the file */
	int		 err;		/* sticky write error */
	void		*map;		/* spool_map() of the file, or NULL */
	size_t		 maplen;
};

struct spool *
spool_new(size_t memory_max, const char *dir)
{
	struct spool *s;

	if ((s = pg_calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->dir = pg_strdup(dir != NULL ? dir : "/tmp")) == NULL) {
		free(s);
		return NULL;
	}
	s->memory_max = memory_max;
	s->fd = -1;
	return s;
}

/* unmap - drop the file's mapping */
static void
unmap(struct spool *s)
{
	if (s->map != NULL)
		munmap(s->map, s->maplen);
	s->map = NULL;
	s->maplen = 0;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	unmap(s);
	if (s->fd != -1)
		close(s->fd);
	free(s->buf);
	free(s->dir);
	free(s);
}

/* write_all - write(2) until done */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* open_tmp - an unlinked read-write file under dir */
static int
open_tmp(const char *dir)
{
	char path[PATH_MAX];
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
	/* file systems without O_TMPFILE say EOPNOTSUPP or EISDIR */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -1;
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/phasegate.XXXXXX", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	(void)unlink(path);
	return fd;
}

/* to_file - move the memory content to a file; buf becomes the tail buffer */
static int
to_file(struct spool *s)
{
	char *tail;
	int fd;

	if ((fd = open_tmp(s->dir)) == -1)
		return -1;
	if (write_all(fd, s->buf, s->blen) == -1) {
		close(fd);
		return -1;
	}
	if (s->cap != SPOOL_TAIL) {
		if ((tail = pg_malloc(SPOOL_TAIL)) == NULL) {
			close(fd);
			return -1;
		}
		free(s->buf);
		s->buf = tail;
		s->cap = SPOOL_TAIL;
	}
	s->fd = fd;
	s->flen = (off_t)s->blen;
	s->blen = 0;
	return 0;
}

/* flush - write the tail buffer to the file */
static int
flush(struct spool *s)
{
	if (s->blen == 0)
		return 0;
	if (write_all(s->fd, s->buf, s->blen) == -1)
		return -1;
	s->flen += (off_t)s->blen;
	s->blen = 0;
	return 0;
}

/* grow - make room for n more bytes in the memory buffer */
static int
grow(struct spool *s, size_t n)
{
	size_t want = s->blen + n, ncap;
	char *nb;

	if (want <= s->cap)
		return 0;
	ncap = s->cap ? s->cap : 4096;
	while (ncap < want)
		ncap *= 2;
	if (ncap > s->memory_max)
		ncap = s->memory_max;
	if ((nb = pg_realloc(s->buf, ncap)) == NULL)
		return -1;
	s->buf = nb;
	s->cap = ncap;
	return 0;
}

int
spool_write(struct spool *s, const void *data, size_t n)
{
	const char *p = data;
	size_t room;

	if (s->err) {
		errno = s->err;
		return -1;
	}
	if (n == 0)
		return 0;
	unmap(s);
	if (s->fd == -1) {
		if (n <= s->memory_max - s->blen && s->blen <= s->memory_max) {
			if (grow(s, n) == -1)
				return -1;	/* nothing stored: not sticky */
			memcpy(s->buf + s->blen, p, n);
			s->blen += n;
			return 0;
		}
		if (to_file(s) == -1)
			return -1;	/* still in memory, intact */
	}
	while (n > 0) {
		if (s->blen == 0 && n >= SPOOL_TAIL) {
			/* large writes go straight to the file */
			if (write_all(s->fd, p, n) == -1)
				goto fail;
			s->flen += (off_t)n;
			return 0;
		}
		room = s->cap - s->blen;
		if (room > n)
			room = n;
		memcpy(s->buf + s->blen, p, room);
		s->blen += room;
		p += room;
		n -= room;
		if (s->blen == s->cap && flush(s) == -1)
			goto fail;
	}
	return 0;
fail:
	/* a partial write(2) may have extended the file: cut it back */
	s->err = errno;
	if (ftruncate(s->fd, s->flen) == -1)
		s->err = EIO;
	errno = s->err;
	return -1;
}

ssize_t
spool_read(struct spool *s, off_t off, void *dst, size_t n)
{
	off_t size = spool_size(s);
	char *d = dst;
	size_t done = 0, k;
	ssize_t r;

	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	if (off >= size || n == 0)
		return 0;
	if ((off_t)n > size - off)
		n = (size_t)(size - off);
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	if (s->fd == -1) {
		memcpy(d, s->buf + off, n);
		return (ssize_t)n;
	}
	while (done < n && off < s->flen) {
		k = n - done;
		if ((off_t)k > s->flen - off)
			k = (size_t)(s->flen - off);
		if ((r = pread(s->fd, d + done, k, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;	/* the file shrank under us */
			return -1;
		}
		done += (size_t)r;
		off += r;
	}
	if (done < n) {
		memcpy(d + done, s->buf + (off - s->flen), n - done);
		done = n;
	}
	return (ssize_t)done;
}

off_t
spool_size(const struct spool *s)
{
	return (s->fd == -1 ? 0 : s->flen) + (off_t)s->blen;
}

int
spool_in_memory(const struct spool *s)
{
	return s->fd == -1;
}

int
spool_truncate(struct spool *s)
{
	unmap(s);
	if (s->fd != -1) {
		close(s->fd);
		s->fd = -1;
		s->flen = 0;
		/* the tail buffer may be bigger than memory_max: start over */
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
	}
	s->blen = 0;
	s->err = 0;
	return 0;
}

int
spool_check_dir(const char *dir)
{
	int fd, e;

	if ((fd = open_tmp(dir)) == -1)
		return -1;
	if (write_all(fd, "x", 1) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int
spool_map(struct spool *s, const char **p, size_t *len)
{
	void *m;

	if (s->fd == -1) {
		*p = s->buf != NULL ? s->buf : "";
		*len = s->blen;
		return 0;
	}
	if (s->map == NULL || s->maplen != (size_t)spool_size(s)) {
		unmap(s);
		if (flush(s) == -1)
			return -1;
		if (s->flen == 0) {
			*p = "";
			*len = 0;
			return 0;
		}
		m = mmap(NULL, (size_t)s->flen, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		    s->fd, 0);
		if (m == MAP_FAILED)
			return -1;
		s->map = m;
		s->maplen = (size_t)s->flen;
	}
	*p = s->map;
	*len = s->maplen;
	return 0;
}
