/*
 * smtp_data - DATA decoder (un-dot-stuffing, strict end of data) and
 * encoder (dot-stuffing, canonical CRLF)
 *
 * Public: smtp_data_decoder_new(), smtp_data_decoder_free(),
 * smtp_data_decoder_reset(), smtp_data_decode(), smtp_data_flags(),
 * smtp_data_size(), smtp_data_encoder_init(), smtp_data_encode(),
 * smtp_data_encode_end().
 *
 * Input is untrusted. The decoder keeps a few bytes of state and no
 * buffer: memory is constant whatever the client sends. End of data is
 * CRLF "." CRLF only (or, with normalize_lf, a bare LF standing for CRLF on
 * either side of the dot); "\n.\n", "\r.\r", "\r\n.\r" and the like are
 * ordinary (flagged) bytes of the message, so the caller that rejects a
 * flagged message can never be made to see two messages where the client
 * sent one. No logging, no clock, no I/O.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

enum dstate {
	D_BOL = 0,	/* at the start of a line */
	D_MID,		/* inside a line */
	D_CR,		/* a CR inside a line */
	D_DOT,		/* a dot at the start of a line */
	D_DOTCR		/* "." CR at the start of a line */
};

struct smtp_data_decoder {
	struct smtp_data_limits lim;
	enum dstate	 st;
	unsigned	 flags;
	uint64_t	 size;
};

struct smtp_data_decoder *
smtp_data_decoder_new(const struct smtp_data_limits *lim)
{
	struct smtp_data_decoder *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (lim)
		d->lim = *lim;
	return d;
}

void
smtp_data_decoder_free(struct smtp_data_decoder *d)
{
	free(d);
}

void
smtp_data_decoder_reset(struct smtp_data_decoder *d)
{
	d->st = D_BOL;
	d->flags = 0;
	d->size = 0;
}

unsigned
smtp_data_flags(const struct smtp_data_decoder *d)
{
	return d->flags;
}

uint64_t
smtp_data_size(const struct smtp_data_decoder *d)
{
	return d->size;
}

/* emit - one message byte, unless over the size limit */
static void
emit(struct smtp_data_decoder *d, char c, char *out, size_t *o)
{
	if (d->lim.max_size && d->size >= d->lim.max_size) {
		d->flags |= SMTP_DATA_F_TOOBIG;
		return;
	}
	out[(*o)++] = c;
	d->size++;
}

/*
 * span - length of the run of bytes at p (at most n) that are neither CR
 * nor LF, nor NUL when nul is set. Eight bytes at a time: a word none of
 * whose bytes is below 0x0e (CR, LF and NUL all are) is skipped whole; a
 * word that has one is looked at byte by byte.
 */
static size_t
span(const char *p, size_t n, int nul)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	const unsigned char *u = (const unsigned char *)p;
	size_t j = 0, end;
	uint64_t w;

	while (j < n) {
		if (n - j >= 8) {
			memcpy(&w, u + j, sizeof(w));
			/* some byte < 0x0e (bytes >= 0x80 never count) */
			if (((w - ones * 0x0e) & ~w & highs) == 0) {
				j += 8;
				continue;
			}
		}
		for (end = n - j < 8 ? n : j + 8; j < end; j++)
			if (u[j] == '\r' || u[j] == '\n' || (nul && u[j] == '\0'))
				return j;
	}
	return j;
}

