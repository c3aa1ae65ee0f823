/* Seeded random numbers for unit tests: reproducible, independent of libc's
 * rand(), and the engine's own generator (common/rng.h, xorshift64*). One
 * state per test executable; a test that needs a known sequence seeds it.
 * A file that defines TEST_RNG_SPLITMIX64 before the include draws from
 * splitmix64 instead: test-hist-codec, whose fixed snapshot-size budgets
 * are met with a small margin by its seeds' draws under that generator
 * (15.4 of 16 KiB); other draws would make that check looser. */
#pragma once

#include <math.h>
#include <stdint.h>

#include "rng.h"

/* The state before any test_rng_seed() (hn_rng_seed's fallback state). */
static uint64_t test_rng_state = UINT64_C(0x9E3779B97F4A7C15);

#ifndef TEST_RNG_SPLITMIX64
/* Restart the sequence from @seed (any value, 0 included). */
static inline void test_rng_seed(uint64_t seed)
{
    test_rng_state = hn_rng_seed(seed);
}

/* Next 64 random bits. Fits test_mutate()'s @rnd. */
static inline uint64_t test_rng_next(void)
{
    return hn_rng_next(&test_rng_state);
}
#else
/* splitmix64 (Vigna): any state is usable, so the seed is the state. */
static inline void test_rng_seed(uint64_t seed)
{
    test_rng_state = seed;
}

static inline uint64_t test_rng_next(void)
{
    uint64_t z = (test_rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
#endif

/* Uniform in (0, 1): never 0, so log() of it is finite. */
static inline double test_rng_unit(void)
{
    return ((double)(test_rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

/* Log-normal microseconds with median @median_us and shape @sigma. */
static inline uint64_t test_rng_lognormal(double median_us, double sigma)
{
    double n = sqrt(-2.0 * log(test_rng_unit())) * cos(6.283185307179586 * test_rng_unit());
    return (uint64_t)(median_us * exp(sigma * n));
}
