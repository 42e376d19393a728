/*
 * proxyproto - the PROXY protocol header (HAProxy's proxy-protocol.txt,
 * versions 1 and 2): parse the header a load balancer puts before the
 * client's first byte, and write one for an upstream that expects it.
 *
 * Pure: bytes in, result out; no sockets, no clock, no logging.
 *
 *	switch (proxyproto_parse(buf, len, &r)) {
 *	case PROXYPROTO_MORE: read more (the header is not complete yet)
 *	case PROXYPROTO_OK:   r.len bytes were the header; r.src is the client
 *	case PROXYPROTO_ERR:  r.error says why; close the connection
 *	}
 */
#ifndef PROXYPROTO_H
#define PROXYPROTO_H

#include <stddef.h>

#define PROXYPROTO_V1_MAX	107	/* the longest v1 line, CRLF included */
#define PROXYPROTO_V2_MAX	(16 + 2048)	/* our limit on a v2 header with TLVs */
#define PROXYPROTO_ADDR_LEN	46	/* INET6_ADDRSTRLEN */

enum proxyproto_status {
	PROXYPROTO_MORE = 0,	/* no complete header yet: more bytes needed */
	PROXYPROTO_OK,		/* the result is filled in */
	PROXYPROTO_ERR		/* not a (valid) PROXY header: r->error */
};

/* what the header says */
struct proxyproto_result {
	int		 version;	/* 1 or 2 */
	int		 local;		/* v2 LOCAL, v1 UNKNOWN, or an address
					 * family we do not carry (unix, unspec):
					 * no address; keep the connection's own */
	int		 family;	/* AF_INET or AF_INET6 (0 with local) */
	char		 src[PROXYPROTO_ADDR_LEN];	/* the client, numeric */
	char		 dst[PROXYPROTO_ADDR_LEN];	/* the address it connected to */
	unsigned	 sport, dport;
	size_t		 len;		/* bytes of the header (to consume) */
	const char	*error;		/* with PROXYPROTO_ERR: a static message */
};

/*
 * proxyproto_parse - the header at the start of buf (n bytes, untrusted):
 * MORE when buf is a prefix of one that may still be valid (never more
 * than PROXYPROTO_V2_MAX bytes are asked for), OK, or ERR. r is filled in
 * with OK and r->error with ERR.
 */
enum proxyproto_status proxyproto_parse(const void *buf, size_t n,
		    struct proxyproto_result *r);

/*
 * proxyproto_format - a header of version 1 or 2 for the connection from
 * src:sport to dst:dport (numeric addresses of one family; src NULL: v1
 * UNKNOWN / v2 LOCAL) into buf; its length, or 0 when an address does
 * not parse or buf (len bytes) is too small. Version 1 ends with CRLF.
 */
size_t		 proxyproto_format(int version, const char *src, unsigned sport,
		    const char *dst, unsigned dport, void *buf, size_t len);

#endif /* PROXYPROTO_H */
