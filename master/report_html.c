/* --html PATH: one self-contained page (no network needed to open it): the
 * template master/html/report.html with uPlot, the page's style and script
 * and the run's JSON document (report_json.h) put in place of its markers.
 * The files are compiled into hornet-master (master/html/embed.py). */
#include "error.h"
#include "report.h"
#include "report_file.h"
#include "report_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern const char hn_html_template[], hn_html_css[], hn_html_js[], hn_html_uplot_js[],
    hn_html_uplot_css[];

struct html {
    char *path;
    struct hn_report_run run;
};

struct body_ctx {
    json_t *doc;
};

/* The document inside <script type="application/json">: the HTML parser
 * reads a script's text for "</script" and, after "<!--", for "<script"
 * too (a name "/a <!--" and another "/b <script>" blanked the page), so
 * no '<' may appear: outside strings JSON has none, and in a string
 * "\u003c" is the same character. '>' and '&' go the same way, so the
 * text means the same in any context an HTML tool might put it. */
static int dump_json(FILE *f, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (!text)
        return -ENOMEM;
    for (const char *p = text; *p; p++) {
        if (*p == '<')
            fputs("\\u003c", f);
        else if (*p == '>')
            fputs("\\u003e", f);
        else if (*p == '&')
            fputs("\\u0026", f);
        else
            fputc(*p, f);
    }
    free(text);
    return ferror(f) ? -EIO : 0;
}

static int html_body(FILE *f, void *ctx)
{
    struct body_ctx *c = ctx;
    static const struct {
        const char *marker;
        const char *text; /* NULL: the JSON document */
    } parts[] = {
        {"/*HN:UPLOT_CSS*/", hn_html_uplot_css},
        {"/*HN:REPORT_CSS*/", hn_html_css},
        {"/*HN:DATA*/", NULL},
        {"/*HN:UPLOT_JS*/", hn_html_uplot_js},
        {"/*HN:REPORT_JS*/", hn_html_js},
    };
    const char *at = hn_html_template;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *m = strstr(at, parts[i].marker);
        if (!m)
            return -EINVAL; /* the template lost a marker: a build problem */
        fwrite(at, 1, (size_t)(m - at), f);
        if (parts[i].text)
            fputs(parts[i].text, f);
        else
            HN_TRY(dump_json(f, c->doc));
        at = m + strlen(parts[i].marker);
    }
    fputs(at, f);
    return ferror(f) ? -EIO : 0;
}

static int html_final(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    struct html *h = ctx;
    struct body_ctx c = {hn_report_json_build(st, m, &h->run)};
    if (!c.doc)
        return -ENOMEM;
    int err = hn_report_file_write(h->path, html_body, &c);
    json_decref(c.doc);
    return err;
}

static void html_close(void *ctx)
{
    struct html *h = ctx;
    free(h->path);
    free(h);
}

int hn_report_html_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run)
{
    HN_TRY(hn_report_file_check(path));
    struct html *h = calloc(1, sizeof(*h));
    if (!h || !(h->path = strdup(path))) {
        free(h);
        return -ENOMEM;
    }
    h->run = *run;
    struct hn_report_writer w = {"HTML", h, NULL, html_final, html_close, h->path};
    int err = hn_reports_add(rs, &w);
    if (err)
        html_close(h);
    return err;
}
