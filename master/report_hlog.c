/* --hdr-log PATH: HdrHistogram interval log (format version 1.3, V2
 * compressed histograms), the file HdrHistogram's HistogramLogProcessor and
 * its ports read. Every closed master second gives one untagged line (the
 * Aggregated row) and one tagged line per entry that had requests in it.
 * Values are µs; Interval_Max is in ms. Tags are "METHOD:name" with the
 * characters the format reserves (space, comma, CR, LF) and '%' written as
 * %XX. */
#include "array.h"
#include "error.h"
#include "hdr_encode.h"
#include "interval.h"
#include "report.h"
#include "report_file.h"
#include "report_fmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The interval state of one entry, found by the entry's address (stable
 * for the life of the store; report order moves as names arrive). */
struct tracked {
    const struct hn_stats_entry *e;
    struct hn_interval iv;
    uint64_t requests; /* at the previous second */
};

struct hlog {
    FILE *f;
    bool shared_f; /* our standard output or error: flushed, not closed */
    char *run_id;
    bool header_done;
    uint64_t base_ms; /* BaseTime: the run's start */
    uint64_t prev_ms; /* end of the previous interval */
    struct hn_interval agg;
    struct tracked *t; /* sorted by entry address */
    uint32_t n, cap;
    struct hn_hist *scratch;
};

static void put_header(struct hlog *h, uint64_t base_ms)
{
    time_t t = (time_t)(base_ms / 1000);
    struct tm tm;
    char date[64] = "";
    if (gmtime_r(&t, &tm))
        strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm);
    fprintf(h->f,
            "#[Logged with hornet-master %s, run %s: values in microseconds, "
            "Interval_Max in milliseconds, untagged = all requests, Tag=METHOD:name]\n",
            HN_VERSION, h->run_id);
    fprintf(h->f, "#[Histogram log format version 1.3]\n");
    fprintf(h->f, "#[StartTime: %.3f (seconds since epoch), %s]\n", base_ms / 1000.0, date);
    fprintf(h->f, "#[BaseTime: %.3f (seconds since epoch)]\n", base_ms / 1000.0);
    fprintf(h->f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                  "\"Interval_Compressed_Histogram\"\n");
}

static void put_tag(FILE *f, const char *method, const char *name)
{
    fprintf(f, "Tag=");
    for (const char *s = method; *s; s++)
        fputc(*s, f);
    fputc(':', f);
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        if (*s <= ' ' || *s == ',' || *s == '%' || *s == 0x7f)
            fprintf(f, "%%%02X", *s);
        else
            fputc(*s, f);
    }
    fputc(',', f);
}

/* One interval line of @iv_hist; @method NULL: untagged. */
static int put_line(struct hlog *h, const char *method, const char *name, uint64_t start_ms,
                    uint64_t end_ms, const struct hn_hist *iv_hist)
{
    char *b64 = NULL;
    HN_TRY(hn_hdr_encode_base64(iv_hist, &b64));
    if (method)
        put_tag(h->f, method, name);
    fprintf(h->f, "%.3f,%.3f,%.3f,%s\n", (start_ms - h->base_ms) / 1000.0,
            (end_ms - start_ms) / 1000.0, hn_hist_max(iv_hist) / 1000.0, b64);
    free(b64);
    return 0;
}

static struct tracked *track(struct hlog *h, const struct hn_stats_entry *e)
{
    uint32_t lo = 0, hi = h->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)h->t[mid].e < (uintptr_t)e)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->n && h->t[lo].e == e)
        return &h->t[lo];
    if (hn_array_reserve(&h->t, &h->cap, h->n + 1, sizeof(*h->t), 16))
        return NULL;
    memmove(&h->t[lo + 1], &h->t[lo], (h->n - lo) * sizeof(*h->t));
    h->n++;
    h->t[lo].e = e;
    h->t[lo].requests = 0;
    hn_interval_init(&h->t[lo].iv);
    return &h->t[lo];
}

static int hlog_second(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    struct hlog *h = ctx;
    if (!h->header_done) {
        h->base_ms = h->prev_ms = hn_stats_start_ms(st);
        put_header(h, h->base_ms);
        h->header_done = true;
    }
    uint64_t end_ms = m->now_ms > h->prev_ms ? m->now_ms : h->prev_ms;
    struct hn_stats_totals t;
    hn_stats_totals(hn_stats_aggregated(st), &t);
    HN_TRY(hn_interval_next(&h->agg, t.hist, h->scratch));
    HN_TRY(put_line(h, NULL, NULL, h->prev_ms, end_ms, h->scratch));
    for (size_t i = 0; i < hn_stats_entry_count(st); i++) {
        const struct hn_stats_entry *e = hn_stats_entry_at(st, i);
        hn_stats_totals(e, &t);
        struct tracked *tr = track(h, e);
        if (!tr)
            return -ENOMEM;
        if (t.requests == tr->requests)
            continue; /* nothing new: no line */
        tr->requests = t.requests;
        HN_TRY(hn_interval_next(&tr->iv, t.hist, h->scratch));
        if (h->scratch->total)
            HN_TRY(put_line(h, t.method, t.name, h->prev_ms, end_ms, h->scratch));
    }
    h->prev_ms = end_ms;
    if (fflush(h->f) != 0 || ferror(h->f)) {
        clearerr(h->f);
        return errno ? -errno : -EIO;
    }
    return 0;
}

static void hlog_close(void *ctx)
{
    struct hlog *h = ctx;
    if (h->f && !h->shared_f)
        fclose(h->f);
    else if (h->f)
        fflush(h->f);
    for (uint32_t i = 0; i < h->n; i++)
        hn_interval_deinit(&h->t[i].iv);
    free(h->t);
    hn_interval_deinit(&h->agg);
    hn_hist_free(h->scratch);
    free(h->run_id);
    free(h);
}

int hn_report_hdr_log_add(struct hn_reports *rs, const char *path, const char *run_id)
{
    HN_TRY(hn_report_make_parent_dirs(path));
    struct hlog *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    hn_interval_init(&h->agg);
    h->scratch = hn_hist_new();
    h->run_id = strdup(run_id ? run_id : "");
    errno = 0;
    h->f = hn_report_stream_open(path, &h->shared_f);
    if (!h->f || !h->scratch || !h->run_id) {
        int err = !h->f ? (errno ? -errno : -EIO) : -ENOMEM;
        hlog_close(h);
        return err;
    }
    struct hn_report_writer w = {"HdrHistogram log", h, hlog_second, hlog_second, hlog_close,
                                 path};
    int err = hn_reports_add(rs, &w);
    if (err)
        hlog_close(h);
    return err;
}
