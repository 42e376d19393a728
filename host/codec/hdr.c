/*
 * hdr - RFC 5322 header codec (see hdr.h for the contract)
 *
 * Public: hdr_parser_new(), hdr_parser_free(), hdr_push(), hdr_push_eof(),
 * hdr_next(), hdr_done(), hdr_end_reason_str(), hdr_name_valid(),
 * hdr_value_valid(), hdr_unfold().
 *
 * Input is untrusted. The parser copies pushed bytes into one buffer: the
 * field being parsed starts at buf[start]; complete fields are handed out
 * from there and start moves on; the unparsed tail is moved down only when
 * hdr_push() needs room. The buffer starts at 4 KiB and doubles when one
 * field needs more, up to field_max + 2 bytes (field_max + 1 bytes decide
 * "too long", one more sees the start of the next line): a typical message
 * costs one small allocation. Lines are found with memchr(); the name check
 * of a first line stops at the colon.
 *
 * Ownership: the parser owns its buffer; events point into it.
 * Failure: hdr_parser_new() returns NULL (errno ENOMEM); when the buffer
 * cannot grow, hdr_next() says HDR_ERR_NOMEM from then on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "xmalloc.h"

struct hdr_parser {
	struct hdr_limits lim;
	char		*buf;
	size_t		 cap;
	size_t		 cap_max;	/* field_max + 2 */
	size_t		 len;		/* bytes in buf */
	size_t		 start;		/* first byte of the current field */
	size_t		 fend;		/* end of its complete lines (== start: none) */
	size_t		 scan;		/* where the search for '\n' resumes */
	size_t		 nscan;		/* name check: next byte to look at */
	int		 nstate;	/* 0 name, 1 white space before ':', 2 done */
	size_t		 value_off;	/* from start, once nstate == 2 */
	size_t		 count;
	size_t		 total;
	int		 eof;
	int		 done;
	int		 nomem;
};

#define HDR_BUF_MIN	4096

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')
#define IS_NAME(c)	((unsigned char)(c) > 32 && (unsigned char)(c) < 127 && (c) != ':')

