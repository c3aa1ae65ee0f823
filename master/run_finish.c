/* The end of a run: what the workers owed and did not send, the verdict
 * (the exit code), the final reports, QUIT to every worker. */
#include "clock.h"
#include "exitcodes.h"
#include "log.h"
#include "run_internal.h"
#include "sanitize.h"

#include <stdarg.h>
#include <stdio.h>

/* Workers thrown out of the run, for the end of the console summary. */
static void print_offenders(const struct hn_run *r)
{
    bool any = false;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        const struct hn_worker *w = &r->reg.workers[i];
        if (!w->banned)
            continue;
        /* The reason may quote a worker's text (a name the scenario does
         * not have). */
        char id[HN_SANITIZE_SIZE(HN_PROTO_ID_MAX)], host[HN_SANITIZE_SIZE(64)],
            why[HN_SANITIZE_SIZE(HN_REGISTRY_REASON_MAX)];
        if (!any)
            fprintf(stderr, "Workers ignored for breaking a limit (their figures are not in the "
                            "results):\n");
        any = true;
        fprintf(stderr, "  worker %u (%s on %s): %s\n", w->index,
                hn_sanitize_str(id, sizeof(id), w->hello.worker_id),
                hn_sanitize_str(host, sizeof(host), w->hello.hostname),
                hn_sanitize_str(why, sizeof(why), w->ban_reason));
    }
    bool declined = false;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        const struct hn_worker *w = &r->reg.workers[i];
        if (!w->declined)
            continue;
        char id[HN_SANITIZE_SIZE(HN_PROTO_ID_MAX)], host[HN_SANITIZE_SIZE(64)],
            why[HN_SANITIZE_SIZE(HN_PROTO_REASON_MAX)];
        if (!declined)
            fprintf(stderr, "%sWorkers that could not run the scenario (they ran no users):\n",
                    any ? "\n" : "");
        any = declined = true;
        fprintf(stderr, "  worker %u (%s on %s): %s\n", w->index,
                hn_sanitize_str(id, sizeof(id), w->hello.worker_id),
                hn_sanitize_str(host, sizeof(host), w->hello.hostname),
                hn_sanitize_str(why, sizeof(why), w->decline_reason));
    }
    if (any)
        fputc('\n', stderr);
}

void hn_run_note_aborted(struct hn_run *r, const char *why)
{
    if (r->aborted[0])
        return;
    snprintf(r->aborted, sizeof(r->aborted), "%s", why);
    r->abort_index = UINT32_MAX;
}

void hn_run_fail(struct hn_run *r, int exit_code, const char *fmt, ...)
{
    char why[sizeof(r->aborted)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    hn_log_error("%s", why);
    if (r->state == HN_RUN_WAITING) {
        /* Its reports are written all the same: a CI job reads why. */
        static const char prefix[] = "the run did not start: ";
        char late[sizeof(r->aborted)];
        snprintf(late, sizeof(late), "%s%.*s", prefix, (int)(sizeof(late) - sizeof(prefix)), why);
        hn_run_note_aborted(r, late);
    } else if (r->state != HN_RUN_DONE) {
        hn_run_note_aborted(r, why);
    }
    hn_run_finish(r, exit_code);
}

/* Frames the run dropped or ignored, said once at the end. */
static void log_ignored(const struct hn_run *r)
{
    if (r->bad_frames || r->rejected)
        hn_log_info("dropped %llu undecodable frames, rejected %llu workers of another "
                    "protocol version",
                    (unsigned long long)r->bad_frames, (unsigned long long)r->rejected);
    if (r->foreign_stats)
        hn_log_info("ignored %llu statistics messages of other runs",
                    (unsigned long long)r->foreign_stats);
    if (r->reports_resent)
        hn_log_info("ignored %llu reports whose numbers were counted already (kept reports "
                    "that workers sent again on a new connection)",
                    (unsigned long long)r->reports_resent);
}

/* Names the workers that ran load and sent no FINAL (a few in the log,
 * each in the journal) and returns the exit code: a lost worker does not
 * fail a run the others complete; a run that none completes does, whether
 * they were lost before its end or while it stopped (unless a second
 * signal chose not to wait). */
static int account_finals(struct hn_run *r, bool ran, int exit_code)
{
    uint32_t no_final = 0, finals = 0, members = 0;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        struct hn_worker *w = &r->reg.workers[i];
        if (w->declined || !w->loaded)
            continue; /* ran nothing, owes no report */
        members += !w->banned;
        finals += w->final_received;
        if (ran && !w->final_received && no_final++ < 20) { /* a few, not thousands */
            if (w->delay_last_s >= 1.0)
                hn_log_warn("worker %u (%s) sent no final report: requests it had not reported "
                            "yet are missing from the results (its last reports came %.1f s "
                            "late: about that many seconds of them)",
                            w->index, w->hello.worker_id, w->delay_last_s);
            else
                hn_log_warn("worker %u (%s) sent no final report: requests it had not reported "
                            "yet are missing from the results",
                            w->index, w->hello.worker_id);
        }
        if (ran && !w->final_received && !w->banned)
            hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_LOST,
                             "no final report: what it had not reported yet is not in the results");
    }
    if (no_final > 20)
        hn_log_warn("%u workers in all sent no final report", no_final);
    if (ran && exit_code == HN_EXIT_OK && members && !finals && !r->stop_forced &&
        !r->aborted[0]) { /* an aborted run fails already, saying why */
        hn_log_error("no worker sent its final report: the requests of their last moments are "
                     "missing, the run fails");
        hn_run_note_aborted(r, "no worker sent its final report");
        exit_code = HN_EXIT_NO_RUN;
    }
    return exit_code;
}

