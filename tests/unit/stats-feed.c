/* Feeding the stats store through the wire codec (see stats-feed.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "stats-feed.h"

void feed_snapshot(struct hn_stats *st, uint64_t now_ms, struct hn_msg_entry *entries,
                   uint32_t n_entries, const struct hn_msg_error *errors, uint32_t n_errors)
{
    feed_snapshot_dropped(st, now_ms, entries, n_entries, errors, n_errors, 0);
}

void feed_snapshot_dropped(struct hn_stats *st, uint64_t now_ms, struct hn_msg_entry *entries,
                           uint32_t n_entries, const struct hn_msg_error *errors,
                           uint32_t n_errors, uint64_t dropped)
{
    struct hn_msg m = {.type = HN_MSG_SNAPSHOT};
    m.snapshot.dropped = dropped;
    m.snapshot.seq = 1;
    m.snapshot.interval_start_ms = 42; /* worker clock: must not matter */
    m.snapshot.interval_end_ms = 43;
    m.snapshot.n_entries = n_entries;
    m.snapshot.entries = entries;
    m.snapshot.n_errors = n_errors;
    m.snapshot.errors = (struct hn_msg_error *)errors;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(hn_msg_encode(&m, &buf), 0);
    struct hn_msg d;
    assert_int_equal(hn_msg_decode(buf.data, buf.size, &d), 0);
    assert_int_equal(hn_stats_add(st, &d.snapshot, now_ms), 0);
    hn_msg_deinit(&d);
    msgpack_sbuffer_destroy(&buf);
}
