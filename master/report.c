/* The list of report writers (see report.h) and the two writers that wrap
 * the CSV files and the console summary. */
#include "report.h"
#include "console.h"
#include "csv_report.h"
#include "error.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        hn_log_error("cannot write the %s report: %s", rs->w[i].name, hn_strerror(err));
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
                     const struct hn_report_moment *m)
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
    int err = hn_csv_append_history(ctx, st, m->now_ms, m->users);
    int err2 = hn_csv_write_current(ctx, st, m->now_ms);
    return err ? err : err2;
}

static void csv_close(void *ctx)
{
    hn_csv_close(ctx);
}

/* mkdir -p of the directory part of a prefix ("out/run" → "out/"). */
static int make_parent_dirs(const char *prefix)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", prefix) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    *slash = '\0';
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(path, 0777) && errno != EEXIST)
        return -errno;
    return 0;
}

int hn_report_csv_add(struct hn_reports *rs, const char *prefix, bool full_history)
{
    struct hn_csv *csv = NULL;
    HN_TRY(make_parent_dirs(prefix));
    HN_TRY(hn_csv_open(prefix, full_history, &csv));
    /* The history gets one last row at the end, then the files are
     * rewritten: the same work as a second. */
    struct hn_report_writer w = {"CSV", csv, csv_second, csv_second, csv_close};
    int err = hn_reports_add(rs, &w);
    if (err)
        hn_csv_close(csv);
    return err;
}

/* --- console summary ----------------------------------------------------- */

static int console_final(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    hn_console_summary(ctx, st);
    hn_console_verdict(ctx, st, m->thresholds, m->threshold_results, m->n_thresholds,
                       m->aborted);
    return 0;
}

int hn_report_console_add(struct hn_reports *rs, FILE *out)
{
    struct hn_report_writer w = {"console", out, NULL, console_final, NULL};
    return hn_reports_add(rs, &w);
}
