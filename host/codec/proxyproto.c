/*
 * proxyproto - the PROXY protocol header, versions 1 and 2 (proxyproto.h)
 *
 * Public: proxyproto_parse(), proxyproto_format().
 *
 * Input is untrusted: a v1 line is read within its 107 octets only, a v2
 * header within PROXYPROTO_V2_MAX (its TLVs are skipped, not read). Every
 * field is checked as the specification writes it (one space between v1
 * fields, ports without leading zeros and at most 65535, addresses that
 * inet_pton() takes, the v2 signature, version and command, an address
 * block as long as its family needs); anything else is PROXYPROTO_ERR
 * with a static message. No allocation; the result is the caller's.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxyproto.h"

static const unsigned char v2sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00,
    0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

/* fail - PROXYPROTO_ERR with why */
static enum proxyproto_status
fail(struct proxyproto_result *r, const char *why)
{
	r->error = why;
	return PROXYPROTO_ERR;
}

/* port - a v1 port: 1 to 5 digits, no leading zero, at most 65535; -1 if not */
static long
port(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? v : -1;
}

/* field - the next v1 field of line [*p, end) up to one space; its length */
static size_t
field(const char **p, const char *end, const char **f)
{
	const char *s = *p, *e = memchr(s, ' ', (size_t)(end - s));

	if (e == NULL)
		e = end;
	*f = s;
	*p = e < end ? e + 1 : end;
	return (size_t)(e - s);
}

/* v1_addr - a v1 address field into dst; 0 or -1 */
static int
v1_addr(int af, const char *f, size_t n, char *dst)
{
	unsigned char bin[16];

	if (n == 0 || n >= PROXYPROTO_ADDR_LEN)
		return -1;
	memcpy(dst, f, n);
	dst[n] = '\0';
	return inet_pton(af, dst, bin) == 1 ? 0 : -1;
}

/* v1 - "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n" */
static enum proxyproto_status
v1(const char *b, size_t n, struct proxyproto_result *r)
{
	const char *cr, *p, *end, *f;
	size_t k, lim = n < PROXYPROTO_V1_MAX ? n : PROXYPROTO_V1_MAX;
	long sp, dp;

	if ((cr = memchr(b, '\r', lim)) == NULL ||
	    (size_t)(cr - b) + 1 >= lim) {
		if (memchr(b, '\n', lim) != NULL)
			return fail(r, "v1: bare LF in the header");
		return n < PROXYPROTO_V1_MAX ? PROXYPROTO_MORE :
		    fail(r, "v1: no CRLF within 107 octets");
	}
	if (cr[1] != '\n')
		return fail(r, "v1: bare CR in the header");
	r->version = 1;
	r->len = (size_t)(cr - b) + 2;
	p = b + 6;
	end = cr;
	k = field(&p, end, &f);
	if (k == 7 && memcmp(f, "UNKNOWN", 7) == 0) {
		r->local = 1;
		return PROXYPROTO_OK;
	}
	if (k == 4 && memcmp(f, "TCP4", 4) == 0)
		r->family = AF_INET;
	else if (k == 4 && memcmp(f, "TCP6", 4) == 0)
		r->family = AF_INET6;
	else
		return fail(r, "v1: protocol is not TCP4, TCP6 or UNKNOWN");
	k = field(&p, end, &f);
	if (v1_addr(r->family, f, k, r->src) < 0)
		return fail(r, "v1: bad source address");
	k = field(&p, end, &f);
	if (v1_addr(r->family, f, k, r->dst) < 0)
		return fail(r, "v1: bad destination address");
	k = field(&p, end, &f);
	sp = port(f, k);
	k = field(&p, end, &f);
	dp = port(f, k);
	if (sp < 0 || dp < 0 || f + k != end)
		return fail(r, "v1: bad ports");
	r->sport = (unsigned)sp;
	r->dport = (unsigned)dp;
	return PROXYPROTO_OK;
}

/* v2_inet - the address block of a v2 PROXY for family af */
static enum proxyproto_status
v2_inet(const unsigned char *a, size_t alen, int af,
    struct proxyproto_result *r)
{
	size_t al = af == AF_INET ? 4 : 16;

