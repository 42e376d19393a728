/*
 * smtp_reply - parse SMTP replies from a byte stream (the proxy's upstream
 * side), and the helpers to rewrite them.
 *
 * Pure: bytes in, replies out; no sockets, no clock, no logging.
 *
 *	p = smtp_reply_parser_new(0, 0);
 *	n = smtp_reply_feed(p, buf, len);	// takes bytes up to one complete reply
 *	switch (smtp_reply_next(p, &r)) { ... }
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stddef.h>

#define SMTP_REPLY_LINE_MAX	2048	/* default octets per line */
#define SMTP_REPLY_LINES_MAX	128	/* default lines per reply */

enum smtp_reply_status {
	SMTP_REPLY_MORE = 0,	/* no complete reply yet */
	SMTP_REPLY_OK,		/* r filled in */
	SMTP_REPLY_ERR_SYNTAX,	/* not "DDD[ -]text", codes differ between lines */
	SMTP_REPLY_ERR_TOOLONG	/* a line or the line count over the limit */
};

/*
 * A reply. text is every line as "CCC-..." / "CCC ..." joined and ended by
 * CRLF (canonical whatever the peer sent), ready to relay. line(i) points to
 * the text after the code and separator. Valid until the next feed/next.
 */
struct smtp_reply {
	int		 code;		/* 200..599 */
	char		 enh[16];	/* "2.1.0" from the first line, or "" */
	const char	*text;
	size_t		 len;
	size_t		 nlines;
};

struct smtp_reply_parser;

struct smtp_reply_parser *smtp_reply_parser_new(size_t line_max, size_t lines_max);
void		 smtp_reply_parser_free(struct smtp_reply_parser *);
size_t		 smtp_reply_feed(struct smtp_reply_parser *, const char *, size_t);
enum smtp_reply_status smtp_reply_next(struct smtp_reply_parser *, struct smtp_reply *);
/* smtp_reply_line - line i (0-based) of the last reply, text after "CCC-"; *len set */
const char	*smtp_reply_line(const struct smtp_reply_parser *, size_t i, size_t *len);

/*
 * smtp_reply_enh - the enhanced status code at the start of text ("5.7.1 x")
 * copied into enh (16 bytes); returns its length in text (0: none).
 */
size_t		 smtp_reply_enh(const char *text, size_t len, char enh[16]);

/*
 * smtp_reply_ehlo_keyword - 1 when an EHLO reply line (text after "250-")
 * starts with the extension keyword kw (case-insensitive, whole word).
 */
int		 smtp_reply_ehlo_keyword(const char *line, size_t len, const char *kw);

#endif /* SMTP_REPLY_H */
