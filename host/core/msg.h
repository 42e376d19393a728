/*
 * msg - the message model: the header as a list of fields, the body in a
 * spool, and the ordered list of changes filters asked for.
 *
 * Bytes arrive either raw (msg_write(): the proxy and check, header and body
 * in one stream, line ends kept as they came) or apart (the milter:
 * msg_add_field() per header field, then msg_body_write()). Raw bytes are
 * kept exactly; msg_output() reproduces them unchanged where no change
 * touches them.
 *
 * Filters see the message as received; changes are recorded in order and
 * applied one after the other only when the message is written out
 * (msg_output()), the way an MTA applies milter modifications. Header
 * indexes in changes therefore refer to the header as changed by the
 * changes before them.
 *
 * Limits: a header field longer than field_max, or a header past total_max
 * bytes or count_max fields, ends the header: the rest of the bytes are kept
 * as body (nothing is lost, memory stays bounded). A line that is neither a
 * header field nor a continuation also ends the header (as Postfix does).
 *
 * Strings returned point into the msg and stay valid until msg_free().
 * Functions returning int return 0, or -1 with errno (EINVAL for a bad
 * argument: header name with a colon/space/control byte, value with a bare
 * CR or LF not followed by white space; ENOMEM; I/O errors from the spool).
 */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <sys/types.h>

#include "mime.h"

struct msg;

struct msg_limits {
	size_t		 memory_max;	/* spool: bytes kept in memory */
	const char	*spool_dir;	/* spool: where larger bodies go; copied */
	size_t		 field_max;	/* one header field, folded lines included */
	size_t		 header_max;	/* the whole header */
	size_t		 count_max;	/* header fields */
	struct mime_limits mime;	/* the MIME tree (content.h) */
	size_t		 decoded_max;	/* content: a part decoded (p:content(), text) */
	size_t		 text_max;	/* content: tx:text() */
	size_t		 urls_max;	/* content: links kept */
	size_t		 archive_max;	/* content: archive members listed */
};

/* default limits: 1 MiB in memory, /tmp, 64 KiB field, 1 MiB header,
 * 10000 fields; content: mime_limits_default(), 10 MiB decoded, 1 MiB of
 * text, 1000 links, 1000 archive members */
void		 msg_limits_default(struct msg_limits *);

struct msg	*msg_new(const struct msg_limits *);
void		 msg_free(struct msg *);

/* Raw stream (header, empty line, body). msg_write_end() when all is in. */
int		 msg_write(struct msg *, const void *, size_t);
int		 msg_write_end(struct msg *);

/* Apart (milter): value is the text after the colon, as received. */
int		 msg_add_field(struct msg *, const char *name, const char *value);
int		 msg_end_header(struct msg *);
int		 msg_body_write(struct msg *, const void *, size_t);

/* The header as received. i counts from 0; n (per name) counts from 1. */
int		 msg_header_done(const struct msg *);	/* end of header reached */
size_t		 msg_header_count(const struct msg *);
/* name, value (unfolded), raw (bytes after the colon, line ends included) */
int		 msg_header_at(const struct msg *, size_t i, const char **name,
		    const char **value, const char **raw);
const char	*msg_header(const struct msg *, const char *name, size_t n);
const char	*msg_header_raw(const struct msg *, const char *name, size_t n);
off_t		 msg_size(const struct msg *);		/* all bytes received */
off_t		 msg_body_size(const struct msg *);
ssize_t		 msg_body_read(const struct msg *, off_t off, void *, size_t);
/* msg_body_map - the body in place (spool_map()): valid until the body grows or msg_free() */
int		 msg_body_map(struct msg *, const char **p, size_t *len);
const struct msg_limits *msg_limits(const struct msg *);
/* "\r\n" or "\n": the line end the message uses (from its first line) */
const char	*msg_eol(const struct msg *);

/* Changes. */
enum msg_change_kind {
	MSG_ADD_HEADER = 0,	/* name, value */
	MSG_INSERT_HEADER,	/* index (position, 0 = top), name, value */
	MSG_CHANGE_HEADER,	/* name, index (n-th of that name, from 1), value */
	MSG_DELETE_HEADER,	/* name, index */
	MSG_ADD_RCPT,		/* addr */
	MSG_DEL_RCPT,		/* addr */
	MSG_CHANGE_SENDER,	/* addr, value (ESMTP args or NULL) */
	MSG_REPLACE_BODY,	/* the new body is kept by the msg */
	MSG_QUARANTINE		/* value: reason */
};

struct msg_change {
	enum msg_change_kind	 kind;
	const char		*name;
	const char		*value;
	const char		*addr;
	size_t			 index;
	const char		*filter;	/* who asked, for logs and check */
};

/* msg_change_name - "add_header", "insert_header", ...; "?" for others */
const char	*msg_change_name(enum msg_change_kind);
/*
 * The changes one message may collect from its filters (a script's or a
 * plugin's add_header in a loop would otherwise grow C memory that the Lua
 * cap does not see): past either, msg_change_add() and msg_replace_body()
 * fail with E2BIG, which the filter gets as an error.
 */
#define MSG_CHANGES_MAX		10000
#define MSG_CHANGE_BYTES_MAX	(4 * 1024 * 1024)	/* names, values, addresses */

/* msg_change_add - validate and record a copy of ch; E2BIG past the caps */
int		 msg_change_add(struct msg *, const struct msg_change *ch);
int		 msg_replace_body(struct msg *, const void *, size_t, const char *filter);
size_t		 msg_change_count(const struct msg *);
const struct msg_change *msg_change_at(const struct msg *, size_t i);
/* the replaced body, for the milter's smfi_replacebody */
ssize_t		 msg_new_body_read(const struct msg *, off_t off, void *, size_t);
off_t		 msg_new_body_size(const struct msg *);	/* -1: body not replaced */

/*
 * msg_output - write the message with every header and body change applied,
 * through out(ctx, buf, len) (which returns 0, or -1 to stop). Unchanged
 * fields and the body are written byte for byte; new fields use msg_eol().
 * Returns 0, or -1 (out's failure or a spool error).
 */
int		 msg_output(const struct msg *,
		    int (*out)(void *ctx, const void *, size_t), void *ctx);

#endif /* MSG_H */
