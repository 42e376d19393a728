/*
 * milter_proto - the milter protocol (version 6), filter side: decoder of
 * the MTA's commands, encoder of the filter's replies
 *
 * Public: milter_proto_dec_new(), milter_proto_dec_free(),
 * milter_proto_feed(), milter_proto_next(), milter_proto_ready(),
 * milter_proto_error(), milter_proto_buffered(), milter_proto_limits_default(),
 * milter_proto_buf_reset(), milter_proto_buf_free(), milter_proto_put*().
 *
 * A packet is a 4-byte length in network order, then that many bytes: the
 * command byte and its payload. Strings in payloads end with NUL.
 *
 * Input is untrusted. The decoder buffers at most one packet of
 * limits->packet_max bytes beyond what it was fed in one go; a packet over
 * the limit (MILTER_PROTO_ERR_TOOBIG), a zero length, an unknown command
 * or a payload that does not parse (MILTER_PROTO_ERR_MALFORMED) put the
 * decoder into its error state: from then on feed() fails and next()
 * returns the same error. Results point into the decoder and stay valid
 * until the next feed() or next(); strings are parsed in place, nothing is
 * copied. The encoder only appends to a buffer the caller owns. Nothing
 * here logs, reads a clock or touches a descriptor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter_proto.h"

struct milter_proto_dec {
	struct milter_proto_limits lim;
	unsigned char	*buf;
	size_t		 start, end, size;
	int		 err;		/* 0 or MILTER_PROTO_ERR_* */
	char		 errtext[160];
	const char	**argv;		/* lim.argv_max + 1 */
	const char	**macros;	/* 2 * lim.macros_max */
};

void
milter_proto_limits_default(struct milter_proto_limits *lim)
{
	lim->packet_max = MILTER_PROTO_PACKET_MAX;
	lim->argv_max = MILTER_PROTO_ARGV_MAX;
	lim->macros_max = MILTER_PROTO_MACROS_MAX;
}

struct milter_proto_dec *
milter_proto_dec_new(const struct milter_proto_limits *lim)
{
	struct milter_proto_dec *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (lim != NULL)
		d->lim = *lim;
	else
		milter_proto_limits_default(&d->lim);
	if (d->lim.packet_max < 1)
		d->lim.packet_max = 1;
	if (d->lim.argv_max < 1)
		d->lim.argv_max = 1;
	d->argv = calloc(d->lim.argv_max + 1, sizeof(*d->argv));
	d->macros = calloc(2 * d->lim.macros_max + 1, sizeof(*d->macros));
	if (d->argv == NULL || d->macros == NULL) {
		milter_proto_dec_free(d);
		return NULL;
	}
	return d;
}

void
milter_proto_dec_free(struct milter_proto_dec *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d->argv);
	free(d->macros);
	free(d);
}

void
milter_proto_dec_reset(struct milter_proto_dec *d, size_t keep)
{
	d->start = d->end = 0;
	d->err = 0;
	d->errtext[0] = '\0';
	if (d->size > keep) {
		free(d->buf);
		d->buf = NULL;
		d->size = 0;
	}
}

/* fail - enter the error state */
static int
fail(struct milter_proto_dec *d, int err, const char *what, int cmd)
{
	char c[8];

	if (cmd >= 0x21 && cmd < 0x7f)
		snprintf(c, sizeof(c), "'%c'", cmd);
	else
		snprintf(c, sizeof(c), "0x%02x", (unsigned)cmd & 0xff);
	d->err = err;
	snprintf(d->errtext, sizeof(d->errtext), "command %s: %s", c, what);
	return err;
}

int
milter_proto_feed(struct milter_proto_dec *d, const void *p, size_t len)
{
	size_t need, nsize;
	unsigned char *nb;

	if (d->err != 0) {
		errno = EPROTO;
		return -1;
	}
	if (len == 0)
		return 0;
	if (d->start == d->end)
		d->start = d->end = 0;
	if (d->end + len > d->size && d->start > 0) {
		memmove(d->buf, d->buf + d->start, d->end - d->start);
		d->end -= d->start;
		d->start = 0;
	}
	need = d->end + len;
	if (need > d->size) {
		nsize = d->size ? d->size : 4096;
		while (nsize < need)
			nsize *= 2;
		if ((nb = realloc(d->buf, nsize)) == NULL)
			return -1;
		d->buf = nb;
		d->size = nsize;
	}
	memcpy(d->buf + d->end, p, len);
	d->end += len;
	return 0;
}

