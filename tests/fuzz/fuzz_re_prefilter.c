/*
 * fuzz_re_prefilter - the Hyperscan prefilter (host/re.c) changes no
 * result: any pattern, any subject, searched with the prefilter forced on
 * and with it off, gives the same answer and offsets, from the start and
 * from an offset inside. Aborts on the first difference.
 *
 * Input: byte 0 picks the flags (bits: i m s), byte 1 is the pattern's
 * length n, the next n bytes are the pattern, the rest is the subject.
 * Without Hyperscan both sides run PCRE2 alone (and must agree all the same).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "re.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fl[] = { "", "i", "m", "im", "s", "is", "ms",
	    "ims" };
	char err[RE_ERR_MAX];
	struct re *on, *off;
	size_t n, slen, k, start, ov1[8], ov2[8];
	const char *pat, *subj;
	int r1, r2;

	if (size < 2)
		return 0;
	n = data[1];
	if (size - 2 < n)
		return 0;
	pat = (const char *)data + 2;
	subj = pat + n;
	slen = size - 2 - n;
	on = re_compile(pat, n, fl[data[0] & 7], RE_OPT_PREFILTER, err,
	    sizeof(err));
	off = re_compile(pat, n, fl[data[0] & 7], RE_OPT_NOPREFILTER, err,
	    sizeof(err));
	if ((on == NULL) != (off == NULL))
		abort();
	for (k = 0; on != NULL && k < 2; k++) {
		start = k == 0 ? 0 : slen / 2;
		memset(ov1, 0, sizeof(ov1));
		memset(ov2, 0, sizeof(ov2));
		r1 = re_find(on, subj, slen, start, ov1, 4, 0, NULL);
		r2 = re_find(off, subj, slen, start, ov2, 4, 0, NULL);
		/* PCRE2 may give up (match limit) where the prefilter knows
		 * there is nothing: an error on one side only is fine */
		if (r1 < 0 || r2 < 0)
			continue;
		if (r1 != r2 || (r1 == 1 && memcmp(ov1, ov2, sizeof(ov1)) != 0)) {
			fprintf(stderr, "fuzz_re_prefilter: /%.*s/%s on %zu bytes "
			    "from %zu: %d with the prefilter, %d without\n",
			    (int)n, pat, fl[data[0] & 7], slen, start, r1, r2);
			abort();
		}
	}
	re_free(on);
	re_free(off);
	return 0;
}
