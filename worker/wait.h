/* Think time of a virtual user between two task iterations (the class's
 * wait: none, constant, between, pacing), as a pure function so it can be
 * tested without a loop or a clock. */
#pragma once

#include <stdint.h>

#include "model.h"

/* Seconds to wait before the next iteration, never negative.
 * @w                   the class's wait time (common/model.h)
 * @rnd                 a uniform random 64-bit number; used by
 *                      HN_WAIT_BETWEEN only, but cheap to pass always
 * @iteration_elapsed_s seconds since the iteration that just ended began;
 *                      used by HN_WAIT_PACING only
 * @return HN_WAIT_CONSTANT: min_ms;
 *         HN_WAIT_BETWEEN: a whole number of milliseconds uniform in
 *         [min_ms, max_ms] (min_ms when max_ms < min_ms, which
 *         hn_scenario_finalize rejects anyway);
 *         HN_WAIT_PACING: what is left of the period min_ms, or 0 when the
 *         iteration took longer;
 *         HN_WAIT_NONE and unknown kinds: 0. */
double hn_wait_next_s(const struct hn_wait *w, uint64_t rnd, double iteration_elapsed_s);
