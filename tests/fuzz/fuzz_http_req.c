/*
 * fuzz_http_req - libFuzzer target for the HTTP request head parser: every
 * request it takes is within its limits and consumes what it says, and a
 * buffer is walked request by request as the stats listener does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req_limits lim = { 1024, 16 };
	struct http_req r;
	size_t off = 0, used;
	enum http_req_status st;

	while (off < size) {
		used = 0;
		st = http_req_parse((const char *)data + off, size - off, &lim,
		    &r, &used);
		if (st != HTTP_REQ_OK)
			break;
		if (used == 0 || used > size - off || used > lim.head_max)
			abort();
		if (strlen(r.method) == 0 || strlen(r.method) >= HTTP_REQ_METHOD_MAX ||
		    strlen(r.path) > strlen(r.target) || r.nfields > lim.fields_max ||
		    (r.minor != 0 && r.minor != 1))
			abort();
		(void)http_req_status_code(st);
		off += used;
	}
	return 0;
}
