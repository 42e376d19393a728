/*
 * url - web links in text: found (with the obfuscations spam uses),
 * normalised, and their registered domain
 *
 * Input is untrusted. url_find() reports spans of text that are links:
 * scheme://... (hxxp, h**p, [:]// written for http, ://), www.host, and
 * hosts written with [.], (.) or [dot] for dots. url_parse() normalises
 * one link (from text or an href): the scheme and host in lower case,
 * user and password dropped, %XX undone in the host and for unreserved
 * characters in the path, the obfuscations undone, an IDN host in its
 * ASCII (punycode) form, a decimal IPv4 host as a dotted quad; and the
 * registered domain from the Public Suffix List built into libpsl (the
 * host itself for an address or a host the list does not know). Only
 * http, https and ftp links (and scheme-less www. ones, read as http) are
 * links here.
 */
#ifndef URL_H
#define URL_H

#include <stddef.h>

#define URL_MAX		4096	/* longer links are cut */

struct url {
	const char	*url;		/* normalised */
	const char	*scheme;	/* "http" */
	const char	*host;		/* "www.example.co.uk" */
	const char	*domain;	/* "example.co.uk" */
	const char	*path;		/* "/a/b" (query and fragment not included) */
	char		*buf;		/* holds the strings: free() it (NULL: in an arena) */
};

/*
 * url_find - cb(ctx, start, len) for each link in text, in order; a cb
 * returning -1 stops. Returns the number of spans reported.
 */
size_t	 url_find(const char *text, size_t len,
	    int (*cb)(void *ctx, const char *s, size_t n), void *ctx);
/*
 * url_cache - remembers the registered domain of the last URL_CACHE_MAX
 * hosts (most mail names a few hosts many times); one per thread of use.
 * url_cache_new() is NULL when memory runs out (url_parse() works without).
 */
#define URL_CACHE_MAX	64
struct url_cache;
struct url_cache *url_cache_new(void);
void	 url_cache_free(struct url_cache *);

/*
 * url_may_have_host - whether a NUL-terminated text may hold a host (a
 * dot, "dot" as in [dot], or a byte past ASCII): a cheap test before
 * url_parse() on link texts such as "details"
 */
int	 url_may_have_host(const char *);
/*
 * url_parse - 0 (u filled), -1 not a link, -2 out of memory; cache may be
 * NULL. With an arena the strings are allocated there (u->buf NULL),
 * without one in u->buf.
 */
struct arena;
int	 url_parse(const char *s, size_t n, struct url *u, struct url_cache *,
	    struct arena **);
/* url_domain - the registered domain of a lower-case host into out (outlen bytes) */
void	 url_domain(const char *host, char *out, size_t outlen);

#endif /* URL_H */
