/* Saturating arithmetic for counters that add up figures from other
 * processes: a sum that would wrap around sticks at the maximum instead
 * (a wrapped count would show fewer requests than failures). */
#pragma once

#include <stdint.h>

static inline uint64_t hn_sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* *acc += v, saturating. */
static inline void hn_sat_inc(uint64_t *acc, uint64_t v)
{
    *acc = hn_sat_add(*acc, v);
}
