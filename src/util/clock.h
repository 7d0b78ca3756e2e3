/* Seconds on a monotonic clock, for rates, ETAs and commit intervals. */
#ifndef GT_CLOCK_H
#define GT_CLOCK_H

#include <time.h>

static inline double monotonic_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
