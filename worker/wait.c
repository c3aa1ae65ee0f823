/* Think time between iterations of a virtual user (see wait.h). */
#include "wait.h"

double hn_wait_next_s(const struct hn_wait *w, uint64_t rnd, double iteration_elapsed_s)
{
    switch (w->kind) {
    case HN_WAIT_CONSTANT:
        return (double)w->min_ms / 1000.0;
    case HN_WAIT_BETWEEN: {
        if (w->max_ms <= w->min_ms)
            return (double)w->min_ms / 1000.0;
        /* span is 0 only for the full 64-bit range: then any rnd fits. The
         * modulo bias is below span / 2^64, far under anything measurable. */
        uint64_t span = w->max_ms - w->min_ms + 1;
        uint64_t ms = w->min_ms + (span ? rnd % span : rnd);
        return (double)ms / 1000.0;
    }
    case HN_WAIT_PACING: {
        double left = (double)w->min_ms / 1000.0 - iteration_elapsed_s;
        return left > 0 ? left : 0;
    }
    default:
        return 0;
    }
}
