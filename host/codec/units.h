/*
 * units - parse sizes ("50M", "512k", "1048576") and durations ("5m",
 * "200ms", "30s", "1h", "2d"; a bare number is seconds). Pure.
 */
#ifndef UNITS_H
#define UNITS_H

#include <stdint.h>

/* Both return 0, or -1 with errno EINVAL (syntax) or ERANGE (overflow). */
int	units_parse_size(const char *, uint64_t *bytes);
int	units_parse_duration(const char *, uint64_t *ms);

#endif /* UNITS_H */
