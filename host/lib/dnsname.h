/*
 * dnsname - DNS names for lookups: checks, and the reversed names of
 * addresses for PTR (in-addr.arpa, ip6.arpa) and DNS lists (RFC 5782)
 *
 * Pure: strings in, strings out; no I/O, no allocation.
 */
#ifndef DNSNAME_H
#define DNSNAME_H

#include <stddef.h>

#define DNSNAME_MAX	254	/* bytes of a name with its NUL, no final dot */

/*
 * dnsname_valid - whether name can be asked: 1..253 bytes (a final dot
 * is allowed and not counted), labels of 1..63 bytes of letters, digits,
 * '-', '_' (SRV, DKIM, DMARC names) and '*' (a wildcard's owner), no empty
 * label. 1 or 0.
 */
int	dnsname_valid(const char *name);

/*
 * dnsname_canon - copy name into dst (DNSNAME_MAX bytes) in lower case,
 * without a final dot; 0, or -1 when it is not valid (dnsname_valid()).
 */
int	dnsname_canon(const char *name, char *dst, size_t dstlen);

/*
 * dnsname_reverse - the name RFC 5782 asks a list for: an IPv4 address
 * ("192.0.2.1") reversed by octets, an IPv6 address ("2001:db8::1", with
 * or without brackets) reversed by nibbles, anything else taken as a
 * domain name, then ".zone" (zone without a final dot). With zone NULL or
 * "", the reversed address alone. 0, or -1 when subject is neither an
 * address nor a valid name, zone is not a valid name, or the result does
 * not fit dstlen or DNSNAME_MAX.
 */
int	dnsname_reverse(const char *subject, const char *zone, char *dst,
	    size_t dstlen);

/*
 * dnsname_ptr - the PTR name of an address: "1.2.0.192.in-addr.arpa",
 * "...8.b.d.0.1.0.0.2.ip6.arpa". 0, or -1 when addr is not an address
 * or dst is too small.
 */
int	dnsname_ptr(const char *addr, char *dst, size_t dstlen);

/*
 * dnsname_is_addr - 4 for an IPv4 address, 6 for an IPv6 one (brackets
 * allowed), 0 otherwise. An IPv4-mapped IPv6 address (::ffff:192.0.2.1,
 * a client on a dual-stack socket) counts as IPv4, here and for
 * dnsname_reverse() and dnsname_ptr().
 */
int	dnsname_is_addr(const char *s);

#endif /* DNSNAME_H */
