/* Event loop lag probe (see loop_lag.h). Ten timer callbacks a second per
 * loop: nothing per request. */
#include "loop_lag.h"
#include "clock.h"

static void on_probe(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_loop_lag *l = w->data;
    uint64_t now = hn_clock_mono_ns();
    uint64_t late_ms = now > l->due_ns ? (now - l->due_ns) / 1000000u : 0;
    /* The next one is due a period from now, not from when this one was:
     * one freeze is counted once, not again by every probe it delayed. */
    l->due_ns = now + HN_LOOP_LAG_PERIOD_MS * UINT64_C(1000000);
    uint32_t lag = late_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)late_ms;
    uint32_t seen = atomic_load_explicit(&l->max_ms, memory_order_relaxed);
    while (lag > seen && !atomic_compare_exchange_weak_explicit(
                             &l->max_ms, &seen, lag, memory_order_relaxed, memory_order_relaxed))
        ;
}

void hn_loop_lag_start(struct hn_loop_lag *l, struct ev_loop *loop)
{
    double period_s = HN_LOOP_LAG_PERIOD_MS / 1000.0;
    atomic_store_explicit(&l->max_ms, 0, memory_order_relaxed);
    l->due_ns = hn_clock_mono_ns() + HN_LOOP_LAG_PERIOD_MS * UINT64_C(1000000);
    ev_timer_init(&l->probe, on_probe, period_s, period_s);
    l->probe.data = l;
    ev_timer_start(loop, &l->probe);
}

void hn_loop_lag_stop(struct hn_loop_lag *l, struct ev_loop *loop)
{
    ev_timer_stop(loop, &l->probe);
}

uint32_t hn_loop_lag_take(struct hn_loop_lag *l)
{
    return atomic_exchange_explicit(&l->max_ms, 0, memory_order_relaxed);
}
