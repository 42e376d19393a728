/*
 * smtp_data - the DATA phase byte stream: decoder (client side) and
 * encoder (upstream side).
 *
 * Pure: bytes in, bytes and events out; no sockets, no clock, no logging.
 *
 * Decoder: takes the bytes after the 354 and gives the message with the
 * dot-stuffing removed and every line ended by CRLF, until the end of data
 * CRLF "." CRLF (the first line counts as following a CRLF). Nothing else
 * ends the data. A bare LF or a bare CR anywhere is recorded
 * (SMTP_DATA_F_BARENL) and, with normalize_lf, a bare LF is taken as CRLF
 * instead (a bare CR is always an error). Past max_size bytes of message
 * the output stops (SMTP_DATA_F_TOOBIG) but the input is still consumed up
 * to the end of data, so the session stays in step with the client.
 *
 *	d = smtp_data_decoder_new(&limits);
 *	st = smtp_data_decode(d, in, inlen, &used, out, outcap, &outlen);
 *	// SMTP_DATA_MORE: feed more; SMTP_DATA_END: used includes ".\r\n"
 *	flags = smtp_data_flags(d);
 *
 * Encoder: takes the message as stored (any line ends) and gives the
 * transmission form: CRLF line ends, leading dots doubled, and at the end
 * a CRLF if the last line lacks one, then ".\r\n".
 */
#ifndef SMTP_DATA_H
#define SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

struct smtp_data_limits {
	uint64_t	 max_size;	/* message octets (decoded); 0: no limit */
	int		 normalize_lf;	/* 1: a bare LF is a line end */
};

enum smtp_data_status {
	SMTP_DATA_MORE = 0,	/* all input used or output full: call again */
	SMTP_DATA_END		/* end of data seen */
};

#define SMTP_DATA_F_BARENL	0x01	/* bare LF or CR seen (not normalized) */
#define SMTP_DATA_F_TOOBIG	0x02	/* over max_size; output truncated */
#define SMTP_DATA_F_NUL		0x04	/* a NUL octet (kept, for information) */

struct smtp_data_decoder;

struct smtp_data_decoder *smtp_data_decoder_new(const struct smtp_data_limits *);
void		 smtp_data_decoder_free(struct smtp_data_decoder *);
/* smtp_data_decoder_reset - ready for a new message with the same limits */
void		 smtp_data_decoder_reset(struct smtp_data_decoder *);
/*
 * smtp_data_decode - decode in[0..inlen); *used gets the bytes consumed,
 * out[0..*outlen) the message bytes produced (outcap >= 3 needed). Stops
 * at the end of data: bytes after it are not consumed.
 */
enum smtp_data_status smtp_data_decode(struct smtp_data_decoder *,
    const char *in, size_t inlen, size_t *used,
    char *out, size_t outcap, size_t *outlen);
unsigned	 smtp_data_flags(const struct smtp_data_decoder *);
uint64_t	 smtp_data_size(const struct smtp_data_decoder *);	/* decoded octets so far */

/* Encoder state: zero it (or call smtp_data_encoder_init()) per message. */
struct smtp_data_encoder {
	int		 mid;	/* inside a line */
	int		 cr;	/* a CR is pending */
};

void		 smtp_data_encoder_init(struct smtp_data_encoder *);
/*
 * smtp_data_encode - encode in[0..inlen) into out; needs outcap >= 2 * inlen + 4.
 * Returns the bytes written.
 */
size_t		 smtp_data_encode(struct smtp_data_encoder *, const char *in,
		    size_t inlen, char *out, size_t outcap);
/* smtp_data_encode_end - the final line end if needed and ".\r\n" (out: 6 bytes) */
size_t		 smtp_data_encode_end(struct smtp_data_encoder *, char *out);

#endif /* SMTP_DATA_H */
