/* Prometheus text exposition of a run (see metrics_text.h). */
#include "metrics_text.h"
#include "report_fmt.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* 1 ms .. 60 s: the usual web latency range, and every value Locust users
 * gate on (500 ms, 1 s) falls on a bound. */
const uint64_t hn_metrics_bucket_us[HN_METRICS_BUCKETS] = {
    1000,   2500,    5000,    10000,   25000,    50000,    100000,   250000,
    500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};

/* A label value: backslash, double quote and newline escaped (the text
 * format's rules); everything else is UTF-8 as the workers sent it,
 * control characters too (Prometheus and promtool read them): replaced,
 * names that differ only there became one series several times, which
 * Prometheus's ingestion leaves undefined. */
static void label(FILE *f, const char *v)
{
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '\\')
            fputs("\\\\", f);
        else if (*v == '"')
            fputs("\\\"", f);
        else if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
    fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void entry_labels(FILE *f, const struct hn_stats_totals *t)
{
    fputs("{method=", f);
    label(f, t->method);
    fputs(",name=", f);
    label(f, t->name);
}

typedef void per_entry_fn(FILE *f, const char *metric, const struct hn_stats_totals *t);

static void for_entries(FILE *f, const struct hn_stats *st, const char *metric, per_entry_fn *fn)
{
    for (size_t i = 0; st && i < hn_stats_entry_count(st); i++) {
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(st, i), &t);
        fn(f, metric, &t);
    }
}

static void put_requests(FILE *f, const char *metric, const struct hn_stats_totals *t)
{
    fputs(metric, f);
    entry_labels(f, t);
    fprintf(f, "} %llu\n", (unsigned long long)t->requests);
}

static void put_failures(FILE *f, const char *metric, const struct hn_stats_totals *t)
{
    fputs(metric, f);
    entry_labels(f, t);
    fprintf(f, "} %llu\n", (unsigned long long)t->failures);
}

static void put_bytes(FILE *f, const char *metric, const struct hn_stats_totals *t)
{
    fputs(metric, f);
    entry_labels(f, t);
    fprintf(f, "} %llu\n", (unsigned long long)t->bytes_received);
}

/* Cumulative bucket counts: a histogram bucket of Hornet's counts toward a
 * bound when its lowest value is at most the bound (buckets are 0.1 % wide
 * at most, so a bound is exact to 0.1 %). */
static void put_histogram(FILE *f, const char *metric, const struct hn_stats_totals *t)
{
    uint64_t le[HN_METRICS_BUCKETS] = {0}, total = 0, sum = 0;
    if (t->hist) {
        struct hn_hist_iter it;
        struct hn_hist_bucket b;
        hn_hist_iter_init(&it, t->hist);
        while (hn_hist_iter_next(&it, &b))
            for (int k = 0; k < HN_METRICS_BUCKETS; k++)
                if (b.low <= hn_metrics_bucket_us[k])
                    le[k] += b.count;
        total = t->hist->total;
        sum = t->hist->sum;
    }
    for (int k = 0; k < HN_METRICS_BUCKETS; k++) {
        char bound[HN_REPORT_NUM_MAX];
        hn_report_fmt_decimal(bound, hn_metrics_bucket_us[k] / 1e6, 6);
        fprintf(f, "%s_bucket", metric);
        entry_labels(f, t);
        fprintf(f, ",le=\"%s\"} %llu\n", bound, (unsigned long long)le[k]);
    }
    fprintf(f, "%s_bucket", metric);
    entry_labels(f, t);
    fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)total);
    fprintf(f, "%s_sum", metric);
    entry_labels(f, t);
    fprintf(f, "} %.6f\n", sum / 1e6);
    fprintf(f, "%s_count", metric);
    entry_labels(f, t);
    fprintf(f, "} %llu\n", (unsigned long long)total);
}

static void worker_labels(FILE *f, const struct hn_worker *w)
{
    fprintf(f, "{worker=\"%u\",id=", w->index);
    label(f, w->hello.worker_id);
    fputs(",host=", f);
    label(f, w->hello.hostname);
}

