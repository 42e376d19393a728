/*
 * fuzz_milter_util - libFuzzer target for the milter front end's pure
 * parsers: the first byte picks reply splitting or the header value
 * conversions; the rest is the input. Checks the invariants
 * libmilter relies on (at most 32 lines of at most 980 octets, no CR/LF in
 * a text, every '%' doubled, a 4xx/5xx code) and that conversions end
 * lines with CRLF (in) or LF (out).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_reply(const char *s)
{
	static struct milter_reply r;
	size_t i, j, run;

	if (milter_util_reply_split(s, &r) != 0)
		return;
	if (r.nlines < 1 || r.nlines > MILTER_UTIL_REPLY_LINES_MAX ||
	    r.lines[r.nlines] != NULL)
		abort();
	if ((r.rcode[0] != '4' && r.rcode[0] != '5') || strlen(r.rcode) != 3 ||
	    r.xcode[0] != r.rcode[0])
		abort();
	for (i = 0; i < r.nlines; i++) {
		if (strlen(r.lines[i]) > MILTER_UTIL_REPLY_TEXT_MAX ||
		    strpbrk(r.lines[i], "\r\n") != NULL)
			abort();
		for (j = 0, run = 0; ; j++) {
			if (r.lines[i][j] == '%') {
				run++;
				continue;
			}
			if (run % 2 != 0)
				abort();
			run = 0;
			if (r.lines[i][j] == '\0')
				break;
		}
	}
}

static void
check_header(const char *s, int leadspc)
{
	char *v, *o;
	size_t i;

	if ((v = milter_util_header_value(s, leadspc)) == NULL)
		return;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r'))
			abort();
	if ((o = milter_util_header_out(v, leadspc)) != NULL) {
		if (strstr(o, "\r\n") != NULL)
			abort();
		free(o);
	}
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 65536)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
	case 1:		/* was the listen spec: fuzz_addr has it now */
		check_reply(s);
		break;
	default:
		check_header(s, data[0] % 4 == 3);
		break;
	}
	free(s);
	return 0;
}
