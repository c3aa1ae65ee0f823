/* --junit PATH: JUnit XML for CI servers (Jenkins, GitLab, Azure DevOps):
 * a test case for the run itself, one per threshold, and one per entry
 * that had failed requests, so the CI page says what failed. The layout is
 * the common one (Jenkins' and Surefire's junit-10.xsd). */
#include "error.h"
#include "report.h"
#include "report_file.h"
#include "report_fmt.h"
#include "report_verdict.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* XML text or attribute value: markup characters escaped; tab, LF, CR
 * and DEL as character references (an attribute value would otherwise
 * turn them into spaces); the control characters XML 1.0 cannot hold
 * become '?'. */
static void xml(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        case '\n':
            fputs("&#10;", f);
            break;
        case '\t':
            fputs("&#9;", f);
            break;
        case '\r':
            fputs("&#13;", f);
            break;
        case 0x7f:
            fputs("&#127;", f);
            break;
        default:
            fputc(*p < 0x20 ? '?' : *p, f);
        }
    }
}

static void property(FILE *f, const char *name, const char *value)
{
    fprintf(f, "      <property name=\"%s\" value=\"", name);
    xml(f, value);
    fputs("\"/>\n", f);
}

struct body_ctx {
    const struct hn_report_run *run;
    const struct hn_stats *st;
    const struct hn_report_moment *m;
};

/* Entries with failures: their errors, most frequent first is not needed
 * here (the store's order is stable and readable). */
static void entry_failure(FILE *f, const struct hn_stats *st, const struct hn_stats_totals *t,
                          bool errors_pass)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "%llu of %llu requests failed (%.2f %%)",
             (unsigned long long)t->failures, (unsigned long long)t->requests,
             t->requests ? 100.0 * t->failures / t->requests : 0.0);
    /* With --exit-code-on-error 0 failed requests pass the run: the case
     * passes too (a CI server would mark the build failed otherwise) and
     * says what failed. */
    if (errors_pass) {
        fputs("      <system-out>", f);
        xml(f, msg);
        xml(f, ", allowed by --exit-code-on-error 0\n");
    } else {
        fputs("      <failure type=\"request failures\" message=\"", f);
        xml(f, msg);
        fputs("\">", f);
    }
    for (size_t i = 0; i < hn_stats_error_count(st); i++) {
        struct hn_stats_error e;
        hn_stats_error_at(st, i, &e);
        if (strcmp(e.method, t->method) || strcmp(e.name, t->name))
            continue;
        char line[64];
        xml(f, e.error);
        snprintf(line, sizeof(line), ": %llu\n", (unsigned long long)e.count);
        xml(f, line);
    }
    fputs(errors_pass ? "</system-out>\n" : "</failure>\n", f);
}

static int junit_body(FILE *f, void *ctx)
{
    struct body_ctx *c = ctx;
    const struct hn_stats *st = c->st;
    const struct hn_report_moment *m = c->m;
    struct hn_report_verdict v;
    hn_report_verdict(st, m, &v);
    size_t n_entries = hn_stats_entry_count(st), failing = 0;
    for (size_t i = 0; i < n_entries; i++) {
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(st, i), &t);
        failing += t.failures > 0;
    }
    unsigned tests = 1 + v.thresholds + (unsigned)failing;
    bool errors_pass = m && m->errors_pass;
    unsigned failures =
        v.thresholds_failed + (errors_pass ? 0 : (unsigned)failing) + (v.pass ? 0 : 1);
    uint64_t now_ms = m ? m->now_ms : hn_stats_last_ms(st);
    uint64_t start_ms = m && m->started_ms ? m->started_ms : hn_stats_start_ms(st);
    char when[32], dur[HN_REPORT_NUM_MAX], host[256] = "";
    hn_report_fmt_utc(when, sizeof(when), start_ms);
    when[19] = '\0'; /* xs:dateTime without the zone, as Ant writes it */
    hn_report_fmt_decimal(dur, hn_stats_elapsed_s(st, now_ms), 3);
    gethostname(host, sizeof(host) - 1);

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites name=\"hornet\" tests=\"%u\" failures=\"%u\" errors=\"0\" time=\"%s\">\n",
            tests, failures, dur);
    fprintf(f,
            "  <testsuite name=\"hornet load test\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
            "skipped=\"0\" time=\"%s\" timestamp=\"%s\" hostname=\"",
            tests, failures, dur, when);
    xml(f, host);
    fputs("\">\n    <properties>\n", f);
    char num[64];
    property(f, "run_id", m && m->run_id ? m->run_id : "");
    snprintf(num, sizeof(num), "%llu", (unsigned long long)hn_stats_total_requests(st));
    property(f, "requests", num);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)hn_stats_total_failures(st));
    property(f, "failures", num);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)hn_stats_total_dropped(st));
    property(f, "dropped_iterations", num); /* open model: never started (REPORTS.md) */
    snprintf(num, sizeof(num), "%u", m ? m->users_not_run : 0);
    property(f, "users_not_run", num); /* beyond the workers' capacities */
    if (c->run->scenario_file)
        property(f, "scenario", c->run->scenario_file);
    if (c->run->host)
        property(f, "host", c->run->host);
    if (c->run->load)
        property(f, "load", c->run->load);
    fputs("    </properties>\n", f);

    /* The run as a whole: fails as the exit code does. */
    fprintf(f, "    <testcase classname=\"hornet.run\" name=\"run\" time=\"%s\">\n", dur);
    if (!v.pass) {
        fputs("      <failure type=\"run\" message=\"", f);
        xml(f, v.why);
        fputs("\"/>\n", f);
    }
    fputs("    </testcase>\n", f);

    for (uint32_t i = 0; m && i < m->n_thresholds; i++) {
        const struct hn_threshold *t = &m->thresholds[i];
        const struct hn_threshold_result *r =
            m->threshold_results ? &m->threshold_results[i] : NULL;
        char observed[48], msg[400];
        hn_threshold_format(t, r ? r->observed : NAN, observed, sizeof(observed));
        fputs("    <testcase classname=\"hornet.thresholds\" name=\"", f);
        xml(f, t->expr);
        fputs("\" time=\"0\">\n", f);
        snprintf(msg, sizeof(msg), "observed %s%s", observed,
                 t->abort_on_fail ? " (abort on fail)" : "");
        if (r && r->pass) {
            fputs("      <system-out>", f);
            xml(f, msg);
            fputs("</system-out>\n", f);
        } else {
            fputs("      <failure type=\"threshold\" message=\"", f);
            xml(f, msg);
            fputs("\"/>\n", f);
        }
        fputs("    </testcase>\n", f);
    }

    for (size_t i = 0; i < n_entries; i++) {
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(st, i), &t);
        if (!t.failures)
            continue;
        fputs("    <testcase classname=\"hornet.requests\" name=\"", f);
        xml(f, t.method);
        fputc(' ', f);
        xml(f, t.name);
        fputs("\" time=\"0\">\n", f);
        entry_failure(f, st, &t, errors_pass);
        fputs("    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    return ferror(f) ? -EIO : 0;
}

static int junit_write(const char *path, const struct hn_report_run *run, const struct hn_stats *st,
                       const struct hn_report_moment *m)
{
    struct body_ctx c = {run, st, m};
    return hn_report_file_write(path, junit_body, &c);
}

int hn_report_junit_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run)
{
    return hn_report_file_writer_add(rs, "JUnit", path, run, junit_write);
}