enum smtp_data_status
smtp_data_decode(struct smtp_data_decoder *d, const char *in, size_t inlen,
    size_t *used, char *out, size_t outcap, size_t *outlen)
{
	size_t i = 0, o = 0, r, keep;
	char c;

	while (i < inlen) {
		if (outcap - o < 2)
			break;
		if (d->st == D_MID) {
			/* inside a line: copy the run up to the next CR, LF or
			 * NUL at once (the state stays D_MID) */
			r = span(in + i, inlen - i < outcap - o - 1 ?
			    inlen - i : outcap - o - 1, 1);
			if (r > 0) {
				keep = r;
				if (d->lim.max_size) {
					keep = d->size >= d->lim.max_size ? 0 :
					    d->lim.max_size - d->size;
					if (keep < r)
						d->flags |= SMTP_DATA_F_TOOBIG;
					else
						keep = r;
				}
				memcpy(out + o, in + i, keep);
				o += keep;
				d->size += keep;
				i += r;
				continue;
			}
		}
		c = in[i];
		if (c == '\0')
			d->flags |= SMTP_DATA_F_NUL;
		switch (d->st) {
		case D_BOL:
		case D_MID:
			if (d->st == D_BOL && c == '.') {
				d->st = D_DOT;
				break;
			}
			if (c == '\r')
				d->st = D_CR;
			else if (c == '\n') {
				if (d->lim.normalize_lf) {
					emit(d, '\r', out, &o);
					emit(d, '\n', out, &o);
					d->st = D_BOL;
				} else {
					/* not a line end: what follows is no new line */
					d->flags |= SMTP_DATA_F_BARENL;
					emit(d, '\n', out, &o);
					d->st = D_MID;
				}
			} else {
				emit(d, c, out, &o);
				d->st = D_MID;
			}
			break;
		case D_CR:
			if (c == '\n') {
				emit(d, '\r', out, &o);
				emit(d, '\n', out, &o);
				d->st = D_BOL;
				break;
			}
			d->flags |= SMTP_DATA_F_BARENL;
			emit(d, '\r', out, &o);
			d->st = D_MID;
			continue;	/* c again, inside the line */
		case D_DOT:
			if (c == '\r') {
				d->st = D_DOTCR;
				break;
			}
			if (c == '\n') {
				if (d->lim.normalize_lf) {
					*used = i + 1;
					*outlen = o;
					d->st = D_BOL;
					return SMTP_DATA_END;
				}
				d->flags |= SMTP_DATA_F_BARENL;
			}
			/* a stuffed dot: drop it, c is the line's first byte */
			d->st = D_MID;
			continue;
		case D_DOTCR:
			if (c == '\n') {
				*used = i + 1;
				*outlen = o;
				d->st = D_BOL;
				return SMTP_DATA_END;
			}
			d->flags |= SMTP_DATA_F_BARENL;
			emit(d, '\r', out, &o);
			d->st = D_MID;
			continue;
		}
		i++;
	}
	*used = i;
	*outlen = o;
	return SMTP_DATA_MORE;
}

void
smtp_data_encoder_init(struct smtp_data_encoder *e)
{
	e->mid = e->cr = 0;
}

size_t
smtp_data_encode(struct smtp_data_encoder *e, const char *in, size_t inlen,
    char *out, size_t outcap)
{
	size_t i, o = 0, r;
	char c;

	for (i = 0; i < inlen && outcap - o >= 4; i++) {
		if (e->mid && !e->cr) {
			/* inside a line: copy up to the next CR or LF at once */
			r = i + span(in + i, inlen - i < outcap - o - 3 ?
			    inlen - i : outcap - o - 3, 0);
			memcpy(out + o, in + i, r - i);
			o += r - i;
			i = r;
			if (i == inlen || outcap - o < 4)
				break;
		}
		c = in[i];
		if (e->cr) {
			/* CR LF, or a bare CR: either way a line end */
			out[o++] = '\r';
			out[o++] = '\n';
			e->cr = 0;
			e->mid = 0;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			e->cr = 1;
			continue;
		}
		if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			e->mid = 0;
			continue;
		}
		if (!e->mid && c == '.')
			out[o++] = '.';
		out[o++] = c;
		e->mid = 1;
	}
	return o;
}

size_t
smtp_data_encode_end(struct smtp_data_encoder *e, char *out)
{
	size_t o = 0;

	if (e->cr || e->mid) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	e->cr = e->mid = 0;
	return o + 3;
}
