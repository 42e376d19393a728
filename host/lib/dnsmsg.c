/*
 * dnsmsg - read the records a stub resolver wants out of a DNS answer
 *
 * Public: dnsmsg_parse(), dnsmsg_name(). See dnsmsg.h.
 *
 * Pure: no I/O, no allocation, no global state; the caller's buffers only.
 * Trust: none. Every read is bounds-checked against the message length;
 * a name is at most 255 bytes and follows at most 64 compression
 * pointers; bytes of a label that are not printable ASCII (and '.')
 * become '?', so a name handed on is one plain string. The answer section
 * is walked once to check it, then once per CNAME hop and once to collect
 * the records, so a message costs at most DNSMSG_CNAME_MAX + 2 passes.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dnsmsg.h"

#define T_CNAME	5
#define T_SOA	6
#define C_IN	1
#define NAME_BUF	256
#define JUMPS_MAX	64

/* rr - one resource record's fixed part */
struct rr {
	char		 owner[NAME_BUF];
	unsigned	 type, class;
	uint32_t	 ttl;
	size_t		 rdoff, rdlen;
};

static unsigned
u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* name_byte - a label byte as we hand it on: lower case, printable */
static char
name_byte(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	if (c <= 0x20 || c >= 0x7f || c == '.')
		return '?';
	return (char)c;
}

long
dnsmsg_name(const unsigned char *msg, size_t len, size_t off, char *dst)
{
	size_t p = off, out = 0, i;
	long end = -1;
	int jumps = 0;
	unsigned c;

	for (;;) {
		if (p >= len)
			return -1;
		c = msg[p];
		if (c == 0) {
			if (end < 0)
				end = (long)(p + 1);
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > JUMPS_MAX)
				return -1;
			if (end < 0)
				end = (long)(p + 2);
			p = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			continue;
		}
		if (c & 0xc0)
			return -1;	/* the obsolete extended label types */
		if (p + 1 + c > len || out + c + 1 > NAME_BUF - 1)
			return -1;
		if (out > 0)
			dst[out++] = '.';
		for (i = 0; i < c; i++)
			dst[out++] = name_byte(msg[p + 1 + i]);
		p += 1 + c;
	}
	dst[out] = '\0';
	return end;
}

/* rr_read - the record at *off; advances *off past it. 0 or -1 */
static int
rr_read(const unsigned char *msg, size_t len, size_t *off, struct rr *r)
{
	long p = dnsmsg_name(msg, len, *off, r->owner);

	if (p < 0 || (size_t)p + 10 > len)
		return -1;
	r->type = u16(msg + p);
	r->class = u16(msg + p + 2);
	r->ttl = u32(msg + p + 4);
	if (r->ttl > 0x7fffffffu)
		r->ttl = 0;	/* RFC 2181 8: a TTL with the top bit set is 0 */
	r->rdlen = u16(msg + p + 8);
	r->rdoff = (size_t)p + 10;
	if (r->rdoff + r->rdlen > len)
		return -1;
	*off = r->rdoff + r->rdlen;
	return 0;
}

/* skip_question - past one question; -1 when malformed */
static long
skip_question(const unsigned char *msg, size_t len, size_t off)
{
	char name[NAME_BUF];
	long p = dnsmsg_name(msg, len, off, name);

	if (p < 0 || (size_t)p + 4 > len)
		return -1;
	return p + 4;
}

struct out {
	struct dnsmsg	*m;
	char		*text;
	size_t		 max;
};

/* room - where the next record's text of n bytes goes, or NULL: limits */
static char *
room(struct out *o, size_t n)
{
	struct dnsmsg *m = o->m;

	if (m->nrr == DNSMSG_RR_MAX || m->textlen + n + 1 > o->max) {
		m->truncated = 1;
		return NULL;
	}
	return o->text + m->textlen;
}

