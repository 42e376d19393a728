/*
 * fuzz_proxyproto - libFuzzer target for the PROXY protocol header parser:
 * every prefix of the input parses without reading past it, a complete
 * header's length is within the input and the limits, and an address it
 * gives formats back into a header that parses to the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxyproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyproto_result r, r2;
	unsigned char buf[PROXYPROTO_V2_MAX];
	enum proxyproto_status st;
	size_t n;

	/* a copy of exactly size bytes, so ASan sees any read past it */
	unsigned char *in = malloc(size ? size : 1);

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	st = proxyproto_parse(in, size, &r);
	if (st == PROXYPROTO_ERR && r.error == NULL)
		abort();
	if (st == PROXYPROTO_MORE && size >= PROXYPROTO_V2_MAX)
		abort();
	if (st == PROXYPROTO_OK) {
		if (r.len == 0 || r.len > size || r.len > PROXYPROTO_V2_MAX ||
		    (r.version != 1 && r.version != 2))
			abort();
		n = proxyproto_format(r.version, r.local ? NULL : r.src, r.sport,
		    r.local ? NULL : r.dst, r.dport, buf, sizeof(buf));
		if (n == 0 || proxyproto_parse(buf, n, &r2) != PROXYPROTO_OK ||
		    r2.local != r.local || strcmp(r2.src, r.src) != 0 ||
		    r2.sport != r.sport || r2.dport != r.dport)
			abort();
	}
	free(in);
	return 0;
}
