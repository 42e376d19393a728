/*
 * clock - monotonic milliseconds for every deadline of the process
 *
 * Public: clock_ms(), clock_us(), clock_deadline().
 *
 * One clock_gettime(CLOCK_MONOTONIC) per call (vDSO: no system call).
 * Cannot fail on Linux; nothing here allocates or logs.
 */
#include <time.h>

#include "clock.h"

uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
clock_deadline(uint64_t timeout_ms)
{
	return timeout_ms == 0 ? 0 : clock_ms() + timeout_ms;
}
