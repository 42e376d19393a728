/*
 * reply - parse, validate and normalise SMTP replies given by filters
 *
 * Public: reply_normalize(), reply_default(), reply_code().
 * Input is untrusted: plugin and script text. Nothing is allocated; the
 * result is written into the caller's buffer. On failure the buffer holds a
 * message saying what was wrong, for the caller to log.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"

static const char reply_reject[] = "550 5.7.1 Message rejected";
static const char reply_tempfail[] = "451 4.7.1 Try again later";

const char *
reply_default(enum pg_verdict v)
{
	return v == PG_TEMPFAIL ? reply_tempfail : reply_reject;
}

int
reply_code(const char *s)
{
	if (s == NULL || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
		return 0;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* has_code - "DDD" followed by ' ', '-' or the end of the line */
static int
has_code(const char *p, size_t len)
{
	return len >= 3 && p[0] >= '2' && p[0] <= '5' &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    (len == 3 || p[3] == ' ' || p[3] == '-');
}

/* enh_len - length of an enhanced status code "C.SSS.DDD" at p, or 0 */
static size_t
enh_len(const char *p, size_t len)
{
	size_t i = 0, n;

	if (len < 5 || !(p[0] >= '2' && p[0] <= '5') || p[1] != '.')
		return 0;
	i = 2;
	for (n = 0; i < len && isdigit((unsigned char)p[i]) && n < 4; i++, n++)
		;
	if (n == 0 || n > 3 || i >= len || p[i] != '.')
		return 0;
	i++;
	for (n = 0; i < len && isdigit((unsigned char)p[i]) && n < 4; i++, n++)
		;
	if (n == 0 || n > 3 || (i < len && p[i] != ' '))
		return 0;
	return i;
}

enum reply_status
reply_normalize(const char *text, enum pg_verdict v, char *out, size_t outlen)
{
	const char *lines[REPLY_LINES_MAX];
	size_t lens[REPLY_LINES_MAX], nlines = 0, i, o = 0;
	const char *p, *nl;
	char code[4] = "", enh[16] = "";
	char want = v == PG_TEMPFAIL ? '4' : '5';

	if (text == NULL || *text == '\0')
		text = reply_default(v);

	/* split into lines on LF (CRLF accepted); a final line end is dropped */
	for (p = text; *p != '\0'; p = nl + 1) {
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (nlines == REPLY_LINES_MAX) {
			snprintf(out, outlen, "reply has more than %d lines",
			    REPLY_LINES_MAX);
			return REPLY_ERR_TOOLONG;
		}
		lines[nlines] = p;
		lens[nlines++] = len;
		if (nl == NULL || nl[1] == '\0')
			break;
	}
	if (nlines == 0) {
		snprintf(out, outlen, "empty reply");
		return REPLY_ERR_SYNTAX;
	}

	for (i = 0; i < nlines; i++) {
		const char *l = lines[i];
		size_t len = lens[i], k, e;

		for (k = 0; k < len; k++) {
			unsigned char c = l[k];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				snprintf(out, outlen, "reply line %zu has a "
				    "control character (0x%02x)", i + 1, c);
				return REPLY_ERR_SYNTAX;
			}
		}
		if (has_code(l, len)) {
			if (code[0] == '\0')
				memcpy(code, l, 3);
			else if (memcmp(code, l, 3) != 0) {
				snprintf(out, outlen, "reply line %zu has code "
				    "%.3s, the first line %s", i + 1, l, code);
				return REPLY_ERR_SYNTAX;
			}
			l += len > 3 ? 4 : 3;
			len -= len > 3 ? 4 : 3;
		} else if (i == 0) {
			snprintf(out, outlen, "reply does not start with a "
			    "three-digit code: \"%.40s\"", l);
			return REPLY_ERR_SYNTAX;
		}
		if ((e = enh_len(l, len)) > 0) {
			if (l[0] != code[0]) {
				snprintf(out, outlen, "enhanced status code "
				    "%.*s does not match reply code %s",
				    (int)e, l, code);
				return REPLY_ERR_CLASS;
			}
			if (enh[0] == '\0')
				snprintf(enh, sizeof(enh), "%.*s", (int)e, l);
			l += e;
			len -= e;
			if (len > 0) {
				l++;
				len--;
			}
		}
		lines[i] = l;
		lens[i] = len;
	}
	if (code[0] != want) {
		snprintf(out, outlen, "%s reply must have a %cxx code, not %s",
		    v == PG_TEMPFAIL ? "tempfail" : "reject", want, code);
		return REPLY_ERR_CLASS;
	}
	if (enh[0] == '\0')
		snprintf(enh, sizeof(enh), "%c.0.0", code[0]);

	for (i = 0; i < nlines; i++) {
		const char *t = lens[i] > 0 ? lines[i] : "";
		size_t tl = lens[i];
		int n;

		if (nlines == 1 && tl == 0) {
			/* "550" alone: keep the default text */
			t = reply_default(v) + 10;
			tl = strlen(t);
		}
		if (3 + 1 + strlen(enh) + 1 + tl + 2 > REPLY_LINE_MAX) {
			snprintf(out, outlen, "reply line %zu is longer than %d "
			    "octets", i + 1, REPLY_LINE_MAX);
			return REPLY_ERR_TOOLONG;
		}
		n = snprintf(out + o, outlen - o, "%s%s%c%s %.*s",
		    i > 0 ? "\r\n" : "", code, i + 1 < nlines ? '-' : ' ',
		    enh, (int)tl, t);
		if (n < 0 || (size_t)n >= outlen - o) {
			snprintf(out, outlen, "reply too long");
			return REPLY_ERR_TOOLONG;
		}
		o += n;
	}
	return REPLY_OK;
}
