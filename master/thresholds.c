/* Threshold expressions and their evaluation (see thresholds.h). */
#include "thresholds.h"
#include "error.h"
#include "units.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t len, size_t *at, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    if (at)
        *at = pos;
    return HN_E_INVALID;
}

static bool is_time(enum hn_threshold_metric m)
{
    return m == HN_TH_PERCENTILE || m == HN_TH_AVG || m == HN_TH_MED || m == HN_TH_MAX;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The metric at @p: sets t->metric (and percentile); returns the text
 * after it, or NULL. */
static const char *metric(const char *p, struct hn_threshold *t)
{
    static const struct {
        const char *word;
        enum hn_threshold_metric m;
    } words[] = {{"avg", HN_TH_AVG},           {"med", HN_TH_MED}, {"max", HN_TH_MAX},
                 {"error_rate", HN_TH_ERROR_RATE}, {"rps", HN_TH_RPS}, {"dropped", HN_TH_DROPPED}};
    if (strncmp(p, "p(", 2) == 0) {
        char *end;
        t->percentile = strtod(p + 2, &end);
        if (end == p + 2 || *end != ')' || !(t->percentile > 0) || t->percentile > 100)
            return NULL;
        t->metric = HN_TH_PERCENTILE;
        return end + 1;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
        size_t n = strlen(words[i].word);
        if (strncmp(p, words[i].word, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_') {
            t->metric = words[i].m;
            return p + n;
        }
    }
    return NULL;
}

static int value(const char *v, struct hn_threshold *t, char *why, size_t len, size_t *at,
                 size_t pos)
{
    char buf[64];
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return bad(why, len, at, pos, "a value is missing after the comparison");
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *end;
    if (is_time(t->metric)) {
        uint64_t us;
        /* A bare number is seconds elsewhere in the file, but milliseconds
         * in k6's thresholds: "p(95) < 800" would be a gate of 800 s that
         * never fails. The unit must be written. */
        if (buf[strspn(buf, "0123456789.")] == '\0')
            return bad(why, len, at, pos, "'%s' has no unit: write %sms or %ss", buf, buf, buf);
        if (hn_units_parse_duration_us(buf, &us))
            return bad(why, len, at, pos, "'%s' is not a duration such as 500ms or 1.5s", buf);
        t->limit = (double)us;
    } else if (t->metric == HN_TH_ERROR_RATE) {
        t->limit = strtod(buf, &end);
        if (end == buf || !(t->limit >= 0) || (*end && strcmp(end, "%") != 0))
            return bad(why, len, at, pos, "'%s' is not a rate such as 1%% or 0.01", buf);
        if (*end == '%')
            t->limit /= 100.0;
        if (t->limit > 1)
            return bad(why, len, at, pos, "an error rate is at most 100%%");
    } else if (t->metric == HN_TH_RPS) {
        double per_s;
        if (hn_units_parse_rate(buf, &per_s))
            return bad(why, len, at, pos, "'%s' is not a rate such as 150 or 150/s", buf);
        t->limit = per_s;
    } else {
        uint64_t count;
        if (hn_units_parse_count(buf, UINT64_MAX, &count))
            return bad(why, len, at, pos, "'%s' is not a whole number", buf);
        t->limit = (double)count;
    }
    return 0;
}

int hn_threshold_parse(const char *expr, struct hn_threshold *out, char *why, size_t why_len,
                       size_t *at)
{
    memset(out, 0, sizeof(*out));
    if (strlen(expr) > HN_THRESHOLD_EXPR_MAX)
        return bad(why, why_len, at, 0, "longer than %d bytes", HN_THRESHOLD_EXPR_MAX);
    snprintf(out->expr, sizeof(out->expr), "%s", expr);
    /* A scope is "METHOD NAME: " before the metric; names may hold ':' (a
     * URL with a port), so the metric is found from the right. */
    const char *p = expr, *colon = NULL;
    for (const char *q = expr; (q = strstr(q, ": ")) != NULL; q++) {
        struct hn_threshold probe;
        if (metric(skip_space(q + 2), &probe))
            colon = q;
    }
    if (colon) {
        const char *sp = memchr(expr, ' ', (size_t)(colon - expr));
        if (!sp || sp == expr)
            return bad(why, why_len, at, 0,
                       "a scope is METHOD NAME, e.g. \"GET /api/orders: p(95) < 800ms\"");
        size_t ml = (size_t)(sp - expr), nl = (size_t)(colon - sp - 1);
        if (ml >= sizeof(out->method) || nl >= sizeof(out->name) || nl == 0)
            return bad(why, why_len, at, 0, "scope too long");
        memcpy(out->method, expr, ml);
        memcpy(out->name, sp + 1, nl);
        p = colon + 2;
    }
    p = skip_space(p);
    const char *rest = metric(p, out);
    if (!rest && !strncmp(p, "p(", 2))
        return bad(why, why_len, at, (size_t)(p - expr),
                   "a percentile is p(N) with 0 < N <= 100, e.g. p(95) or p(99.9)");
    if (!rest)
        return bad(why, why_len, at, (size_t)(p - expr),
                   "unknown metric: p(N), avg, med, max, error_rate, rps or dropped");
    rest = skip_space(rest);
    if (!strncmp(rest, "<=", 2))
        out->op = HN_TH_LE, rest += 2;
    else if (!strncmp(rest, ">=", 2))
        out->op = HN_TH_GE, rest += 2;
    else if (*rest == '<')
        out->op = HN_TH_LT, rest++;
    else if (*rest == '>')
        out->op = HN_TH_GT, rest++;
    else
        return bad(why, why_len, at, (size_t)(rest - expr), "expected <, <=, > or >=");
    rest = skip_space(rest);
    if (out->metric == HN_TH_DROPPED && out->method[0])
        return bad(why, why_len, at, 0, "dropped iterations are counted for the whole run only");
    return value(rest, out, why, why_len, at, (size_t)(rest - expr));
}

bool hn_threshold_scope_known(const struct hn_threshold *t, const struct hn_scenario *s,
                              char *others, size_t len)
{
    size_t used = 0;
    others[0] = '\0';
    if (!t->method[0])
        return true;
    for (uint32_t e = 0; e < s->n_entries; e++) {
        if (strcmp(s->entries[e].name, t->name) != 0)
            continue;
        if (!strcmp(s->entries[e].method, t->method))
            return true;
        int n = snprintf(others + used, len - used, "%s%s %s", used ? ", " : " (there is ",
                         s->entries[e].method, s->entries[e].name);
        if (n < 0 || (size_t)n >= len - used) {
            others[used] = '\0';
            break;
        }
        used += (size_t)n;
    }
    if (used && used + 1 < len) {
        others[used++] = ')';
        others[used] = '\0';
    } else if (used) {
        others[0] = '\0'; /* no room to close it: say nothing rather than half */
    }
    return false;
}

static const struct hn_stats_entry *scope(const struct hn_threshold *t, const struct hn_stats *st)
{
    if (!t->method[0])
        return hn_stats_aggregated(st);
    for (size_t i = 0; i < hn_stats_entry_count(st); i++) {
        const struct hn_stats_entry *e = hn_stats_entry_at(st, i);
        struct hn_stats_totals tot;
        hn_stats_totals(e, &tot);
        if (strcmp(tot.method, t->method) == 0 && strcmp(tot.name, t->name) == 0)
            return e;
    }
    return NULL;
}

void hn_threshold_eval(const struct hn_threshold *t, const struct hn_threshold_inputs *in,
                       struct hn_threshold_result *out)
{
    double v = NAN;
    const struct hn_stats_entry *e = scope(t, in->st);
    struct hn_stats_totals tot = {0};
    if (e)
        hn_stats_totals(e, &tot);
    bool have = tot.requests > 0 && tot.hist;
    switch (t->metric) {
    case HN_TH_PERCENTILE:
        v = have ? (double)hn_hist_percentile(tot.hist, t->percentile) : NAN;
        break;
    case HN_TH_MED:
        v = have ? (double)hn_hist_percentile(tot.hist, 50) : NAN;
        break;
    case HN_TH_AVG:
        v = have ? hn_hist_mean(tot.hist) : NAN;
        break;
    case HN_TH_MAX:
        v = have ? (double)hn_hist_max(tot.hist) : NAN;
        break;
    case HN_TH_ERROR_RATE:
        v = tot.requests ? (double)tot.failures / (double)tot.requests : NAN;
        break;
    case HN_TH_RPS:
        /* Nothing measured yet is no data, not 0/s: a gate on it must not
         * abort a run in its first second. The requests counted cover the
         * run up to the latest report, not up to now: a worker reports a
         * second once it is over, so a steady 200/s read 100/s at 2 s
         * (an audit's abort_on_fail run failed on it). */
        v = tot.requests
                ? (double)tot.requests / hn_stats_elapsed_s(in->st, hn_stats_reported_ms(in->st))
                : NAN;
        break;
    case HN_TH_DROPPED:
        v = (double)in->dropped;
        break;
    }
    out->observed = v;
    switch (t->op) {
    case HN_TH_LT:
        out->pass = v < t->limit;
        break;
    case HN_TH_LE:
        out->pass = v <= t->limit;
        break;
    case HN_TH_GT:
        out->pass = v > t->limit;
        break;
    case HN_TH_GE:
        out->pass = v >= t->limit;
        break;
    }
    if (isnan(v))
        out->pass = false; /* a gate on nothing measured does not pass */
}

const char *hn_threshold_format(const struct hn_threshold *t, double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "no data");
    else if (is_time(t->metric))
        snprintf(buf, len, "%.3f ms", v / 1000.0);
    else if (t->metric == HN_TH_ERROR_RATE)
        snprintf(buf, len, "%.3f %%", v * 100.0);
    else if (t->metric == HN_TH_RPS)
        snprintf(buf, len, "%.1f/s", v);
    else
        snprintf(buf, len, "%.0f", v);
    return buf;
}