static void worker_metrics(FILE *f, const struct hn_metrics_state *s)
{
    const struct hn_registry *reg = s->reg;
    if (!reg || !reg->n)
        return;
    family(f, "hornet_worker_up", "gauge", "1 while the worker runs users for this run.");
    for (uint32_t i = 0; i < reg->n; i++) {
        fputs("hornet_worker_up", f);
        worker_labels(f, &reg->workers[i]);
        fprintf(f, "} %d\n", hn_worker_active(&reg->workers[i]) ? 1 : 0);
    }
    family(f, "hornet_worker_cpu_ratio", "gauge",
           "CPU use of the worker process; 1 = one core fully busy.");
    for (uint32_t i = 0; i < reg->n; i++) {
        fputs("hornet_worker_cpu_ratio", f);
        worker_labels(f, &reg->workers[i]);
        fprintf(f, "} %.3f\n", reg->workers[i].cpu_permille / 1000.0);
    }
    family(f, "hornet_worker_cpus", "gauge", "CPUs the worker reported.");
    for (uint32_t i = 0; i < reg->n; i++) {
        fputs("hornet_worker_cpus", f);
        worker_labels(f, &reg->workers[i]);
        fprintf(f, "} %u\n", reg->workers[i].hello.cpus);
    }
    family(f, "hornet_worker_resident_memory_bytes", "gauge", "Resident memory of the worker.");
    for (uint32_t i = 0; i < reg->n; i++) {
        fputs("hornet_worker_resident_memory_bytes", f);
        worker_labels(f, &reg->workers[i]);
        fprintf(f, "} %llu\n", (unsigned long long)reg->workers[i].rss_bytes);
    }
    if (!s->journal)
        return;
    family(f, "hornet_worker_loop_lag_seconds", "gauge",
           "How late the worker's event loops ran at worst in its last heartbeat interval.");
    for (uint32_t i = 0; i < reg->n; i++) {
        const struct hn_journal_worker *jw = hn_journal_worker(s->journal, reg->workers[i].index);
        fputs("hornet_worker_loop_lag_seconds", f);
        worker_labels(f, &reg->workers[i]);
        fprintf(f, "} %.3f\n", jw ? jw->lag_ms / 1000.0 : 0.0);
    }
    family(f, "hornet_worker_generator_warning", "gauge",
           "1 once the self-check flagged the worker: its latencies may include its own delay.");
    static const struct {
        unsigned bit;
        const char *kind;
    } kinds[] = {{HN_JOURNAL_WARN_CPU, "cpu"},
                 {HN_JOURNAL_WARN_LAG, "lag"},
                 {HN_JOURNAL_WARN_STALL, "stall"}};
    for (uint32_t i = 0; i < reg->n; i++) {
        const struct hn_journal_worker *jw = hn_journal_worker(s->journal, reg->workers[i].index);
        for (size_t k = 0; k < 3; k++) {
            fputs("hornet_worker_generator_warning", f);
            worker_labels(f, &reg->workers[i]);
            fprintf(f, ",kind=\"%s\"} %d\n", kinds[k].kind,
                    jw && (jw->warnings & kinds[k].bit) ? 1 : 0);
        }
    }
}

static void errors(FILE *f, const struct hn_stats *st)
{
    family(f, "hornet_errors_total", "counter", "Failed requests by error.");
    for (size_t i = 0; st && i < hn_stats_error_count(st); i++) {
        struct hn_stats_error e;
        hn_stats_error_at(st, i, &e);
        fputs("hornet_errors_total{method=", f);
        label(f, e.method);
        fputs(",name=", f);
        label(f, e.name);
        fputs(",error=", f);
        label(f, e.error);
        fprintf(f, "} %llu\n", (unsigned long long)e.count);
    }
}

static void thresholds(FILE *f, const struct hn_metrics_state *s)
{
    if (!s->n_thresholds)
        return;
    family(f, "hornet_threshold_pass", "gauge",
           "1 while the threshold holds on the figures so far, 0 when it does not, NaN while "
           "it has no data.");
    for (uint32_t i = 0; i < s->n_thresholds; i++) {
        /* The same expression twice (in the file and on the command line)
         * is one series: a second sample of it makes the scrape hold a
         * duplicate, which Prometheus rejects. Both judge the same
         * figures, so the first says it. */
        bool seen = false;
        for (uint32_t k = 0; k < i && !seen; k++)
            seen = !strcmp(s->thresholds[k].expr, s->thresholds[i].expr);
        if (seen)
            continue;
        fputs("hornet_threshold_pass{expression=", f);
        label(f, s->thresholds[i].expr);
        /* No data yet (nothing measured, the verdict would say "no
         * data"): NaN, so that an alert on == 0 does not fire at every
         * run's start. */
        const struct hn_threshold_result *res =
            s->threshold_results ? &s->threshold_results[i] : NULL;
        if (!res || isnan(res->observed))
            fputs("} NaN\n", f);
        else
            fprintf(f, "} %d\n", res->pass ? 1 : 0);
    }
}

int hn_metrics_render(FILE *f, const struct hn_metrics_state *s)
{
    const struct hn_stats *st = s->st;
    /* Users and workers as the registry has them now (the run's own sum:
     * workers that run users for it). */
    uint32_t users = s->reg ? hn_registry_users(s->reg) : 0, workers = 0;
    for (uint32_t i = 0; s->reg && i < s->reg->n; i++)
        workers += hn_worker_active(&s->reg->workers[i]);
    family(f, "hornet_info", "gauge", "The run this master drives (always 1).");
    fputs("hornet_info{run_id=", f);
    label(f, s->run_id ? s->run_id : "");
    fputs(",version=", f);
    label(f, HN_VERSION);
    fputs("} 1\n", f);
    family(f, "hornet_users", "gauge", "Virtual users running now.");
    fprintf(f, "hornet_users %u\n", users);
    family(f, "hornet_workers", "gauge", "Workers running users now.");
    fprintf(f, "hornet_workers %u\n", workers);
    family(f, "hornet_requests_total", "counter", "Completed requests, failures included.");
    for_entries(f, st, "hornet_requests_total", put_requests);
    family(f, "hornet_request_failures_total", "counter", "Failed requests.");
    for_entries(f, st, "hornet_request_failures_total", put_failures);
    family(f, "hornet_response_bytes_total", "counter", "Response bytes received.");
    for_entries(f, st, "hornet_response_bytes_total", put_bytes);
    family(f, "hornet_request_duration_seconds", "histogram",
           "Response time (the latency the reports show), exact to 0.1 % at the bounds.");
    for_entries(f, st, "hornet_request_duration_seconds", put_histogram);
    errors(f, st);
    family(f, "hornet_dropped_iterations_total", "counter",
           "Iterations not started in time: no user free within max_delay (open model), or a "
           "paced user a request timeout behind.");
    fprintf(f, "hornet_dropped_iterations_total %llu\n",
            (unsigned long long)(st ? hn_stats_total_dropped(st) : 0));
    worker_metrics(f, s);
    thresholds(f, s);
    return ferror(f) ? -EIO : 0;
}
