/* A virtual user of the closed model: run on_start once, then forever pick
 * a task by weight, run its steps in order, wait the class's wait time.
 * Each user renders its requests into its own buffers, keeps its captured
 * variables and owns one connection slot of the transport (http.h), so its
 * connection and cookie jar stay its own. */
#include "engine_internal.h"
#include "error.h"
#include "outcome.h"
#include "utf8.h"
#include "wait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void begin_iteration(struct hn_vuser *vu);
static void issue(struct hn_vuser *vu);
static void on_done(void *user, const struct hn_http_result *r);

/* The wait timer serves two purposes: think time between iterations, and
 * the next step after a request that could not be sent (deferred to the
 * loop, so a user whose every step fails cannot spin without returning). */
static void on_wait_done(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_vuser *vu = w->data;
    if (vu->done_pending) {
        vu->done_pending = false;
        hn_open_user_done(vu->eng, vu);
    } else if (vu->task_pending) {
        issue(vu);
    } else {
        begin_iteration(vu);
    }
}

int hn_vuser_new(struct hn_engine *e, uint32_t class_idx, struct hn_vuser **out)
{
    struct hn_vuser *vu = calloc(1, sizeof(*vu));
    if (!vu)
        return -ENOMEM;
    vu->eng = e;
    vu->class_idx = class_idx;
    const struct hn_scenario *s = e->plan->scenario;
    int err = -ENOMEM;
    if (s->n_vars && !(vu->vars = calloc(s->n_vars, sizeof(*vu->vars))))
        goto fail;
    if (e->plan->max_headers && !(vu->lines = calloc(e->plan->max_headers, sizeof(*vu->lines))))
        goto fail;
    if ((err = hn_http_conn_new(e->http, on_done, vu, &vu->conn)))
        goto fail;
    ev_init(&vu->wait, on_wait_done);
    vu->wait.data = vu;
    vu->pace.index = HN_DEADLINE_NONE;
    *out = vu;
    return 0;
fail:
    free(vu->vars);
    free(vu->lines);
    free(vu);
    return err;
}

void hn_vuser_free(struct hn_vuser *vu)
{
    if (!vu)
        return;
    ev_timer_stop(vu->eng->loop, &vu->wait);
    hn_deadlines_remove(&vu->eng->paced, &vu->pace);
    hn_http_conn_free(vu->conn);
    for (uint32_t i = 0; vu->vars && i < vu->eng->plan->scenario->n_vars; i++)
        free(vu->vars[i].val);
    free(vu->vars);
    free(vu->lines);
    hn_buf_free(&vu->render);
    free(vu);
}

static void render_ctx(struct hn_vuser *vu, struct hn_render_ctx *ctx)
{
    ctx->s = vu->eng->plan->scenario;
    ctx->vars = vu->vars;
    ctx->data = &vu->data;
    ctx->rng = &vu->eng->rng;
}

/* Record one request of the current step. @text: a failure in words. */
static void record(struct hn_vuser *vu, const struct hn_http_result *r, uint32_t fail_slot,
                   const char *text, size_t text_len)
{
    struct hn_engine *e = vu->eng;
    const struct hn_plan_step *ps = &vu->task->steps[vu->step];
    struct hn_rec_sample s = {
        .entry = ps->step->entry,
        .fail_slot = fail_slot,
        .fail_text = text,
        .fail_text_len = text_len,
    };
    if (r) {
        s.bytes = r->bytes;
        s.total_us = r->total_us;
        s.new_connection = r->new_connection;
        s.dns_us = r->dns_us;
        s.connect_us = r->connect_us;
        s.tls_us = r->tls_us;
        s.ttfb_us = r->ttfb_us;
    }
    if (!r || fail_slot == hn_fail_slot(HN_FAIL_ABORTED)) {
        /* Not sent, or aborted: libcurl has no final figures; our clock. */
        double waited = ev_now(e->loop) - vu->issued_at;
        s.total_us = waited > 0 ? (uint64_t)(waited * 1e6) : 0;
        s.new_connection = false;
        s.ttfb_us = 0;
    }
    if (vu->scheduled && (vu->open || !ps->entry_unpaced)) {
        /* How late the iteration started counts in the latency of each of
         * its requests: what a user arriving on schedule would have seen.
         * A user's on_start counts as part of its first iteration (which
         * cannot start before it); an entry also requested by unpaced
         * users gets service times only (plan.c): never both kinds. */
        double late = vu->iteration_at - vu->intended_at;
        s.scheduled = true;
        s.intended_us = s.total_us + (late > 0 ? (uint64_t)(late * 1e6) : 0);
    }
    hn_recorder_add(e->active, &s);
}

