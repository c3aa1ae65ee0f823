/* --summary-md PATH: a short Markdown summary of the run, fit for a CI job
 * summary (GitHub's $GITHUB_STEP_SUMMARY, GitLab, Azure DevOps) or a
 * pull-request comment: the verdict, totals, thresholds ✓/✗, percentiles
 * per entry, the most frequent errors, and what a reader must know about
 * workers (lost ones, generator warnings). */
#include "error.h"
#include "report.h"
#include "report_file.h"
#include "report_fmt.h"
#include "report_verdict.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows of the entry table: a summary stays short; the rest is counted. */
#define MD_ENTRIES_MAX 50
#define MD_ERRORS_MAX 10

/* Text inside a table cell: the characters GitHub-flavoured Markdown acts
 * on inside a line (emphasis, code, links, HTML and its entities, math,
 * strike-through) escaped, the cell separator too; control characters
 * become '?'. */
static void md(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (strchr("\\`*_[]<>|~&$", *p))
            fputc('\\', f);
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
    }
}

static const char *ms(char buf[HN_REPORT_NUM_MAX], uint64_t us)
{
    hn_report_fmt_ms_short(buf, us);
    return buf;
}

/* A time of @h (mean, or percentile @p, or max when @p > 100), or "–"
 * when nothing was timed (the CSV's N/A, the JSON's null). */
static const char *time_of(char buf[HN_REPORT_NUM_MAX], const struct hn_hist *h, double p)
{
    if (!h || !h->total)
        return "\u2013";
    return ms(buf, p < 0     ? (uint64_t)(hn_hist_mean(h) + 0.5)
                   : p > 100 ? hn_hist_max(h)
                             : hn_hist_percentile(h, p));
}

static void totals_table(FILE *f, const struct hn_stats *st, double elapsed_s)
{
    struct hn_stats_totals t;
    hn_stats_totals(hn_stats_aggregated(st), &t);
    char a[HN_REPORT_NUM_MAX], b[HN_REPORT_NUM_MAX], c[HN_REPORT_NUM_MAX], d[HN_REPORT_NUM_MAX],
        e[HN_REPORT_NUM_MAX];
    const struct hn_hist *h = t.hist;
    fputs("| requests | failures | req/s | avg (ms) | p50 | p95 | p99 | max |\n", f);
    fputs("|---:|---:|---:|---:|---:|---:|---:|---:|\n", f);
    fprintf(f, "| %llu | %llu (%.2f %%) | %.1f | %s | %s | %s | %s | %s |\n\n",
            (unsigned long long)t.requests, (unsigned long long)t.failures,
            t.requests ? 100.0 * t.failures / t.requests : 0.0, t.requests / elapsed_s,
            time_of(a, h, -1), time_of(b, h, 50), time_of(c, h, 95), time_of(d, h, 99),
            time_of(e, h, 101));
}

static void thresholds_table(FILE *f, const struct hn_report_moment *m)
{
    if (!m || !m->n_thresholds)
        return;
    fputs("### Thresholds\n\n| | threshold | observed |\n|---|---|---:|\n", f);
    for (uint32_t i = 0; i < m->n_thresholds; i++) {
        const struct hn_threshold *t = &m->thresholds[i];
        const struct hn_threshold_result *r =
            m->threshold_results ? &m->threshold_results[i] : NULL;
        char obs[48];
        fprintf(f, "| %s | ", r && r->pass ? "✅" : "❌");
        md(f, t->expr);
        fprintf(f, " | %s |\n", hn_threshold_format(t, r ? r->observed : NAN, obs, sizeof(obs)));
    }
    fputc('\n', f);
}

static int by_requests_desc(const void *a, const void *b)
{
    const struct hn_stats_totals *x = a, *y = b;
    return x->requests < y->requests ? 1 : x->requests > y->requests ? -1 : 0;
}

