/*
 * addr - parse the socket addresses of the configuration (addr.h has the
 * grammar)
 *
 * Public: addr_parse(), addr_format().
 *
 * Input is the configuration's text: untrusted in form (every length is
 * checked, every byte looked at), but not hostile. Pure: no DNS lookup,
 * no logging, no allocation; inet_pton() decides what an IP literal is.
 * An error is one sentence in err, written so that the caller can put
 * "file:line: key: bad address 'SPEC': " in front of it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addr.h"

/* bad - the reason in err; -1 */
static int
bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static int
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* literal - the family of the IP literal s[0..n): AF_INET, AF_INET6 or 0 */
static int
literal(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char a[sizeof(struct in6_addr)];

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, a) == 1)
		return AF_INET6;
	return 0;
}

/* span - how many of s[0..n) are in the set */
static size_t
span(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0' && strchr(set, s[i]) != NULL; i++)
		;
	return i;
}

/* is_name - a host name: letters, digits, '-', '_', '.' */
static int
is_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return 0;
	return n > 0;
}

/* parse_port - s[0..n) into a->port; 0, or -1 with the reason */
static int
parse_port(const char *s, size_t n, struct addr *a, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t i, d;

	if (n == 0)
		return bad(err, errlen, "no port");
	d = span(s, n, "0123456789");
	if (d == n) {
		for (i = 0; i < n && v <= 65535; i++)
			v = v * 10 + (unsigned long)(s[i] - '0');
		if (v < 1 || v > 65535)
			return bad(err, errlen, "port %.*s is out of range (1 to "
			    "65535)", (int)(n > 16 ? 16 : n), s);
		snprintf(a->port, sizeof(a->port), "%lu", v);
		return 0;
	}
	if (d > 0 && s[d] == '-' && n - d - 1 > 0 &&
	    span(s + d + 1, n - d - 1, "0123456789") == n - d - 1)
		return bad(err, errlen, "a port range (%.*s) is not an address: "
		    "give one port", (int)(n > 16 ? 16 : n), s);
	return bad(err, errlen, "port '%.*s' is not a number from 1 to 65535 "
	    "(service names are not looked up)", (int)(n > 32 ? 32 : n), s);
}

/*
 * parse_host - s[0..n) (the inside of brackets when bracketed) into
 * a->host; returns AF_INET or AF_INET6 for a literal, AF_UNSPEC for a
 * name, -1 with the reason
 */
static int
parse_host(const char *s, size_t n, int bracketed, struct addr *a, char *err,
    size_t errlen)
{
	int fam = literal(s, n);
	int shown = (int)(n > 64 ? 64 : n);

	if (fam == 0) {
		if (memchr(s, ':', n) != NULL)
			return bad(err, errlen, "bad IPv6 address '%.*s'", shown, s);
		if (bracketed)
			return bad(err, errlen, "'[%.*s]': brackets hold an IP "
			    "address, not a name", shown, s);
		if (n > 0 && span(s, n, "0123456789.") == n)
			return bad(err, errlen, "bad IPv4 address '%.*s'", shown, s);
		if (!is_name(s, n))
			return bad(err, errlen, "bad host '%.*s'", shown, s);
		if (n > ADDR_HOST_MAX)
			return bad(err, errlen, "host name longer than %d bytes",
			    ADDR_HOST_MAX);
		fam = AF_UNSPEC;
	}
	memcpy(a->host, s, n);
	a->host[n] = '\0';
	return fam;
}

/* parse_path - a unix socket path */
static int
parse_path(const char *p, struct addr *a, char *err, size_t errlen)
{
	size_t n = strlen(p);

	if (n == 0)
		return bad(err, errlen, "no socket path");
	if (p[0] != '/')
		return bad(err, errlen, "the socket path must be absolute "
		    "(unix:/PATH)");
	if (n > ADDR_PATH_MAX)
		return bad(err, errlen, "the socket path is longer than %d bytes",
		    ADDR_PATH_MAX);
	memcpy(a->path, p, n + 1);
	a->family = AF_UNIX;
	return 0;
}

/* parse_hostport - HOST:PORT or [ADDRESS]:PORT */
static int
parse_hostport(const char *s, unsigned flags, struct addr *a, char *err,
    size_t errlen)
{
	const char *h = s, *c;
	size_t n;
	int fam, bracketed = s[0] == '[';

	if (bracketed) {
		if ((c = strchr(s, ']')) == NULL)
			return bad(err, errlen, "'[' without ']'");
		if (c[1] != ':')
			return bad(err, errlen, "expected [ADDRESS]:PORT");
		h = s + 1;
		n = (size_t)(c - h);
		c++;
	} else {
		if ((c = strrchr(s, ':')) == NULL)
			return bad(err, errlen, "expected HOST:PORT");
		n = (size_t)(c - s);
		if (memchr(s, ':', n) != NULL) {
			/* "::1:25" is an address too: read it as the user meant */
			if (literal(s, n) == AF_INET6 || literal(s, strlen(s)) == 0)
				return bad(err, errlen, "an IPv6 address goes in "
				    "brackets: [%.*s]:%s", (int)(n > 64 ? 64 : n),
				    s, c + 1);
			return bad(err, errlen, "an IPv6 address goes in "
			    "brackets, with a port: [%s]:PORT", s);
		}
	}
	if (parse_port(c + 1, strlen(c + 1), a, err, errlen) == -1)
		return -1;
	if (n == 0 && !bracketed) {
		if (flags & ADDR_CONNECT)
			return bad(err, errlen, "no host (one is needed to "
			    "connect)");
		a->family = AF_UNSPEC;	/* every address */
		return 0;
	}
	if ((fam = parse_host(h, n, bracketed, a, err, errlen)) == -1)
		return -1;
	a->family = fam;
	return 0;
}

