/*
 * mime_dec - undo a Content-Transfer-Encoding: base64, quoted-printable,
 * uuencode; 7bit, 8bit and binary pass through.
 *
 * Input is untrusted; every function reads len bytes of in and writes at
 * most cap bytes to out, never more (decoded data is never longer than
 * its input, so cap >= len decodes everything). *consumed (may be NULL)
 * says how much input was used when out filled up; *bad (may be NULL)
 * counts what was not valid (a character outside the base64 alphabet, a
 * "=" not followed by two hex digits, a uuencoded line of the wrong
 * length): such bytes are skipped (base64, uuencode) or kept as they are
 * (quoted-printable), as mail readers do.
 */
#ifndef MIME_DEC_H
#define MIME_DEC_H

#include <stddef.h>

enum mime_enc {
	MIME_ENC_NONE = 0,	/* 7bit, 8bit, binary, absent or unknown */
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_UU
};

/* mime_dec_enc - the encoding a Content-Transfer-Encoding value names */
enum mime_enc	 mime_dec_enc(const char *value, size_t len);
const char	*mime_dec_name(enum mime_enc);	/* "base64", ... "7bit" */

size_t	 mime_dec(enum mime_enc, const char *in, size_t len, char *out,
	    size_t cap, size_t *consumed, size_t *bad);
size_t	 mime_dec_b64(const char *in, size_t len, char *out, size_t cap,
	    size_t *consumed, size_t *bad);
size_t	 mime_dec_qp(const char *in, size_t len, char *out, size_t cap,
	    size_t *consumed, size_t *bad);
/* mime_dec_uu - the first "begin MODE NAME" .. "end" block of in */
size_t	 mime_dec_uu(const char *in, size_t len, char *out, size_t cap,
	    size_t *consumed, size_t *bad);

#endif /* MIME_DEC_H */
