/*
 * smtp_xattr - the attribute lists of XFORWARD and XCLIENT
 * (Postfix's XFORWARD_README, XCLIENT_README): "NAME=value ..." with
 * xtext-encoded values (RFC 1891), one attribute at a time.
 *
 * Pure: bytes in, attributes out; no sockets, no clock, no logging.
 *
 *	const char *p = args;
 *	while ((st = smtp_xattr_next(&p, &a)) == SMTP_XATTR_OK) { ... }
 *	if (st != SMTP_XATTR_END) ... 501
 */
#ifndef SMTP_XATTR_H
#define SMTP_XATTR_H

#include <stddef.h>

#define SMTP_XATTR_VALUE_MAX	255	/* decoded octets of one value */

enum smtp_xattr_status {
	SMTP_XATTR_END = 0,	/* no attribute left */
	SMTP_XATTR_OK,		/* a filled in */
	SMTP_XATTR_ERR_SYNTAX,	/* no '=', an empty name, a name not of letters */
	SMTP_XATTR_ERR_VALUE	/* bad xtext, a decoded octet that is not
				 * printable ASCII, or too long */
};

/* one attribute; name points into the input, value is decoded */
struct smtp_xattr {
	const char	*name;
	size_t		 namelen;
	const char	*raw;		/* "NAME=value" as it came */
	size_t		 rawlen;
	char		 value[SMTP_XATTR_VALUE_MAX + 1];
	int		 unavailable;	/* [UNAVAILABLE] or [TEMPUNAVAIL]: value "" */
};

/*
 * smtp_xattr_next - the attribute at *p (NUL-terminated; spaces before
 * it skipped), *p moved past it; END at the end of the string. After an
 * error *p is not moved.
 */
enum smtp_xattr_status smtp_xattr_next(const char **p, struct smtp_xattr *a);

/* smtp_xattr_is - 1 when a's name is name (case-insensitive) */
int		 smtp_xattr_is(const struct smtp_xattr *a, const char *name);

#endif /* SMTP_XATTR_H */
