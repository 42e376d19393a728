/*
 * milter_util - the pure parts of the milter front end: the negotiation
 * flags, the reply and header value conversions (the listen spec is
 * addr.h's). No libmilter calls, no sockets, no logging: each function
 * takes values and returns values, so tests/unit/test_milter_util.c covers
 * them without an MTA.
 */
#ifndef MILTER_UTIL_H
#define MILTER_UTIL_H

#include <stddef.h>

/* libmilter's limits for smfi_setmlreply() (MAXREPLYLEN, MAXREPLIES) */
#define MILTER_UTIL_REPLY_TEXT_MAX	980
#define MILTER_UTIL_REPLY_LINES_MAX	32

/* What the chain uses, for the negotiation. */
struct milter_wants {
	int	connect, helo, mail, rcpt, data, header, eoh, eom;
	int	body;		/* some filter reads the body */
	int	change;		/* some filter may change the message or envelope */
	int	actions;	/* score thresholds: X-Spam-* headers may be added */
};

/*
 * milter_util_flags - the protocol flags (SMFIP_*) and actions (SMFIF_*)
 * to ask of an MTA that offers mta_act and mta_prot. Only flags the MTA
 * offers are asked for. Returns the actions wanted that the MTA does not
 * offer (0 when all is well). Pure.
 */
unsigned long milter_util_flags(const struct milter_wants *w,
	    unsigned long mta_act, unsigned long mta_prot,
	    unsigned long *act, unsigned long *prot);

/* A reply split for smfi_setmlreply(). Strings point into buf. */
struct milter_reply {
	char		 rcode[4];	/* "550" */
	char		 xcode[16];	/* "5.7.1" */
	const char	*lines[MILTER_UTIL_REPLY_LINES_MAX + 1];	/* NULL-terminated */
	size_t		 nlines;
	char		 buf[4096 + 2048];
};

/*
 * milter_util_reply_split - split a reply in normal form (reply.h:
 * "550-5.7.1 a\r\n550 5.7.1 b") into code, enhanced code and texts with '%'
 * doubled (libmilter's MTAs read the text as a format). Returns 0, or -1
 * when it is not in normal form, a text is over libmilter's 980 octets,
 * or there are more than 32 lines. Pure.
 */
int	milter_util_reply_split(const char *normal, struct milter_reply *r);

/*
 * milter_util_header_value - convert a header value as an MTA sends it
 * (lines joined by LF, the leading space present only with
 * SMFIP_HDR_LEADSPC) to the bytes after the colon as in SMTP (CRLF line
 * ends, leading space restored when leadspc is 0). Returns a malloc'd
 * string, or NULL (ENOMEM).
 */
char	*milter_util_header_value(const char *v, int leadspc);

/*
 * milter_util_header_out - the other way round, for smfi_addheader() and
 * friends: CRLF becomes LF (any CR is dropped); with leadspc a value that
 * does not start with white space gets one space in front; without it one
 * leading space is dropped (the MTA writes its own). Returns a malloc'd
 * string, or NULL (ENOMEM).
 */
char	*milter_util_header_out(const char *v, int leadspc);

#endif /* MILTER_UTIL_H */