/* Render what the step does not have fixed into the user's buffer and
 * point @req at it. 0, or a failure told in @out. */
static int render(struct hn_vuser *vu, const struct hn_plan_step *ps, struct hn_http_request *req,
                  struct hn_outcome *out)
{
    struct hn_render_ctx ctx;
    render_ctx(vu, &ctx);
    struct hn_buf *b = &vu->render;
    const struct hn_step *st = ps->step;
    size_t body_at = 0, line_at[HN_MODEL_HEADERS_MAX * 3 + 4];
    uint32_t unset = 0;
    int err = 0;
    b->len = 0;
    if (ps->render_url) {
        /* Render first, then decide: a URL that is not absolute once
         * rendered is joined to the host (inserted before it). */
        err = hn_render_append(b, &st->url, &ctx, &unset);
        if (!err) {
            const char *base;
            size_t base_len;
            bool slash;
            hn_plan_url_base(ctx.s, b->p, b->len, &base, &base_len, &slash);
            if (slash)
                err = hn_buf_insert(b, 0, "/", 1);
            if (!err)
                err = hn_buf_insert(b, 0, base, base_len);
            if (!err)
                err = hn_buf_append(b, "", 1);
        }
    }
    uint32_t n_lines = 0;
    for (uint32_t i = 0; !err && ps->render_headers && i < ps->n_headers; i++) {
        const struct hn_plan_header *h = &ps->headers[i];
        size_t at = b->len;
        if (h->line) {
            err = hn_buf_append(b, h->line, strlen(h->line) + 1);
        } else {
            size_t name_len = strlen(h->name);
            err = hn_buf_append(b, h->name, name_len);
            if (!err)
                err = hn_buf_append(b, ": ", 2);
            size_t value_at = b->len;
            if (!err)
                err = hn_render_append(b, h->value, &ctx, &unset);
            if (!err && b->len == value_at) {
                b->len = at + name_len; /* empty: sent empty (plan.c, add_empty_line) */
                err = hn_buf_append(b, ";", 1);
            }
            if (!err)
                err = hn_buf_append(b, "", 1);
            if (err == HN_E_STATE && h->until_set) {
                b->len = at; /* not captured yet: this header waits */
                err = 0;
                continue;
            }
        }
        line_at[n_lines++] = at;
    }
    if (!err && ps->render_body) {
        body_at = b->len;
        err = hn_render_append(b, &st->body, &ctx, &unset);
    }
    if (err == HN_E_STATE) {
        hn_outcome_fail(out, "not sent: variable %s not set (no capture yet)",
                        unset < ctx.s->n_vars ? ctx.s->vars[unset] : "?");
        return err;
    }
    if (err) {
        hn_outcome_fail(out, "not sent: rendering failed (%s)", hn_strerror(err));
        return err;
    }
    /* The buffer may have moved while it grew: pointers only now. */
    if (ps->render_url)
        req->url = b->p; /* rendered first, from offset 0 */
    if (ps->render_headers) {
        for (uint32_t i = 0; i < n_lines; i++)
            vu->lines[i] = b->p + line_at[i];
        req->header_lines = vu->lines;
        req->n_header_lines = n_lines;
    }
    if (ps->render_body) {
        req->body = b->p + body_at;
        req->body_len = b->len - body_at;
    }
    return 0;
}

static void next(struct hn_vuser *vu);
static double pace(struct hn_vuser *vu, const struct hn_wait *w);

