/* SNAPSHOT and FINAL from a worker of the run (see run_internal.h): the
 * run id, the limits, the report numbers (resent, lost, impossible), how
 * late its reports arrive, then the merge into the statistics. */
#include "clock.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "run_internal.h"

#include <string.h>

enum report_seq {
    REPORT_NEW,  /* count it */
    REPORT_SEEN, /* sent again after a reconnect, counted already: ignore it */
    REPORT_LIE,  /* the worker was thrown out */
};

/* A worker numbers its reports 1, 2, 3 ... in a run, and after its HELLO
 * on a new connection sends the last few again, oldest first, before
 * anything newer (PROTOCOL.md §4): those lost with the old connection, or
 * not sent while there was none, arrive then, and those counted already
 * are ignored here. A gap in the numbers is requests served but not in
 * the totals (reports older than those kept): the reports say which
 * worker, when, and how many reports (about a second each). The first
 * report to arrive counts too: snap_seq is 0 for a worker (or a new
 * process of it) that has sent nothing yet, so a first report numbered 3
 * means reports 1 and 2 were lost. A worker starts numbering with the run
 * and sends one report per interval: a number beyond that (with a minute
 * of slack) is a lie, and the worker is thrown out. */
static enum report_seq note_seq(struct hn_run *r, struct hn_worker *w, uint64_t seq)
{
    double since = r->started_at > 0 ? ev_now(r->loop) - r->started_at : 0.0;
    if ((double)seq > since * 1000.0 / HN_RUN_SNAPSHOT_INTERVAL_MS + 60.0) {
        hn_receive_ban(r, w, "its report numbers run ahead of the run's length");
        return REPORT_LIE;
    }
    if (seq == 0) {
        hn_receive_ban(r, w, "its reports are numbered from 1, not 0");
        return REPORT_LIE;
    }
    if (seq <= w->snap_seq) {
        r->reports_resent++;
        return REPORT_SEEN;
    }
    if (seq - w->snap_seq > 1) {
        uint64_t gap = seq - w->snap_seq - 1;
        w->reports_lost += gap; /* bounded by the check above */
        hn_log_warn("worker %u: %llu of its reports never arrived (sent while the master was "
                    "unreachable): their requests are not in the totals",
                    w->index, (unsigned long long)gap);
        hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_GAP,
                         "%llu report%s never arrived (about %llu s of its requests): not in the "
                         "totals",
                         (unsigned long long)gap, gap == 1 ? "" : "s", (unsigned long long)gap);
    }
    w->snap_seq = seq;
    return REPORT_NEW;
}

/* How late @w's reports arrive: the time since its first report on the
 * master's clock, less the time its reports cover on its own clock (so the
 * two clocks' offset cancels; a link slower than the reports shows as a
 * delay that grows). The base is the report that came soonest (a clock set
 * forward moves it), and a clock set back starts afresh. A worker whose reports
 * come seconds late holds back its last seconds at the stop (they may miss
 * the deadline) and its users' count: said at 3 s, then each time it
 * doubles. */
static void note_delay(struct hn_run *r, struct hn_worker *w, const struct hn_msg_snapshot *s)
{
    double at = w->alive_at; /* its arrival, without the master's own backlog */
    /* A report ending before the last one: its clock was set back (that
     * would read as a delay of the step's size): measured afresh. */
    bool clock_back = s->interval_end_ms < w->delay_last_end_ms;
    w->delay_last_end_ms = s->interval_end_ms;
    double delay = w->delay_base_at > 0 && !clock_back
                       ? (at - w->delay_base_at) -
                             ((double)s->interval_end_ms - (double)w->delay_base_end_ms) / 1000.0
                       : -1.0;
    if (delay < 0) { /* the soonest report so far (or a clock set forward) */
        w->delay_base_at = at;
        w->delay_base_end_ms = s->interval_end_ms;
        w->delay_last_s = 0;
        return;
    }
    w->delay_last_s = delay;
    if (delay > w->delay_max_s)
        w->delay_max_s = delay;
    if (delay >= HN_RUN_DELAY_SAY_S && delay >= 2 * w->delay_said_s) {
        w->delay_said_s = delay;
        if (r->delays_said++ < 20) /* a few workers, not thousands behind one uplink */
            hn_log_warn("worker %u (%s): its reports arrive %.1f s late (its link to the master "
                        "is slower than its reports, or queues them): its last seconds may miss "
                        "the stop's deadline%s",
                        w->index, w->hello.worker_id, delay,
                        r->delays_said == 20 ? " (further such messages are not shown)" : "");
    }
}

void hn_receive_stats(struct hn_run *r, struct hn_worker *w, const struct hn_msg *m, size_t len)
{
    const struct hn_msg_snapshot *s = &m->snapshot;
    if (strcmp(s->run_id, w->run_id) != 0) {
        /* Queued before this master started, sent by a worker still in an
         * old run, or by a process this worker's new one replaced: not ours
         * to count. */
        if (r->foreign_stats++ == 0)
            hn_log_warn("ignored %s of run '%s' from worker %u: not this run (further ones are "
                        "only counted)",
                        hn_msg_type_name(m->type), s->run_id, w->index);
        return;
    }
    char why[200];
    if (hn_limits_check_snapshot(&r->limits, s, why, sizeof(why))) {
        hn_receive_ban(r, w, why);
        return;
    }
    if (note_seq(r, w, s->seq) != REPORT_NEW)
        return;
    note_delay(r, w, s);
    w->users = s->users;
    r->users_seen |= w->users > 0;
    if (r->stats && r->state != HN_RUN_WAITING && !w->final_received) {
        int err = hn_stats_add(r->stats, s, hn_clock_wall_ms());
        if (err) {
            /* Never silent: results missing a part must not pass. */
            hn_run_fail(r, HN_EXIT_NO_RUN,
                        "the statistics store is out of memory (%s, %zu bytes used, "
                        "--max-stats-memory): the results would be incomplete, the run fails",
                        hn_strerror(err), hn_stats_memory(r->stats));
            return;
        }
        r->stats_msgs++;
        r->stats_bytes += len;
    }
    if (m->type == HN_MSG_FINAL)
        hn_receive_final(r, w);
}
