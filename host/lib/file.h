/*
 * file - read a whole small file; paths relative to a directory
 *
 * Every result is pg_malloc'd (xmalloc.h), the caller's to free. Out of
 * memory is a NULL return, never an exit: these run when the daemon
 * reloads its configuration, and a failed reload keeps the old one.
 */
#ifndef FILE_H
#define FILE_H

#include <stddef.h>

/*
 * file_read - the contents of path, NUL-terminated, *lenp bytes (the text
 * may hold NUL bytes of its own); NULL with "PATH: reason" in err when it
 * cannot be read, is a directory, is longer than max bytes ("file too
 * large (more than N KiB)") or memory runs out ("out of memory").
 */
char	*file_read(const char *path, size_t max, size_t *lenp, char *err,
	    size_t errlen);
/* file_dir - the directory part of path ("." for none), absolute when it exists */
char	*file_dir(const char *path);
/* file_join - p when absolute or dir is NULL, else "dir/p" */
char	*file_join(const char *dir, const char *p);
/* file_join_list - file_join() on each entry of "a;b;c" (empty entries stay empty) */
char	*file_join_list(const char *dir, const char *list);

/*
 * file_check_writers - refuse a file that every user may change: writable
 * by others, or in a directory writable by others without the sticky bit
 * (where anyone may replace it). 0 (also when path cannot be stat'd: the
 * caller's open says why), or -1 with "PATH: writable by every user (mode
 * 0666): refused (chmod o-w PATH)" or "PATH: its directory DIR is writable
 * by every user (mode 0777): refused (chmod o-w or +t DIR)" in err.
 */
int	 file_check_writers(const char *path, char *err, size_t errlen);

#endif /* FILE_H */
