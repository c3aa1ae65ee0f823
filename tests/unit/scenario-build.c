/* Building scenarios in tests (see scenario-build.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "scenario-build.h"

int scenario_resolve(void *ctx, const char *name, size_t len, struct hn_seg *seg, char *why,
                     size_t why_len)
{
    struct hn_scenario *s = ctx;
    const char *dot = memchr(name, '.', len);
    if (dot) {
        size_t fl = (size_t)(dot - name);
        for (uint32_t f = 0; f < s->n_feeders; f++) {
            const struct hn_feeder *fd = &s->feeders[f];
            if (strlen(fd->name) != fl || memcmp(fd->name, name, fl) != 0)
                continue;
            for (uint32_t c = 0; c < fd->n_columns; c++) {
                if (strlen(fd->columns[c]) == len - fl - 1 &&
                    memcmp(fd->columns[c], dot + 1, len - fl - 1) == 0) {
                    seg->kind = HN_SEG_DATA;
                    seg->a = f;
                    seg->b = c;
                    return 0;
                }
            }
        }
        snprintf(why, why_len, "no column '%.*s'", (int)len, name);
        return HN_E_INVALID;
    }
    char var[128];
    snprintf(var, sizeof(var), "%.*s", (int)len, name);
    seg->kind = HN_SEG_VAR;
    return hn_scenario_var(s, var, &seg->a);
}

void scenario_compile(struct hn_scenario *s, struct hn_template *t, const char *src,
                      enum hn_escape esc)
{
    struct hn_template_names names = {scenario_resolve, NULL, s};
    struct hn_template_error err = {0};
    hn_template_deinit(t);
    int rc = hn_template_compile(t, src, strlen(src), esc, &names, &err);
    if (rc)
        fail_msg("compile \"%s\": %d %s", src, rc, err.message);
}

struct hn_step *scenario_add_step(struct hn_task *t, const char *method, const char *url)
{
    struct hn_step *st = hn_task_add_step(t);
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    assert_int_equal(hn_template_set_literal(&st->url, url), 0);
    return st;
}
