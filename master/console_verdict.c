/* The end of the console summary (see console.h): which latency the tables
 * show, dropped iterations, the thresholds with what each observed, and
 * why the run was aborted if it was. */
#include "console.h"
#include "sanitize.h"

#include <math.h>

void hn_console_verdict(FILE *out, const struct hn_stats *st, const struct hn_threshold *t,
                        const struct hn_threshold_result *res, uint32_t n, const char *aborted)
{
    struct hn_stats_totals agg;
    hn_stats_totals(hn_stats_aggregated(st), &agg);
    uint32_t entries, intended = hn_stats_entries_intended(st, &entries);
    if (hn_stats_shows_intended(st) && intended < entries)
        fprintf(out,
                "Response times are latencies from the intended start for %u of %u entries "
                "(paced classes, the open model: the schedule's delays count); the others "
                "show service times, and Aggregated a mix of both; --latency service shows "
                "service times.\n",
                intended, entries);
    else if (hn_stats_shows_intended(st))
        fprintf(out, "Response times are latencies from the intended start (the schedule's "
                     "delays count, as a user would feel them); --latency service shows service "
                     "times.\n");
    else if (agg.timing[HN_TIMING_INTENDED])
        fprintf(out, "Response times are service times (request sent to last byte); --latency "
                     "intended shows latencies from the intended start.\n");
    const struct hn_hist *in = agg.timing[HN_TIMING_INTENDED], *sv = agg.timing[HN_TIMING_TOTAL];
    if (in && sv) {
        /* Only requests of scheduled iterations have the first kind. */
        char of[64] = "";
        if (hn_hist_count(in) < hn_hist_count(sv))
            snprintf(of, sizeof(of), " (%llu of %llu requests)",
                     (unsigned long long)hn_hist_count(in), (unsigned long long)hn_hist_count(sv));
        fprintf(out,
                "Aggregated p50 / p99 / max: from the intended start%s %.3f / %.3f / %.3f ms; "
                "service time %.3f / %.3f / %.3f ms\n",
                of, hn_hist_percentile(in, 50) / 1000.0, hn_hist_percentile(in, 99) / 1000.0,
                hn_hist_max(in) / 1000.0, hn_hist_percentile(sv, 50) / 1000.0,
                hn_hist_percentile(sv, 99) / 1000.0, hn_hist_max(sv) / 1000.0);
    }
    uint64_t dropped = hn_stats_total_dropped(st);
    if (dropped)
        fprintf(out,
                "Dropped iterations: %llu (not started in time: no user free within "
                "max_delay, or a paced user a request timeout behind; the load asked "
                "for was not delivered)\n",
                (unsigned long long)dropped);
    if (n) {
        fprintf(out, "\nThresholds\n");
        uint32_t failed = 0;
        for (uint32_t i = 0; i < n; i++) {
            char seen[48], expr[HN_SANITIZE_SIZE(HN_THRESHOLD_EXPR_MAX)];
            bool pass = res && res[i].pass;
            failed += !pass;
            hn_sanitize_str(expr, sizeof(expr), t[i].expr);
            fprintf(out, "  %s %-*s observed %s\n", pass ? "\u2713" : "\u2717",
                    hn_console_width_for(expr, 50), expr,
                    hn_threshold_format(&t[i], res ? res[i].observed : NAN, seen, sizeof(seen)));
        }
        fprintf(out, "%u of %u thresholds passed%s\n", n - failed, n,
                failed ? ": the run FAILS" : "");
    }
    if (aborted) {
        char safe[HN_SANITIZE_SIZE(512)];
        fprintf(out, "The run did not complete: %s\n",
                hn_sanitize_str(safe, sizeof(safe), aborted));
    }
}
