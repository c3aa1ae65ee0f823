/* A min-heap of deadlines for one engine thread: the paced users waiting
 * for their next iteration, woken at their exact time by the engine's
 * timerfd instead of an ev_timer (libev's epoll waits round up to whole
 * milliseconds, which would show in the latency from the intended start).
 * Each deadline lives in its owner (struct hn_vuser) and knows its place,
 * so removal is O(log n). Pure: no loop, no clock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HN_DEADLINE_NONE UINT32_MAX

struct hn_deadline {
    double at;
    uint32_t index; /* in the heap, or HN_DEADLINE_NONE */
};

struct hn_deadlines {
    struct hn_deadline **heap;
    uint32_t n, cap;
};

void hn_deadlines_init(struct hn_deadlines *h);
void hn_deadlines_free(struct hn_deadlines *h);
/* Room for @n deadlines, so adding one never allocates (called when a user
 * is created, not per iteration). 0 or -ENOMEM. */
int hn_deadlines_reserve(struct hn_deadlines *h, uint32_t n);
/* Add @d (not in the heap) due at @at. 0, or -ENOMEM when no room was
 * reserved and none can be made. */
int hn_deadlines_add(struct hn_deadlines *h, struct hn_deadline *d, double at);
/* Take @d out if it is in. */
void hn_deadlines_remove(struct hn_deadlines *h, struct hn_deadline *d);
/* The earliest deadline's time; INFINITY when empty. */
double hn_deadlines_next_at(const struct hn_deadlines *h);
/* Take out and return the earliest deadline if it is due at @now, else NULL. */
struct hn_deadline *hn_deadlines_pop_due(struct hn_deadlines *h, double now);
