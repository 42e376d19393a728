/*
 * smtp_reply - parse SMTP replies from a byte stream
 *
 * Public: smtp_reply_parser_new(), smtp_reply_parser_free(),
 * smtp_reply_feed(), smtp_reply_next(), smtp_reply_line(),
 * smtp_reply_enh(), smtp_reply_ehlo_keyword().
 *
 * Input comes from the upstream server: trusted more than a client, but
 * still bounded: at most line_max octets per line (the rest of a longer
 * line makes the reply SMTP_REPLY_ERR_TOOLONG) and lines_max lines. A line
 * ends at LF; a CR before it is dropped. Every line of a reply must carry
 * the same three-digit code followed by '-' (more lines follow), ' ' or
 * nothing (last line). Errors are sticky until the reply's last line, then
 * the parser starts afresh. No logging, no clock, no I/O.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_reply.h"

struct smtp_reply_parser {
	size_t		 line_max;
	size_t		 lines_max;
	char		*buf;		/* the reply in canonical form */
	size_t		 len;
	size_t		 cap;
	size_t		*offs;		/* start of each line in buf */
	size_t		 nlines;
	size_t		 cur;		/* bytes of the current line so far */
	int		 code;
	int		 err;		/* enum smtp_reply_status of a bad reply */
	int		 ready;
	int		 delivered;	/* next() handed out the reply in buf */
};

struct smtp_reply_parser *
smtp_reply_parser_new(size_t line_max, size_t lines_max)
{
	struct smtp_reply_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->line_max = line_max ? line_max : SMTP_REPLY_LINE_MAX;
	p->lines_max = lines_max ? lines_max : SMTP_REPLY_LINES_MAX;
	p->cap = 512;
	if ((p->buf = malloc(p->cap)) == NULL ||
	    (p->offs = calloc(p->lines_max + 1, sizeof(size_t))) == NULL) {
		smtp_reply_parser_free(p);
		return NULL;
	}
	return p;
}

void
smtp_reply_parser_free(struct smtp_reply_parser *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p->offs);
	free(p);
}

/* reset - forget the last reply */
static void
reset(struct smtp_reply_parser *p)
{
	p->len = p->nlines = p->cur = 0;
	p->code = p->err = p->ready = p->delivered = 0;
}

/* putc_buf - append one byte; -1 when it cannot grow */
static int
putc_buf(struct smtp_reply_parser *p, char c)
{
	char *nb;

	if (p->len + 3 > p->cap) {
		if ((nb = realloc(p->buf, p->cap * 2)) == NULL)
			return -1;
		p->buf = nb;
		p->cap *= 2;
	}
	p->buf[p->len++] = c;
	return 0;
}

/* end_line - the current line is complete; 1 when it was the last one */
static int
end_line(struct smtp_reply_parser *p)
{
	const char *l = p->buf + p->offs[p->nlines];
	size_t n = p->len - p->offs[p->nlines];
	int code, last;

	if (p->err) {
		/* after an error only the line's shape matters: find the end */
		last = !(n >= 4 && l[3] == '-');
		p->len = p->offs[p->nlines];
		p->cur = 0;
		return last;
	}
	if (n < 3 || !isdigit((unsigned char)l[0]) || l[0] < '2' || l[0] > '5' ||
	    !isdigit((unsigned char)l[1]) || !isdigit((unsigned char)l[2]) ||
	    (n > 3 && l[3] != ' ' && l[3] != '-')) {
		p->err = SMTP_REPLY_ERR_SYNTAX;
		last = !(n >= 4 && l[3] == '-');
		p->len = p->offs[p->nlines];
		p->cur = 0;
		return last;
	}
	code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	if (p->nlines > 0 && code != p->code)
		p->err = SMTP_REPLY_ERR_SYNTAX;
	p->code = code;
	last = !(n > 3 && l[3] == '-');
	if (n == 3)
		putc_buf(p, ' ');	/* "250" alone: make it "250 " */
	if (putc_buf(p, '\r') < 0 || putc_buf(p, '\n') < 0)
		p->err = SMTP_REPLY_ERR_TOOLONG;
	p->nlines++;
	p->cur = 0;
	if (p->nlines >= p->lines_max) {
		if (!last)
			p->err = SMTP_REPLY_ERR_TOOLONG;
		if (p->err) {
			p->nlines = p->lines_max - 1;
			p->len = p->offs[p->nlines];
			return last;
		}
	}
	p->offs[p->nlines] = p->len;
	return last;
}

size_t
smtp_reply_feed(struct smtp_reply_parser *p, const char *s, size_t n)
{
	size_t i;

	if (p->ready)
		return 0;
	if (p->delivered)
		reset(p);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n') {
			if (p->cur > 0 && p->buf[p->len - 1] == '\r') {
				p->len--;
				p->cur--;
			}
			if (end_line(p)) {
				p->ready = 1;
				return i + 1;
			}
			continue;
		}
		if (p->cur >= p->line_max) {
			p->err = SMTP_REPLY_ERR_TOOLONG;
			continue;
		}
		if (c == '\0')
			c = ' ';
		if (putc_buf(p, c) < 0) {
			p->err = SMTP_REPLY_ERR_TOOLONG;
			continue;
		}
		p->cur++;
	}
	return n;
}

enum smtp_reply_status
smtp_reply_next(struct smtp_reply_parser *p, struct smtp_reply *r)
{
	int err;
	size_t l0;

	memset(r, 0, sizeof(*r));
	if (!p->ready)
		return SMTP_REPLY_MORE;
	if (p->err) {
		err = p->err;
		reset(p);
		return (enum smtp_reply_status)err;
	}
	r->code = p->code;
	r->text = p->buf;
	r->len = p->len;
	r->nlines = p->nlines;
	l0 = (p->nlines > 1 ? p->offs[1] : p->len) - 2;	/* first line, no CRLF */
	if (l0 > 4)
		smtp_reply_enh(p->buf + 4, l0 - 4, r->enh);
	/* buf stays valid until the next feed, which starts afresh */
	p->ready = 0;
	p->delivered = 1;
	return SMTP_REPLY_OK;
}

const char *
smtp_reply_line(const struct smtp_reply_parser *p, size_t i, size_t *len)
{
	size_t b, e;

	if (!p->delivered || i >= p->nlines) {
		*len = 0;
		return NULL;
	}
	b = p->offs[i] + 4;
	e = (i + 1 < p->nlines ? p->offs[i + 1] : p->len) - 2;
	*len = e > b ? e - b : 0;
	return p->buf + (e > b ? b : e);
}

size_t
smtp_reply_enh(const char *t, size_t n, char enh[16])
{
	size_t i = 0, part, digits;

	enh[0] = '\0';
	if (n < 5 || t[0] < '2' || t[0] > '5' || t[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		digits = 0;
		while (i < n && isdigit((unsigned char)t[i]) && digits < 3) {
			i++;
			digits++;
		}
		if (digits == 0)
			return 0;
		if (part == 0) {
			if (i >= n || t[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && t[i] != ' ')
		return 0;
	if (i >= 16)
		return 0;
	memcpy(enh, t, i);
	enh[i] = '\0';
	return i;
}

int
smtp_reply_ehlo_keyword(const char *line, size_t len, const char *kw)
{
	size_t k = strlen(kw);

	if (len < k || strncasecmp(line, kw, k) != 0)
		return 0;
	return len == k || line[k] == ' ' || line[k] == '=';
}
