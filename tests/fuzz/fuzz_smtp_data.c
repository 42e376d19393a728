/*
 * fuzz_smtp_data - libFuzzer target for the DATA decoder and encoder:
 * decode, and check that encode then decode gives the same message back
 * and ends exactly at the encoder's end of data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_data_limits lim = { 0, 0 };
	struct smtp_data_decoder *d;
	struct smtp_data_encoder e;
	char *out, *enc, *dec;
	size_t off = 0, used, olen, total = 0, o, dl;
	enum smtp_data_status st = SMTP_DATA_MORE;

	if (size < 1)
		return 0;
	lim.normalize_lf = data[0] & 1;
	lim.max_size = (data[0] & 2) ? 64 : 0;
	data++;
	size--;
	d = smtp_data_decoder_new(&lim);
	out = malloc(2 * size + 8);
	enc = malloc(4 * size + 16);
	dec = malloc(4 * size + 16);
	if (!d || !out || !enc || !dec)
		goto done;
	while (off < size && st == SMTP_DATA_MORE) {
		st = smtp_data_decode(d, (const char *)data + off, size - off, &used,
		    out + total, 2 * size + 8 - total, &olen);
		off += used;
		total += olen;
	}
	if (smtp_data_size(d) != total || (lim.max_size && total > lim.max_size))
		abort();
	/* a message that was not flagged survives encode + decode */
	if (st == SMTP_DATA_END && smtp_data_flags(d) == 0) {
		smtp_data_encoder_init(&e);
		o = smtp_data_encode(&e, out, total, enc, 4 * size + 16);
		o += smtp_data_encode_end(&e, enc + o);
		smtp_data_decoder_reset(d);
		st = smtp_data_decode(d, enc, o, &used, dec, 4 * size + 16, &dl);
		if (st != SMTP_DATA_END || used != o)
			abort();
		if (!lim.max_size && (dl != total || memcmp(dec, out, total) != 0))
			abort();
	}
done:
	smtp_data_decoder_free(d);
	free(out);
	free(enc);
	free(dec);
	return 0;
}