/* be32 - a 32-bit number in network order */
static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * split - the NUL-terminated strings of p[0..len) into v (at most max);
 * the count, or -1 when the last does not end with NUL or there are more
 * than max.
 */
static long
split(const char *p, size_t len, const char **v, size_t max)
{
	size_t n = 0, i = 0;
	const char *nul;

	while (i < len) {
		if ((nul = memchr(p + i, '\0', len - i)) == NULL)
			return -1;
		if (n == max)
			return -1;
		v[n++] = p + i;
		i = (size_t)(nul - p) + 1;
	}
	return (long)n;
}

/* parse - the payload of one packet into c; OK or an error (state set) */
static int
parse(struct milter_proto_dec *d, int cmd, const char *p, size_t len,
    struct milter_proto_cmd *c)
{
	const char *nul;
	long n;

	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->data = p;
	c->len = len;
	switch (cmd) {
	case MILTER_PROTO_CMD_OPTNEG:
		if (len < 12)
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "shorter than 12 bytes", cmd);
		c->version = be32((const unsigned char *)p);
		c->actions = be32((const unsigned char *)p + 4);
		c->protocol = be32((const unsigned char *)p + 8);
		return MILTER_PROTO_OK;
	case MILTER_PROTO_CMD_MACRO:
		if (len < 1)
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "no stage", cmd);
		c->stage = (unsigned char)p[0];
		n = split(p + 1, len - 1, d->macros, 2 * d->lim.macros_max);
		if (n < 0 || n % 2 != 0)
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "not name/value pairs (or too "
			    "many)", cmd);
		d->macros[n] = NULL;
		c->macros = d->macros;
		c->nmacros = (size_t)n / 2;
		return MILTER_PROTO_OK;
	case MILTER_PROTO_CMD_CONNECT:
		if ((nul = memchr(p, '\0', len)) == NULL ||
		    (size_t)(nul - p) + 2 > len)
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "host name or family missing",
			    cmd);
		c->host = p;
		p = nul + 1;
		len -= (size_t)(p - c->data);
		c->family = (unsigned char)p[0];
		p++;
		len--;
		switch (c->family) {
		case MILTER_PROTO_FAM_UNKNOWN:
			c->addr = "";
			return MILTER_PROTO_OK;
		case MILTER_PROTO_FAM_UNIX:
		case MILTER_PROTO_FAM_INET:
		case MILTER_PROTO_FAM_INET6:
			break;
		default:
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "unknown address family", cmd);
		}
		if (len < 3 || p[len - 1] != '\0' ||
		    memchr(p + 2, '\0', len - 2) != p + len - 1)
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "port or address missing", cmd);
		c->port = (unsigned)(unsigned char)p[0] << 8 |
		    (unsigned char)p[1];
		c->addr = p + 2;
		return MILTER_PROTO_OK;
	case MILTER_PROTO_CMD_HELO:
	case MILTER_PROTO_CMD_UNKNOWN:
		if (len < 1 || p[len - 1] != '\0')
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "no string", cmd);
		c->str = p;
		return MILTER_PROTO_OK;
	case MILTER_PROTO_CMD_MAIL:
	case MILTER_PROTO_CMD_RCPT:
		n = split(p, len, d->argv, d->lim.argv_max);
		if (n < 1)
			return fail(d, MILTER_PROTO_ERR_MALFORMED,
			    "no address, an argument "
			    "without NUL, or too many arguments", cmd);
		d->argv[n] = NULL;
		c->argv = d->argv;
		c->argc = (size_t)n;
		return MILTER_PROTO_OK;
	case MILTER_PROTO_CMD_HEADER:
		{
			const char *v[3];

			if (split(p, len, v, 2) != 2 || *v[0] == '\0')
				return fail(d, MILTER_PROTO_ERR_MALFORMED,
				    "not name and value",
				    cmd);
			c->name = v[0];
			c->value = v[1];
		}
		return MILTER_PROTO_OK;
	case MILTER_PROTO_CMD_BODY:
	case MILTER_PROTO_CMD_BODYEOB:
	case MILTER_PROTO_CMD_EOH:
	case MILTER_PROTO_CMD_DATA:
	case MILTER_PROTO_CMD_ABORT:
	case MILTER_PROTO_CMD_QUIT:
	case MILTER_PROTO_CMD_QUIT_NC:
		return MILTER_PROTO_OK;
	default:
		return fail(d, MILTER_PROTO_ERR_MALFORMED,
		    "unknown command", cmd);
	}
}