static void issue(struct hn_vuser *vu)
{
    struct hn_engine *e = vu->eng;
    const struct hn_plan_step *ps = &vu->task->steps[vu->step];
    struct hn_http_request req = {.prep = ps->prep, .keep_body = ps->keep_body};
    struct hn_outcome out = {.fail_slot = HN_FAIL_NONE};
    vu->task_pending = false;
    vu->issued_at = ev_now(e->loop);
    if ((ps->render_url || ps->render_headers || ps->render_body) && render(vu, ps, &req, &out)) {
        /* Not a request: nothing was sent, so there is no response time to
         * record (a 0 µs one lowered the step's and Aggregated's times and
         * let `p(50) < 1ms` pass). Counted as an exception naming the step,
         * as Locust counts a task that fails before its request. */
        char full[512], message[HN_PROTO_ERROR_MAX + 1];
        int n = snprintf(full, sizeof(full), "%s %s: %.*s", ps->step->method, ps->step->name,
                         (int)out.text_len, out.text);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof(full) ? (size_t)n : sizeof(full) - 1;
        hn_utf8_copy(message, sizeof(message), full, len); /* cut on a character */
        hn_recorder_exception(e->active, message);
        next(vu);
        return;
    }
    vu->state = HN_VU_REQUEST;
    e->in_flight++;
    if (hn_http_start(vu->conn, &req)) {
        /* The transport refused the request (out of memory): count it as
         * failed rather than lose it, and retry in a second. */
        e->in_flight--;
        record(vu, NULL, hn_fail_slot(HN_FAIL_CLIENT), NULL, 0);
        vu->state = HN_VU_WAITING;
        vu->task_pending = true;
        ev_timer_set(&vu->wait, 1.0, 0.0);
        ev_timer_start(e->loop, &vu->wait);
    }
}

static void begin_iteration(struct hn_vuser *vu)
{
    const struct hn_plan_class *pc = &vu->eng->plan->classes[vu->class_idx];
    vu->state = HN_VU_IDLE;
    vu->iteration_at = ev_now(vu->eng->loop);
    vu->in_on_start = false;
    vu->task = &pc->tasks[hn_plan_pick_task(pc, hn_engine_random(vu->eng))];
    vu->step = 0;
    issue(vu);
}

void hn_vuser_paced(struct hn_vuser *vu)
{
    begin_iteration(vu);
}

void hn_vuser_iterate(struct hn_vuser *vu, double intended_at)
{
    vu->scheduled = true;
    vu->intended_at = intended_at;
    begin_iteration(vu);
}

void hn_vuser_start(struct hn_vuser *vu, const struct hn_user_data *data, double intended_at)
{
    const struct hn_plan_class *pc = &vu->eng->plan->classes[vu->class_idx];
    const struct hn_scenario *s = vu->eng->plan->scenario;
    vu->retiring = false;
    vu->done_pending = false;
    vu->data = *data;
    /* Open model: the iteration this user was created for. Pacing: the
     * first iteration is due now (pace() keeps the schedule after it). */
    vu->open = intended_at >= 0;
    vu->scheduled = vu->open || pc->cls->wait.kind == HN_WAIT_PACING;
    vu->pace_anchored = false;
    vu->intended_at = intended_at >= 0 ? intended_at : ev_now(vu->eng->loop);
    vu->iteration_at = ev_now(vu->eng->loop);
    for (uint32_t i = 0; i < s->n_vars; i++)
        vu->vars[i].set = false;
    if (pc->on_start.n_steps > 0) {
        vu->iteration_at = ev_now(vu->eng->loop);
        vu->in_on_start = true;
        vu->task = &pc->on_start;
        vu->step = 0;
        issue(vu);
    } else {
        begin_iteration(vu);
    }
}

/* After a step: the next one, the tasks after on_start, or the wait. A
 * step that was not sent continues from the loop (see on_wait_done). */
