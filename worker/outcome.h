/* What a finished request means for the user and the report: its
 * transport failure, status check, body checks and captures, in that
 * order; the first failure names the request's failure, captures store
 * their values in the user's variables. Transport-neutral: works on the
 * seam's result (http.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "http.h"
#include "msg.h"
#include "plan.h"
#include "render.h"

struct hn_outcome {
    uint32_t fail_slot; /* a failure kind, or HN_FAIL_NONE */
    const char *text;   /* or a failure told in words (points into buf) */
    size_t text_len;
    char buf[HN_PROTO_ERROR_MAX + 1];
};

/* Judge @r, the result of step @ps sent on @conn. Captures write into
 * ctx->vars (which must be writable: the user's own). @scratch renders
 * body_contains; @md is the thread's regex match data. */
void hn_outcome_judge(const struct hn_plan_step *ps, const struct hn_http_result *r,
                      struct hn_http_conn *conn, const struct hn_render_ctx *ctx,
                      struct hn_var *vars, struct hn_buf *scratch, pcre2_match_data *md,
                      struct hn_outcome *out);

/* Name the failure with @fmt (printf), truncated to the wire's error size. */
void hn_outcome_fail(struct hn_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
