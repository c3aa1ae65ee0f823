/* One small random generator for choices that need speed, not secrecy:
 * task picks, wait times, {{random}} and {{uuid}} values, test data.
 * xorshift64* (Vigna): one 64-bit state per thread, never shared. */
#pragma once

#include <stdint.h>

/* Next value of the generator whose state is *@state (never 0). */
static inline uint64_t hn_rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* A usable state from any seed (0 included). */
static inline uint64_t hn_rng_seed(uint64_t seed)
{
    seed ^= seed >> 33;
    seed *= UINT64_C(0xff51afd7ed558ccd);
    seed ^= seed >> 33;
    return seed ? seed : UINT64_C(0x9E3779B97F4A7C15);
}
