/*
 * fuzz_dnsmsg - the DNS answer reader (host/lib/dnsmsg.c) on any bytes:
 * the first byte picks the type asked, the rest is the message, the name
 * asked is the message's own question (or "a.test"). Whatever comes in,
 * the result is a status, records inside the text buffer, NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int types[] = { 1, 2, 5, 12, 15, 16, 28 };
	static struct dnsmsg m;
	static char text[4096];
	char qname[256] = "a.test";
	size_t i;

	if (len < 1)
		return 0;
	if (len > 13 && dnsmsg_name(data + 1, len - 1, 12, qname) < 0)
		strcpy(qname, "a.test");
	(void)dnsmsg_parse(data + 1, len - 1, qname, types[data[0] % 7], &m,
	    text, sizeof(text));
	if (m.status < DNSMSG_OK || m.status > DNSMSG_LOOP)
		abort();
	if (m.status != DNSMSG_OK && m.nrr != 0)
		abort();
	if (m.status == DNSMSG_OK && (m.nrr == 0 || m.nrr > DNSMSG_RR_MAX))
		abort();
	if (m.textlen > sizeof(text))
		abort();
	for (i = 0; i < m.nrr; i++) {
		size_t off = m.rr[i].off;

		if (off >= m.textlen || memchr(text + off, '\0',
		    m.textlen - off) == NULL)
			abort();
	}
	return 0;
}