	if (alen < 2 * al + 4)
		return fail(r, "v2: address block too short for its family");
	r->family = af;
	if (inet_ntop(af, a, r->src, sizeof(r->src)) == NULL ||
	    inet_ntop(af, a + al, r->dst, sizeof(r->dst)) == NULL)
		return fail(r, "v2: bad address");
	r->sport = (unsigned)a[2 * al] << 8 | a[2 * al + 1];
	r->dport = (unsigned)a[2 * al + 2] << 8 | a[2 * al + 3];
	return PROXYPROTO_OK;
}

/* v2 - the binary header: signature, version/command, family, length */
static enum proxyproto_status
v2(const unsigned char *b, size_t n, struct proxyproto_result *r)
{
	size_t alen;
	unsigned fam, tr;

	if (n < 16)
		return PROXYPROTO_MORE;
	if ((b[12] >> 4) != 2)
		return fail(r, "v2: version is not 2");
	if ((b[12] & 0x0f) > 1)
		return fail(r, "v2: command is not LOCAL or PROXY");
	alen = (size_t)b[14] << 8 | b[15];
	if (16 + alen > PROXYPROTO_V2_MAX)
		return fail(r, "v2: header longer than our limit");
	if (n < 16 + alen)
		return PROXYPROTO_MORE;
	r->version = 2;
	r->len = 16 + alen;
	fam = b[13] >> 4;
	tr = b[13] & 0x0f;
	if (fam > 3 || tr > 2)
		return fail(r, "v2: unknown address family or transport");
	if ((b[12] & 0x0f) == 0 || fam == 0 || fam == 3 || tr == 0) {
		/* LOCAL (a health check), or nothing we can take as a client */
		r->local = 1;
		return PROXYPROTO_OK;
	}
	if (tr != 1)
		return fail(r, "v2: transport is not a stream");
	return v2_inet(b + 16, alen, fam == 1 ? AF_INET : AF_INET6, r);
}

enum proxyproto_status
proxyproto_parse(const void *buf, size_t n, struct proxyproto_result *r)
{
	const unsigned char *b = buf;
	size_t k;

	memset(r, 0, sizeof(*r));
	k = n < 12 ? n : 12;
	if (memcmp(b, v2sig, k) == 0)
		return n < 12 ? PROXYPROTO_MORE : v2(b, n, r);
	k = n < 6 ? n : 6;
	if (memcmp(b, "PROXY ", k) != 0)
		return fail(r, "not a PROXY protocol header");
	return n < 6 ? PROXYPROTO_MORE : v1((const char *)b, n, r);
}

/* format_v2 - the binary header */
static size_t
format_v2(int af, const unsigned char *s, unsigned sport,
    const unsigned char *d, unsigned dport, unsigned char *b, size_t len)
{
	size_t al = af == AF_INET ? 4 : af == AF_INET6 ? 16 : 0;
	size_t blk = al ? 2 * al + 4 : 0;

	if (len < 16 + blk)
		return 0;
	memcpy(b, v2sig, 12);
	b[12] = al ? 0x21 : 0x20;
	b[13] = af == AF_INET ? 0x11 : af == AF_INET6 ? 0x21 : 0x00;
	b[14] = (unsigned char)(blk >> 8);
	b[15] = (unsigned char)blk;
	if (al) {
		memcpy(b + 16, s, al);
		memcpy(b + 16 + al, d, al);
		b[16 + 2 * al] = (unsigned char)(sport >> 8);
		b[17 + 2 * al] = (unsigned char)sport;
		b[18 + 2 * al] = (unsigned char)(dport >> 8);
		b[19 + 2 * al] = (unsigned char)dport;
	}
	return 16 + blk;
}

size_t
proxyproto_format(int version, const char *src, unsigned sport,
    const char *dst, unsigned dport, void *buf, size_t len)
{
	unsigned char s[16], d[16];
	int af = 0, n;

	if (src != NULL) {
		af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;
		if (dst == NULL || inet_pton(af, src, s) != 1 ||
		    inet_pton(af, dst, d) != 1 || sport > 65535 || dport > 65535)
			return 0;
	}
	if (version == 2)
		return format_v2(af, s, sport, d, dport, buf, len);
	if (version != 1)
		return 0;
	if (af == 0)
		n = snprintf(buf, len, "PROXY UNKNOWN\r\n");
	else
		n = snprintf(buf, len, "PROXY %s %s %s %u %u\r\n",
		    af == AF_INET ? "TCP4" : "TCP6", src, dst, sport, dport);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}
