/*
 * arclist - archive members with libarchive (see arclist.h)
 *
 * Public: arclist_read(), arclist_free().
 * Formats: zip, rar, rar5, 7z, tar (plain or compressed by gzip, bzip2, xz);
 * a lone gzip stream is one member (its stored name, or "data"). Reads
 * from memory only. Allocation with pg_*(); never exits.
 */
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "arclist.h"
#include "xmalloc.h"

void
arclist_free(struct arclist_member *m, size_t n)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

/* opener - a reader for data: the archive formats, or raw for a lone gzip */
static struct archive *
opener(const unsigned char *d, size_t len)
{
	struct archive *a;

	if ((a = archive_read_new()) == NULL)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	/* a gzip stream that is not a tar: one member */
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, d, len) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* add - one member into the growing array */
static int
add(struct archive_entry *e, struct arclist_member **m, size_t *n,
    size_t *cap)
{
	struct arclist_member *nm;
	const char *name = archive_entry_pathname_utf8(e);

	if (name == NULL)
		name = archive_entry_pathname(e);
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if ((nm = pg_realloc(*m, *cap * sizeof(**m))) == NULL)
			return -1;
		*m = nm;
	}
	nm = &(*m)[*n];
	if ((nm->name = pg_strdup(name != NULL ? name : "data")) == NULL)
		return -1;
	nm->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
	nm->encrypted = archive_entry_is_encrypted(e) ? 1 : 0;
	(*n)++;
	return 0;
}

int
arclist_read(const void *data, size_t len, size_t max,
    struct arclist_member **out, size_t *n, int *more)
{
	struct archive *a;
	struct archive_entry *e;
	size_t cap = 0;
	int r, rc = 1;

	*out = NULL;
	*n = 0;
	*more = 0;
	if (len < 4 || (a = opener(data, len)) == NULL)
		return 0;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		if (*n >= max) {
			*more = 1;
			break;
		}
		if (add(e, out, n, &cap) == -1) {
			rc = -1;
			break;
		}
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			break;
	}
	if (rc == 1 && *n == 0)
		rc = 0;
	archive_read_free(a);
	if (rc != 1) {
		arclist_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
