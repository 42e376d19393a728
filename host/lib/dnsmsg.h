/*
 * dnsmsg - read the records a stub resolver wants out of a DNS answer
 *
 * Pure: a message in, records as text out; no I/O, no allocation. The
 * message is untrusted (a server, or anyone who can spoof one): every
 * length and compression pointer is checked, names are bounded, and at
 * most DNSMSG_RR_MAX records and textmax bytes of text are kept.
 */
#ifndef DNSMSG_H
#define DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_RR_MAX		64
#define DNSMSG_CNAME_MAX	16

enum dnsmsg_status {
	DNSMSG_OK = 0,		/* nrr >= 1 records of the type asked */
	DNSMSG_NXDOMAIN,	/* rcode NXDOMAIN */
	DNSMSG_NODATA,		/* NOERROR, but no record of the type for the name */
	DNSMSG_SERVFAIL,
	DNSMSG_REFUSED,
	DNSMSG_BAD,		/* malformed, truncated, FORMERR, or another rcode */
	DNSMSG_LOOP		/* a CNAME chain longer than DNSMSG_CNAME_MAX (or a loop) */
};

struct dnsmsg_rr {
	size_t		 off;	/* its text: text + off, NUL-terminated */
	uint32_t	 pref;	/* MX preference */
	uint32_t	 ttl;
};

struct dnsmsg {
	int		 status;	/* enum dnsmsg_status */
	int		 rcode;
	/*
	 * How long the result may be cached, in seconds: for DNSMSG_OK the
	 * least TTL of the records and CNAMEs used; for NXDOMAIN and NODATA
	 * the negative TTL of RFC 2308 (the SOA's TTL or its minimum, the
	 * smaller), 0 without an SOA; 0 otherwise.
	 */
	uint32_t	 ttl;
	size_t		 nrr;
	struct dnsmsg_rr rr[DNSMSG_RR_MAX];
	size_t		 textlen;	/* bytes of text used, NULs included */
	int		 truncated;	/* records or text were dropped: limits */
};

/*
 * dnsmsg_parse - the records of type qtype for qname (canonical: lower
 * case, no final dot), following CNAMEs in the answer section, as text
 * into text (textmax bytes): A and AAAA as addresses, NS, PTR, CNAME and
 * MX as names without the final dot, TXT as the strings of one record
 * joined (NUL bytes become '?'). Returns out->status.
 */
int	dnsmsg_parse(const unsigned char *msg, size_t len, const char *qname,
	    int qtype, struct dnsmsg *out, char *text, size_t textmax);

/*
 * dnsmsg_name - expand the (possibly compressed) name at msg[off] into
 * dst (at least 256 bytes): lower case, no final dot, "" for the root.
 * Returns the offset just past the name in place, or -1 when malformed
 * (out of bounds, a pointer loop, too long).
 */
long	dnsmsg_name(const unsigned char *msg, size_t len, size_t off,
	    char *dst);

#endif /* DNSMSG_H */
