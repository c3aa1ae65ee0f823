/* Master-side statistics: the exact merge of worker SNAPSHOT and FINAL
 * messages per (method, name) and overall (the "Aggregated" row), both
 * cumulative and per master second, plus error rows per (method, name, error).
 * The CSV writer (csv_report.h) and the console (console.h) read it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "msg.h"

/* Closed master seconds in the "current" window (Locust's
 * CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW): current req/s, failures/s and
 * the history CSV's percentiles cover the last <= 10 closed seconds. */
#define HN_STATS_WINDOW_S 10u

/* Most distinct (method, name) entries kept. Requests of further names are
 * merged into one entry (HN_STATS_OTHER_METHOD, HN_STATS_OTHER_NAME): counts
 * are never dropped. Same for error rows (HN_STATS_OTHER_ERROR). */
#define HN_STATS_ENTRIES_MAX 10000u
#define HN_STATS_ERRORS_MAX 10000u
#define HN_STATS_OTHER_METHOD "*"
#define HN_STATS_OTHER_NAME "(other names)"
#define HN_STATS_OTHER_ERROR "(other errors)"

/* Name of the overall row; its method is "". */
#define HN_STATS_AGGREGATED_NAME "Aggregated"

struct hn_stats;
struct hn_stats_entry; /* one (method, name) row, or the Aggregated row */

/* Which latency the rows' histograms (hist, windows, CSV, console,
 * thresholds) hold. */
enum hn_stats_latency {
    HN_STATS_LATENCY_AUTO,     /* from the intended start where every request of
                                  an entry's interval has one, else service time */
    HN_STATS_LATENCY_SERVICE,  /* service time always */
    HN_STATS_LATENCY_INTENDED, /* the same as AUTO: a request without an intended
                                  start can only show its service time */
};

/* Cumulative figures of one row since the run started. */
struct hn_stats_totals {
    const char *method;         /* "GET", ...; "" for the Aggregated row */
    const char *name;           /* "Aggregated" for the Aggregated row */
    uint64_t requests;          /* completed requests, failures included */
    uint64_t failures;          /* of those, failed */
    uint64_t bytes_received;    /* response bytes */
    const struct hn_hist *hist; /* response times in µs (the latency shown);
                                   NULL when requests == 0 */
    const struct hn_hist *timing[HN_TIMING__COUNT]; /* each kind as sent, in µs
                                                       (TOTAL: service time); NULL:
                                                       none arrived (Aggregated's
                                                       phases: none until
                                                       hn_stats_settle) */
};

/* Figures of one row over the last <= HN_STATS_WINDOW_S closed master
 * seconds (fewer at the start of the run). */
struct hn_stats_recent {
    uint32_t seconds;      /* closed seconds in the window, from the one the first
                              report arrived in (0 until that one closes) */
    uint64_t requests;     /* requests that arrived in those seconds */
    uint64_t failures;     /* failures that arrived in those seconds */
    double requests_per_s; /* requests / seconds; 0 when seconds == 0 */
    double failures_per_s; /* failures / seconds; 0 when seconds == 0 */
};

/* One error row: (method, name, error) and when the master saw it. */
struct hn_stats_error {
    const char *method;
    const char *name;
    const char *error;      /* "HTTP 500", "timeout", ... */
    uint64_t count;         /* occurrences, >= 1 */
    uint64_t first_seen_ms; /* master clock (now_ms of hn_stats_add) at first arrival */
    uint64_t last_seen_ms;  /* master clock at the latest arrival */
};

/* Create an empty store. @start_ms: master wall clock (ms since the epoch) at
 * the start of the run; the first master second opens then.
 * @return 0 and *out set, or -ENOMEM. */
int hn_stats_new(uint64_t start_ms, struct hn_stats **out);

/* Free @st and everything it holds. NULL is a no-op. */
void hn_stats_free(struct hn_stats *st);

/* Merge one decoded, validated SNAPSHOT or FINAL (hn_msg_decode checked every
 * histogram; the wire buckets must still be valid). Cumulative figures merge
 * exactly; the requests count in the master's currently open second, whatever
 * the worker's timestamps say. @now_ms: master wall clock at arrival, used as
 * the first/last seen time of error rows.
 * Counts add up saturating (a sum never wraps around).
 * @return 0, or -ENOMEM when an allocation fails or the memory bound
 *         (hn_stats_set_memory_max) would be passed (then the entries and
 *         errors before the one that failed are merged, the rest are not). */
int hn_stats_add(struct hn_stats *st, const struct hn_msg_snapshot *snap, uint64_t now_ms);

/* Aggregated's phase histograms (DNS, connect, TLS, time to first byte:
 * timing[] of hn_stats_aggregated) are not merged snapshot by snapshot;
 * this sums them from the rows, exactly. Call it before reading them (the
 * final reports); Aggregated's latency and service time are always
 * current. Costs O(rows x the counter range between each row's min and
 * max): at the end of a run, not every second. */