/* The exit code of a run whose results are final: nothing sent fails it
 * (exit 3: it tested nothing), then an abort or a failed threshold (exit
 * 1), then failed requests or exceptions (--exit-code-on-error). An exit
 * code other than OK stays. */
static int verdict(const struct hn_run *r, int exit_code)
{
    if (exit_code != HN_EXIT_OK)
        return exit_code;
    if (hn_stats_total_requests(r->stats) == 0) {
        hn_log_error("nothing was sent: no request completed in this run%s",
                     r->users_seen ? ""
                                   : " (no worker ran a user: did they accept the scenario? "
                                     "see their logs)");
        return HN_EXIT_NO_RUN;
    }
    bool failed = r->aborted[0] != '\0'; /* by a threshold, or cut short by a signal */
    for (uint32_t i = 0; i < r->plan->n_thresholds; i++)
        failed |= !r->threshold_results[i].pass;
    if (failed)
        return HN_EXIT_FAILED;
    if (hn_stats_total_failures(r->stats) > 0 || hn_stats_total_exceptions(r->stats) > 0)
        return r->cfg->exit_code_on_error;
    return HN_EXIT_OK;
}

/* Thresholds over the whole run, the reports, the console's end; returns
 * the exit code. */
static int final_reports(struct hn_run *r, int exit_code)
{
    uint64_t now_ms = hn_clock_wall_ms();
    hn_stats_tick(r->stats, now_ms);
    hn_stats_settle(r->stats);
    hn_run_eval_thresholds(r, now_ms);
    /* Every threshold shows its value over the whole run, as the totals
     * beside it do; the one that stopped the run failed, even if the rest
     * of the run brought it back (the abort message keeps what it saw
     * then). */
    if (r->aborted[0] && r->abort_index < r->plan->n_thresholds)
        r->threshold_results[r->abort_index].pass = false;
    struct hn_report_moment m = hn_run_moment(r, now_ms, 0);
    if (hn_reports_final(&r->reports, r->stats, &m) != 0 &&
        (exit_code == HN_EXIT_OK || exit_code == HN_EXIT_FAILED)) {
        hn_log_error("a report could not be written (see above): the run fails");
        exit_code = HN_EXIT_USAGE;
    }
    print_offenders(r);
    if (r->shortfall_max)
        hn_log_warn("the workers could not hold the requested load: up to %u of the %u users "
                    "asked for did not run (their capacities)",
                    r->shortfall_max, r->users_max);
    return verdict(r, exit_code);
}

void hn_run_finish(struct hn_run *r, int exit_code)
{
    if (r->state == HN_RUN_DONE)
        return;
    bool ran = r->state != HN_RUN_WAITING;
    hn_run_set_state(r, HN_RUN_DONE);
    log_ignored(r);
    ev_timer_stop(r->loop, &r->stop_deadline);
    ev_timer_stop(r->loop, &r->stage);
    ev_timer_stop(r->loop, &r->run_end);
    exit_code = account_finals(r, ran, exit_code);
    if (ran)
        hn_log_info("statistics: %llu snapshots merged, %.0f bytes each on average; master lag "
                    "max %u ms (receive backlog max %u ms)",
                    (unsigned long long)r->stats_msgs,
                    r->stats_msgs ? (double)r->stats_bytes / (double)r->stats_msgs : 0.0,
                    hn_lag_ms(hn_lag_max(&r->lag)), hn_lag_ms(r->lag.backlog_max_s));
    if (r->behind && exit_code != HN_EXIT_USAGE) {
        hn_log_error("the master fell behind its workers: results may be incomplete, the run "
                     "fails");
        exit_code = HN_EXIT_NO_RUN;
    }
    /* A run that never started (hn_run_fail says why) has reports all the
     * same, with no requests, so that a CI job finds its JUnit, JSON and
     * Markdown verdicts, and the reason, where it looks. */
    if (!ran && r->aborted[0] && !r->stats && hn_stats_new(hn_clock_wall_ms(), &r->stats))
        r->stats = NULL;
    if ((ran || r->aborted[0]) && r->stats)
        exit_code = final_reports(r, exit_code);
    struct hn_msg quit = {.type = HN_MSG_QUIT};
    hn_dispatch_broadcast(r, &quit);
    r->exit_code = exit_code;
    ev_break(r->loop, EVBREAK_ALL);
}
