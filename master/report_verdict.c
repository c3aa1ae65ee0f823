/* The run's verdict for the CI reports (see report_verdict.h). */
#include "report_verdict.h"

#include <stdio.h>
#include <string.h>

static void add(struct hn_report_verdict *v, const char *text)
{
    size_t n = strlen(v->why);
    snprintf(v->why + n, sizeof(v->why) - n, "%s%s", n ? "; " : "", text);
    v->pass = false;
}

void hn_report_verdict(const struct hn_stats *st, const struct hn_report_moment *m,
                       struct hn_report_verdict *out)
{
    memset(out, 0, sizeof(*out));
    out->pass = true;
    char buf[128];
    for (uint32_t i = 0; m && i < m->n_thresholds; i++) {
        out->thresholds++;
        out->thresholds_failed += !(m->threshold_results && m->threshold_results[i].pass);
    }
    if (out->thresholds_failed) {
        snprintf(buf, sizeof(buf), "%u of %u thresholds failed", out->thresholds_failed,
                 out->thresholds);
        add(out, buf);
    }
    if (m && m->aborted) {
        snprintf(buf, sizeof(buf), "aborted: %.100s", m->aborted);
        add(out, buf);
    }
    if (m && m->unwritten) {
        snprintf(buf, sizeof(buf), "the %.60s report could not be written", m->unwritten);
        add(out, buf);
    }
    if (m && m->behind)
        add(out, "the master fell behind its workers: results may be incomplete");
    uint64_t requests = hn_stats_total_requests(st), failures = hn_stats_total_failures(st);
    if (!requests)
        add(out, "no request completed");
    bool errors_fail = !(m && m->errors_pass);
    if (failures && errors_fail) {
        snprintf(buf, sizeof(buf), "%llu of %llu requests failed", (unsigned long long)failures,
                 (unsigned long long)requests);
        add(out, buf);
    }
    if (hn_stats_total_exceptions(st) && errors_fail) {
        snprintf(buf, sizeof(buf), "%llu exceptions outside requests",
                 (unsigned long long)hn_stats_total_exceptions(st));
        add(out, buf);
    }
}