static void next(struct hn_vuser *vu)
{
    struct hn_engine *e = vu->eng;
    bool sent = vu->state == HN_VU_REQUEST;
    vu->state = HN_VU_WAITING;
    if (++vu->step < vu->task->n_steps) {
        if (sent) {
            issue(vu); /* next step of a sequence: no wait in between */
        } else {
            vu->task_pending = true;
            ev_timer_set(&vu->wait, 0.0, 0.0);
            ev_timer_start(e->loop, &vu->wait);
        }
        return;
    }
    if (e->open.on && !vu->in_on_start) {
        /* Open model: the pacer, not a wait, decides the next iteration. */
        vu->state = HN_VU_IDLE;
        if (sent) {
            hn_open_user_done(e, vu);
        } else {
            vu->state = HN_VU_WAITING;
            vu->done_pending = true; /* from the loop: no recursion */
            ev_timer_set(&vu->wait, 0.0, 0.0);
            ev_timer_start(e->loop, &vu->wait);
        }
        return;
    }
    double wait_s = 0;
    if (!vu->in_on_start) {
        const struct hn_wait *w = &e->plan->classes[vu->class_idx].cls->wait;
        if (w->kind != HN_WAIT_PACING) {
            wait_s = hn_wait_next_s(w, hn_engine_random(e), ev_now(e->loop) - vu->iteration_at);
        } else {
            wait_s = pace(vu, w);
            /* On time to the microsecond (the engine's timerfd), not to
             * libev's millisecond: the wait is part of the schedule. */
            if (wait_s > 0 && !hn_deadlines_add(&e->paced, &vu->pace, vu->intended_at)) {
                hn_engine_arm(e);
                return;
            }
        }
    }
    if (wait_s <= 0 && sent) {
        begin_iteration(vu);
        return;
    }
    ev_timer_set(&vu->wait, wait_s > 0 ? wait_s : 0.0, 0.0);
    ev_timer_start(e->loop, &vu->wait);
}

/* Pacing keeps a fixed schedule from the user's first iteration after
 * on_start (on_start's time counts in that iteration's latency only): the
 * next iteration is due a period after the one before it was due, not
 * after it began. Iterations a slow response held back then start at once,
 * one after the other, until the user is on time again, each counting how
 * late it started: a stall cannot hide the requests it delayed
 * (coordinated omission). Those owed for longer than the request timeout
 * (a frozen machine, a clock stepped forward) are dropped and counted, as
 * the open model drops what waited longer than max_delay. Sets the next
 * iteration's intended start; returns the wait until it (<= 0: now). */
static double pace(struct hn_vuser *vu, const struct hn_wait *w)
{
    struct hn_engine *e = vu->eng;
    const struct hn_scenario *s = e->plan->scenario;
    double period = (double)w->min_ms / 1000.0, now = ev_now(e->loop);
    double owed_max = (double)(s->timeout_ms ? s->timeout_ms : 10000) / 1000.0;
    if (!vu->pace_anchored) {
        vu->pace_from = vu->iteration_at;
        vu->pace_n = 0;
        vu->pace_anchored = true;
    }
    double due = vu->pace_from + (double)++vu->pace_n * period;
    if (now - due > owed_max) {
        uint64_t skip = (uint64_t)((now - owed_max - due) / period) + 1;
        vu->pace_n += skip;
        e->active->dropped += skip;
        due = vu->pace_from + (double)vu->pace_n * period;
    }
    vu->intended_at = due;
    return hn_wait_next_s(w, 0, now - (due - period));
}

static void on_done(void *user, const struct hn_http_result *r)
{
    struct hn_vuser *vu = user;
    struct hn_engine *e = vu->eng;
    const struct hn_plan_step *ps = &vu->task->steps[vu->step];
    struct hn_outcome out;
    struct hn_render_ctx ctx;
    render_ctx(vu, &ctx);
    e->in_flight--;
    if (r->fail_slot == hn_fail_slot(HN_FAIL_ABORTED)) {
        out.fail_slot = r->fail_slot;
        out.text = NULL;
        out.text_len = 0;
    } else {
        hn_outcome_judge(ps, r, vu->conn, &ctx, vu->vars, &vu->render, e->md, &out);
    }
    record(vu, r, out.text ? HN_FAIL_NONE : out.fail_slot, out.text, out.text_len);
    if (vu->retiring) {
        vu->state = HN_VU_IDLE;
        hn_engine_user_stopped(e, vu, true);
        return;
    }
    next(vu);
}

void hn_vuser_retire(struct hn_vuser *vu)
{
    struct hn_engine *e = vu->eng;
    if (vu->state == HN_VU_REQUEST) {
        vu->retiring = true;
        e->retiring++;
        return;
    }
    ev_timer_stop(e->loop, &vu->wait);
    hn_deadlines_remove(&e->paced, &vu->pace);
    vu->state = HN_VU_IDLE;
    hn_engine_user_stopped(e, vu, false);
}

void hn_vuser_abort(struct hn_vuser *vu)
{
    if (vu->state == HN_VU_REQUEST)
        hn_http_abort(vu->conn);
}