struct hdr_parser *
hdr_parser_new(const struct hdr_limits *lim)
{
	struct hdr_parser *p;

	if ((p = pg_calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->lim = *lim;
	/* field_max + 1 bytes decide "too long"; one more sees the next line */
	if (p->lim.field_max > ((size_t)-1) / 4)
		p->lim.field_max = ((size_t)-1) / 4;
	p->cap_max = p->lim.field_max + 2;
	p->cap = p->cap_max < HDR_BUF_MIN ? p->cap_max : HDR_BUF_MIN;
	if ((p->buf = pg_malloc(p->cap)) == NULL) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void
hdr_parser_free(struct hdr_parser *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p);
}

int
hdr_done(const struct hdr_parser *p)
{
	return p->done;
}

/* compact - move the current field to the front of the buffer */
static void
compact(struct hdr_parser *p)
{
	size_t d = p->start;

	if (d == 0)
		return;
	memmove(p->buf, p->buf + d, p->len - d);
	p->len -= d;
	p->start = 0;
	p->fend -= d;
	p->scan -= d;
	p->nscan -= d;
}

/* grow - double the buffer, up to cap_max */
static int
grow(struct hdr_parser *p)
{
	size_t ncap = p->cap * 2;
	char *nb;

	if (ncap > p->cap_max)
		ncap = p->cap_max;
	if ((nb = pg_realloc(p->buf, ncap)) == NULL) {
		p->nomem = 1;
		return -1;
	}
	p->buf = nb;
	p->cap = ncap;
	return 0;
}

size_t
hdr_push(struct hdr_parser *p, const void *data, size_t n)
{
	size_t take;

	if (p->done || p->eof || p->nomem)
		return 0;
	if (p->cap - p->len < n)
		compact(p);
	/* full with one unfinished field: it needs a bigger buffer */
	if (p->len == p->cap && p->cap < p->cap_max && grow(p) == -1)
		return 0;
	take = p->cap - p->len;
	if (take > n)
		take = n;
	memcpy(p->buf + p->len, data, take);
	p->len += take;
	return take;
}

void
hdr_push_eof(struct hdr_parser *p)
{
	p->eof = 1;
}

/* end - the header ends at buf[start]: sep_len bytes of empty line, then body */
static enum hdr_status
end(struct hdr_parser *p, struct hdr_event *ev, enum hdr_end_reason why,
    size_t sep_len)
{
	memset(ev, 0, sizeof(*ev));
	ev->reason = why;
	ev->sep = p->buf + p->start;
	ev->sep_len = sep_len;
	ev->rest = p->buf + p->start + sep_len;
	ev->rest_len = p->len - p->start - sep_len;
	p->done = 1;
	return HDR_END;
}

/* field - hand out buf[start .. flen), or end the header if it is too much */
static enum hdr_status
field(struct hdr_parser *p, struct hdr_event *ev, size_t flen)
{
	if (flen > p->lim.header_max - p->total || p->total > p->lim.header_max)
		return end(p, ev, HDR_END_HEADER_MAX, 0);
	memset(ev, 0, sizeof(*ev));
	ev->raw = p->buf + p->start;
	ev->raw_len = flen;
	ev->name_len = 0;
	while (IS_NAME(ev->raw[ev->name_len]))
		ev->name_len++;
	ev->value_off = p->value_off;
	p->count++;
	p->total += flen;
	p->start += flen;
	p->fend = p->scan = p->nscan = p->start;
	p->nstate = 0;
	return HDR_FIELD;
}

/*
 * check_name - look at the first line for "name WSP* :". Returns 1 when it
 * is a field, 0 when it is not, -1 when more bytes are needed.
 */
static int
check_name(struct hdr_parser *p)
{
	size_t i;
	char c;

	for (i = p->nscan; i < p->len; i++) {
		c = p->buf[i];
		if (c == ':') {
			if (i == p->start)
				return 0;
			p->nstate = 2;
			p->value_off = i + 1 - p->start;
			p->nscan = i + 1;
			return 1;
		}
		if (p->nstate == 0 && IS_NAME(c))
			continue;
		if (i > p->start && IS_WSP(c)) {
			p->nstate = 1;
			continue;
		}
		return 0;
	}
	p->nscan = i;
	return -1;
}

enum hdr_status
hdr_next(struct hdr_parser *p, struct hdr_event *ev)
{
	const char *nl;
	size_t avail;
	int r;
	char c;

	if (p->nomem)
		return HDR_ERR_NOMEM;
	if (p->done)
		return HDR_MORE;
	for (;;) {
		avail = p->len - p->start;
		if (p->fend == p->start) {
			/* no complete line of this field yet */
			if (avail == 0)
				return p->eof ? end(p, ev, HDR_END_EOF, 0) : HDR_MORE;
			c = p->buf[p->start];
			if (c == '\n')
				return end(p, ev, HDR_END_BLANK, 1);
			if (c == '\r') {
				if (avail < 2)
					return p->eof ? end(p, ev, HDR_END_NOT_FIELD, 0) : HDR_MORE;
				if (p->buf[p->start + 1] == '\n')
					return end(p, ev, HDR_END_BLANK, 2);
				return end(p, ev, HDR_END_NOT_FIELD, 0);
			}
			if (p->nstate != 2) {
				if (p->count >= p->lim.count_max)
					return end(p, ev, HDR_END_COUNT_MAX, 0);
				if ((r = check_name(p)) == 0)
					return end(p, ev, HDR_END_NOT_FIELD, 0);
				if (r < 0) {
					if (avail > p->lim.field_max)
						return end(p, ev, HDR_END_FIELD_MAX, 0);
					return p->eof ? end(p, ev, HDR_END_NOT_FIELD, 0) : HDR_MORE;
				}
				if (p->scan < p->nscan)
					p->scan = p->nscan;
			}
		} else {
			if (p->fend - p->start > p->lim.field_max)
				return end(p, ev, HDR_END_FIELD_MAX, 0);
			if (p->fend == p->len) {
				if (!p->eof)
					return HDR_MORE;
				return field(p, ev, p->fend - p->start);
			}
			if (!IS_WSP(p->buf[p->fend]))
				return field(p, ev, p->fend - p->start);
		}
		/* the first line, or a continuation line: find its end */
		nl = memchr(p->buf + p->scan, '\n', p->len - p->scan);
		if (nl == NULL) {
			p->scan = p->len;
			if (avail > p->lim.field_max)
				return end(p, ev, HDR_END_FIELD_MAX, 0);
			if (!p->eof)
				return HDR_MORE;
			/* a last line without a line end */
			return field(p, ev, avail);
		}
		p->fend = p->scan = (size_t)(nl - p->buf) + 1;
	}
}

const char *
hdr_end_reason_str(enum hdr_end_reason why)
{
	switch (why) {
	case HDR_END_BLANK:
		return "empty line";
	case HDR_END_EOF:
		return "end of input";
	case HDR_END_NOT_FIELD:
		return "a line that is not a header field";
	case HDR_END_FIELD_MAX:
		return "header field too long";
	case HDR_END_HEADER_MAX:
		return "header too long";
	case HDR_END_COUNT_MAX:
		return "too many header fields";
	}
	return "unknown";
}

int
hdr_name_valid(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!IS_NAME(name[i]))
			return 0;
	return 1;
}

int
hdr_value_valid(const char *v)
{
	if (v == NULL)
		return 0;
	while (*v != '\0') {
		if (*v == '\r' || *v == '\n') {
			if (v[0] == '\r' && v[1] == '\n')
				v++;
			v++;
			if (!IS_WSP(*v))
				return 0;
		}
		v++;
	}
	return 1;
}

size_t
hdr_unfold(char *dst, const char *src, size_t len)
{
	size_t i, n = 0;
	int lead = 1;

	for (i = 0; i < len; i++) {
		char c = src[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '\0')
			c = ' ';	/* a NUL must not hide the rest from filters */
		if (lead && IS_WSP(c))
			continue;
		lead = 0;
		dst[n++] = c;
	}
	while (n > 0 && IS_WSP(dst[n - 1]))
		n--;
	dst[n] = '\0';
	return n;
}
