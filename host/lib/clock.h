/*
 * clock - the process's one clock for timeouts: monotonic milliseconds
 *
 * Every deadline in phasegate (fiber waits, connections, listeners, caches)
 * is a clock_ms() value: CLOCK_MONOTONIC in milliseconds, so a change of
 * the wall clock moves no deadline. 0 is never a time the clock returns
 * after boot; callers use it for "no deadline".
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* clock_ms - now, in milliseconds of CLOCK_MONOTONIC */
uint64_t	 clock_ms(void);
/* clock_us - the same clock in microseconds, for measuring (metrics, logs) */
uint64_t	 clock_us(void);
/* clock_deadline - the deadline timeout_ms from now; 0 (none) for 0 */
uint64_t	 clock_deadline(uint64_t timeout_ms);

#endif /* CLOCK_H */
