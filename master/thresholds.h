/* Thresholds: pass/fail gates of a run ("p(95) < 500ms", "error_rate < 1%",
 * "GET /api/orders: p(99) < 1s"), parsed once, evaluated every second on
 * the statistics merged from all workers and once more at the end. A run
 * whose threshold fails exits 1; one marked abort_on_fail stops the run as
 * soon as it fails (after its delay). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "stats.h"

#define HN_THRESHOLDS_MAX 64
#define HN_THRESHOLD_EXPR_MAX 300

enum hn_threshold_metric {
    HN_TH_PERCENTILE, /* p(N): a response time percentile */
    HN_TH_AVG,        /* mean response time */
    HN_TH_MED,        /* median response time */
    HN_TH_MAX,        /* slowest response */
    HN_TH_ERROR_RATE, /* failures / requests */
    HN_TH_RPS,        /* requests per second over the run */
    HN_TH_DROPPED,    /* open model: iterations dropped */
};

enum hn_threshold_op { HN_TH_LT, HN_TH_LE, HN_TH_GT, HN_TH_GE };

struct hn_threshold {
    char expr[HN_THRESHOLD_EXPR_MAX + 1]; /* as written */
    char method[17];                      /* scope: "" for the whole run */
    char name[257];
    enum hn_threshold_metric metric;
    double percentile;                    /* p(N): N */
    enum hn_threshold_op op;
    double limit; /* µs for times, a fraction for error_rate, a count or rate */
    bool abort_on_fail;
    uint64_t delay_ms; /* abort_on_fail: not before this long into the run */
};

/* What a threshold saw. */
struct hn_threshold_result {
    double observed;  /* same unit as limit; NaN when there was no data */
    bool pass;        /* observed satisfies the limit (no data: false) */
};

/* Parse @expr ("[METHOD NAME: ]METRIC OP VALUE"). 0, or HN_E_INVALID with
 * a reason in @why and the byte offset of the problem in *@at. */
int hn_threshold_parse(const char *expr, struct hn_threshold *out, char *why, size_t why_len,
                       size_t *at);

/* True if @t is on the whole run or names a (method, name) entry of @s. If
 * not, @others (room for @len bytes) says which methods that name has, as
 * " (there is POST /x)", or "". A threshold on an entry that measures
 * nothing fails at the end (no data): the scenario may still run, e.g.
 * with --tags leaving that entry out, so this is a warning's business. */
bool hn_threshold_scope_known(const struct hn_threshold *t, const struct hn_scenario *s,
                              char *others, size_t len);

/* What the run's figures need of a threshold besides @st. */
struct hn_threshold_inputs {
    const struct hn_stats *st;
    uint64_t now_ms;  /* end of the run so far (rps divisor) */
    uint64_t dropped; /* open model: iterations dropped so far */
};

/* Evaluate @t now. */
void hn_threshold_eval(const struct hn_threshold *t, const struct hn_threshold_inputs *in,
                       struct hn_threshold_result *out);

/* @t's observed value as text with its unit ("812.5 ms", "0.52 %",
 * "1520.3/s", "3"), or "no data". @buf: 40 bytes. */
const char *hn_threshold_format(const struct hn_threshold *t, double value, char *buf,
                                size_t len);
