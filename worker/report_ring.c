/* Last reports of a worker, kept for a reconnect (see report_ring.h). */
#include "report_ring.h"

#include <stdlib.h>

static void drop_oldest(struct hn_report_ring *r)
{
    free(r->item[r->first].data);
    r->bytes -= r->item[r->first].len;
    r->item[r->first].data = NULL;
    r->item[r->first].len = 0;
    r->first = (r->first + 1) % HN_REPORT_RING_MAX;
    r->n--;
}

void hn_report_ring_clear(struct hn_report_ring *r)
{
    while (r->n)
        drop_oldest(r);
    r->first = 0;
}

void hn_report_ring_push(struct hn_report_ring *r, void *data, size_t len)
{
    if (!data)
        return;
    /* The newest is always kept, alone if it is larger than the bound (a
     * frame may be up to 8 MiB). */
    while (r->n == HN_REPORT_RING_MAX || (r->n && r->bytes + len > HN_REPORT_RING_BYTES_MAX))
        drop_oldest(r);
    unsigned at = (r->first + r->n) % HN_REPORT_RING_MAX;
    r->item[at].data = data;
    r->item[at].len = len;
    r->bytes += len;
    r->n++;
}

unsigned hn_report_ring_count(const struct hn_report_ring *r)
{
    return r->n;
}

const void *hn_report_ring_at(const struct hn_report_ring *r, unsigned i, size_t *len)
{
    if (i >= r->n) {
        *len = 0;
        return NULL;
    }
    unsigned at = (r->first + i) % HN_REPORT_RING_MAX;
    *len = r->item[at].len;
    return r->item[at].data;
}
