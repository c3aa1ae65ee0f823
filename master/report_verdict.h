/* The run's verdict for the CI reports (JUnit, Markdown): passed, or failed
 * and why, by the rules of the exit code: a failed threshold, a failed
 * request or exception (unless --exit-code-on-error 0), no request at all,
 * or an early end. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

struct hn_report_verdict {
    bool pass;
    unsigned thresholds_failed, thresholds;
    char why[256]; /* "2 of 5 thresholds failed; 15 requests failed", "" when passed */
};

void hn_report_verdict(const struct hn_stats *st, const struct hn_report_moment *m,
                       struct hn_report_verdict *out);