/* commit - the n bytes at room() are the next record's text */
static void
commit(struct out *o, size_t n, uint32_t pref, uint32_t ttl)
{
	struct dnsmsg *m = o->m;
	size_t i;

	for (i = 0; i < n; i++)
		if (o->text[m->textlen + i] == '\0')
			o->text[m->textlen + i] = '?';
	o->text[m->textlen + n] = '\0';
	m->rr[m->nrr].off = m->textlen;
	m->rr[m->nrr].pref = pref;
	m->rr[m->nrr].ttl = ttl;
	m->nrr++;
	m->textlen += n + 1;
}

/* add_text - a record whose text is the string s */
static void
add_text(struct out *o, const char *s, uint32_t pref, uint32_t ttl)
{
	size_t n = strlen(s);
	char *dst = room(o, n);

	if (dst != NULL) {
		memcpy(dst, s, n);
		commit(o, n, pref, ttl);
	}
}

/* txt_text - a TXT record: its <len><bytes> strings joined; -1 if malformed */
static int
txt_text(const unsigned char *msg, const struct rr *r, struct out *o)
{
	size_t q, end = r->rdoff + r->rdlen, tl = 0;
	char *dst;

	for (q = r->rdoff; q < end; q += 1 + (size_t)msg[q]) {
		if (q + 1 + msg[q] > end)
			return -1;
		tl += msg[q];
	}
	if ((dst = room(o, tl)) == NULL)
		return 0;
	for (q = r->rdoff; q < end; q += 1 + (size_t)msg[q]) {
		memcpy(dst, msg + q + 1, msg[q]);
		dst += msg[q];
	}
	commit(o, tl, 0, r->ttl);
	return 0;
}

/* rdata_text - one record's data as text; -1 when malformed */
static int
rdata_text(const unsigned char *msg, size_t len, const struct rr *r,
    struct out *o)
{
	char buf[NAME_BUF];
	size_t q, end = r->rdoff + r->rdlen;
	unsigned pref = 0;
	long p;

	switch (r->type) {
	case 1:		/* A */
	case 28:	/* AAAA */
		if (r->rdlen != (r->type == 1 ? 4u : 16u) ||
		    inet_ntop(r->type == 1 ? AF_INET : AF_INET6,
		    msg + r->rdoff, buf, sizeof(buf)) == NULL)
			return -1;
		add_text(o, buf, 0, r->ttl);
		return 0;
	case 15:	/* MX */
		if (r->rdlen < 3)
			return -1;
		pref = u16(msg + r->rdoff);
		q = r->rdoff + 2;
		break;
	case 2: case 5: case 12:	/* NS, CNAME, PTR */
		q = r->rdoff;
		break;
	case 16:
		return txt_text(msg, r, o);
	default:
		return 0;
	}
	if ((p = dnsmsg_name(msg, len, q, buf)) < 0 || (size_t)p > end)
		return -1;
	add_text(o, buf, pref, r->ttl);
	return 0;
}

/* neg_ttl - RFC 2308: min(SOA TTL, SOA minimum) from the authority section */
static uint32_t
neg_ttl(const unsigned char *msg, size_t len, size_t off, unsigned ns)
{
	struct rr r;
	char name[NAME_BUF];
	long p;
	uint32_t min;
	unsigned i;

	for (i = 0; i < ns; i++) {
		if (rr_read(msg, len, &off, &r) == -1)
			return 0;
		if (r.type != T_SOA || r.class != C_IN)
			continue;
		if ((p = dnsmsg_name(msg, len, r.rdoff, name)) < 0 ||
		    (p = dnsmsg_name(msg, len, (size_t)p, name)) < 0 ||
		    (size_t)p + 20 > r.rdoff + r.rdlen)
			return 0;
		min = u32(msg + p + 16);
		return min < r.ttl ? min : r.ttl;
	}
	return 0;
}

