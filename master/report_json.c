/* The run as one JSON document (see report_json.h). Numbers: times in µs
 * (integers, exact as the stats store holds them), counts as integers,
 * rates and ratios as reals; a value that does not exist is null. */
#include "report_json.h"
#include "error.h"
#include "report_file.h"
#include "report_fmt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson takes signed 64-bit integers: sums saturate at 2^64 - 1 and are
 * written as the largest it can hold. */
static json_t *jint(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* A real rounded to @decimals, or null when not finite. */
static json_t *jreal(double v, int decimals)
{
    if (!isfinite(v))
        return json_null();
    double scale = pow(10.0, decimals);
    return json_real(round(v * scale) / scale);
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jtime(uint64_t ms)
{
    char buf[40];
    hn_report_fmt_utc_ms(buf, sizeof(buf), ms);
    return json_string(buf);
}

/* Keys of the percentile objects: "50", "99.9", "100". */
static void pct_key(char *buf, size_t len, double p)
{
    char num[HN_REPORT_NUM_MAX];
    hn_report_fmt_decimal(num, p, 4);
    snprintf(buf, len, "%s", num);
}

size_t hn_report_spectrum_points(double pcts[HN_REPORT_SPECTRUM_MAX])
{
    size_t n = 0;
    for (int p = 0; p < 90; p += 10)
        pcts[n++] = p;
    /* 90, 95, 97.5, ... halving what is left, to 99.9999 */
    for (double left = 10.0; left > 0.0001 && n < HN_REPORT_SPECTRUM_MAX - 1; left /= 2)
        pcts[n++] = 100.0 - left;
    pcts[n++] = 100.0;
    return n;
}

/* Summary of one latency histogram in µs, or null when it is empty. */
static json_t *latency(const struct hn_hist *h, bool spectrum)
{
    if (!h || !h->total)
        return json_null();
    json_t *o = json_object(), *p = json_object();
    json_object_set_new(o, "count", jint(h->total));
    json_object_set_new(o, "min", jint(hn_hist_min(h)));
    json_object_set_new(o, "max", jint(hn_hist_max(h)));
    json_object_set_new(o, "mean", jreal(hn_hist_mean(h), 3));
    json_object_set_new(o, "stddev", jreal(hn_hist_stddev(h), 3));
    for (size_t i = 0; i < HN_REPORT_N_PCTS; i++) {
        char key[HN_REPORT_NUM_MAX];
        pct_key(key, sizeof(key), hn_report_pcts[i]);
        json_object_set_new(p, key, jint(hn_hist_percentile(h, hn_report_pcts[i])));
    }
    json_object_set_new(o, "percentiles", p);
    if (spectrum) {
        double pcts[HN_REPORT_SPECTRUM_MAX];
        size_t n = hn_report_spectrum_points(pcts);
        json_t *sp = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *pair = json_array();
            json_array_append_new(pair, jreal(pcts[i], 6));
            json_array_append_new(pair, jint(hn_hist_percentile(h, pcts[i])));
            json_array_append_new(sp, pair);
        }
        json_object_set_new(o, "spectrum", sp);
    }
    return o;
}

static json_t *entry(const struct hn_stats_entry *e, double elapsed_s)
{
    struct hn_stats_totals t;
    hn_stats_totals(e, &t);
    json_t *o = json_object(), *ph = json_object();
    json_object_set_new(o, "method", json_string(t.method));
    json_object_set_new(o, "name", json_string(t.name));
    json_object_set_new(o, "requests", jint(t.requests));
    json_object_set_new(o, "failures", jint(t.failures));
    json_object_set_new(o, "failure_ratio",
                        jreal(t.requests ? (double)t.failures / (double)t.requests : 0.0, 6));
    json_object_set_new(o, "bytes_received", jint(t.bytes_received));
    json_object_set_new(o, "avg_content_size",
                        jreal(t.requests ? (double)t.bytes_received / (double)t.requests : 0.0, 3));
    json_object_set_new(o, "requests_per_s", jreal((double)t.requests / elapsed_s, 6));
    json_object_set_new(o, "failures_per_s", jreal((double)t.failures / elapsed_s, 6));
    json_object_set_new(o, "latency_us", latency(t.hist, true));
    json_object_set_new(o, "service_time_us", latency(t.timing[HN_TIMING_TOTAL], false));
    json_object_set_new(o, "intended_latency_us", latency(t.timing[HN_TIMING_INTENDED], false));
    json_object_set_new(ph, "dns", latency(t.timing[HN_TIMING_DNS], false));
    json_object_set_new(ph, "connect", latency(t.timing[HN_TIMING_CONNECT], false));
    json_object_set_new(ph, "tls", latency(t.timing[HN_TIMING_TLS], false));
    json_object_set_new(ph, "ttfb", latency(t.timing[HN_TIMING_TTFB], false));
    json_object_set_new(o, "phases_us", ph);
    return o;
}

static json_t *errors(const struct hn_stats *st)
{
    json_t *a = json_array();
    for (size_t i = 0; i < hn_stats_error_count(st); i++) {
        struct hn_stats_error e;
        hn_stats_error_at(st, i, &e);
        json_t *o = json_object();
        json_object_set_new(o, "method", json_string(e.method));
        json_object_set_new(o, "name", json_string(e.name));
        json_object_set_new(o, "error", json_string(e.error));
        json_object_set_new(o, "count", jint(e.count));
        json_object_set_new(o, "first_seen", jtime(e.first_seen_ms));
        json_object_set_new(o, "last_seen", jtime(e.last_seen_ms));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *exceptions(const struct hn_stats *st)
{
    json_t *a = json_array();
    for (size_t i = 0; i < hn_stats_exception_count(st); i++) {
        struct hn_stats_exception x;
        hn_stats_exception_at(st, i, &x);
        json_t *o = json_object();
        json_object_set_new(o, "message", json_string(x.message));
        json_object_set_new(o, "count", jint(x.count));
        json_array_append_new(a, o);
    }
    return a;
}

static const char *metric_name(const struct hn_threshold *t, char *buf, size_t len)
{
    static const char *const names[] = {
        [HN_TH_PERCENTILE] = "p",
        [HN_TH_AVG] = "avg",
        [HN_TH_MED] = "med",
        [HN_TH_MAX] = "max",
        [HN_TH_ERROR_RATE] = "error_rate",
        [HN_TH_RPS] = "rps",
        [HN_TH_DROPPED] = "dropped",
    };
    if (t->metric == HN_TH_PERCENTILE) {
        char num[HN_REPORT_NUM_MAX];
        hn_report_fmt_decimal(num, t->percentile, 4);
        snprintf(buf, len, "p(%s)", num);
        return buf;
    }
    return names[t->metric];
}

static const char *metric_unit(const struct hn_threshold *t)
{
    switch (t->metric) {
    case HN_TH_ERROR_RATE:
        return "ratio";
    case HN_TH_RPS:
        return "per_s";
    case HN_TH_DROPPED:
        return "count";
    default:
        return "us";
    }
}

static json_t *thresholds(const struct hn_report_moment *m)
{
    static const char *const ops[] = {
        [HN_TH_LT] = "<", [HN_TH_LE] = "<=", [HN_TH_GT] = ">", [HN_TH_GE] = ">="};
    json_t *a = json_array();
    for (uint32_t i = 0; m && i < m->n_thresholds; i++) {
        const struct hn_threshold *t = &m->thresholds[i];
        const struct hn_threshold_result *res =
            m->threshold_results ? &m->threshold_results[i] : NULL;
        double observed = res ? res->observed : NAN;
        char name[HN_REPORT_NUM_MAX + 8], text[48];
        json_t *o = json_object();
        json_object_set_new(o, "expression", json_string(t->expr));
        json_object_set_new(o, "method", t->name[0] ? json_string(t->method) : json_null());
        json_object_set_new(o, "name", t->name[0] ? json_string(t->name) : json_null());
        json_object_set_new(o, "metric", json_string(metric_name(t, name, sizeof(name))));
        json_object_set_new(o, "op", json_string(ops[t->op]));
        json_object_set_new(o, "limit", jreal(t->limit, 6));
        json_object_set_new(o, "unit", json_string(metric_unit(t)));
        json_object_set_new(o, "observed", jreal(observed, 6));
        json_object_set_new(o, "observed_text",
                            json_string(hn_threshold_format(t, observed, text, sizeof(text))));
        json_object_set_new(o, "pass", json_boolean(res && res->pass));
        json_object_set_new(o, "abort_on_fail", json_boolean(t->abort_on_fail));
        json_array_append_new(a, o);
    }
    return a;
}

static const char *worker_state(const struct hn_worker *w)
{
    if (w->banned)
        return "banned";
    if (w->declined)
        return "declined";
    if (w->final_received)
        return "finished";
    return w->missing ? "missing" : "running";
}

static json_t *warning_names(unsigned bits)
{
    json_t *a = json_array();
    if (bits & HN_JOURNAL_WARN_CPU)
        json_array_append_new(a, json_string("cpu"));
    if (bits & HN_JOURNAL_WARN_LAG)
        json_array_append_new(a, json_string("lag"));
    if (bits & HN_JOURNAL_WARN_STALL)
        json_array_append_new(a, json_string("stall"));
    return a;
}

static json_t *workers(const struct hn_report_moment *m, const struct hn_journal *j, bool final)
{
    json_t *a = json_array();
    const struct hn_registry *reg = m ? m->workers_list : NULL;
    for (uint32_t i = 0; reg && i < reg->n; i++) {
        const struct hn_worker *w = &reg->workers[i];
        const struct hn_journal_worker *jw = j ? hn_journal_worker(j, w->index) : NULL;
        const char *state = worker_state(w);
        if (final && !strcmp(state, "running"))
            state = "lost"; /* the run is over and its final report never came */
        if (final && !strcmp(state, "missing"))
            state = "lost";
        uint32_t cpus = w->hello.cpus ? w->hello.cpus : 1;
        json_t *o = json_object();
        json_object_set_new(o, "index", json_integer(w->index));
        json_object_set_new(o, "id", json_string(w->hello.worker_id));
        json_object_set_new(o, "hostname", json_string(w->hello.hostname));
        json_object_set_new(o, "pid", json_integer(w->hello.pid));
        json_object_set_new(o, "version", json_string(w->hello.version));
        json_object_set_new(o, "cpus", json_integer(w->hello.cpus));
        json_object_set_new(o, "capacity", json_integer(w->hello.capacity));
        json_object_set_new(o, "state", json_string(state));
        json_object_set_new(o, "final_report", json_boolean(w->final_received));
        json_object_set_new(o, "ban_reason", w->banned ? json_string(w->ban_reason) : json_null());
        json_object_set_new(o, "decline_reason",
                            w->declined ? json_string(w->decline_reason) : json_null());
        json_object_set_new(o, "cpu_permille", json_integer(w->cpu_permille));
        json_object_set_new(o, "cpu_share", jreal(w->cpu_permille / 1000.0 / cpus, 3));
        json_object_set_new(o, "cpu_share_max",
                            jreal(jw ? jw->cpu_permille_max / 1000.0 / cpus : 0.0, 3));
        json_object_set_new(o, "rss_bytes", jint(w->rss_bytes));
        json_object_set_new(o, "rss_bytes_max", jint(jw ? jw->rss_bytes_max : w->rss_bytes));
        json_object_set_new(o, "loop_lag_ms", json_integer(jw ? jw->lag_ms : 0));
        json_object_set_new(o, "loop_lag_ms_max", json_integer(jw ? jw->lag_ms_max : 0));
        json_object_set_new(o, "stalls", json_integer(jw ? jw->stalls : 0));
        json_object_set_new(o, "stalled_ms", jint(jw ? jw->stalled_ms : 0));
        json_object_set_new(o, "reports_lost", jint(w->reports_lost));
        json_object_set_new(o, "report_delay_max_s", jreal(w->delay_max_s, 3));
        json_object_set_new(o, "warnings", warning_names(jw ? jw->warnings : 0));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *events(const struct hn_journal *j)
{
    json_t *a = json_array();
    for (uint32_t i = 0; j && i < j->n_events; i++) {
        const struct hn_journal_event *e = &j->events[i];
        json_t *o = json_object();
        json_object_set_new(o, "time", jtime(e->at_ms));
        json_object_set_new(o, "time_ms", jint(e->at_ms));
        json_object_set_new(o, "worker", json_integer(e->worker));
        json_object_set_new(o, "kind", json_string(hn_journal_event_name(e->kind)));
        json_object_set_new(o, "detail", json_string(e->detail));
        json_array_append_new(a, o);
    }
    return a;
}

/* One list per generator warning and worker, with the message a reader
 * needs: which worker, what, from when to when. */
static json_t *generator_warnings(const struct hn_report_moment *m, const struct hn_journal *j)
{
    static const struct {
        unsigned bit;
        const char *kind, *text;
    } kinds[] = {
        {HN_JOURNAL_WARN_CPU, "cpu", "used more than 90 % of its CPUs"},
        {HN_JOURNAL_WARN_LAG, "lag", "its event loops ran late for seconds in a row"},
        {HN_JOURNAL_WARN_STALL, "stall", "its event loop did not run for a while"},
    };
    json_t *a = json_array();
    const struct hn_registry *reg = m ? m->workers_list : NULL;
    for (uint32_t i = 0; j && i < j->n_workers; i++) {
        const struct hn_journal_worker *w = hn_journal_worker(j, i);
        if (!w || !w->warnings)
            continue;
        const char *id = reg && i < reg->n ? reg->workers[i].hello.worker_id : "";
        for (size_t k = 0; k < 3; k++) {
            if (!(w->warnings & kinds[k].bit))
                continue;
            char msg[HN_PROTO_ID_MAX + 200];
            snprintf(msg, sizeof(msg),
                     "worker %u (%s) %s: latencies it measured then may include the load "
                     "generator's own delay",
                     i, id, kinds[k].text);
            json_t *o = json_object();
            json_object_set_new(o, "worker", json_integer(i));
            json_object_set_new(o, "id", json_string(id));
            json_object_set_new(o, "kind", json_string(kinds[k].kind));
            json_object_set_new(o, "message", json_string(msg));
            json_object_set_new(o, "first", jtime(w->first_warned_ms[k]));
            json_object_set_new(o, "last", jtime(w->last_warned_ms[k]));
            json_array_append_new(a, o);
        }
    }
    return a;
}

/* The timeline in columns (one array per series): compact, and what chart
 * libraries take as is. */
static json_t *timeline(const struct hn_journal *j)
{
    json_t *o = json_object();
    const char *const keys[] = {"time_ms",  "users",         "workers",        "requests",
                                "failures", "p50_us",        "p95_us",         "p99_us",
                                "max_us",   "cpu_share_max", "loop_lag_ms_max"};
    json_t *col[sizeof(keys) / sizeof(keys[0])];
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        col[k] = json_array();
    for (uint32_t i = 0; j && i < j->n_samples; i++) {
        const struct hn_journal_sample *s = &j->samples[i];
        bool any = s->requests > 0;
        json_array_append_new(col[0], jint(s->at_ms));
        json_array_append_new(col[1], json_integer(s->users));
        json_array_append_new(col[2], json_integer(s->workers));
        json_array_append_new(col[3], jint(s->requests));
        json_array_append_new(col[4], jint(s->failures));
        json_array_append_new(col[5], any ? jint(s->p50_us) : json_null());
        json_array_append_new(col[6], any ? jint(s->p95_us) : json_null());
        json_array_append_new(col[7], any ? jint(s->p99_us) : json_null());
        json_array_append_new(col[8], any ? jint(s->max_us) : json_null());
        json_array_append_new(col[9], jreal(s->cpu_permille_max / 1000.0, 3));
        json_array_append_new(col[10], json_integer(s->lag_ms_max));
    }
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        json_object_set_new(o, keys[k], col[k]);
    return o;
}

/* What the entries' latency_us holds: all from the intended start, some
 * (classes without pacing show service times), or service times. */
static const char *latency_kind(const struct hn_stats *st)
{
    uint32_t entries, intended = hn_stats_entries_intended(st, &entries);
    if (!hn_stats_shows_intended(st))
        return "service_time";
    return intended < entries ? "mixed" : "from_intended_start";
}

static json_t *config(const struct hn_report_run *run, const struct hn_report_moment *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "scenario", jstr(run ? run->scenario_file : NULL));
    json_object_set_new(o, "host", jstr(run ? run->host : NULL));
    json_object_set_new(o, "load", jstr(run ? run->load : NULL));
    json_object_set_new(o, "run_time_s",
                        m && m->run_time_ms ? jreal(m->run_time_ms / 1000.0, 3) : json_null());
    json_object_set_new(o, "stop_timeout_s", jreal(run ? run->stop_timeout_ms / 1000.0 : 0.0, 3));
    return o;
}

json_t *hn_report_json_build(const struct hn_stats *st, const struct hn_report_moment *m,
                             const struct hn_report_run *run)
{
    const struct hn_journal *j = run ? run->journal : NULL;
    uint64_t now_ms = m ? m->now_ms : hn_stats_last_ms(st);
    uint64_t start_ms = m && m->started_ms ? m->started_ms : hn_stats_start_ms(st);
    double elapsed_s = hn_stats_elapsed_s(st, now_ms);
    json_t *root = json_object(), *r = json_object(), *ents = json_array();
    if (!root || !r || !ents)
        goto fail;
    json_object_set_new(root, "format", json_string("hornet-report"));
    json_object_set_new(root, "format_version", json_integer(HN_REPORT_JSON_VERSION));
    json_object_set_new(root, "hornet_version", json_string(HN_VERSION));
    json_object_set_new(r, "id", jstr(m ? m->run_id : NULL));
    json_object_set_new(r, "started", jtime(start_ms));
    json_object_set_new(r, "started_ms", jint(start_ms));
    json_object_set_new(r, "ended", jtime(now_ms));
    json_object_set_new(r, "ended_ms", jint(now_ms));
    json_object_set_new(r, "duration_s", jreal(elapsed_s, 3));
    json_object_set_new(r, "aborted", jstr(m ? m->aborted : NULL));
    json_object_set_new(r, "latency", json_string(latency_kind(st)));
    json_object_set_new(r, "config", config(run, m));
    json_object_set_new(root, "run", r);
    json_object_set_new(root, "totals", entry(hn_stats_aggregated(st), elapsed_s));
    for (size_t i = 0; i < hn_stats_entry_count(st); i++)
        json_array_append_new(ents, entry(hn_stats_entry_at(st, i), elapsed_s));
    json_object_set_new(root, "entries", ents);
    json_object_set_new(root, "errors", errors(st));
    json_object_set_new(root, "exceptions", exceptions(st));
    json_object_set_new(root, "thresholds", thresholds(m));
    json_object_set_new(root, "dropped_iterations", jint(hn_stats_total_dropped(st)));
    json_object_set_new(root, "users_not_run", jint(m ? m->users_not_run : 0));
    json_t *lag = json_object();
    json_object_set_new(lag, "last_ms", json_integer(m ? m->lag_ms : 0));
    json_object_set_new(lag, "max_ms", json_integer(m ? m->lag_max_ms : 0));
    json_object_set_new(lag, "fell_behind", json_boolean(m && m->behind));
    json_object_set_new(root, "master_lag", lag);
    json_object_set_new(root, "workers", workers(m, j, true));
    json_object_set_new(root, "events", events(j));
    json_object_set_new(root, "events_dropped", jint(j ? j->events_dropped : 0));
    json_object_set_new(root, "generator_warnings", generator_warnings(m, j));
    json_object_set_new(root, "timeline", timeline(j));
    return root;
fail:
    json_decref(root);
    json_decref(r);
    json_decref(ents);
    return NULL;
}

/* --- the --json writer --------------------------------------------------- */

static int dump_body(FILE *f, void *doc)
{
    if (json_dumpf(doc, f, JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0)
        return -EIO;
    return fputc('\n', f) == EOF ? -EIO : 0;
}

int hn_report_json_file_write(const char *path, const struct hn_report_run *run,
                              const struct hn_stats *st, const struct hn_report_moment *m,
                              int (*body)(FILE *f, void *doc))
{
    json_t *doc = hn_report_json_build(st, m, run);
    if (!doc)
        return -ENOMEM;
    int err = hn_report_file_write(path, body, doc);
    json_decref(doc);
    return err;
}

static int json_write(const char *path, const struct hn_report_run *run, const struct hn_stats *st,
                      const struct hn_report_moment *m)
{
    return hn_report_json_file_write(path, run, st, m, dump_body);
}

int hn_report_json_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run)
{
    return hn_report_file_writer_add(rs, "JSON", path, run, json_write);
}
