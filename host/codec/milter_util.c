/*
 * milter_util - pure helpers of the milter front end
 *
 * Public: milter_util_flags(), milter_util_reply_split(),
 * milter_util_header_value(), milter_util_header_out().
 *
 * Input: replies come from reply_normalize() but are checked again here;
 * header values come from the MTA. Nothing here logs or touches a
 * descriptor. Errors are returned.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "milter_proto.h"
#include "milter_util.h"

unsigned long
milter_util_flags(const struct milter_wants *w, unsigned long mta_act,
    unsigned long mta_prot, unsigned long *act, unsigned long *prot)
{
	unsigned long want = MILTER_PROTO_ACT_SETSYMLIST, p = 0,
	    offer = mta_prot;
	/* filters at end of message and the X-Spam-* headers read the header */
	int headers = w->header || w->eoh || w->eom || w->actions;

/* ASK - ask for protocol flag f when the MTA offers it */
#define ASK(f)	do { if (offer & (f)) p |= (f); } while (0)

	/*
	 * Connect, HELO, MAIL, RCPT and DATA always come: they build the
	 * session and the envelope that every later filter reads, and they
	 * carry the macros scripts read (an MTA sends no macros with an
	 * event negotiated away). Where no filter answers at that stage, no
	 * reply is sent.
	 */
	if (!w->connect)
		ASK(MILTER_PROTO_NR_CONN);
	if (!w->helo)
		ASK(MILTER_PROTO_NR_HELO);
	if (!w->mail)
		ASK(MILTER_PROTO_NR_MAIL);
	if (!w->rcpt)
		ASK(MILTER_PROTO_NR_RCPT);
	if (!w->data)
		ASK(MILTER_PROTO_NR_DATA);
	/*
	 * Headers never get a reply: a verdict at a header is held and
	 * given at the next stage that is answered (docs/milter.md).
	 */
	if (!headers)
		ASK(MILTER_PROTO_NOHDRS);
	else {
		ASK(MILTER_PROTO_NR_HDR);
		ASK(MILTER_PROTO_HDR_LEADSPC);
	}
	if (!w->eoh)
		ASK(MILTER_PROTO_NOEOH);
	/* body chunks: no reply; SKIP only for an MTA without NR_BODY */
	if (!w->body)
		ASK(MILTER_PROTO_NOBODY);
	else if (offer & MILTER_PROTO_NR_BODY)
		p |= MILTER_PROTO_NR_BODY;
	else
		ASK(MILTER_PROTO_SKIP);
	/* the chain has no phase for unknown commands */
	ASK(MILTER_PROTO_NOUNKNOWN);
#undef ASK

	if (w->change)
		want |= MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGHDRS |
		    MILTER_PROTO_ACT_ADDRCPT | MILTER_PROTO_ACT_DELRCPT |
		    MILTER_PROTO_ACT_CHGFROM | MILTER_PROTO_ACT_CHGBODY |
		    MILTER_PROTO_ACT_QUARANTINE;
	if (w->actions)
		want |= MILTER_PROTO_ACT_ADDHDRS | MILTER_PROTO_ACT_CHGHDRS;
	*act = want & mta_act;
	*prot = p;
	/* SETSYMLIST is a wish, not a need: macros then come as the MTA sends them */
	return want & ~mta_act & ~MILTER_PROTO_ACT_SETSYMLIST;
}

/* isxcode - length of an enhanced status code "C.S.D" at s, or 0 */
static size_t
isxcode(const char *s)
{
	size_t i = 0, h;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.')
		return 0;
	i = 2;
	for (h = 0; h < 3 && isdigit((unsigned char)s[i + h]); h++)
		;
	if (h == 0 || s[i + h] != '.')
		return 0;
	i += h + 1;
	for (h = 0; h < 3 && isdigit((unsigned char)s[i + h]); h++)
		;
	if (h == 0)
		return 0;
	return i + h;
}

int
milter_util_reply_split(const char *normal, struct milter_reply *r)
{
	const char *line = normal, *eol, *t;
	size_t used = 0, len, x, i;

	memset(r->rcode, 0, sizeof(r->rcode));
	memset(r->xcode, 0, sizeof(r->xcode));
	r->nlines = 0;
	r->lines[0] = NULL;
	if (normal == NULL || *normal == '\0')
		return -1;
	for (;;) {
		eol = strchr(line, '\n');
		len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (line[0] != '4' && line[0] != '5'))
			return -1;
		if (r->nlines == 0)
			memcpy(r->rcode, line, 3);
		else if (memcmp(r->rcode, line, 3) != 0)
			return -1;	/* one reply has one code */
		t = line + 3;
		if (len > 3) {
			if (*t != ' ' && *t != '-')
				return -1;
			t++;
		}
		if ((size_t)(t - line) < len && (x = isxcode(t)) != 0 &&
		    (size_t)(t - line) + x <= len &&
		    (t[x] == ' ' || (size_t)(t - line) + x == len)) {
			if (r->nlines == 0) {
				if (x >= sizeof(r->xcode))
					return -1;
				memcpy(r->xcode, t, x);
				r->xcode[x] = '\0';
			}
			t += x;
			if ((size_t)(t - line) < len)
				t++;	/* the space after the code */
		}
		if (r->nlines == MILTER_UTIL_REPLY_LINES_MAX)
			return -1;
		r->lines[r->nlines] = r->buf + used;
		x = 0;
		for (i = (size_t)(t - line); i < len; i++) {
			if (line[i] == '\0' || line[i] == '\r')
				return -1;
			if (used + 3 > sizeof(r->buf))
				return -1;
			if (line[i] == '%') {
				r->buf[used++] = '%';
				x++;
			}
			r->buf[used++] = line[i];
			x++;
		}
		if (x > MILTER_UTIL_REPLY_TEXT_MAX || used + 1 > sizeof(r->buf))
			return -1;
		r->buf[used++] = '\0';
		r->nlines++;
		if (eol == NULL || eol[1] == '\0')
			break;
		line = eol + 1;
	}
	if (r->xcode[0] == '\0')
		snprintf(r->xcode, sizeof(r->xcode), "%c.0.0", r->rcode[0]);
	else if (r->xcode[0] != r->rcode[0])
		return -1;	/* 550 4.7.1: classes disagree */
	r->lines[r->nlines] = NULL;
	return 0;
}

char *
milter_util_header_value(const char *v, int leadspc)
{
	size_t n = 0, lf = 0, i;
	char *d, *o;

	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r'))
			lf++;
	n = i + lf + 2;
	if ((d = malloc(n)) == NULL)
		return NULL;
	o = d;
	if (!leadspc && v[0] != '\0')
		*o++ = ' ';
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r'))
			*o++ = '\r';
		*o++ = v[i];
	}
	*o = '\0';
	return d;
}

char *
milter_util_header_out(const char *v, int leadspc)
{
	size_t i;
	char *d, *o;

	if ((d = malloc(strlen(v) + 2)) == NULL)
		return NULL;
	o = d;
	if (leadspc && v[0] != ' ' && v[0] != '\t')
		*o++ = ' ';
	else if (!leadspc && v[0] == ' ')
		v++;	/* the MTA puts one space after the colon itself */
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '\r')
			continue;	/* lines end with LF towards the MTA */
		*o++ = v[i];
	}
	*o = '\0';
	return d;
}
