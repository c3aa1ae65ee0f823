/* A virtual user of the closed model: run on_start once, then forever pick a
 * task by weight, run its steps in order, wait the class's wait time. Each
 * user owns one easy handle, reused for every request so its connection
 * stays warm in the multi's cache. */
#include "engine_internal.h"
#include "classify.h"
#include "wait.h"

#include <errno.h>
#include <stdlib.h>

static void begin_iteration(struct hn_vuser *vu);
static void record(struct hn_vuser *vu, CURLcode result, uint32_t forced_slot);

/* CURLOPT_WRITEFUNCTION: count the body, keep nothing. */
static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    (void)data;
    struct hn_vuser *vu = userp;
    vu->bytes += size * n;
    return size * n;
}

static void on_wait_done(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    begin_iteration(w->data);
}

int hn_vuser_new(struct hn_engine *e, uint32_t class_idx, struct hn_vuser **out)
{
    struct hn_vuser *vu = calloc(1, sizeof(*vu));
    if (!vu)
        return -ENOMEM;
    vu->eng = e;
    vu->class_idx = class_idx;
    if (!(vu->easy = curl_easy_init())) {
        free(vu);
        return -ENOMEM;
    }
    int err = hn_engine_multi_for_new_user(e, &vu->m);
    if (err) {
        curl_easy_cleanup(vu->easy);
        free(vu);
        return err;
    }
    CURL *h = vu->easy;
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)vu);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, vu);
    /* No signal handlers per transfer (SIGPIPE is ignored process-wide). */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* An explicit empty proxy and a no-proxy list of "*" stop libcurl from
     * reading the proxy environment variables on every transfer; a load
     * generator must hit the target directly anyway. */
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    /* The receive buffer is allocated per handle: 16 KiB each would cost
     * 160 MB at 10,000 users. The engine picks the size from its target. */
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, e->buffer_size);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    ev_init(&vu->wait, on_wait_done);
    vu->wait.data = vu;
    *out = vu;
    return 0;
}

void hn_vuser_free(struct hn_vuser *vu)
{
    if (!vu)
        return;
    ev_timer_stop(vu->eng->loop, &vu->wait);
    if (vu->state == HN_VU_REQUEST)
        curl_multi_remove_handle(vu->m->multi, vu->easy);
    curl_easy_cleanup(vu->easy);
    free(vu);
}

/* Set the easy handle's options for @ps unless it already holds them: with
 * a single task, steady load makes no setopt call at all. */
static void load_step(struct hn_vuser *vu, const struct hn_plan_step *ps)
{
    if (vu->loaded == ps)
        return;
    CURL *h = vu->easy;
    const struct hn_step *st = ps->step;
    /* A pre-parsed URL: libcurl copies it instead of parsing the string
     * again for every transfer (-16 % instructions per request). */
    curl_easy_setopt(h, CURLOPT_CURLU, ps->curlu);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, ps->headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ps->timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, st->follow_redirects ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    /* A HEAD step leaves NOBODY set, and libcurl then sends any later
     * request of this handle as HEAD (a POST included): clear it. */
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    switch (ps->method) {
    case HN_PLAN_GET:
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        break;
    case HN_PLAN_HEAD:
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        break;
    case HN_PLAN_POST:
    case HN_PLAN_OTHER:
        if (ps->method == HN_PLAN_OTHER && !st->body) {
            /* DELETE, PUT, ... without a body: no empty form body. */
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        } else {
            /* The body lives in the scenario for the whole run: no copy. */
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(st->body ? st->body_len : 0));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, st->body ? st->body : "");
        }
        if (ps->method == HN_PLAN_OTHER)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, st->method);
        break;
    }
    vu->loaded = ps;
}

static void issue(struct hn_vuser *vu)
{
    struct hn_engine *e = vu->eng;
    load_step(vu, &vu->task->steps[vu->step]);
    vu->state = HN_VU_REQUEST;
    e->in_flight++;
    if (hn_engine_add_request(vu)) {
        /* The multi refused the handle (out of memory): count the request
         * as failed rather than lose it, and retry in a second. */
        e->in_flight--;
        record(vu, CURLE_OK, hn_fail_slot(HN_FAIL_CLIENT));
        vu->state = HN_VU_WAITING;
        ev_timer_set(&vu->wait, 1.0, 0.0);
        ev_timer_start(e->loop, &vu->wait);
    }
}