/* postfix_form - inet:HOST:PORT, Postfix's way of writing a milter socket */
static int
postfix_form(const char *rest, const char *c, char *err, size_t errlen)
{
	const char *h = rest;
	size_t n = (size_t)(c - rest);
	int six;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	six = memchr(h, ':', n) != NULL;
	return bad(err, errlen, "that is Postfix's form (inet:HOST:PORT); "
	    "libmilter's is inet:PORT@HOST: write %s:%s@%s%.*s%s",
	    six ? "inet6" : "inet", c + 1, six ? "[" : "",
	    (int)(n > 64 ? 64 : n), h, six ? "]" : "");
}

/* parse_milter - libmilter's inet:PORT@HOST and inet6:PORT@HOST (rest: after the colon) */
static int
parse_milter(const char *rest, int six, unsigned flags, struct addr *a,
    char *err, size_t errlen)
{
	const char *at = strchr(rest, '@'), *h, *c;
	const char *word = six ? "inet6" : "inet";
	size_t n;
	int fam, bracketed;

	if (at == NULL) {
		c = strrchr(rest, ':');
		if (c != NULL && c[1] != '\0' &&
		    span(c + 1, strlen(c + 1), "0123456789") == strlen(c + 1))
			return postfix_form(rest, c, err, errlen);
		if (parse_port(rest, strlen(rest), a, err, errlen) == -1)
			return -1;
		if (flags & ADDR_CONNECT)
			return bad(err, errlen, "no host (one is needed to "
			    "connect): %s:%s@HOST", word, a->port);
		a->family = six ? AF_INET6 : AF_INET;	/* every address */
		return 0;
	}
	if (parse_port(rest, (size_t)(at - rest), a, err, errlen) == -1)
		return -1;
	h = at + 1;
	n = strlen(h);
	if (n == 0)
		return bad(err, errlen, "no host after '@'");
	bracketed = h[0] == '[';
	if (bracketed) {
		if (n < 3 || h[n - 1] != ']')
			return bad(err, errlen, "'[' without ']'");
		h++;
		n -= 2;
	}
	if ((fam = parse_host(h, n, bracketed, a, err, errlen)) == -1)
		return -1;
	if (!six && fam == AF_INET6)
		return bad(err, errlen, "an IPv6 address needs inet6: write "
		    "inet6:%s@[%s]", a->port, a->host);
	if (six && fam == AF_INET)
		return bad(err, errlen, "an IPv4 address needs inet: write "
		    "inet:%s@%s", a->port, a->host);
	a->family = six ? AF_INET6 : AF_INET;
	return 0;
}

int
addr_parse(const char *spec, unsigned flags, struct addr *a, char *err,
    size_t errlen)
{
	const char *p, *colon;
	size_t n;

	memset(a, 0, sizeof(*a));
	a->family = AF_UNSPEC;
	if (spec == NULL || spec[0] == '\0')
		return bad(err, errlen, "empty address");
	for (p = spec; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return bad(err, errlen, "white space or a control "
			    "character in the address");
	colon = strchr(spec, ':');
	n = colon != NULL ? (size_t)(colon - spec) : 0;
	if (spec[0] == '/' || (n == 4 && strncasecmp(spec, "unix", 4) == 0) ||
	    (n == 5 && strncasecmp(spec, "local", 5) == 0)) {
		if (flags & ADDR_HOSTPORT)
			return bad(err, errlen, "expected HOST:PORT or "
			    "[ADDRESS]:PORT here, not a unix socket");
		return parse_path(spec[0] == '/' ? spec : colon + 1, a, err,
		    errlen);
	}
	if ((n == 4 && strncasecmp(spec, "inet", 4) == 0) ||
	    (n == 5 && strncasecmp(spec, "inet6", 5) == 0)) {
		if (flags & ADDR_HOSTPORT)
			return bad(err, errlen, "expected HOST:PORT or "
			    "[ADDRESS]:PORT here, not libmilter's %.*s:PORT@HOST",
			    (int)n, spec);
		return parse_milter(colon + 1, n == 5, flags, a, err, errlen);
	}
	if (colon != NULL && (strchr(spec, '@') != NULL || colon[1] == '/'))
		return bad(err, errlen, "unknown socket type '%.*s' (use "
		    "HOST:PORT, unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST)",
		    (int)(n > 16 ? 16 : n), spec);
	return parse_hostport(spec, flags, a, err, errlen);
}

const char *
addr_format(const struct addr *a, char *buf, size_t len)
{
	if (a->family == AF_UNIX)
		snprintf(buf, len, "unix:%s", a->path);
	else if (a->host[0] == '\0')
		snprintf(buf, len, "%s:%s", a->family == AF_INET6 ? "[::]" :
		    a->family == AF_INET ? "0.0.0.0" : "*", a->port);
	else if (strchr(a->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%s", a->host, a->port);
	else if (strcasecmp(a->host, "unix") == 0 ||
	    strcasecmp(a->host, "local") == 0 ||
	    strncasecmp(a->host, "inet", 4) == 0)
		/* "unix:25" would read as a socket type: say it as libmilter does */
		snprintf(buf, len, "%s:%s@%s", a->family == AF_INET6 ? "inet6" :
		    "inet", a->port, a->host);
	else
		snprintf(buf, len, "%s:%s", a->host, a->port);
	return buf;
}
