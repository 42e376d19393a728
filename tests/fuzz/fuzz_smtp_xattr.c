/*
 * fuzz_smtp_xattr - libFuzzer target for the XFORWARD/XCLIENT attribute
 * parser: the walk ends, every value is printable ASCII within the limit,
 * and every name and raw text lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_xattr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_xattr a;
	const char *p, *end;
	char *in;
	size_t i, n = 0;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	end = in + strlen(in);
	p = in;
	while (smtp_xattr_next(&p, &a) == SMTP_XATTR_OK) {
		if (a.name < in || a.raw + a.rawlen > end || p > end ||
		    a.namelen == 0 || strlen(a.value) > SMTP_XATTR_VALUE_MAX)
			abort();
		for (i = 0; a.value[i]; i++)
			if ((unsigned char)a.value[i] < 33 ||
			    (unsigned char)a.value[i] > 126)
				abort();
		if (++n > size)
			abort();	/* the walk must move on */
	}
	free(in);
	return 0;
}
