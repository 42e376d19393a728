/*
 * reply - parse, validate and normalise SMTP replies given by filters
 *
 * Input is untrusted (plugins, scripts). The normal form is one or more
 * lines "CCC-X.Y.Z text" ... "CCC X.Y.Z text" joined by "\r\n", without a
 * final CRLF. At most REPLY_LINES_MAX lines of at most REPLY_LINE_MAX
 * octets each (CRLF included, RFC 5321 4.5.3.1.5).
 */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>
#include <phasegate/plugin.h>

#define REPLY_LINES_MAX	32
#define REPLY_LINE_MAX	512

enum reply_status {
	REPLY_OK = 0,
	REPLY_ERR_SYNTAX,	/* no code, bad enhanced code, CR or NUL inside a line */
	REPLY_ERR_CLASS,	/* code does not fit the verdict (reject 5xx, tempfail 4xx) */
	REPLY_ERR_TOOLONG	/* too many lines or a line too long */
};

/*
 * reply_normalize - turn a filter's reply text for verdict v (PG_REJECT or
 * PG_TEMPFAIL) into the normal form in out (outlen bytes). An empty text
 * gives the default reply for v. Lines without an enhanced code get
 * "C.0.0" (C the code's class). On failure out holds a message.
 */
enum reply_status reply_normalize(const char *text, enum pg_verdict v,
    char *out, size_t outlen);

/* reply_default - the default reply for v, in normal form. */
const char	*reply_default(enum pg_verdict v);

/* reply_code - the three-digit code of a normalised reply, or 0. */
int		 reply_code(const char *normalized);

#endif /* REPLY_H */
