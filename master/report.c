/* The list of report writers (see report.h) and the writers that wrap the
 * CSV files, the console summary and the journal's timeline. */
#include "report.h"
#include "console.h"
#include "csv_report.h"
#include "error.h"
#include "log.h"
#include "report_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hn_reports_add(struct hn_reports *rs, const struct hn_report_writer *w)
{
    if (rs->n == HN_REPORTS_MAX)
        return HN_E_TOO_LARGE;
    rs->w[rs->n++] = *w;
    return 0;
}

/* A writer's first error is logged; later ones are only returned, so a full
 * disk does not print a line every second. */
static int note(struct hn_reports *rs, uint32_t i, int err)
{
    if (err && !(rs->failed & (1u << i))) {
        rs->failed |= 1u << i;
        hn_log_error("cannot write the %s report%s%s%s: %s", rs->w[i].name,
                     rs->w[i].path ? " (" : "", rs->w[i].path ? rs->w[i].path : "",
                     rs->w[i].path ? ")" : "", hn_strerror(err));
    }
    return err;
}

void hn_reports_second(struct hn_reports *rs, const struct hn_stats *st,
                       const struct hn_report_moment *m)
{
    for (uint32_t i = 0; i < rs->n; i++)
        if (rs->w[i].on_second)
            note(rs, i, rs->w[i].on_second(rs->w[i].ctx, st, m));
}

int hn_reports_final(struct hn_reports *rs, const struct hn_stats *st,
                     struct hn_report_moment *m)
{
    int first = 0;
    for (uint32_t i = 0; i < rs->n; i++) {
        if (!rs->w[i].on_final)
            continue;
        /* The final write matters most: log its error even if an earlier
         * second already failed. */
        rs->failed &= ~(1u << i);
        int err = note(rs, i, rs->w[i].on_final(rs->w[i].ctx, st, m));
        if (err && !first)
            first = err;
        if (err && !m->unwritten)
            m->unwritten = rs->w[i].name; /* the verdicts written after this one say so */
    }
    return first;
}

void hn_reports_close(struct hn_reports *rs)
{
    for (uint32_t i = 0; i < rs->n; i++)
        if (rs->w[i].close)
            rs->w[i].close(rs->w[i].ctx);
    rs->n = 0;
}

/* --- CSV ----------------------------------------------------------------- */

static int csv_second(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    int err = hn_csv_append_history(ctx, st, m->started_ms, m->now_ms, m->users);
    int err2 = hn_csv_write_current(ctx, st, m->now_ms);
    return err ? err : err2;
}

static void csv_close(void *ctx)
{
    hn_csv_close(ctx);
}

int hn_report_csv_add(struct hn_reports *rs, const char *prefix, const struct hn_csv_options *opts)
{
    struct hn_csv *csv = NULL;
    HN_TRY(hn_report_make_parent_dirs(prefix));
    HN_TRY(hn_csv_open(prefix, opts, &csv));
    /* The history gets one last row at the end, then the files are
     * rewritten: the same work as a second. */
    struct hn_report_writer w = {"CSV", csv, csv_second, csv_second, csv_close, prefix};
    int err = hn_reports_add(rs, &w);
    if (err)
        hn_csv_close(csv);
    return err;
}

/* --- console summary ----------------------------------------------------- */

struct console_writer {
    FILE *out;
    struct hn_report_run run;
};

static int console_final(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    struct console_writer *c = ctx;
    hn_console_summary(c->out, st);
    if (c->run.journal)
        hn_console_journal(c->out, c->run.journal, m ? m->workers_list : NULL);
    hn_console_verdict(c->out, st, m->thresholds, m->threshold_results, m->n_thresholds,
                       m->aborted);
    if (m->unwritten)
        fprintf(c->out, "The %s report could not be written: the run fails\n", m->unwritten);
    return 0;
}

static void console_close(void *ctx)
{
    free(ctx);
}

int hn_report_console_add(struct hn_reports *rs, FILE *out, const struct hn_report_run *run)
{
    struct console_writer *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->out = out;
    if (run)
        c->run = *run;
    struct hn_report_writer w = {"console", c, NULL, console_final, console_close, NULL};
    int err = hn_reports_add(rs, &w);
    if (err)
        free(c);
    return err;
}

/* --- journal timeline ---------------------------------------------------- */

static int journal_second(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    return hn_journal_sample(ctx, st, m->now_ms, m->users, m->workers);
}

int hn_report_journal_add(struct hn_reports *rs, struct hn_journal *j)
{
    /* The end is one more sample: the requests of the last FINALs. */
    struct hn_report_writer w = {"journal", j, journal_second, journal_second, NULL, NULL};
    return hn_reports_add(rs, &w);
}
