/*
 * smtp_xattr - XFORWARD/XCLIENT attribute lists (smtp_xattr.h)
 *
 * Public: smtp_xattr_next(), smtp_xattr_is().
 *
 * Input is untrusted (even from a trusted relay, a value may come from
 * its client): a name is letters only, a value's xtext "+XX" must be two
 * hex digits, and every decoded octet must be printable ASCII (33..126),
 * so a value can neither end a log line nor bend a header; at most
 * SMTP_XATTR_VALUE_MAX octets. No allocation; the result's name and raw
 * point into the input.
 */
#include <string.h>
#include <strings.h>

#include "smtp_xattr.h"

/* hexval - a hex digit's value, -1 if not one */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* decode - the xtext s (n bytes) into a->value; 0 or -1 */
static int
decode(const char *s, size_t n, struct smtp_xattr *a)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '+') {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (ch < 33 || ch > 126 || o >= SMTP_XATTR_VALUE_MAX)
			return -1;
		a->value[o++] = (char)ch;
	}
	a->value[o] = '\0';
	return 0;
}

enum smtp_xattr_status
smtp_xattr_next(const char **p, struct smtp_xattr *a)
{
	const char *s = *p, *e, *eq;
	size_t i;

	while (*s == ' ')
		s++;
	if (*s == '\0') {
		*p = s;
		return SMTP_XATTR_END;
	}
	for (e = s; *e != '\0' && *e != ' '; e++)
		;
	if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL || eq == s)
		return SMTP_XATTR_ERR_SYNTAX;
	for (i = 0; s + i < eq; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return SMTP_XATTR_ERR_SYNTAX;
	a->name = s;
	a->namelen = (size_t)(eq - s);
	a->raw = s;
	a->rawlen = (size_t)(e - s);
	if (decode(eq + 1, (size_t)(e - eq - 1), a) == -1)
		return SMTP_XATTR_ERR_VALUE;
	a->unavailable = strcmp(a->value, "[UNAVAILABLE]") == 0 ||
	    strcmp(a->value, "[TEMPUNAVAIL]") == 0;
	if (a->unavailable)
		a->value[0] = '\0';
	*p = e;
	return SMTP_XATTR_OK;
}

int
smtp_xattr_is(const struct smtp_xattr *a, const char *name)
{
	return strlen(name) == a->namelen &&
	    strncasecmp(a->name, name, a->namelen) == 0;
}
