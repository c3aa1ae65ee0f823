/* libFuzzer target: how a worker judges a response (worker/outcome.c): its
 * status check, body_contains, JSON checks and captures (JSON and regex)
 * on a response body that anyone's server may send. The input is a step's
 * checks and a response, one field a line:
 *   status code (decimal), then 't' if the body was cut at max_body
 *   JSON check path
 *   wanted value: s, n, b or z (string, number, bool, null), then the text
 *   JSON capture path
 *   regex capture pattern
 *   body_contains text; after a leading '@', followed by the captured value
 *   the response body (the rest, newlines and all)
 * Paths and patterns that do not compile end the input, as the master
 * would have refused them. The step is judged twice, so that the second
 * time body_contains renders the value the first one captured.
 * Seeds: worker/fuzz/corpus-outcome; run: fuzz-outcome worker/fuzz/corpus-outcome */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "recorder.h"
#include "regex.h"

#define FIELDS 6

/* The harness has no connection: no header capture is made, so this is
 * never called (outcome.c links against it). */
const char *hn_http_header(struct hn_http_conn *c, const char *name, size_t *len)
{
    (void)c, (void)name, (void)len;
    abort();
}

/* @n bytes of @s, NUL-terminated (not strndup: the input is no C string,
 * and ASan's strict_string_checks reads strndup's source to its NUL). */
static char *copy(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static uint8_t want_type(char c)
{
    switch (c) {
    case 's':
        return HN_JSON_STRING;
    case 'n':
        return HN_JSON_NUMBER;
    case 'b':
        return HN_JSON_BOOL;
    default:
        return HN_JSON_NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Split off the first FIELDS lines (NUL-terminated copies). */
    char *field[FIELDS] = {0};
    const char *p = (const char *)data, *end = p + size;
    int n = 0;
    for (; n < FIELDS; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        if (!(field[n] = copy(p, (size_t)(nl - p))))
            break;
        p = nl + 1;
    }
    struct hn_jsonpath check_path, capture_path;
    pcre2_code *re = NULL;
    pcre2_match_data *md = pcre2_match_data_create(2, NULL);
    char why[256];
    size_t at;
    if (n < FIELDS || !md || field[2][0] == '\0' ||
        hn_jsonpath_compile(&check_path, field[1], strlen(field[1]), why, sizeof(why), &at))
        goto out;
    if (hn_jsonpath_compile(&capture_path, field[3], strlen(field[3]), why, sizeof(why), &at))
        goto out_check;
    if (!(re = hn_regex_compile(field[4], why, sizeof(why), &at)))
        goto out_capture;

    char *var_names[2] = {"json_value", "regex_value"};
    struct hn_scenario scenario = {.vars = var_names, .n_vars = 2, .max_body = 1 << 20};
    struct hn_capture captures[2] = {
        {.var = 0, .kind = HN_CAPTURE_JSON, .expr = field[3]},
        {.var = 1, .kind = HN_CAPTURE_REGEX, .expr = field[4]},
    };
    struct hn_check_json check = {
        .path = field[1], .want = field[2] + 1, .want_type = want_type(field[2][0])};
    uint16_t statuses[1] = {200};
    struct hn_step step = {.captures = captures,
                           .n_captures = 2,
                           .json_checks = &check,
                           .n_json_checks = 1,
                           .statuses = statuses,
                           .n_statuses = field[0][0] == '2' ? 1 : 0};
    const char *contains = field[5][0] == '@' ? field[5] + 1 : field[5];
    if (hn_template_add_literal(&step.body_contains, contains, strlen(contains)))
        goto out_step;
    if (field[5][0] == '@' &&
        hn_template_add_seg(&step.body_contains, &(struct hn_seg){.kind = HN_SEG_VAR, .a = 0}))
        goto out_step;
    step.has_body_contains = step.body_contains.n_segs > 0;

    pcre2_code *capture_res[2] = {NULL, re};
    struct hn_jsonpath capture_paths[2] = {capture_path, {0}};
    double check_number = strtod(check.want, NULL);
    struct hn_plan_step ps = {.step = &step,
                              .keep_body = true,
                              .check_paths = &check_path,
                              .check_numbers = &check_number,
                              .capture_paths = capture_paths,
                              .capture_res = capture_res};
    struct hn_var vars[2] = {0};
    struct hn_render_ctx ctx = {.s = &scenario, .vars = vars};
    struct hn_buf scratch = {0};
    struct hn_http_result r = {
        .status = strtol(field[0], NULL, 10),
        .fail_slot = HN_FAIL_NONE,
        .body = p,
        .body_len = (size_t)(end - p),
        .body_truncated = strchr(field[0], 't') != NULL,
    };
    for (int round = 0; round < 2; round++) {
        struct hn_outcome out;
        hn_outcome_judge(&ps, &r, NULL, &ctx, vars, &scratch, md, &out);
        /* A failure text goes on the wire: it must fit it and be UTF-8. */
        if (out.text &&
            (out.text_len > HN_PROTO_ERROR_MAX || !hn_msg_str_valid(out.text, out.text_len)))
            abort();
        for (int k = 0; k < 2; k++)
            if (vars[k].set && vars[k].len > HN_MODEL_VALUE_MAX)
                abort();
    }
    hn_buf_free(&scratch);
    for (int k = 0; k < 2; k++)
        free(vars[k].val);
out_step:
    hn_template_deinit(&step.body_contains);
    pcre2_code_free(re);
out_capture:
    hn_jsonpath_deinit(&capture_path);
out_check:
    hn_jsonpath_deinit(&check_path);
out:
    pcre2_match_data_free(md);
    for (int k = 0; k < FIELDS; k++)
        free(field[k]);
    return 0;
}
