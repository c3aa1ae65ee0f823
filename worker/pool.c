/* Engine threads as one (see pool.h). */
#include "pool.h"
#include "engine.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hn_pool {
    struct ev_loop *loop;
    const struct hn_plan *plan;
    struct hn_pool_callbacks cb;
    ev_async news; /* an engine has news (swap done, drained) */
    struct hn_engine **engines;
    uint32_t n_engines;
    struct hn_recorder merged;
    uint64_t swap_gen; /* last swap requested */
    bool swap_pending;
    bool stopping, drained_reported;
};

static void notify_from_engine(void *ctx)
{
    struct hn_pool *p = ctx;
    ev_async_send(p->loop, &p->news);
}

static void on_news(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_pool *p = w->data;
    if (p->swap_pending) {
        bool all = true;
        for (uint32_t i = 0; i < p->n_engines && all; i++)
            all = hn_engine_swapped_gen(p->engines[i]) >= p->swap_gen;
        if (all) {
            for (uint32_t i = 0; i < p->n_engines; i++) {
                struct hn_recorder *r = hn_engine_retired(p->engines[i]);
                hn_recorder_merge(&p->merged, r);
                hn_recorder_reset(r);
            }
            p->swap_pending = false;
            if (p->cb.on_snapshot(p->cb.ctx, &p->merged))
                hn_recorder_reset(&p->merged);
            else
                hn_recorder_reset_keep_phases(&p->merged);
        }
    }
    if (p->stopping && !p->drained_reported) {
        bool all = true;
        for (uint32_t i = 0; i < p->n_engines && all; i++)
            all = hn_engine_drained(p->engines[i]);
        if (all) {
            p->drained_reported = true;
            p->cb.on_drained(p->cb.ctx);
        }
    }
}

int hn_pool_new(struct ev_loop *loop, const struct hn_plan *plan, uint32_t threads, uint64_t seed,
                struct hn_grants *grants, const struct hn_pool_callbacks *cb,
                struct hn_pool **out)
{
    struct hn_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->loop = loop;
    p->plan = plan;
    p->cb = *cb;
    ev_async_init(&p->news, on_news);
    p->news.data = p;
    ev_async_start(loop, &p->news);
    int err = hn_recorder_init(&p->merged, plan->scenario->n_entries);
    if (err)
        goto fail;
    err = -ENOMEM;
    if (!(p->engines = calloc(threads ? threads : 1, sizeof(*p->engines))))
        goto fail;
    for (uint32_t i = 0; i < threads; i++) {
        struct hn_engine_config cfg = {
            .index = i,
            .n_engines = threads,
            .plan = plan,
            .seed = seed + UINT64_C(0x9E3779B97F4A7C15) * (i + 1),
            .grants = grants,
            .notify = notify_from_engine,
            .notify_ctx = p,
        };
        if ((err = hn_engine_start(&cfg, &p->engines[i])))
            goto fail;
        p->n_engines++;
    }
    *out = p;
    return 0;
fail:
    hn_pool_free(p);
    return err;
}

void hn_pool_free(struct hn_pool *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->n_engines; i++)
        hn_engine_free(p->engines[i]);
    free(p->engines);
    ev_async_stop(p->loop, &p->news);
    hn_recorder_deinit(&p->merged);
    free(p);
}

/* Thread @i's share of @users: an even split, the remainder to threads in
 * turn, starting at a different thread for each class so no thread gets
 * them all. Returns the thread's total. */
static uint32_t thread_share(const struct hn_pool *p, uint32_t i, const uint32_t *users,
                             uint32_t n_classes, uint32_t *share)
{
    uint32_t n = p->n_engines, total = 0;
    memset(share, 0, HN_MODEL_CLASSES_MAX * sizeof(*share));
    for (uint32_t c = 0; c < n_classes; c++) {
        share[c] = users[c] / n + ((i + n - c % n) % n < users[c] % n ? 1 : 0);
        total += share[c];
    }
    return total;
}

void hn_pool_set_target(struct hn_pool *p, const uint32_t *users, uint32_t n_classes,
                        double spawn_rate_per_s)
{
    uint32_t n = p->n_engines;
    if (n_classes > p->plan->n_classes)
        n_classes = p->plan->n_classes;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t share[HN_MODEL_CLASSES_MAX];
        thread_share(p, i, users, n_classes, share);
        hn_engine_set_target(p->engines[i], share, n_classes,
                             spawn_rate_per_s > 0 ? spawn_rate_per_s / n : 0);
    }
}

void hn_pool_set_open(struct hn_pool *p, const uint32_t *users, const double *class_rates,
                      uint32_t n_classes, uint64_t max_delay_ms, double from, double end_at)
{
    uint32_t n = p->n_engines;
    if (n_classes > p->plan->n_classes)
        n_classes = p->plan->n_classes;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t share[HN_MODEL_CLASSES_MAX];
        double rates[HN_MODEL_CLASSES_MAX] = {0};
        thread_share(p, i, users, n_classes, share);
        for (uint32_t c = 0; c < n_classes; c++) {
            /* A class's iterations go with its users: a thread with a third
             * of them starts a third. With no user at all they still run
             * (and are dropped, counted) on one thread. */
            if (users[c])
                rates[c] = class_rates[c] * (double)share[c] / (double)users[c];
            else
                rates[c] = c % n == i ? class_rates[c] : 0;
        }
        hn_engine_set_open(p->engines[i], share, rates, n_classes, max_delay_ms, from, end_at);
    }
}

bool hn_pool_open_tally(struct hn_pool *p, struct hn_open_tally *out)
{
    *out = (struct hn_open_tally){0};
    if (!p->drained_reported)
        return false;
    for (uint32_t i = 0; i < p->n_engines; i++) {
        struct hn_open_tally t;
        hn_engine_open_tally(p->engines[i], &t);
        if (t.from == 0)
            continue;
        if (out->from == 0 || t.from < out->from)
            out->from = t.from;
        if (t.to > out->to)
            out->to = t.to;
        out->asked += t.asked;
        out->due += t.due;
        out->started += t.started;
        out->dropped += t.dropped;
    }
    return out->from != 0;
}

int hn_pool_snapshot(struct hn_pool *p)
{
    if (p->swap_pending)
        return HN_E_STATE;
    p->swap_pending = true;
    p->swap_gen++;
    for (uint32_t i = 0; i < p->n_engines; i++)
        hn_engine_request_swap(p->engines[i], p->swap_gen);
    return 0;
}

void hn_pool_stop(struct hn_pool *p, uint64_t timeout_ms)
{
    p->stopping = true;
    for (uint32_t i = 0; i < p->n_engines; i++)
        hn_engine_stop(p->engines[i], timeout_ms);
}

uint32_t hn_pool_take_lag_ms(struct hn_pool *p)
{
    uint32_t worst = 0;
    for (uint32_t i = 0; i < p->n_engines; i++) {
        uint32_t lag = hn_engine_take_lag_ms(p->engines[i]);
        if (lag > worst)
            worst = lag;
    }
    return worst;
}

uint32_t hn_pool_users(struct hn_pool *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n_engines; i++)
        n += hn_engine_users(p->engines[i]);
    return n;
}

uint32_t hn_pool_threads(const struct hn_pool *p)
{
    return p->n_engines;
}