int
milter_proto_next(struct milter_proto_dec *d, struct milter_proto_cmd *c)
{
	size_t have = d->end - d->start;
	const unsigned char *p;
	uint32_t len;
	int r;

	if (d->err != 0)
		return d->err;
	if (have < 4)
		return MILTER_PROTO_MORE;
	p = d->buf + d->start;	/* not before: buf is NULL until the first feed */
	len = be32(p);
	if (len == 0) {
		d->err = MILTER_PROTO_ERR_MALFORMED;
		snprintf(d->errtext, sizeof(d->errtext),
		    "malformed packet: length 0");
		return d->err;
	}
	if (len > d->lim.packet_max) {
		d->err = MILTER_PROTO_ERR_TOOBIG;
		snprintf(d->errtext, sizeof(d->errtext), "packet of %lu bytes "
		    "over the limit of %zu", (unsigned long)len,
		    d->lim.packet_max);
		return d->err;
	}
	if (have - 4 < len)
		return MILTER_PROTO_MORE;
	r = parse(d, p[4], (const char *)p + 5, len - 1, c);
	if (r == MILTER_PROTO_OK)
		d->start += 4 + (size_t)len;
	return r;
}

int
milter_proto_ready(const struct milter_proto_dec *d)
{
	size_t have = d->end - d->start;

	if (d->err != 0)
		return 1;	/* next() has something to say */
	return have >= 4 && have - 4 >= be32(d->buf + d->start);
}

const char *
milter_proto_error(const struct milter_proto_dec *d)
{
	return d->err ? d->errtext : "";
}

size_t
milter_proto_buffered(const struct milter_proto_dec *d)
{
	return d->end - d->start;
}

void
milter_proto_buf_reset(struct milter_proto_buf *b)
{
	b->len = 0;
}

