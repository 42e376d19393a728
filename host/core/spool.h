/*
 * spool - a byte store that lives in memory up to a limit and then moves to
 * an unlinked temporary file under a directory.
 *
 * Errors return -1 with errno set (ENOSPC, EIO, ENOMEM ...). The file is
 * created with O_TMPFILE where available (else mkstemp + unlink), so nothing
 * is left behind by a crash.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <sys/types.h>

struct spool;

struct spool	*spool_new(size_t memory_max, const char *dir);	/* dir: not duplicated? it is copied */
void		 spool_free(struct spool *);
int		 spool_write(struct spool *, const void *, size_t);
ssize_t		 spool_read(struct spool *, off_t off, void *, size_t);
off_t		 spool_size(const struct spool *);
int		 spool_in_memory(const struct spool *);
/*
 * spool_map - the whole content as one read-only region, without a copy:
 * the buffer in memory, an mmap(2) of the file (the tail written out
 * first). Valid until the next spool_write(), spool_truncate() or
 * spool_free(). 0, or -1 with errno.
 */
int		 spool_map(struct spool *, const char **p, size_t *len);
/* spool_truncate - drop all content (size 0). */
int		 spool_truncate(struct spool *);
/*
 * spool_check_dir - can this process create and write a spool file under
 * dir? 0, or -1 with errno (EACCES, ENOENT, EROFS, ENOSPC ...)
 */
int		 spool_check_dir(const char *dir);

#endif /* SPOOL_H */
