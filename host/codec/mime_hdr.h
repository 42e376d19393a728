/*
 * mime_hdr - header field values of MIME: RFC 2047 encoded words, the
 * Content-Type / Content-Disposition value and its parameters (RFC 2045,
 * RFC 2231 continuations and charsets), address lists (display names).
 *
 * Input is untrusted and taken as received (folded or not); results are
 * appended to an mbuf as UTF-8 (charset.h decides what unknown charsets
 * and bad bytes become). Functions returning int give 1 (found), 0 (not
 * there) or -1 (the mbuf failed: out of memory or its ceiling).
 */
#ifndef MIME_HDR_H
#define MIME_HDR_H

#include <stddef.h>

#include "mbuf.h"

/*
 * mime_hdr_field - the n-th (from 1) field called name in a raw header
 * block (lines "Name: value" with folded continuations, up to len bytes
 * or an empty line): *v points at the value after the colon, *vlen runs
 * to the end of its last line (line end excluded). 1 or 0.
 */
int	 mime_hdr_field(const char *hdr, size_t len, const char *name, size_t n,
	    const char **v, size_t *vlen);
/* mime_hdr_decode - unfold, decode encoded words, convert to UTF-8 */
int	 mime_hdr_decode(const char *v, size_t len, struct mbuf *out);
/* mime_hdr_token - the value before the first ';', comments dropped, lower case */
int	 mime_hdr_token(const char *v, size_t len, struct mbuf *out);
/*
 * mime_hdr_param - parameter name (case ignored) of a Content-Type or
 * Content-Disposition value: quoted or not, RFC 2231 sections and
 * charset'language'%XX values joined and converted, encoded words (which
 * mailers put in quoted filenames against the RFC) decoded.
 */
int	 mime_hdr_param(const char *v, size_t len, const char *name,
	    struct mbuf *out);
/*
 * mime_hdr_addrs - each mailbox of an address list (groups flattened):
 * cb(ctx, name, addr) with the decoded display name ("" if none) and the
 * address as written, without angle brackets or comments. A callback
 * returning -1 stops the walk. Returns the number of mailboxes, or -1.
 */
int	 mime_hdr_addrs(const char *v, size_t len,
	    int (*cb)(void *ctx, const char *name, const char *addr), void *ctx);

#endif /* MIME_HDR_H */