void
milter_proto_buf_free(struct milter_proto_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

/* reserve - room for n more bytes; a pointer to it or NULL */
static unsigned char *
reserve(struct milter_proto_buf *b, size_t n)
{
	size_t nsize;
	unsigned char *nb;

	if (n > SIZE_MAX / 2 - b->len) {
		errno = ENOMEM;
		return NULL;
	}
	if (b->len + n > b->size) {
		nsize = b->size ? b->size : 256;
		while (nsize < b->len + n)
			nsize *= 2;
		if ((nb = realloc(b->data, nsize)) == NULL)
			return NULL;
		b->data = nb;
		b->size = nsize;
	}
	return b->data + b->len;
}

/* put32 - a 32-bit number in network order */
static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/*
 * putv - one packet: code, then n parts; a part with str set is a string
 * sent with its NUL, else raw bytes.
 */
struct part {
	const void	*p;
	size_t		 len;
	int		 str;
};

static int
putv(struct milter_proto_buf *b, int code, const struct part *v, size_t n)
{
	unsigned char *o;
	size_t i, total = 1;

	for (i = 0; i < n; i++) {
		if (v[i].len > 0xfffffff0UL - total) {
			errno = EINVAL;
			return -1;
		}
		total += v[i].len + (v[i].str ? 1 : 0);
	}
	if ((o = reserve(b, 4 + total)) == NULL)
		return -1;
	put32(o, (uint32_t)total);
	o[4] = (unsigned char)code;
	o += 5;
	for (i = 0; i < n; i++) {
		if (v[i].len > 0)
			memcpy(o, v[i].p, v[i].len);
		o += v[i].len;
		if (v[i].str)
			*o++ = '\0';
	}
	b->len += 4 + total;
	return 0;
}

/* S - a string part */
#define S(s)	{ (s), strlen(s), 1 }

int
milter_proto_put(struct milter_proto_buf *b, int code, const void *data,
    size_t len)
{
	struct part v[1] = { { data, len, 0 } };

	return putv(b, code, v, 1);
}

int
milter_proto_put_simple(struct milter_proto_buf *b, int code)
{
	return putv(b, code, NULL, 0);
}

int
milter_proto_put_replycode(struct milter_proto_buf *b, const char *smtp)
{
	struct part v[1] = { S(smtp) };

	return putv(b, MILTER_PROTO_REP_REPLYCODE, v, 1);
}

int
milter_proto_put_reply(struct milter_proto_buf *b, const char *rcode,
    const char *xcode, const char *const *lines, size_t nlines)
{
	size_t i, n = 0, o = 0, xl = xcode ? strlen(xcode) : 0;
	char *s;
	int r;

	if (strlen(rcode) != 3 || nlines == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nlines; i++) {
		if (strpbrk(lines[i], "\r\n") != NULL) {
			errno = EINVAL;
			return -1;
		}
		n += 3 + 1 + xl + 1 + strlen(lines[i]) + 2;
	}
	if ((s = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < nlines; i++) {
		/* "550-5.7.1 text\r\n" ... "550 5.7.1 text", as libmilter */
		memcpy(s + o, rcode, 3);
		o += 3;
		s[o++] = i + 1 < nlines ? '-' : ' ';
		if (xl > 0) {
			memcpy(s + o, xcode, xl);
			o += xl;
			s[o++] = ' ';
		}
		memcpy(s + o, lines[i], strlen(lines[i]));
		o += strlen(lines[i]);
		if (i + 1 < nlines) {
			s[o++] = '\r';
			s[o++] = '\n';
		}
	}
	s[o] = '\0';
	r = milter_proto_put_replycode(b, s);
	free(s);
	return r;
}

int
milter_proto_put_addheader(struct milter_proto_buf *b, const char *name,
    const char *value)
{
	struct part v[2] = { S(name), S(value) };

	return putv(b, MILTER_PROTO_REP_ADDHEADER, v, 2);
}

int
milter_proto_put_insheader(struct milter_proto_buf *b, uint32_t idx,
    const char *name, const char *value)
{
	unsigned char i4[4];
	struct part v[3] = { { i4, 4, 0 }, S(name), S(value) };

	put32(i4, idx);
	return putv(b, MILTER_PROTO_REP_INSHEADER, v, 3);
}

int
milter_proto_put_chgheader(struct milter_proto_buf *b, uint32_t idx,
    const char *name, const char *value)
{
	unsigned char i4[4];
	struct part v[3] = { { i4, 4, 0 }, S(name), S(value ? value : "") };

	put32(i4, idx);
	return putv(b, MILTER_PROTO_REP_CHGHEADER, v, 3);
}

int
milter_proto_put_addrcpt(struct milter_proto_buf *b, const char *rcpt)
{
	struct part v[1] = { S(rcpt) };

	return putv(b, MILTER_PROTO_REP_ADDRCPT, v, 1);
}

int
milter_proto_put_addrcpt_par(struct milter_proto_buf *b, const char *rcpt,
    const char *args)
{
	struct part v[2] = { S(rcpt), S(args ? args : "") };

	return putv(b, MILTER_PROTO_REP_ADDRCPT_PAR, v, 2);
}

int
milter_proto_put_delrcpt(struct milter_proto_buf *b, const char *rcpt)
{
	struct part v[1] = { S(rcpt) };

	return putv(b, MILTER_PROTO_REP_DELRCPT, v, 1);
}

int
milter_proto_put_chgfrom(struct milter_proto_buf *b, const char *from,
    const char *args)
{
	struct part v[2] = { S(from), S(args ? args : "") };

	return putv(b, MILTER_PROTO_REP_CHGFROM, v, args ? 2 : 1);
}

int
milter_proto_put_replbody(struct milter_proto_buf *b, const void *data,
    size_t len)
{
	const unsigned char *p = data;
	size_t n;

	if (len == 0)
		return milter_proto_put(b, MILTER_PROTO_REP_REPLBODY, "", 0);
	while (len > 0) {
		n = len > MILTER_PROTO_CHUNK ? MILTER_PROTO_CHUNK : len;
		if (milter_proto_put(b, MILTER_PROTO_REP_REPLBODY, p, n) == -1)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int
milter_proto_put_quarantine(struct milter_proto_buf *b, const char *reason)
{
	struct part v[1] = { S(reason) };

	return putv(b, MILTER_PROTO_REP_QUARANTINE, v, 1);
}

int
milter_proto_put_optneg(struct milter_proto_buf *b, uint32_t version,
    uint32_t actions, uint32_t protocol,
    const char *const symlist[MILTER_PROTO_MAC_N])
{
	unsigned char head[12], st[MILTER_PROTO_MAC_N][4];
	struct part v[1 + 2 * MILTER_PROTO_MAC_N];
	size_t n = 0, i;

	put32(head, version);
	put32(head + 4, actions);
	put32(head + 8, protocol);
	v[n].p = head;
	v[n].len = 12;
	v[n++].str = 0;
	for (i = 0; symlist != NULL && i < MILTER_PROTO_MAC_N; i++) {
		if (symlist[i] == NULL)
			continue;
		put32(st[i], (uint32_t)i);
		v[n].p = st[i];
		v[n].len = 4;
		v[n++].str = 0;
		v[n].p = symlist[i];
		v[n].len = strlen(symlist[i]);
		v[n++].str = 1;
	}
	return putv(b, MILTER_PROTO_REP_OPTNEG, v, n);
}