void hn_stats_settle(struct hn_stats *st);

/* Elementary steps hn_stats_add has taken so far: histogram counters
 * decoded, added to a cumulative histogram or to a per-second slot, and
 * table cells probed. A merge costs O(the snapshot's non-empty counters and
 * entries), whatever the store holds already; tests pin that by counting
 * (never by timing). */
uint64_t hn_stats_work(const struct hn_stats *st);

/* Bound the memory of rows, histograms and per-second slots to @bytes
 * (default: unbounded); past it hn_stats_add fails with -ENOMEM. The fixed
 * tables hn_stats_new allocates (about 1 MiB) are not counted. */
void hn_stats_set_memory_max(struct hn_stats *st, size_t bytes);
/* Bytes counted against that bound so far. */
size_t hn_stats_memory(const struct hn_stats *st);

/* Close the open master second and open the next. The run calls it once per
 * second of master clock (and once more at the very end); the current rates
 * count each closed second as one second. */
void hn_stats_tick(struct hn_stats *st, uint64_t now_ms);

/* Set before the first hn_stats_add (default AUTO). */
void hn_stats_set_latency(struct hn_stats *st, enum hn_stats_latency mode);
/* True if some shown times are latencies from the intended start. */
bool hn_stats_shows_intended(const struct hn_stats *st);
/* Entries (not Aggregated) that show latencies from the intended start, of
 * *@of entries with requests: all of them (paced classes, the open model),
 * some (unpaced classes show service times), or none. */
uint32_t hn_stats_entries_intended(const struct hn_stats *st, uint32_t *of);
/* Open model: iterations dropped (waited longer than max_delay), all workers. */
uint64_t hn_stats_total_dropped(const struct hn_stats *st);

uint64_t hn_stats_total_requests(const struct hn_stats *st);
uint64_t hn_stats_total_failures(const struct hn_stats *st);

/* @start_ms given to hn_stats_new. */
uint64_t hn_stats_start_ms(const struct hn_stats *st);
/* Latest now_ms given to hn_stats_add or hn_stats_tick (start_ms before any). */
uint64_t hn_stats_last_ms(const struct hn_stats *st);

/* Wall ms the latest report (SNAPSHOT or FINAL) was added at: the counts
 * cover the run up to about then (a worker reports a second when it is
 * over), the store's start before any. */
uint64_t hn_stats_reported_ms(const struct hn_stats *st);
/* Run duration in seconds from start_ms to @now_ms, at least 1: the divisor
 * of the whole-run Requests/s and Failures/s. */
double hn_stats_elapsed_s(const struct hn_stats *st, uint64_t now_ms);

/* Number of (method, name) entries (the Aggregated row not included). */
size_t hn_stats_entry_count(const struct hn_stats *st);
/* Entry @i (< hn_stats_entry_count) in report order: by name, then by method
 * (byte order, which for UTF-8 is code point order, as Python sorts). */
const struct hn_stats_entry *hn_stats_entry_at(const struct hn_stats *st, size_t i);
/* The Aggregated row: the exact merge of every entry (its phase histograms
 * once hn_stats_settle has run). */
const struct hn_stats_entry *hn_stats_aggregated(const struct hn_stats *st);

/* Cumulative figures of @e. Pointers stay valid until the next hn_stats_add
 * or hn_stats_free. */
void hn_stats_totals(const struct hn_stats_entry *e, struct hn_stats_totals *out);

/* Figures of @e over the current window. If @scratch is not NULL, it is
 * reset and receives the exact merge of the response times that arrived in
 * the window (percentiles of the "current" columns); @scratch must have been
 * initialised (hn_hist_new or hn_hist_init). */
void hn_stats_recent(const struct hn_stats *st, const struct hn_stats_entry *e,
                     struct hn_hist *scratch, struct hn_stats_recent *out);

/* Something that went wrong outside any request, e.g. "data accounts
 * exhausted: a user could not start", summed over workers. */
struct hn_stats_exception {
    const char *message;
    uint64_t count;
};

/* Most distinct exception messages kept; further ones count under the
 * last. */
#define HN_STATS_EXCEPTIONS_MAX 64u

size_t hn_stats_exception_count(const struct hn_stats *st);
void hn_stats_exception_at(const struct hn_stats *st, size_t i, struct hn_stats_exception *out);
uint64_t hn_stats_total_exceptions(const struct hn_stats *st);

/* Number of error rows. */
size_t hn_stats_error_count(const struct hn_stats *st);
/* Error row @i (< hn_stats_error_count), ordered by name, method, error. */
void hn_stats_error_at(const struct hn_stats *st, size_t i, struct hn_stats_error *out);