/* follow - the end of qname's CNAME chain into cur; -1 loop, -2 malformed */
static int
follow(const unsigned char *msg, size_t len, size_t an_off, unsigned an,
    char *cur, uint32_t *ttl)
{
	struct rr r;
	size_t off;
	unsigned i, hops;
	long p;
	int found;

	for (hops = 0; ; hops++) {
		found = 0;
		for (off = an_off, i = 0; i < an && !found; i++) {
			if (rr_read(msg, len, &off, &r) == -1)
				return -2;
			if (r.type != T_CNAME || r.class != C_IN ||
			    strcmp(r.owner, cur) != 0)
				continue;
			if (hops == DNSMSG_CNAME_MAX)
				return -1;
			if ((p = dnsmsg_name(msg, len, r.rdoff, cur)) < 0 ||
			    (size_t)p > r.rdoff + r.rdlen)
				return -2;
			if (r.ttl < *ttl)
				*ttl = r.ttl;
			found = 1;
		}
		if (!found)
			return 0;
	}
}

/* answers - collect the records; the status */
static int
answers(const unsigned char *msg, size_t len, size_t an_off, unsigned an,
    const char *qname, int qtype, struct out *o)
{
	struct dnsmsg *m = o->m;
	char cur[NAME_BUF];
	uint32_t ttl = UINT32_MAX;
	struct rr r;
	size_t off;
	unsigned i;
	int rc;

	snprintf(cur, sizeof(cur), "%s", qname);
	if (qtype != T_CNAME &&
	    (rc = follow(msg, len, an_off, an, cur, &ttl)) < 0)
		return rc == -1 ? DNSMSG_LOOP : DNSMSG_BAD;
	for (off = an_off, i = 0; i < an; i++) {
		if (rr_read(msg, len, &off, &r) == -1)
			return DNSMSG_BAD;
		if (r.type != (unsigned)qtype || r.class != C_IN ||
		    strcmp(r.owner, cur) != 0)
			continue;
		if (rdata_text(msg, len, &r, o) == -1)
			return DNSMSG_BAD;
		if (r.ttl < ttl)
			ttl = r.ttl;
	}
	if (m->nrr == 0)
		return DNSMSG_NODATA;
	m->ttl = ttl;
	return DNSMSG_OK;
}

int
dnsmsg_parse(const unsigned char *msg, size_t len, const char *qname,
    int qtype, struct dnsmsg *m, char *text, size_t textmax)
{
	struct out o = { m, text, textmax };
	struct rr r;
	size_t off, an_off;
	unsigned qd, an, ns, i;
	long p;

	memset(m, 0, sizeof(*m));
	if (msg == NULL || len < 12 || qname == NULL)
		return m->status = DNSMSG_BAD;
	m->rcode = msg[3] & 0x0f;
	qd = u16(msg + 4);
	an = u16(msg + 6);
	ns = u16(msg + 8);
	for (off = 12, i = 0; i < qd; i++) {
		if ((p = skip_question(msg, len, off)) < 0)
			return m->status = DNSMSG_BAD;
		off = (size_t)p;
	}
	an_off = off;
	for (i = 0; i < an; i++)	/* the whole section must be sound */
		if (rr_read(msg, len, &off, &r) == -1)
			return m->status = DNSMSG_BAD;
	switch (m->rcode) {
	case 0:
		break;
	case 3:
		m->ttl = neg_ttl(msg, len, off, ns);
		return m->status = DNSMSG_NXDOMAIN;
	case 2:
		return m->status = DNSMSG_SERVFAIL;
	case 5:
		return m->status = DNSMSG_REFUSED;
	default:
		return m->status = DNSMSG_BAD;
	}
	m->status = answers(msg, len, an_off, an, qname, qtype, &o);
	if (m->status == DNSMSG_NODATA)
		m->ttl = neg_ttl(msg, len, off, ns);
	if (m->status != DNSMSG_OK)
		m->nrr = m->textlen = 0;
	return m->status;
}
