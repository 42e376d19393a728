/*
 * mime_dec - transfer decodings (see mime_dec.h)
 *
 * Public: mime_dec_enc(), mime_dec_name(), mime_dec(), mime_dec_b64(),
 * mime_dec_qp(), mime_dec_uu().
 * Pure: no allocation, no state between calls. Input is untrusted; output
 * never passes cap.
 */
#include <string.h>
#include <strings.h>

#include "mime_dec.h"

enum mime_enc
mime_dec_enc(const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t' || *v == '"')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    v[len - 1] == '"' || v[len - 1] == ';'))
		len--;
	if (len == 6 && strncasecmp(v, "base64", 6) == 0)
		return MIME_ENC_BASE64;
	if (len == 16 && strncasecmp(v, "quoted-printable", 16) == 0)
		return MIME_ENC_QP;
	if ((len == 10 && strncasecmp(v, "x-uuencode", 10) == 0) ||
	    (len == 8 && strncasecmp(v, "uuencode", 8) == 0) ||
	    (len == 5 && strncasecmp(v, "x-uue", 5) == 0))
		return MIME_ENC_UU;
	return MIME_ENC_NONE;
}

const char *
mime_dec_name(enum mime_enc e)
{
	switch (e) {
	case MIME_ENC_BASE64:
		return "base64";
	case MIME_ENC_QP:
		return "quoted-printable";
	case MIME_ENC_UU:
		return "x-uuencode";
	default:
		return "7bit";
	}
}

size_t
mime_dec(enum mime_enc e, const char *in, size_t len, char *out, size_t cap,
    size_t *consumed, size_t *bad)
{
	size_t n;

	switch (e) {
	case MIME_ENC_BASE64:
		return mime_dec_b64(in, len, out, cap, consumed, bad);
	case MIME_ENC_QP:
		return mime_dec_qp(in, len, out, cap, consumed, bad);
	case MIME_ENC_UU:
		return mime_dec_uu(in, len, out, cap, consumed, bad);
	default:
		n = len < cap ? len : cap;
		memcpy(out, in, n);
		if (consumed)
			*consumed = n;
		if (bad)
			*bad = 0;
		return n;
	}
}

/* b64_val - the value of a base64 character, 64 for '=', 255 for others */
static const unsigned char b64_tab[256] = {
#define X 255
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,62,X,X,X,63, 52,53,54,55,56,57,58,59,60,61,X,X,X,64,X,X,
	X,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14, 15,16,17,18,19,20,21,22,23,24,25,X,X,X,X,X,
	X,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40, 41,42,43,44,45,46,47,48,49,50,51,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,
	X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X, X,X,X,X,X,X,X,X,X,X,X,X,X,X,X,X
#undef X
};

size_t
mime_dec_b64(const char *in, size_t len, char *out, size_t cap,
    size_t *consumed, size_t *bad)
{
	size_t i, o = 0, nbad = 0, last = 0;
	unsigned acc = 0, n = 0, v;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		v = b64_tab[c];
		if (v < 64) {
			acc = (acc << 6) | v;
			if (++n == 4) {
				if (cap - o < 3)
					break;
				out[o++] = (char)(acc >> 16);
				out[o++] = (char)(acc >> 8);
				out[o++] = (char)acc;
				acc = n = 0;
				last = i + 1;
			}
			continue;
		}
		if (v == 64) {
			/* padding: flush what the quantum holds, start anew
			 * (some senders join encoded blocks) */
			if (n == 2 && cap - o >= 1) {
				out[o++] = (char)(acc >> 4);
			} else if (n == 3 && cap - o >= 2) {
				out[o++] = (char)(acc >> 10);
				out[o++] = (char)(acc >> 2);
			} else if (n == 1)
				nbad++;
			acc = n = 0;
			last = i + 1;
			continue;
		}
		if (c != '\r' && c != '\n' && c != ' ' && c != '\t')
			nbad++;
	}
	if (i == len) {
		/* unpadded end: what whole bytes the quantum holds */
		if (n == 2 && cap - o >= 1)
			out[o++] = (char)(acc >> 4);
		else if (n == 3 && cap - o >= 2) {
			out[o++] = (char)(acc >> 10);
			out[o++] = (char)(acc >> 2);
		} else if (n == 1)
			nbad++;
		last = len;
	}
	if (consumed)
		*consumed = last;
	if (bad)
		*bad = nbad;
	return o;
}

