/*
 * units - parse sizes and durations written in the configuration
 *
 * Public: units_parse_size(), units_parse_duration().
 *
 * Sizes: decimal digits, an optional multiplier k/K (1024), m/M (1024^2)
 * or g/G (1024^3), and an optional trailing "B" or "b": "100", "512k",
 * "50M", "1GB". Durations: decimal digits and an optional unit ms, s, m,
 * h or d ("200ms", "30s", "5m", "1h", "2d"); a bare number is seconds.
 * Durations come back in milliseconds.
 *
 * Pure: no allocation, no logging. Input is untrusted. Both return 0, or
 * -1 with errno EINVAL for anything that does not match the syntax above
 * (empty, signs, spaces, fractions, unknown units) and ERANGE when the
 * value does not fit in 64 bits. *out is left alone on error.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "units.h"

/* parse_digits - read a run of decimal digits; *end is left after them */
static int
parse_digits(const char *s, const char **end, uint64_t *val)
{
	uint64_t v = 0;
	int range = 0;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			range = 1;
		else
			v = v * 10 + d;
	}
	*end = s;
	if (range) {
		errno = ERANGE;
		return -1;
	}
	*val = v;
	return 0;
}

/* scale - multiply with overflow check */
static int
scale(uint64_t v, uint64_t mul, uint64_t *out)
{
	if (mul != 0 && v > UINT64_MAX / mul) {
		errno = ERANGE;
		return -1;
	}
	*out = v * mul;
	return 0;
}

int
units_parse_size(const char *s, uint64_t *bytes)
{
	const char *p;
	uint64_t v, mul = 1;
	int saved = errno;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (parse_digits(s, &p, &v) == -1) {
		/* a syntax error after the digits beats an overflow */
		if (errno == ERANGE) {
			const char *q = p;

			if (*q == 'k' || *q == 'K' || *q == 'm' || *q == 'M' ||
			    *q == 'g' || *q == 'G')
				q++;
			if (*q == 'b' || *q == 'B')
				q++;
			errno = *q == '\0' ? ERANGE : EINVAL;
		}
		return -1;
	}
	switch (*p) {
	case 'k': case 'K': mul = 1024; p++; break;
	case 'm': case 'M': mul = 1024 * 1024; p++; break;
	case 'g': case 'G': mul = 1024 * 1024 * 1024; p++; break;
	default: break;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (scale(v, mul, &v) == -1)
		return -1;
	*bytes = v;
	errno = saved;
	return 0;
}

int
units_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char	*suffix;
		uint64_t	 mul;
	} units[] = {
		{ "",   1000 },
		{ "ms", 1 },
		{ "s",  1000 },
		{ "m",  60 * 1000 },
		{ "h",  60 * 60 * 1000 },
		{ "d",  24 * 60 * 60 * 1000 },
	};
	const char *p;
	uint64_t v;
	size_t i;
	int saved = errno, range = 0;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (parse_digits(s, &p, &v) == -1) {
		if (errno != ERANGE)
			return -1;
		range = 1;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].suffix) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0])) {
		errno = EINVAL;
		return -1;
	}
	if (range) {
		errno = ERANGE;
		return -1;
	}
	if (scale(v, units[i].mul, &v) == -1)
		return -1;
	*ms = v;
	errno = saved;
	return 0;
}
