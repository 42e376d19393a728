/*
 * hdr - RFC 5322 header codec: bytes in, header-field events out.
 *
 * Push/next, after OpenSMTPD's rfc5322_push()/rfc5322_next():
 *
 *	while (len > 0) {
 *		n = hdr_push(p, data, len);	(bytes taken; 0 once the header ended)
 *		data += n, len -= n;
 *		while ((st = hdr_next(p, &ev)) != HDR_MORE)
 *			... HDR_FIELD: one field; HDR_END: the header ended;
 *			    HDR_ERR_NOMEM: give up ...
 *		if (n == 0) break;		(the rest of data is body)
 *	}
 *	hdr_push_eof(p); then drain hdr_next() the same way.
 *
 * Line ends are CRLF or bare LF; a bare CR is an ordinary byte. A field is a
 * name (printable ASCII but ':'), optional white space, a colon, and the
 * rest of the line plus every following line that starts with SP or HTAB.
 * NUL and 8-bit bytes are kept as they are.
 *
 * The header ends at an empty line (HDR_END_BLANK), at end of input
 * (HDR_END_EOF), at a line that is neither a field nor a continuation
 * (HDR_END_NOT_FIELD, as Postfix does), or when a limit is reached:
 * a field longer than field_max (HDR_END_FIELD_MAX), a header longer than
 * header_max (HDR_END_HEADER_MAX), more than count_max fields
 * (HDR_END_COUNT_MAX). The bytes from there on are body: HDR_END hands back
 * the bytes already pushed that belong to it, and hdr_push() takes no more,
 * so nothing is lost. A last line without a line end at end of input is
 * still a field when it looks like one.
 *
 * Input is untrusted. The parser's only memory is its buffer, which grows
 * from 4 KiB to at most field_max + 2 bytes as long fields need it; if it
 * cannot grow, hdr_next() says HDR_ERR_NOMEM from then on (the caller has
 * lost the message: the bytes pushed are gone). It never logs, reads a
 * clock or touches a descriptor. Pointers in an event point into the parser and stay
 * valid until the next hdr_push() or hdr_parser_free().
 */
#ifndef HDR_H
#define HDR_H

#include <stddef.h>

struct hdr_parser;

struct hdr_limits {
	size_t		 field_max;	/* one field, folded lines included */
	size_t		 header_max;	/* all fields */
	size_t		 count_max;	/* fields */
};

enum hdr_status {
	HDR_MORE = 0,		/* push more bytes (or hdr_push_eof()) */
	HDR_FIELD,		/* ev: raw, raw_len, name_len, value_off */
	HDR_END,		/* ev: reason, sep, sep_len, rest, rest_len */
	HDR_ERR_NOMEM		/* the buffer could not grow; sticky */
};

enum hdr_end_reason {
	HDR_END_BLANK = 0,	/* the empty line: sep holds it */
	HDR_END_EOF,
	HDR_END_NOT_FIELD,
	HDR_END_FIELD_MAX,
	HDR_END_HEADER_MAX,
	HDR_END_COUNT_MAX
};

struct hdr_event {
	/* HDR_FIELD */
	const char	*raw;		/* the whole field, line ends included */
	size_t		 raw_len;
	size_t		 name_len;	/* the name is raw[0 .. name_len) */
	size_t		 value_off;	/* after the colon: raw + value_off */
	/* HDR_END */
	enum hdr_end_reason reason;
	const char	*sep;		/* the empty line ("\r\n", "\n"), or "" */
	size_t		 sep_len;
	const char	*rest;		/* bytes pushed after the header: body */
	size_t		 rest_len;
};

struct hdr_parser *hdr_parser_new(const struct hdr_limits *);	/* NULL: ENOMEM */
void		 hdr_parser_free(struct hdr_parser *);
size_t		 hdr_push(struct hdr_parser *, const void *, size_t);
void		 hdr_push_eof(struct hdr_parser *);
enum hdr_status	 hdr_next(struct hdr_parser *, struct hdr_event *);
int		 hdr_done(const struct hdr_parser *);	/* HDR_END was returned */
const char	*hdr_end_reason_str(enum hdr_end_reason);

/* hdr_name_valid - 1 when name[0..len) is a field name: 1+ bytes 33..126 but ':' */
int		 hdr_name_valid(const char *name, size_t len);

/*
 * hdr_value_valid - 1 when value (NUL-terminated) may be written as a field
 * value: every line break (CRLF, LF or CR) is followed by SP or HTAB.
 */
int		 hdr_value_valid(const char *value);

/*
 * hdr_unfold - the value as filters see it: src[0..len) with CR and LF
 * removed, NUL bytes turned into SP (so that a C string holds all of it),
 * and leading and trailing SP/HTAB dropped, into dst (len + 1 bytes,
 * NUL-terminated; dst may equal src). Returns the length.
 */
size_t		 hdr_unfold(char *dst, const char *src, size_t len);

#endif /* HDR_H */
