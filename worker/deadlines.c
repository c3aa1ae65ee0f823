/* Deadlines of paced users (see deadlines.h). */
#include "deadlines.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

void hn_deadlines_init(struct hn_deadlines *h)
{
    h->heap = NULL;
    h->n = h->cap = 0;
}

void hn_deadlines_free(struct hn_deadlines *h)
{
    free(h->heap);
    hn_deadlines_init(h);
}

int hn_deadlines_reserve(struct hn_deadlines *h, uint32_t n)
{
    if (n <= h->cap)
        return 0;
    uint32_t cap = h->cap ? h->cap : 16;
    while (cap < n)
        cap = cap > UINT32_MAX / 2 ? n : cap * 2;
    struct hn_deadline **heap = realloc(h->heap, cap * sizeof(*heap));
    if (!heap)
        return -ENOMEM;
    h->heap = heap;
    h->cap = cap;
    return 0;
}

static void place(struct hn_deadlines *h, uint32_t i, struct hn_deadline *d)
{
    h->heap[i] = d;
    d->index = i;
}

static void sift_up(struct hn_deadlines *h, uint32_t i)
{
    struct hn_deadline *d = h->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (h->heap[parent]->at <= d->at)
            break;
        place(h, i, h->heap[parent]);
        i = parent;
    }
    place(h, i, d);
}

static void sift_down(struct hn_deadlines *h, uint32_t i)
{
    struct hn_deadline *d = h->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && h->heap[child + 1]->at < h->heap[child]->at)
            child++;
        if (d->at <= h->heap[child]->at)
            break;
        place(h, i, h->heap[child]);
        i = child;
    }
    place(h, i, d);
}

int hn_deadlines_add(struct hn_deadlines *h, struct hn_deadline *d, double at)
{
    int err = hn_deadlines_reserve(h, h->n + 1);
    if (err)
        return err;
    d->at = at;
    place(h, h->n++, d);
    sift_up(h, d->index);
    return 0;
}

void hn_deadlines_remove(struct hn_deadlines *h, struct hn_deadline *d)
{
    uint32_t i = d->index;
    if (i == HN_DEADLINE_NONE || i >= h->n || h->heap[i] != d)
        return;
    d->index = HN_DEADLINE_NONE;
    struct hn_deadline *last = h->heap[--h->n];
    if (i == h->n)
        return;
    place(h, i, last);
    sift_down(h, i);
    sift_up(h, last->index);
}

double hn_deadlines_next_at(const struct hn_deadlines *h)
{
    return h->n ? h->heap[0]->at : INFINITY;
}

struct hn_deadline *hn_deadlines_pop_due(struct hn_deadlines *h, double now)
{
    if (!h->n || h->heap[0]->at > now)
        return NULL;
    struct hn_deadline *d = h->heap[0];
    hn_deadlines_remove(h, d);
    return d;
}
