/*
 * content - what rules see of a transaction's message: its MIME leaf parts
 * (type, charset, disposition, filename, decoded bytes, text, detected
 * type, archive members), all its text as UTF-8, decoded header values,
 * the From mailboxes and the links.
 *
 * Parsed once per transaction and only when a filter first asks
 * (content_get()), from the spool in place (msg_body_map(): the body is
 * never copied whole); every filter of the transaction shares the result,
 * which lives on the tx and is freed with it. A part's decoded bytes,
 * text, detected type and archive listing are each made on first use, so
 * an attachment no rule asks about is never decoded. Limits come from the
 * message's struct msg_limits (mime, decoded_max, text_max, urls_max,
 * archive_max); input beyond them is left out, never an error.
 *
 * Strings returned stay valid until tx_free(). Functions return NULL / 0 /
 * -1 for an index out of range or when memory runs out (the content then
 * gives what it has). The tree reflects the body as it is when asked:
 * asked again after the body grew (before end of data), it is parsed
 * anew.
 */
#ifndef CONTENT_H
#define CONTENT_H

#include <stddef.h>
#include <sys/types.h>
#include <phasegate/plugin.h>

struct content;

/* content_get - the transaction's content (made on first use); NULL: ENOMEM */
struct content	*content_get(struct pg_tx *);

size_t		 content_part_count(struct content *);
const char	*content_part_str(struct content *, size_t i, enum pg_part_str);
off_t		 content_part_size(struct content *, size_t i);	/* decoded; -1 */
const char	*content_part_content(struct content *, size_t i, size_t *len);
/* content_part_text - text parts only (NULL for others): UTF-8, HTML as text */
const char	*content_part_text(struct content *, size_t i, size_t *len);
const char	*content_part_header(struct content *, size_t i, const char *name);
/* content_part_archive - member j: 1, 0 past the last, -1 not an archive */
int		 content_part_archive(struct content *, size_t i, size_t j,
		    const char **name, off_t *size, int *encrypted);
/* content_part_depth - nesting (1 for a part of the top multipart); content_part_flags - MIME_F_* of its node */
unsigned	 content_part_depth(struct content *, size_t i);
unsigned	 content_flags(struct content *);	/* MIME_F_* of the tree */

const char	*content_text(struct content *, size_t *len);
const char	*content_header(struct content *, const char *name, size_t n);
size_t		 content_from_count(struct content *);
int		 content_from_at(struct content *, size_t i, const char **name,
		    const char **addr);
size_t		 content_url_count(struct content *);
const char	*content_url_str(struct content *, size_t i, enum pg_url_str);
int		 content_url_part(struct content *, size_t i);	/* 0-based, -1 */
/* content_urls - every link at once (n of them; NULL when none) */
const struct pg_url *content_urls(struct content *, size_t *n);

#endif /* CONTENT_H */
