/* The reports (SNAPSHOT and FINAL frames, encoded) a worker sent last,
 * kept to be sent again after its HELLO on a new connection.
 *
 * A report written just before a connection breaks is lost with it (or
 * goes out ahead of the HELLO on the next one, where the master cannot
 * tell whose it is), and one written while there is no connection is not
 * sent at all; either way its requests would be missing from the totals.
 * There are no acknowledgements, so the worker sends the last few reports
 * again and the master ignores those whose number it has seen
 * (PROTOCOL.md §4). Bounded in count and bytes: a longer outage still
 * loses reports, and the master says how many. Main thread only. */
#pragma once

#include <stddef.h>

/* Reports kept: ten seconds at the default interval, enough for a
 * connection broken by a frozen worker (a paused VM) or a network blip;
 * a master whose whole fleet reconnects decodes this many again. */
#define HN_REPORT_RING_MAX 10u
/* Bytes kept at most (well within what a master accepts from a worker in a
 * burst), except that the newest report is always kept, alone when it is
 * larger (a frame may be up to 8 MiB). */
#define HN_REPORT_RING_BYTES_MAX ((size_t)4 << 20)

/* Zero-initialised storage is an empty ring (the session's is). */
struct hn_report_ring {
    struct {
        void *data; /* malloc'd frame */
        size_t len;
    } item[HN_REPORT_RING_MAX];
    unsigned first, n; /* the oldest at item[first] */
    size_t bytes;
};

/* Free every frame; the ring is empty again. */
void hn_report_ring_clear(struct hn_report_ring *r);

/* Keep @data (a malloc'd frame of @len bytes; the ring owns it from now
 * on, and frees it when too old): the oldest frames make room, by count
 * and by bytes. */
void hn_report_ring_push(struct hn_report_ring *r, void *data, size_t len);

/* Number of frames kept. */
unsigned hn_report_ring_count(const struct hn_report_ring *r);

/* Frame @i (0: the oldest, < hn_report_ring_count) and its length. */
const void *hn_report_ring_at(const struct hn_report_ring *r, unsigned i, size_t *len);
