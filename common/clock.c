/* Monotonic and wall clock readings (see clock.h). */
#include "clock.h"

#include <time.h>

static uint64_t read_ns(clockid_t id)
{
    struct timespec ts;

    /* clock_gettime cannot fail for these clock ids and a valid pointer. */
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hn_clock_mono_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

uint64_t hn_clock_mono_us(void)
{
    return read_ns(CLOCK_MONOTONIC) / 1000u;
}

double hn_clock_mono_s(void)
{
    return (double)read_ns(CLOCK_MONOTONIC) / 1e9;
}

uint64_t hn_clock_wall_ms(void)
{
    return read_ns(CLOCK_REALTIME) / 1000000u;
}
