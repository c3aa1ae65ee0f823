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

static int html_body(FILE *f, void *doc)
{
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
            HN_TRY(dump_json(f, doc));
        at = m + strlen(parts[i].marker);
    }
    fputs(at, f);
    return ferror(f) ? -EIO : 0;
}

static int html_write(const char *path, const struct hn_report_run *run, const struct hn_stats *st,
                      const struct hn_report_moment *m)
{
    return hn_report_json_file_write(path, run, st, m, html_body);
}

int hn_report_html_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run)
{
    return hn_report_file_writer_add(rs, "HTML", path, run, html_write);
}