static void entries_table(FILE *f, const struct hn_stats *st, double elapsed_s)
{
    size_t n = hn_stats_entry_count(st);
    if (!n)
        return;
    struct hn_stats_totals *rows = calloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        if (rows)
            hn_stats_totals(hn_stats_entry_at(st, i), &rows[i]);
    }
    if (!rows)
        return;
    /* The busiest entries first when there are more than fit. */
    if (n > MD_ENTRIES_MAX)
        qsort(rows, n, sizeof(*rows), by_requests_desc);
    fputs(
        "### Requests\n\n| Type | Name | # reqs | # fails | avg | p50 | p95 | p99 | max | req/s |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        f);
    for (size_t i = 0; i < n && i < MD_ENTRIES_MAX; i++) {
        const struct hn_stats_totals *t = &rows[i];
        const struct hn_hist *h = t->hist;
        char a[HN_REPORT_NUM_MAX], b[HN_REPORT_NUM_MAX], c[HN_REPORT_NUM_MAX], d[HN_REPORT_NUM_MAX],
            e[HN_REPORT_NUM_MAX];
        fputs("| ", f);
        md(f, t->method);
        fputs(" | ", f);
        md(f, t->name);
        fprintf(f, " | %llu | %llu | %s | %s | %s | %s | %s | %.1f |\n",
                (unsigned long long)t->requests, (unsigned long long)t->failures, time_of(a, h, -1),
                time_of(b, h, 50), time_of(c, h, 95), time_of(d, h, 99), time_of(e, h, 101),
                t->requests / elapsed_s);
    }
    if (n > MD_ENTRIES_MAX)
        fprintf(f, "\n%zu more entries with fewer requests are in the other reports.\n",
                n - MD_ENTRIES_MAX);
    fputs("\nTimes in ms.\n\n", f);
    free(rows);
}

static int by_count_desc(const void *a, const void *b)
{
    const struct hn_stats_error *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static void errors_table(FILE *f, const struct hn_stats *st)
{
    size_t n = hn_stats_error_count(st);
    if (!n)
        return;
    struct hn_stats_error *rows = calloc(n, sizeof(*rows));
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++)
        hn_stats_error_at(st, i, &rows[i]);
    qsort(rows, n, sizeof(*rows), by_count_desc);
    fputs("### Errors\n\n| # | request | error |\n|---:|---|---|\n", f);
    for (size_t i = 0; i < n && i < MD_ERRORS_MAX; i++) {
        fprintf(f, "| %llu | ", (unsigned long long)rows[i].count);
        md(f, rows[i].method);
        fputc(' ', f);
        md(f, rows[i].name);
        fputs(" | ", f);
        md(f, rows[i].error);
        fputs(" |\n", f);
    }
    if (n > MD_ERRORS_MAX)
        fprintf(f, "\n%zu more kinds of error are in the other reports.\n", n - MD_ERRORS_MAX);
    fputc('\n', f);
    free(rows);
}

/* Workers the totals miss, and generator warnings: what a reader of the
 * numbers must know. */