static void begin_iteration(struct hn_vuser *vu)
{
    const struct hn_plan_class *pc = &vu->eng->plan->classes[vu->class_idx];
    vu->iteration_at = ev_now(vu->eng->loop);
    vu->in_on_start = false;
    vu->task = &pc->tasks[hn_plan_pick_task(pc, hn_engine_random(vu->eng))];
    vu->step = 0;
    issue(vu);
}

void hn_vuser_start(struct hn_vuser *vu)
{
    const struct hn_plan_class *pc = &vu->eng->plan->classes[vu->class_idx];
    vu->retiring = false;
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

/* Record the request in flight. @forced_slot (a failure slot) skips libcurl's
 * figures: the transfer was aborted or never started. */
static void record(struct hn_vuser *vu, CURLcode result, uint32_t forced_slot)
{
    struct hn_engine *e = vu->eng;
    const struct hn_plan_step *ps = &vu->task->steps[vu->step];
    struct hn_rec_sample s = {
        .entry = ps->step->entry, .fail_slot = HN_FAIL_NONE, .bytes = vu->bytes};
    CURL *h = vu->easy;
    if (forced_slot != HN_FAIL_NONE) {
        s.fail_slot = forced_slot;
        s.total_us = (uint64_t)((ev_now(e->loop) - vu->issued_at) * 1e6);
    } else {
        curl_off_t total = 0, dns = 0, conn = 0, tls = 0, pre = 0, first = 0;
        long connects = 0;
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total);
        curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
        curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        s.total_us = (uint64_t)total;
        s.new_connection = connects > 0;
        if (s.new_connection) { /* phases exist only for a new connection */
            curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &dns);
            curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
            curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls);
            s.dns_us = (uint64_t)dns;
            s.connect_us = conn > dns ? (uint64_t)(conn - dns) : 0;
            s.tls_us = tls > conn ? (uint64_t)(tls - conn) : 0;
        }
        /* Waiting time: request fully sent → first response byte. */
        s.ttfb_us = first > pre ? (uint64_t)(first - pre) : 0;
        if (result == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            uint16_t expect = ps->step->expect_status;
            if (expect ? status != expect : status >= 400)
                s.fail_slot = hn_fail_slot_status(status);
        } else {
            long os_errno = 0;
            curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
            s.fail_slot = hn_classify_curl(result, os_errno);
        }
    }
    hn_recorder_add(e->active, &s);
}

void hn_vuser_done(struct hn_vuser *vu, CURLcode result, bool aborted)
{
    struct hn_engine *e = vu->eng;
    curl_multi_remove_handle(vu->m->multi, vu->easy);
    e->in_flight--;
    record(vu, result, aborted ? hn_fail_slot(HN_FAIL_ABORTED) : HN_FAIL_NONE);
    vu->state = HN_VU_IDLE;
    if (vu->retiring) {
        hn_engine_user_stopped(e, vu, true);
        return;
    }
    if (++vu->step < vu->task->n_steps) {
        issue(vu); /* next step of a sequence: no wait in between */
        return;
    }
    if (vu->in_on_start) {
        begin_iteration(vu);
        return;
    }
    const struct hn_wait *w = &e->plan->classes[vu->class_idx].cls->wait;
    double wait_s = hn_wait_next_s(w, hn_engine_random(e), ev_now(e->loop) - vu->iteration_at);
    if (wait_s <= 0) {
        begin_iteration(vu);
        return;
    }
    vu->state = HN_VU_WAITING;
    ev_timer_set(&vu->wait, wait_s, 0.0);
    ev_timer_start(e->loop, &vu->wait);
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
    vu->state = HN_VU_IDLE;
    hn_engine_user_stopped(e, vu, false);
}