/* hexval - 0..15, or -1 */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t
mime_dec_qp(const char *in, size_t len, char *out, size_t cap,
    size_t *consumed, size_t *bad)
{
	size_t i = 0, o = 0, nbad = 0, j;
	int h, l;

	while (i < len && o < cap) {
		if (in[i] != '=') {
			/* the run up to the next '=' in one copy */
			const char *eq = memchr(in + i, '=', len - i);
			size_t n = (eq != NULL ? (size_t)(eq - in) : len) - i;

			if (n > cap - o)
				n = cap - o;
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			continue;
		}
		if (i + 2 < len && (h = hexval((unsigned char)in[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)in[i + 2])) >= 0) {
			out[o++] = (char)(h << 4 | l);
			i += 3;
			continue;
		}
		/* a soft line break: "=", optional white space (and stray
		 * CRs), line end */
		for (j = i + 1; j < len && (in[j] == ' ' || in[j] == '\t' ||
		    in[j] == '\r'); j++)
			;
		if (j == len || in[j] == '\n') {
			i = j < len ? j + 1 : len;
			continue;
		}
		nbad++;
		out[o++] = in[i++];
	}
	if (consumed)
		*consumed = i;
	if (bad)
		*bad = nbad;
	return o;
}

/* line_end - the end of the line at p (before its line end) and the next */
static const char *
line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL) {
		*next = end;
		return end;
	}
	*next = nl + 1;
	return nl > p && nl[-1] == '\r' ? nl - 1 : nl;
}

#define UU(c)	(((unsigned char)(c) - 0x20) & 0x3F)

/* uu_line - decode one line of a uuencoded block; -1 at its "end" */
static int
uu_line(const char *p, const char *e, char *out, size_t cap, size_t *o,
    size_t *nbad)
{
	size_t n, k, avail = (size_t)(e - p), take;
	unsigned char q[4];

	if (avail >= 3 && strncmp(p, "end", 3) == 0)
		return -1;
	if (avail == 0 || *p == '`' || UU(*p) == 0)
		return 0;
	n = UU(*p++);
	avail--;
	if (avail < (n + 2) / 3 * 4)
		(*nbad)++;
	for (k = 0; k < n && avail > 0 && *o < cap; ) {
		memset(q, 0x20, sizeof(q));
		take = avail < 4 ? avail : 4;
		memcpy(q, p, take);
		p += take;
		avail -= take;
		out[(*o)++] = (char)(UU(q[0]) << 2 | UU(q[1]) >> 4);
		if (++k < n && *o < cap) {
			out[(*o)++] = (char)(UU(q[1]) << 4 | UU(q[2]) >> 2);
			k++;
		}
		if (k < n && *o < cap) {
			out[(*o)++] = (char)(UU(q[2]) << 6 | UU(q[3]));
			k++;
		}
	}
	return 0;
}

size_t
mime_dec_uu(const char *in, size_t len, char *out, size_t cap,
    size_t *consumed, size_t *bad)
{
	const char *p = in, *end = in + len, *e, *next;
	size_t o = 0, nbad = 0;
	int started = 0;

	while (p < end && o < cap) {
		e = line_end(p, end, &next);
		if (!started) {
			if (e - p >= 6 && strncmp(p, "begin ", 6) == 0)
				started = 1;
		} else if (uu_line(p, e, out, cap, &o, &nbad) == -1) {
			p = next;
			break;
		}
		p = next;
	}
	if (consumed)
		*consumed = (size_t)(p - in);
	if (bad)
		*bad = nbad + (started ? 0 : 1);
	return o;
}