static void caveats(FILE *f, const struct hn_report_moment *m, const struct hn_journal *j)
{
    const struct hn_registry *reg = m ? m->workers_list : NULL;
    bool title = false;
    for (uint32_t i = 0; reg && i < reg->n; i++) {
        const struct hn_worker *w = &reg->workers[i];
        const struct hn_journal_worker *jw = j ? hn_journal_worker(j, w->index) : NULL;
        bool lost = !w->final_received && !w->banned && !w->declined;
        unsigned warn = jw ? jw->warnings : 0;
        if (!lost && !w->banned && !w->declined && !warn && !w->reports_lost)
            continue;
        if (!title)
            fputs("### Workers to know about\n\n", f);
        title = true;
        fprintf(f, "- worker %u (", w->index);
        md(f, w->hello.worker_id);
        fputs("):", f);
        const char *sep = " ";
        if (lost) {
            fputs(" lost: no final report, what it had not reported yet is not in the totals", f);
            sep = "; ";
        }
        if (w->reports_lost) {
            fprintf(f,
                    "%s%llu of its reports never arrived: about %llu s of its requests are not in "
                    "the totals",
                    sep, (unsigned long long)w->reports_lost, (unsigned long long)w->reports_lost);
            sep = "; ";
        }
        if (w->banned) {
            fprintf(f, "%sthrown out: ", sep);
            md(f, w->ban_reason);
            sep = "; ";
        }
        if (w->declined) {
            fprintf(f,
                    "%scould not run the scenario, ran no users (they went to the others): ", sep);
            md(f, w->decline_reason);
            sep = "; ";
        }
        if (warn & HN_JOURNAL_WARN_CPU) {
            fprintf(f, "%sCPU above 90 %% of its %u CPUs", sep, w->hello.cpus);
            sep = "; ";
        }
        if (warn & HN_JOURNAL_WARN_LAG) {
            fprintf(f, "%sevent loops late by up to %u ms", sep, jw->lag_ms_max);
            sep = "; ";
        }
        if (warn & HN_JOURNAL_WARN_STALL)
            fprintf(f, "%sstalled %u time%s (%.1f s in all)", sep, jw->stalls,
                    jw->stalls == 1 ? "" : "s", jw->stalled_ms / 1000.0);
        if (warn)
            fputs(": its latencies may include the load generator's own delay", f);
        fputc('\n', f);
    }
    if (title)
        fputc('\n', f);
}

struct body_ctx {
    const struct hn_report_run *run;
    const struct hn_stats *st;
    const struct hn_report_moment *m;
};

static int md_body(FILE *f, void *ctx)
{
    struct body_ctx *c = ctx;
    const struct hn_stats *st = c->st;
    const struct hn_report_moment *m = c->m;
    struct hn_report_verdict v;
    hn_report_verdict(st, m, &v);
    uint64_t now_ms = m ? m->now_ms : hn_stats_last_ms(st);
    uint64_t start_ms = m && m->started_ms ? m->started_ms : hn_stats_start_ms(st);
    double elapsed_s = hn_stats_elapsed_s(st, now_ms);
    char when[32], dur[32];
    hn_report_fmt_utc(when, sizeof(when), start_ms);
    hn_report_fmt_duration(dur, sizeof(dur), (uint64_t)(elapsed_s * 1000));
    fprintf(f, "## Hornet load test: %s\n\n", v.pass ? "✅ passed" : "❌ failed");
    if (!v.pass) {
        md(f, v.why);
        fputs("\n\n", f);
    }
    fprintf(f, "Run `%s`, started %s, %s", m && m->run_id ? m->run_id : "", when, dur);
    if (c->run->load) {
        fputs(", ", f);
        md(f, c->run->load);
    }
    if (c->run->scenario_file) {
        fputs(", scenario ", f);
        md(f, c->run->scenario_file);
    }
    fputs(".\n\n", f);
    totals_table(f, st, elapsed_s);
    uint64_t dropped = hn_stats_total_dropped(st);
    if (dropped)
        fprintf(f,
                "**%llu iteration%s dropped**: not started, as no user was free within "
                "`max_delay` (the open model) or a paced user was more than a request timeout "
                "behind its schedule; %s not in the requests above.\n\n",
                (unsigned long long)dropped, dropped == 1 ? "" : "s",
                dropped == 1 ? "it is" : "they are");
    if (m && m->users_not_run)
        fprintf(f,
                "**Up to %u of the %u users asked for did not run**: the workers' capacities "
                "could not hold them (add workers or raise their `--capacity`).\n\n",
                m->users_not_run, m->users_asked_max);
    thresholds_table(f, m);
    entries_table(f, st, elapsed_s);
    errors_table(f, st);
    caveats(f, m, c->run->journal);
    return ferror(f) ? -EIO : 0;
}

static int md_write(const char *path, const struct hn_report_run *run, const struct hn_stats *st,
                    const struct hn_report_moment *m)
{
    struct body_ctx c = {run, st, m};
    return hn_report_file_write(path, md_body, &c);
}

int hn_report_summary_md_add(struct hn_reports *rs, const char *path,
                             const struct hn_report_run *run)
{
    return hn_report_file_writer_add(rs, "Markdown summary", path, run, md_write);
}
