/*
 * fuzz_smtp_reply - libFuzzer target for the SMTP reply parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply_parser *p;
	struct smtp_reply r;
	size_t off = 0, used, i, len;
	const char *l;

	if ((p = smtp_reply_parser_new(256, 8)) == NULL)
		return 0;
	while (off < size) {
		used = smtp_reply_feed(p, (const char *)data + off, size - off);
		off += used;
		if (smtp_reply_next(p, &r) != SMTP_REPLY_OK)
			continue;
		if (r.code < 200 || r.code > 599 || r.nlines == 0 || r.nlines > 8)
			abort();
		if (r.len < 6 || memcmp(r.text + r.len - 2, "\r\n", 2) != 0)
			abort();
		for (i = 0; i < r.nlines; i++) {
			l = smtp_reply_line(p, i, &len);
			if (l == NULL || len > 256 || memchr(l, '\n', len))
				abort();
			(void)smtp_reply_ehlo_keyword(l, len, "PIPELINING");
		}
	}
	smtp_reply_parser_free(p);
	return 0;
}
