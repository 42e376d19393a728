/*
 * charset - conversion to UTF-8 with a Windows-1252 fallback (charset.h)
 *
 * Public: charset_to_utf8(), charset_utf8_valid().
 * Pure but for iconv_open(), which may read the converter modules. One
 * iconv descriptor per call (opened and closed here), so no state is
 * shared between threads.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "charset.h"

/* Windows-1252 0x80..0x9f; the rest of 0xa0..0xff is Latin-1 */
static const uint16_t cp1252[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178
};

/* add_1252 - one byte read as Windows-1252 */
static int
add_1252(struct mbuf *out, unsigned char c)
{
	if (c == 0)
		return 0;
	if (c < 0x80)
		return mbuf_addc(out, c);
	if (c < 0xA0)
		return mbuf_add_cp(out, cp1252[c - 0x80]);
	return mbuf_add_cp(out, c);
}

/* utf8_len - length of the well-formed sequence at p (n bytes left), 0 if none */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

int
charset_utf8_valid(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, k;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_len(p + i, len - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/*
 * ascii_run - the end of the run of ASCII bytes other than NUL from i:
 * eight bytes at a time (no high bit, no zero byte), then byte by byte
 */
static size_t
ascii_run(const unsigned char *p, size_t i, size_t len)
{
	const uint64_t hi = 0x8080808080808080ull, lo = 0x0101010101010101ull;
	uint64_t w;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if ((w & hi) != 0 || ((w - lo) & ~w & hi) != 0)
			break;
	}
	while (i < len && p[i] < 0x80 && p[i] != 0)
		i++;
	return i;
}

/* from_utf8 - well-formed sequences kept, other bytes as Windows-1252 */
static enum charset_result
from_utf8(const char *in, size_t len, struct mbuf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, run, k;
	int fell = 0;

	while (i < len) {
		/* copy the longest run of ASCII (no NUL) in one go */
		run = ascii_run(p, i, len);
		if (run > i && mbuf_add(out, p + i, run - i) == -1)
			return CHARSET_NOMEM;
		i = run;
		if (i >= len)
			break;
		if (p[i] == 0) {
			i++;
			continue;
		}
		if ((k = utf8_len(p + i, len - i)) > 0) {
			if (mbuf_add(out, p + i, k) == -1)
				return CHARSET_NOMEM;
			i += k;
			continue;
		}
		fell = 1;
		if (add_1252(out, p[i++]) == -1)
			return CHARSET_NOMEM;
	}
	return fell ? CHARSET_FALLBACK : CHARSET_OK;
}

/* from_1252 - every byte as Windows-1252 */
static enum charset_result
from_1252(const char *in, size_t len, struct mbuf *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (add_1252(out, (unsigned char)in[i]) == -1)
			return CHARSET_NOMEM;
	return CHARSET_OK;
}

/* is_one_of - cs equals one of the NULL-terminated names, case ignored */
static int
is_one_of(const char *cs, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcasecmp(cs, *names) == 0)
			return 1;
	return 0;
}

/* by_iconv - through iconv; bytes it refuses as Windows-1252 */
static enum charset_result
by_iconv(iconv_t cd, const char *in, size_t len, struct mbuf *out)
{
	char buf[4096], *ip = (char *)in, *op;
	size_t il = len, ol, k;
	int fell = 0;

	while (il > 0) {
		op = buf;
		ol = sizeof(buf);
		k = iconv(cd, &ip, &il, &op, &ol);
		if (op > buf && mbuf_add(out, buf, (size_t)(op - buf)) == -1)
			return CHARSET_NOMEM;
		if (k != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (cut short): this byte as Windows-1252 */
		fell = 1;
		if (add_1252(out, (unsigned char)*ip) == -1)
			return CHARSET_NOMEM;
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = buf;
	ol = sizeof(buf);
	iconv(cd, NULL, NULL, &op, &ol);
	if (op > buf && mbuf_add(out, buf, (size_t)(op - buf)) == -1)
		return CHARSET_NOMEM;
	return fell ? CHARSET_FALLBACK : CHARSET_OK;
}

enum charset_result
charset_to_utf8(const char *cs, const char *in, size_t len, struct mbuf *out)
{
	static const char *const utf8[] = { "utf-8", "utf8", "us-ascii",
	    "ascii", "ansi_x3.4-1968", "7bit", "8bit", "x-unknown",
	    "unknown", "default", "", NULL };
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1",
	    "latin1", "latin-1", "l1", "windows-1252", "cp1252",
	    "x-cp1252", "iso_8859-1", NULL };
	char name[64];
	enum charset_result r;
	size_t i;
	iconv_t cd;

	if (cs == NULL || is_one_of(cs, utf8))
		return from_utf8(in, len, out);
	if (is_one_of(cs, latin1))
		return from_1252(in, len, out);
	/* iconv wants a name of letters, digits and -_.:; others are unknown */
	for (i = 0; cs[i] != '\0' && i < sizeof(name) - 1; i++) {
		if (!((cs[i] >= 'a' && cs[i] <= 'z') || (cs[i] >= 'A' &&
		    cs[i] <= 'Z') || (cs[i] >= '0' && cs[i] <= '9') ||
		    strchr("-_.:", cs[i]) != NULL))
			break;
		name[i] = cs[i];
	}
	name[i] = '\0';
	if (cs[i] != '\0' || (cd = iconv_open("UTF-8", name)) == (iconv_t)-1) {
		r = from_utf8(in, len, out);
		return r == CHARSET_NOMEM ? r : CHARSET_FALLBACK;
	}
	r = by_iconv(cd, in, len, out);
	iconv_close(cd);
	return r;
}
