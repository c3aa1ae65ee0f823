/* The run's journal (see journal.h): timeline samples, worker events and
 * the generator self-check. */
#include "journal.h"
#include "array.h"
#include "error.h"
#include "log.h"
#include "sanitize.h"
#include "utf8.h"
#include "stats.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const event_names[HN_JEV__COUNT] = {
    [HN_JEV_JOINED] = "joined",       [HN_JEV_MISSING] = "missing", [HN_JEV_BACK] = "back",
    [HN_JEV_RESTARTED] = "restarted", [HN_JEV_STOPPED] = "stopped", [HN_JEV_BANNED] = "banned",
    [HN_JEV_LOST] = "lost",           [HN_JEV_STALL] = "stall",     [HN_JEV_GAP] = "gap",
    [HN_JEV_DECLINED] = "declined",
};

const char *hn_journal_event_name(enum hn_journal_event_kind kind)
{
    return (unsigned)kind < HN_JEV__COUNT ? event_names[kind] : "?";
}

int hn_journal_init(struct hn_journal *j)
{
    memset(j, 0, sizeof(*j));
    hn_interval_init(&j->agg);
    j->scratch = hn_hist_new();
    return j->scratch ? 0 : -ENOMEM;
}

void hn_journal_deinit(struct hn_journal *j)
{
    free(j->samples);
    free(j->events);
    free(j->workers);
    hn_interval_deinit(&j->agg);
    hn_hist_free(j->scratch);
    memset(j, 0, sizeof(*j));
}

