/* The run's journal, for the reports: one sample per closed master second
 * (the timeline of the HTML and JSON reports), worker events (joined,
 * missing, back, restarted, stopped, thrown out, lost) with their times,
 * and the generator self-check: a worker above 90 % of its CPUs, or whose
 * event loops run late (lag) or stopped running for a while (a stall: a
 * frozen process, a paused VM), is flagged, because the latencies it
 * measured then include its own delay. The run calls one function per
 * event; writers read it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "interval.h"
#include "msg.h"

/* Self-check limits. CPU: Locust warns above 90 % of its one core; a
 * Hornet worker keeps as many CPUs busy as it reports (its engine threads,
 * at most its CPUs), so the limit is 90 % of them. Lag: a loop this late in
 * HN_JOURNAL_LAG_STREAK heartbeats in a row: a CPU-starved worker's loops
 * wait a scheduler time slice, 20-30 ms, again and again (measured: three
 * busy loops on the worker's CPU made its loops 24-56 ms late every second
 * and its p90 25 ms, for a 0.5 ms median), while a healthy worker's stay
 * within a few ms. Stall: one loop this late once. */
#define HN_JOURNAL_CPU_PERMILLE_PER_CPU 900u
#define HN_JOURNAL_LAG_MS 20u
#define HN_JOURNAL_LAG_STREAK 3u
#define HN_JOURNAL_STALL_MS HN_PROTO_STALL_MS

/* Bounds: a run of 12 days keeps every second; a flapping worker cannot
 * grow the event list without end (later events are only counted). */
#define HN_JOURNAL_SAMPLES_MAX 1000000u
#define HN_JOURNAL_EVENTS_MAX 10000u

enum hn_journal_event_kind {
    HN_JEV_JOINED,    /* first HELLO */
    HN_JEV_MISSING,   /* silent too long: its users went to the others */
    HN_JEV_BACK,      /* spoke again after missing, or reconnected */
    HN_JEV_RESTARTED, /* a new process with its identity: scenario sent again */
    HN_JEV_STOPPED,   /* sent its FINAL before the run asked it to */
    HN_JEV_BANNED,    /* broke a limit: ignored from then on */
    HN_JEV_LOST,      /* the run ended without its final report */
    HN_JEV_STALL,     /* its own loop stopped running for a while */
    HN_JEV_GAP,       /* some of its reports never arrived (a gap in their seq) */
    HN_JEV_DECLINED,  /* cannot run the scenario: idle, its users went to the others */
    HN_JEV__COUNT
};

/* "joined", "missing", ... (the JSON "kind"). */
const char *hn_journal_event_name(enum hn_journal_event_kind kind);

#define HN_JOURNAL_DETAIL_MAX 200

struct hn_journal_event {
    uint64_t at_ms;  /* master wall clock */
    uint32_t worker; /* worker index (join order) */
    enum hn_journal_event_kind kind;
    char detail[HN_JOURNAL_DETAIL_MAX]; /* plain text, already sanitised */
};

/* Generator warnings of one worker (bits). */
enum {
    HN_JOURNAL_WARN_CPU = 1,   /* above 90 % of its CPUs */
    HN_JOURNAL_WARN_LAG = 2,   /* its loops ran late for seconds in a row */
    HN_JOURNAL_WARN_STALL = 4, /* one of its loops did not run for a while */
};

/* Self-check figures of one worker over the run. */
struct hn_journal_worker {
    bool seen;             /* a heartbeat arrived */
    uint32_t cpus;         /* as in its HELLO */
    uint32_t cpu_permille; /* last heartbeat */
    uint32_t cpu_permille_max;
    uint64_t rss_bytes_max;
    uint32_t lag_ms; /* last heartbeat */
    uint32_t lag_ms_max;
    uint32_t lag_streak;         /* heartbeats in a row with lag >= HN_JOURNAL_LAG_MS */
    uint32_t stalls;             /* lags >= HN_JOURNAL_STALL_MS, each counted once */
    uint64_t stalled_ms;         /* their lags added up */
    uint32_t stall_last_ms;      /* the last stall's lag, which the worker repeats ... */
    uint64_t stall_last_at;      /* ... for a while after this time */
    unsigned warnings;           /* HN_JOURNAL_WARN_* seen at least once */
    uint64_t first_warned_ms[3]; /* when each warning first came (0: never) */
    uint64_t last_warned_ms[3];  /* when each warning last held */
};

/* One closed master second. Times in µs; 0 when no request arrived. */
struct hn_journal_sample {
    uint64_t at_ms;
    uint32_t users, workers;
    uint64_t requests, failures; /* that arrived in this second */
    uint64_t p50_us, p95_us, p99_us, max_us;
    uint32_t cpu_permille_max; /* busiest worker, as a share of its CPUs, 1000 = all */
    uint32_t lag_ms_max;       /* latest lag of the worst worker */
};

struct hn_journal {
    struct hn_journal_sample *samples;
    uint32_t n_samples, cap_samples;
    struct hn_journal_event *events;
    uint32_t n_events, cap_events;
    uint64_t events_dropped;
    struct hn_journal_worker *workers; /* by worker index */
    uint32_t n_workers, cap_workers;
    struct hn_interval agg; /* the Aggregated row's per-second histogram */
    struct hn_hist *scratch;
    uint64_t prev_requests, prev_failures;
    bool quiet; /* no log lines (unit tests) */
};

/* 0 or -ENOMEM. */
int hn_journal_init(struct hn_journal *j);
void hn_journal_deinit(struct hn_journal *j);

/* Record worker @worker's event @kind at @at_ms; @fmt: the detail (printf;
 * control characters are escaped). Only records: the run logs its own
 * lines. */
void hn_journal_event(struct hn_journal *j, uint64_t at_ms, uint32_t worker,
                      enum hn_journal_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A HEARTBEAT of worker @worker (@cpus: from its HELLO; @id: for the log
 * line of a new warning). Updates the self-check and logs a warning the
 * first time each one holds for the worker. */
void hn_journal_heartbeat(struct hn_journal *j, uint64_t at_ms, uint32_t worker, const char *id,
                          uint32_t cpus, const struct hn_msg_heartbeat *hb);

/* Self-check figures of worker @worker, or NULL if it sent no heartbeat. */
const struct hn_journal_worker *hn_journal_worker(const struct hn_journal *j, uint32_t worker);

/* Warnings of every worker together (HN_JOURNAL_WARN_* bits). */
unsigned hn_journal_warnings(const struct hn_journal *j);

struct hn_stats;
/* Close one second: a sample from the statistics (requests and percentiles
 * of what arrived since the previous sample) and the workers' latest
 * self-check figures. 0 or -ENOMEM (the sample is lost, nothing else). */
int hn_journal_sample(struct hn_journal *j, const struct hn_stats *st, uint64_t at_ms,
                      uint32_t users, uint32_t workers);
