/*
 * charset - text in a declared charset to UTF-8
 *
 * Input is untrusted: the declared charset may be unknown, misspelt or a
 * lie. UTF-8, US-ASCII (and no charset) are checked byte by byte; ISO-8859-1
 * is read as Windows-1252, as browsers do; any other name goes through
 * iconv(3) (which may load its converter modules on first use). Where
 * the bytes are not valid in the declared charset, or the charset is
 * unknown, each byte that does not fit is read as Windows-1252, so text
 * always comes out, and the result says so. NUL bytes are dropped.
 */
#ifndef CHARSET_H
#define CHARSET_H

#include <stddef.h>

#include "mbuf.h"

enum charset_result {
	CHARSET_OK = 0,		/* converted as declared */
	CHARSET_FALLBACK,	/* unknown charset or bytes that did not fit */
	CHARSET_NOMEM		/* out ran out of memory (or hit its ceiling) */
};

/* charset_to_utf8 - append in (len bytes in charset cs; NULL: unknown) to out */
enum charset_result charset_to_utf8(const char *cs, const char *in,
		    size_t len, struct mbuf *out);
/* charset_utf8_valid - whether len bytes are well-formed UTF-8 */
int		 charset_utf8_valid(const char *in, size_t len);

#endif /* CHARSET_H */