void hn_journal_event(struct hn_journal *j, uint64_t at_ms, uint32_t worker,
                      enum hn_journal_event_kind kind, const char *fmt, ...)
{
    if (j->n_events >= HN_JOURNAL_EVENTS_MAX ||
        hn_array_reserve(&j->events, &j->cap_events, j->n_events + 1, sizeof(*j->events), 32)) {
        j->events_dropped++;
        return;
    }
    struct hn_journal_event *e = &j->events[j->n_events++];
    char raw[HN_JOURNAL_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    e->at_ms = at_ms;
    e->worker = worker;
    e->kind = kind;
    /* Ids and host names come from workers: no control character reaches
     * a terminal or breaks a line of a report. */
    char safe[HN_SANITIZE_SIZE(HN_JOURNAL_DETAIL_MAX)];
    hn_sanitize_str(safe, sizeof(safe), raw);
    /* cut on a character: the JSON report takes valid UTF-8 only */
    hn_utf8_copy(e->detail, sizeof(e->detail), safe, strlen(safe));
}

static struct hn_journal_worker *worker_at(struct hn_journal *j, uint32_t worker)
{
    if (worker >= j->n_workers) {
        if (hn_array_reserve(&j->workers, &j->cap_workers, worker + 1, sizeof(*j->workers), 16))
            return NULL;
        memset(&j->workers[j->n_workers], 0, (worker + 1 - j->n_workers) * sizeof(*j->workers));
        j->n_workers = worker + 1;
    }
    return &j->workers[worker];
}

const struct hn_journal_worker *hn_journal_worker(const struct hn_journal *j, uint32_t worker)
{
    return worker < j->n_workers && j->workers[worker].seen ? &j->workers[worker] : NULL;
}

unsigned hn_journal_warnings(const struct hn_journal *j)
{
    unsigned all = 0;
    for (uint32_t i = 0; i < j->n_workers; i++)
        all |= j->workers[i].warnings;
    return all;
}

static int warn_slot(unsigned bit)
{
    return bit == HN_JOURNAL_WARN_CPU ? 0 : bit == HN_JOURNAL_WARN_LAG ? 1 : 2;
}

/* Warning @bit holds for @w now: said once per worker in the log. */
static void raise_warning(struct hn_journal *j, struct hn_journal_worker *w, uint32_t worker,
                          const char *id, unsigned bit, uint64_t at_ms)
{
    int k = warn_slot(bit);
    w->last_warned_ms[k] = at_ms;
    if (w->warnings & bit)
        return;
    w->warnings |= bit;
    w->first_warned_ms[k] = at_ms;
    if (j->quiet)
        return;
    char safe[HN_SANITIZE_SIZE(HN_PROTO_ID_MAX)];
    hn_sanitize_str(safe, sizeof(safe), id);
    if (bit == HN_JOURNAL_WARN_CPU)
        hn_log_warn("worker %u (%s) uses %.0f %% of its %u CPUs: latencies it measures may "
                    "include the load generator's own delay",
                    worker, safe, w->cpu_permille / 10.0 / (w->cpus ? w->cpus : 1), w->cpus);
    else if (bit == HN_JOURNAL_WARN_LAG)
        hn_log_warn("worker %u (%s): its event loops run %u ms late for %u s in a row: "
                    "latencies it measures may include the load generator's own delay",
                    worker, safe, w->lag_ms, w->lag_streak);
    else
        hn_log_warn("worker %u (%s) stalled: its event loop did not run for %.1f s (a frozen "
                    "process or paused VM?): latencies it measured then include the stall",
                    worker, safe, w->lag_ms / 1000.0);
}

void hn_journal_heartbeat(struct hn_journal *j, uint64_t at_ms, uint32_t worker, const char *id,
                          uint32_t cpus, const struct hn_msg_heartbeat *hb)
{
    struct hn_journal_worker *w = worker_at(j, worker);
    if (!w)
        return;
    w->seen = true;
    w->cpus = cpus ? cpus : 1;
    w->cpu_permille = hb->cpu_permille;
    if (hb->cpu_permille > w->cpu_permille_max)
        w->cpu_permille_max = hb->cpu_permille;
    if (hb->rss_bytes > w->rss_bytes_max)
        w->rss_bytes_max = hb->rss_bytes;
    uint32_t lag = hb->loop_lag_ms;
    bool stall = lag >= HN_JOURNAL_STALL_MS;
    /* The worker repeats a stall for a while (PROTOCOL.md): the same value
     * again is the same stall, and says nothing of the loops now. The
     * margin covers heartbeats delayed on the way. */
    bool repeat = stall && lag == w->stall_last_ms &&
                  at_ms <= w->stall_last_at + HN_PROTO_STALL_REPEAT_MS + 5000;
    w->lag_ms = repeat ? 0 : lag;
    if (lag > w->lag_ms_max)
        w->lag_ms_max = lag;
    w->lag_streak = lag >= HN_JOURNAL_LAG_MS && !stall ? w->lag_streak + 1 : 0;
    if ((uint64_t)hb->cpu_permille >= (uint64_t)HN_JOURNAL_CPU_PERMILLE_PER_CPU * w->cpus)
        raise_warning(j, w, worker, id, HN_JOURNAL_WARN_CPU, at_ms);
    if (w->lag_streak >= HN_JOURNAL_LAG_STREAK)
        raise_warning(j, w, worker, id, HN_JOURNAL_WARN_LAG, at_ms);
    if (stall && !repeat) {
        w->stall_last_ms = lag;
        w->stall_last_at = at_ms;
        w->stalls++;
        w->stalled_ms += hb->loop_lag_ms;
        /* Each stall is an event: when, and how long. It ended about when
         * this heartbeat was sent. */
        hn_journal_event(j, at_ms, worker, HN_JEV_STALL,
                         "its event loop did not run for %.1f s (ended at about this time)",
                         hb->loop_lag_ms / 1000.0);
        raise_warning(j, w, worker, id, HN_JOURNAL_WARN_STALL, at_ms);
    }
}

int hn_journal_sample(struct hn_journal *j, const struct hn_stats *st, uint64_t at_ms,
                      uint32_t users, uint32_t workers)
{
    struct hn_stats_totals t;
    hn_stats_totals(hn_stats_aggregated(st), &t);
    int err = hn_interval_next(&j->agg, t.hist, j->scratch);
    if (err)
        return err;
    struct hn_journal_sample s = {.at_ms = at_ms, .users = users, .workers = workers};
    s.requests = t.requests - (t.requests >= j->prev_requests ? j->prev_requests : t.requests);
    s.failures = t.failures - (t.failures >= j->prev_failures ? j->prev_failures : t.failures);
    j->prev_requests = t.requests;
    j->prev_failures = t.failures;
    if (j->scratch->total) {
        s.p50_us = hn_hist_percentile(j->scratch, 50);
        s.p95_us = hn_hist_percentile(j->scratch, 95);
        s.p99_us = hn_hist_percentile(j->scratch, 99);
        s.max_us = hn_hist_max(j->scratch);
    }
    for (uint32_t i = 0; i < j->n_workers; i++) {
        const struct hn_journal_worker *w = &j->workers[i];
        if (!w->seen)
            continue;
        uint32_t share = w->cpu_permille / (w->cpus ? w->cpus : 1);
        if (share > s.cpu_permille_max)
            s.cpu_permille_max = share;
        if (w->lag_ms > s.lag_ms_max)
            s.lag_ms_max = w->lag_ms;
    }
    if (j->n_samples >= HN_JOURNAL_SAMPLES_MAX)
        return 0;
    HN_TRY(
        hn_array_reserve(&j->samples, &j->cap_samples, j->n_samples + 1, sizeof(*j->samples), 64));
    j->samples[j->n_samples++] = s;
    return 0;
}
