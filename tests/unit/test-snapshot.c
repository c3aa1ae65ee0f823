/* The SNAPSHOT / FINAL encoder (worker/snapshot.c): what a merged
 * recorder becomes on the wire, read back with the protocol's decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "recorder.h"
#include "snapshot.h"

#define ENTRIES 3

/* More failure kinds and texts than a snapshot's 4,096 error rows: the
 * texts that do not fit count under "other check or capture failures" of
 * their entry; every failure is in some row. */
static void test_snapshot_rows_full(void **state)
{
    (void)state;
    struct hn_recorder r;
    assert_int_equal(hn_recorder_init(&r, ENTRIES), 0);
    struct hn_rec_sample s = {.fail_slot = HN_FAIL_NONE};
    uint64_t failures = 0;
    for (uint32_t e = 0; e < ENTRIES; e++) /* 3 x 500 statuses: 1,500 kinds */
        for (long status = 100; status < 600; status++, failures++) {
            s.entry = e;
            s.fail_slot = hn_fail_slot_status(status);
            hn_recorder_add(&r, &s);
        }
    char text[64];
    s.fail_slot = HN_FAIL_NONE;
    s.fail_text = text;
    for (uint32_t i = 0; i < 3000; i++, failures++) {
        s.entry = i % ENTRIES;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "check %u", i);
        hn_recorder_add(&r, &s);
    }
    for (uint32_t i = 0; i < 100; i++, failures++) { /* the most frequent keeps its row */
        s.entry = 1;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "the usual failure");
        hn_recorder_add(&r, &s);
    }
    struct hn_stat_key keys[ENTRIES] = {{"GET", "/a"}, {"GET", "/b"}, {"GET", "/c"}};
    struct hn_scenario sc = {.entries = keys, .n_entries = ENTRIES};
    struct hn_snapshot_info info = {.type = HN_MSG_SNAPSHOT, .seq = 1, .run_id = "r"};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(hn_snapshot_encode(&sc, &r, &info, &sb), 0);
    struct hn_msg m;
    assert_int_equal(hn_msg_decode(sb.data, sb.size, &m), 0);
    assert_true(m.snapshot.n_errors <= 4096);
    uint64_t in_rows = 0, other = 0, usual = 0;
    for (uint32_t i = 0; i < m.snapshot.n_errors; i++) {
        in_rows += m.snapshot.errors[i].count;
        if (!strcmp(m.snapshot.errors[i].error, "the usual failure"))
            usual = m.snapshot.errors[i].count;
        if (!strcmp(m.snapshot.errors[i].error, "other check or capture failures"))
            other += m.snapshot.errors[i].count;
    }
    assert_int_equal(in_rows, failures);
    assert_true(other > 0);
    assert_int_equal(usual, 100);
    hn_msg_deinit(&m);
    msgpack_sbuffer_destroy(&sb);
    hn_recorder_deinit(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_rows_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
