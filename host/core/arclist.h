/*
 * arclist - the members of an archive in memory (zip, rar, 7z, tar,
 * gzip), listed with libarchive: name, size, encrypted
 *
 * Input is untrusted. Only headers are read: member data is skipped (a
 * zip's without inflating it), so a zip bomb costs its directory only. At
 * most max members are listed (the rest are counted as left out); a
 * damaged archive lists what came before the damage.
 */
#ifndef ARCLIST_H
#define ARCLIST_H

#include <stddef.h>
#include <sys/types.h>

struct arclist_member {
	char	*name;		/* as stored (UTF-8 where the archive says so) */
	off_t	 size;		/* uncompressed, -1 when unknown */
	int	 encrypted;
};

/*
 * arclist_read - list the archive in data; *out (free with
 * arclist_free()) and *n. Returns 1 (an archive), 0 (not one), -1 (out
 * of memory). *more is set when members were left out at max.
 */
int	 arclist_read(const void *data, size_t len, size_t max,
	    struct arclist_member **out, size_t *n, int *more);
void	 arclist_free(struct arclist_member *, size_t n);

#endif /* ARCLIST_H */
