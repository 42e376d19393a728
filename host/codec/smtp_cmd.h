/*
 * smtp_cmd - parse SMTP commands from a byte stream (the proxy's client side)
 *
 * Pure: bytes in, commands out; no sockets, no clock, no logging.
 *
 *	p = smtp_cmd_parser_new(&limits);
 *	n = smtp_cmd_feed(p, buf, len);	// takes bytes up to one complete line
 *	switch (smtp_cmd_next(p, &cmd)) { ... }
 *
 * smtp_cmd_feed() consumes at most one command line (it stops right after
 * the line end), so the bytes that follow stay with the caller: after DATA
 * they belong to the message, not to the parser.
 */
#ifndef SMTP_CMD_H
#define SMTP_CMD_H

#include <stddef.h>
#include <stdint.h>

#define SMTP_CMD_LINE_MAX	1000	/* RFC 5321 4.5.3.1.4, CRLF included */
#define SMTP_CMD_ADDR_MAX	512

struct smtp_cmd_limits {
	size_t		 line_max;	/* octets with CRLF; 0: SMTP_CMD_LINE_MAX */
	int		 normalize_lf;	/* 1: a bare LF ends a line like CRLF */
};

enum smtp_cmd_verb {
	SMTP_VERB_UNKNOWN = 0,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_HELP,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_BDAT,
	SMTP_VERB_XCLIENT,
	SMTP_VERB_XFORWARD,
	SMTP_VERB_ETRN
};

/* smtp_cmd_next() results */
enum smtp_cmd_status {
	SMTP_CMD_MORE = 0,	/* no complete line yet: feed more */
	SMTP_CMD_OK,		/* cmd filled in */
	SMTP_CMD_ERR_SYNTAX,	/* known verb, bad arguments (501); cmd.verb set */
	SMTP_CMD_ERR_TOOLONG,	/* line over line_max (500 5.5.2); skipped */
	SMTP_CMD_ERR_BARENL	/* bare LF or bare CR in the line (550 5.5.2) */
};

/*
 * A parsed command. Strings point into the parser and stay valid until the
 * next smtp_cmd_feed() or smtp_cmd_next().
 */
struct smtp_cmd {
	enum smtp_cmd_verb verb;
	const char	*line;		/* the whole line without its line end */
	size_t		 len;
	const char	*arg;		/* text after the verb and spaces ("" if none) */
	/* MAIL/RCPT only */
	const char	*path;		/* "<a@b>" as sent, brackets included; "<>" */
	const char	*addr;		/* the address without brackets; "" for <> */
	const char	*params;	/* ESMTP parameters after the path, "" if none */
	int		 has_size;	/* MAIL: SIZE= given */
	uint64_t	 size;
	const char	*error;		/* ERR_SYNTAX: what is wrong, for the reply */
};

struct smtp_cmd_parser;

struct smtp_cmd_parser *smtp_cmd_parser_new(const struct smtp_cmd_limits *);
void		 smtp_cmd_parser_free(struct smtp_cmd_parser *);
/* smtp_cmd_feed - take bytes up to and including one line end; returns the count taken. */
size_t		 smtp_cmd_feed(struct smtp_cmd_parser *, const char *, size_t);
enum smtp_cmd_status smtp_cmd_next(struct smtp_cmd_parser *, struct smtp_cmd *);
/* smtp_cmd_pending - bytes of an incomplete line held by the parser */
size_t		 smtp_cmd_pending(const struct smtp_cmd_parser *);

/* smtp_cmd_verb_name - "MAIL", ... ("" for unknown) */
const char	*smtp_cmd_verb_name(enum smtp_cmd_verb);

/*
 * smtp_cmd_parse_line - parse one line (without line end) into cmd; the
 * strings point into buf (a scratch area of at least 4 * len + 4 bytes).
 */
enum smtp_cmd_status smtp_cmd_parse_line(const char *line, size_t len,
    struct smtp_cmd *cmd, char *buf, size_t buflen);

#endif /* SMTP_CMD_H */
