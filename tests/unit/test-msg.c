/* Unit tests for the message codec (proto/msg_*.c): round trips of every
 * type, encoder checks, truncations, random mutations, version and type
 * handling, and field edits against every limit. Hostile msgpack headers
 * and the structural check are in test-frame-check.c. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "msg.h"
#include "mutate.h"
#include "test-rng.h"

/* ---- fixtures ---- */

enum { N_ENTRIES = 3, N_ERRORS = 2, N_EXCEPTIONS = 2, POOL = 256 };
static struct hn_hist *hists[N_ENTRIES][HN_TIMING__COUNT];
static struct hn_msg_entry entries[N_ENTRIES];
static struct hn_msg_error errors[N_ERRORS];
static struct hn_msg_exception exceptions[N_EXCEPTIONS];
/* Two UNIQUE rows of one column, as a GRANT carries them. */
static const uint8_t grant_cells[] = "A-1\0caf\xc3\xa9";
static struct hn_hist *pool[POOL]; /* scratch histograms for re-encoding */
static const uint8_t blob[] = "\x92\xa4test\xc3 compiled scenario bytes";
static const uint8_t hash[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff};

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < POOL; i++)
        pool[i] = hn_hist_new();
    for (int i = 0; i < N_ENTRIES; i++)
        for (int k = 0; k < HN_TIMING__COUNT; k++)
            hists[i][k] = hn_hist_new();
    test_rng_seed(1);
    /* entry 0: 120 requests with four timing kinds */
    strcpy(entries[0].method, "GET");
    strcpy(entries[0].name, "/api/products");
    entries[0].requests = 120;
    entries[0].failures = 3;
    entries[0].bytes_received = 123456;
    for (int i = 0; i < 120; i++) {
        uint64_t t = test_rng_lognormal(20000, 0.5);
        hn_hist_record(hists[0][HN_TIMING_TOTAL], t);
        hn_hist_record(hists[0][HN_TIMING_TTFB], t * 4 / 5);
    }
    hn_hist_record(hists[0][HN_TIMING_DNS], 350);
    hn_hist_record(hists[0][HN_TIMING_DNS], 0);
    for (int i = 0; i < 4; i++)
        hn_hist_record(hists[0][HN_TIMING_CONNECT], 900 + 37 * (uint64_t)i);
    /* entry 1: no requests, so no timings */
    strcpy(entries[1].method, "POST");
    strcpy(entries[1].name, "/api/orders");
    /* entry 2: UTF-8 name, an overflow value */
    strcpy(entries[2].method, "DELETE");
    strcpy(entries[2].name, "/caf\xc3\xa9/\xe6\x97\xa5/[id]");
    entries[2].requests = entries[2].failures = 5;
    for (uint64_t v = 1; v <= 4; v++)
        hn_hist_record(hists[2][HN_TIMING_TOTAL], v * 1000000);
    hn_hist_record(hists[2][HN_TIMING_TOTAL], 2 * HN_HIST_MAX_US);
    for (int i = 0; i < N_ENTRIES; i++)
        for (int k = 0; k < HN_TIMING__COUNT; k++)
            entries[i].hist[k] = hists[i][k]; /* empty ones are not sent */
    errors[0] = (struct hn_msg_error){"POST", "/api/orders", "HTTP 409", 7};
    errors[1] = (struct hn_msg_error){"GET", "/x", "timeout", 1};
    exceptions[0] = (struct hn_msg_exception){"data accounts exhausted: a user could not start", 3};
    exceptions[1] = (struct hn_msg_exception){"caf\xc3\xa9 \xe6\x97\xa5", UINT64_MAX};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < POOL; i++)
        hn_hist_free(pool[i]);
    for (int i = 0; i < N_ENTRIES; i++)
        for (int k = 0; k < HN_TIMING__COUNT; k++)
            hn_hist_free(hists[i][k]);
    return 0;
}

/* A message of @type with every field set to something recognisable. */
static void build(enum hn_msg_type type, struct hn_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->type = type;
    switch (type) {
    case HN_MSG_HELLO:
        strcpy(m->hello.worker_id, "box-4242-a1b2c3");
        strcpy(m->hello.hostname, "box.example.org");
        m->hello.pid = 4242;
        strcpy(m->hello.version, "0.1.0");
        m->hello.cpus = 16;
        m->hello.capacity = UINT32_MAX;
        strcpy(m->hello.run_id, "run-20231231-abc");
        break;
    case HN_MSG_WELCOME:
        m->welcome.worker_index = 3;
        strcpy(m->welcome.run_id, "run-20240101-xyz");
        m->welcome.snapshot_interval_ms = 1000;
        break;
    case HN_MSG_REJECT:
        strcpy(m->reject.reason, "protocol version 3 != 1");
        break;
    case HN_MSG_SCENARIO:
        m->scenario.blob = blob;
        m->scenario.blob_len = sizeof(blob);
        m->scenario.hash = hash;
        m->scenario.hash_len = sizeof(hash);
        break;
    case HN_MSG_TARGET:
        m->target.seq = UINT64_C(1) << 40;
        m->target.phase = HN_PHASE_RUN;
        m->target.model = HN_MODEL_OPEN;
        m->target.n_classes = 3;
        m->target.users[0] = 10, m->target.users[1] = 0, m->target.users[2] = 70000;
        m->target.spawn_rate_per_s = 2.5;
        m->target.arrival_rate_per_s = 500.125;
        m->target.max_users = 2000;
        m->target.start_wall_ms = UINT64_C(1700000000123);
        m->target.max_delay_ms = 2500;
        m->target.ends_in_ms = 1234567;
        m->target.n_class_rates = 3;
        m->target.class_rates[0] = 100.5, m->target.class_rates[1] = 0,
        m->target.class_rates[2] = 400.0;
        break;
    case HN_MSG_SNAPSHOT:
    case HN_MSG_FINAL:
        m->snapshot.seq = 17;
        strcpy(m->snapshot.run_id, "run-20240101-xyz");
        m->snapshot.interval_start_ms = UINT64_C(1700000000000);
        m->snapshot.interval_end_ms = UINT64_C(1700000001000);
        m->snapshot.users = 50;
        m->snapshot.n_entries = N_ENTRIES;
        m->snapshot.entries = entries;
        m->snapshot.n_errors = N_ERRORS;
        m->snapshot.errors = errors;
        m->snapshot.n_exceptions = N_EXCEPTIONS;
        m->snapshot.exceptions = exceptions;
        m->snapshot.dropped = UINT64_C(1) << 33;
        break;
    case HN_MSG_HEARTBEAT:
        m->heartbeat.state = HN_WSTATE_STOPPING;
        m->heartbeat.cpu_permille = 3999;
        m->heartbeat.rss_bytes = UINT64_C(5) << 33;
        m->heartbeat.users = 123;
        m->heartbeat.loop_lag_ms = 6004;
        m->heartbeat.grants = 77;
        break;
    case HN_MSG_STOP:
        m->stop.timeout_ms = 30000;
        break;
    case HN_MSG_QUIT:
        break;
    case HN_MSG_GRANT:
        m->grant.first_user_id = UINT64_C(1) << 40;
        m->grant.n_ids = 250;
        m->grant.n_feeders = 3;
        /* A SEQUENTIAL feeder: where its rows start; a UNIQUE one: the rows
         * themselves; a UNIQUE one with no row left. */
        m->grant.feeders[0] = (struct hn_msg_grant_feeder){
            .feeder = 0, .n_rows = 250, .first_row = UINT64_C(5) << 32};
        m->grant.feeders[1] = (struct hn_msg_grant_feeder){
            .feeder = 31, .n_rows = 2, .cells = grant_cells, .cells_len = sizeof(grant_cells)};
        m->grant.feeders[2] = (struct hn_msg_grant_feeder){.feeder = 2};
        break;
    case HN_MSG_DECLINE:
        strcpy(m->decline.run_id, "run-20240101-xyz/0123456789abcdef");
        strcpy(m->decline.reason, "HTTP/2 over http:// (h2c): libcurl 7.88.1 cannot reuse it");
        break;
    }
}

/* Encoded frame of build(type), in a fresh buffer. */
static void frame_of(enum hn_msg_type type, msgpack_sbuffer *sbuf)
{
    struct hn_msg m;
    build(type, &m);
    msgpack_sbuffer_init(sbuf);
    assert_int_equal(hn_msg_encode(&m, sbuf), 0);
}

/* Decode from an exactly sized heap copy, so ASan catches any overread. */
static int decode_copy(const void *buf, size_t len, struct hn_msg *out)
{
    void *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, buf, len);
    int rc = hn_msg_decode(copy, len, out);
    if (rc == 0)
        hn_msg_deinit(out); /* pointers into copy die with it */
    free(copy);
    return rc;
}

/* ---- round trips ---- */

static void check_snapshot(const struct hn_msg_snapshot *want, const struct hn_msg_snapshot *got)
{
    assert_int_equal(got->seq, want->seq);
    assert_int_equal(got->interval_start_ms, want->interval_start_ms);
    assert_int_equal(got->interval_end_ms, want->interval_end_ms);
    assert_int_equal(got->users, want->users);
    assert_int_equal(got->n_entries, want->n_entries);
    for (uint32_t i = 0; i < want->n_entries; i++) {
        const struct hn_msg_entry *a = &want->entries[i], *b = &got->entries[i];
        assert_string_equal(b->method, a->method);
        assert_string_equal(b->name, a->name);
        assert_int_equal(b->requests, a->requests);
        assert_int_equal(b->failures, a->failures);
        assert_int_equal(b->bytes_received, a->bytes_received);
        for (int k = 0; k < HN_TIMING__COUNT; k++) {
            assert_null(b->hist[k]);
            assert_int_equal(b->wire[k].present, a->hist[k]->total > 0);
            hn_hist_reset(pool[0]);
            hn_hist_codec_merge(pool[0], &b->wire[k]);
            assert_true(hn_hist_equal(pool[0], a->hist[k]));
        }
    }
    assert_int_equal(got->n_errors, want->n_errors);
    for (uint32_t i = 0; i < want->n_errors; i++) {
        assert_string_equal(got->errors[i].method, want->errors[i].method);
        assert_string_equal(got->errors[i].name, want->errors[i].name);
        assert_string_equal(got->errors[i].error, want->errors[i].error);
        assert_int_equal(got->errors[i].count, want->errors[i].count);
    }
    assert_int_equal(got->dropped, want->dropped);
    assert_int_equal(got->n_exceptions, want->n_exceptions);
    for (uint32_t i = 0; i < want->n_exceptions; i++) {
        assert_string_equal(got->exceptions[i].message, want->exceptions[i].message);
        assert_int_equal(got->exceptions[i].count, want->exceptions[i].count);
    }
}

static void test_round_trip_all_types(void **state)
{
    (void)state;
    for (uint32_t t = 1; t <= HN_MSG_TYPE_MAX; t++) {
        struct hn_msg want, got;
        msgpack_sbuffer sbuf;
        build((enum hn_msg_type)t, &want);
        frame_of((enum hn_msg_type)t, &sbuf);
        uint32_t type, version;
        assert_int_equal(hn_msg_peek(sbuf.data, sbuf.size, &type, &version), 0);
        assert_int_equal(type, t);
        assert_int_equal(version, HN_PROTO_VERSION);
        assert_int_equal(hn_msg_decode(sbuf.data, sbuf.size, &got), 0);
        assert_int_equal(got.type, t);
        switch (got.type) {
        case HN_MSG_HELLO:
            assert_string_equal(got.hello.worker_id, want.hello.worker_id);
            assert_string_equal(got.hello.hostname, want.hello.hostname);
            assert_int_equal(got.hello.pid, want.hello.pid);
            assert_string_equal(got.hello.version, want.hello.version);
            assert_int_equal(got.hello.cpus, want.hello.cpus);
            assert_int_equal(got.hello.capacity, want.hello.capacity);
            break;
        case HN_MSG_WELCOME:
            assert_int_equal(got.welcome.worker_index, want.welcome.worker_index);
            assert_string_equal(got.welcome.run_id, want.welcome.run_id);
            assert_int_equal(got.welcome.snapshot_interval_ms, want.welcome.snapshot_interval_ms);
            break;
        case HN_MSG_REJECT:
            assert_string_equal(got.reject.reason, want.reject.reason);
            break;
        case HN_MSG_SCENARIO: /* zero copy: points into the frame */
            assert_int_equal(got.scenario.blob_len, sizeof(blob));
            assert_memory_equal(got.scenario.blob, blob, sizeof(blob));
            assert_true((const char *)got.scenario.blob > sbuf.data &&
                        (const char *)got.scenario.blob < sbuf.data + sbuf.size);
            assert_int_equal(got.scenario.hash_len, sizeof(hash));
            assert_memory_equal(got.scenario.hash, hash, sizeof(hash));
            break;
        case HN_MSG_TARGET:
            assert_int_equal(got.target.seq, want.target.seq);
            assert_int_equal(got.target.phase, want.target.phase);
            assert_int_equal(got.target.model, want.target.model);
            assert_int_equal(got.target.n_classes, 3);
            assert_memory_equal(got.target.users, want.target.users, 3 * sizeof(uint32_t));
            assert_true(got.target.spawn_rate_per_s == want.target.spawn_rate_per_s);
            assert_true(got.target.arrival_rate_per_s == want.target.arrival_rate_per_s);
            assert_int_equal(got.target.max_users, want.target.max_users);
            assert_int_equal(got.target.start_wall_ms, want.target.start_wall_ms);
            assert_int_equal(got.target.max_delay_ms, want.target.max_delay_ms);
            assert_int_equal(got.target.ends_in_ms, want.target.ends_in_ms);
            assert_int_equal(got.target.n_class_rates, 3);
            for (int i = 0; i < 3; i++)
                assert_true(got.target.class_rates[i] == want.target.class_rates[i]);
            break;
        case HN_MSG_SNAPSHOT:
        case HN_MSG_FINAL:
            check_snapshot(&want.snapshot, &got.snapshot);
            break;
        case HN_MSG_HEARTBEAT:
            assert_int_equal(got.heartbeat.state, want.heartbeat.state);
            assert_int_equal(got.heartbeat.cpu_permille, want.heartbeat.cpu_permille);
            assert_int_equal(got.heartbeat.rss_bytes, want.heartbeat.rss_bytes);
            assert_int_equal(got.heartbeat.users, want.heartbeat.users);
            assert_int_equal(got.heartbeat.loop_lag_ms, want.heartbeat.loop_lag_ms);
            assert_int_equal(got.heartbeat.grants, want.heartbeat.grants);
            break;
        case HN_MSG_STOP:
            assert_int_equal(got.stop.timeout_ms, want.stop.timeout_ms);
            break;
        case HN_MSG_QUIT:
            break;
        case HN_MSG_GRANT:
            assert_int_equal(got.grant.first_user_id, want.grant.first_user_id);
            assert_int_equal(got.grant.n_ids, want.grant.n_ids);
            assert_int_equal(got.grant.n_feeders, want.grant.n_feeders);
            for (uint32_t i = 0; i < want.grant.n_feeders; i++) {
                const struct hn_msg_grant_feeder *a = &want.grant.feeders[i],
                                                 *b = &got.grant.feeders[i];
                assert_int_equal(b->feeder, a->feeder);
                assert_int_equal(b->n_rows, a->n_rows);
                assert_int_equal(b->first_row, a->first_row);
                assert_int_equal(b->cells_len, a->cells_len);
                assert_int_equal(!b->cells, !a->cells);
                if (a->cells) { /* zero copy: points into the frame */
                    assert_memory_equal(b->cells, a->cells, a->cells_len);
                    assert_true((const char *)b->cells > sbuf.data &&
                                (const char *)b->cells < sbuf.data + sbuf.size);
                }
            }
            break;
        case HN_MSG_DECLINE:
            assert_string_equal(got.decline.run_id, want.decline.run_id);
            assert_string_equal(got.decline.reason, want.decline.reason);
            break;
        }
        /* (a built SNAPSHOT holds histograms, a decoded one their bytes) */
        if (t != HN_MSG_SNAPSHOT && t != HN_MSG_FINAL)
            assert_true(hn_msg_equal(&want, &got));
        assert_string_not_equal(hn_msg_type_name(t), "UNKNOWN");
        hn_msg_deinit(&got);
        hn_msg_deinit(&got); /* twice is harmless */
        msgpack_sbuffer_destroy(&sbuf);
    }
    assert_string_equal(hn_msg_type_name(HN_MSG_FINAL), "FINAL");
    assert_string_equal(hn_msg_type_name(HN_MSG_GRANT), "GRANT");
    assert_string_equal(hn_msg_type_name(0), "UNKNOWN");
    assert_string_equal(hn_msg_type_name(HN_MSG_TYPE_MAX + 1), "UNKNOWN");
    /* GRANT carries rows: it may be as large as a snapshot. */
    assert_int_equal(hn_msg_frame_cap(HN_MSG_GRANT), HN_PROTO_SNAPSHOT_FRAME_MAX);
    assert_int_equal(hn_msg_frame_cap(HN_MSG_FINAL), HN_PROTO_SNAPSHOT_FRAME_MAX);
    assert_int_equal(hn_msg_frame_cap(HN_MSG_SCENARIO), HN_PROTO_FRAME_MAX);
    assert_int_equal(hn_msg_frame_cap(HN_MSG_TARGET), HN_PROTO_SMALL_FRAME_MAX);
}

/* Frames append to a buffer; a failed encode leaves it as it was. */
static void test_encode_appends_and_checks(void **state)
{
    (void)state;
    msgpack_sbuffer sbuf;
    struct hn_msg m, got;
    frame_of(HN_MSG_STOP, &sbuf);
    size_t first = sbuf.size;
    build(HN_MSG_HEARTBEAT, &m);
    assert_int_equal(hn_msg_encode(&m, &sbuf), 0);
    assert_int_equal(hn_msg_decode(sbuf.data, first, &got), 0);
    assert_int_equal(got.type, HN_MSG_STOP);
    assert_int_equal(hn_msg_decode(sbuf.data + first, sbuf.size - first, &got), 0);
    assert_int_equal(got.type, HN_MSG_HEARTBEAT);
    assert_int_equal(hn_msg_decode(sbuf.data, sbuf.size, &got), HN_E_INVALID); /* two frames */
    size_t size = sbuf.size;

    build(HN_MSG_HELLO, &m); /* worker id without room for its NUL */
    memset(m.hello.worker_id, 'a', sizeof(m.hello.worker_id));
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_TOO_LARGE);
    build(HN_MSG_HELLO, &m);
    strcpy(m.hello.hostname, "bad\xff");
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_INVALID);
    build(HN_MSG_TARGET, &m);
    m.target.spawn_rate_per_s = NAN;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_RANGE);
    build(HN_MSG_TARGET, &m);
    m.target.n_class_rates = 2; /* not one per class */
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_INVALID);
    build(HN_MSG_TARGET, &m);
    m.target.arrival_rate_per_s = 2e7;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_RANGE);
    build(HN_MSG_TARGET, &m);
    m.target.phase = HN_PHASE__COUNT;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_RANGE);
    build(HN_MSG_TARGET, &m);
    m.target.n_classes = HN_PROTO_CLASSES_MAX + 1;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_TOO_LARGE);
    build(HN_MSG_SNAPSHOT, &m);
    entries[0].requests++; /* no longer the TOTAL count */
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_INVALID);
    entries[0].requests--;
    /* 6 latencies from the intended start for 5 requests: more than it
     * can hold. 6 DNS times are fine: phases hold earlier reports' too. */
    hn_hist_record(hists[2][HN_TIMING_INTENDED], 1);
    hn_hist_record(hists[2][HN_TIMING_DNS], 1);
    for (int i = 0; i < 5; i++) {
        hn_hist_record(hists[2][HN_TIMING_INTENDED], 2);
        hn_hist_record(hists[2][HN_TIMING_DNS], 2);
    }
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_INVALID);
    hn_hist_reset(hists[2][HN_TIMING_INTENDED]);
    assert_int_equal(hn_msg_encode(&m, &sbuf), 0);
    hn_hist_reset(hists[2][HN_TIMING_DNS]);
    errors[1].count = 0;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_RANGE);
    errors[1].count = 1;
    exceptions[1].count = 0;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_RANGE);
    exceptions[1].count = 1;
    strcpy(exceptions[0].message, "bad\xc3");
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_INVALID);
    memset(exceptions[0].message, 'x', sizeof(exceptions[0].message)); /* no NUL */
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_TOO_LARGE);
    strcpy(exceptions[0].message, "data accounts exhausted: a user could not start");
    m.snapshot.n_exceptions = HN_PROTO_EXCEPTIONS_MAX + 1;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_TOO_LARGE);
    m.snapshot.n_exceptions = N_EXCEPTIONS;
    exceptions[1].count = UINT64_MAX;
    assert_int_equal(hn_msg_encode(&m, &sbuf), 0); /* all restored */
    sbuf.size = size;
    build(HN_MSG_GRANT, &m);
    m.grant.n_feeders = HN_PROTO_FEEDERS_MAX + 1;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_TOO_LARGE);
    build(HN_MSG_GRANT, &m);
    m.grant.feeders[1].cells_len = HN_PROTO_GRANT_CELLS_MAX + 1; /* refused unread */
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_TOO_LARGE);
    build(HN_MSG_GRANT, &m);
    m.type = 0;
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_UNKNOWN_TYPE);
    assert_int_equal(sbuf.size, size);
    msgpack_sbuffer_destroy(&sbuf);
}

/* ---- hostile input ---- */

static void test_every_truncation_fails(void **state)
{
    (void)state;
    for (uint32_t t = 1; t <= HN_MSG_TYPE_MAX; t++) {
        msgpack_sbuffer sbuf;
        struct hn_msg m;
        frame_of((enum hn_msg_type)t, &sbuf);
        for (size_t len = 0; len < sbuf.size; len++) {
            int rc = decode_copy(sbuf.data, len, &m);
            if (rc <= 0)
                fail_msg("%s truncated to %zu of %zu bytes: rc %d", hn_msg_type_name(t), len,
                         sbuf.size, rc);
        }
        assert_int_equal(decode_copy(sbuf.data, sbuf.size, &m), 0);
        msgpack_sbuffer_destroy(&sbuf);
    }
}

/* A decoded message must re-encode, and decode again to the same values. */
static void check_reencode(const struct hn_msg *m1)
{
    struct hn_msg m = *m1, m2;
    int used = 0;
    if (m.type == HN_MSG_SNAPSHOT || m.type == HN_MSG_FINAL) {
        for (uint32_t i = 0; i < m.snapshot.n_entries; i++) {
            for (int k = 0; k < HN_TIMING__COUNT; k++) {
                if (!m.snapshot.entries[i].wire[k].present)
                    continue;
                assert_true(used < POOL);
                hn_hist_reset(pool[used]);
                hn_hist_codec_merge(pool[used], &m.snapshot.entries[i].wire[k]);
                m.snapshot.entries[i].hist[k] = pool[used++];
            }
        }
    }
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    assert_int_equal(hn_msg_encode(&m, &sbuf), 0);
    assert_int_equal(hn_msg_decode(sbuf.data, sbuf.size, &m2), 0);
    assert_true(hn_msg_equal(m1, &m2));
    hn_msg_deinit(&m2);
    msgpack_sbuffer_destroy(&sbuf);
    for (uint32_t i = 0; used && i < m.snapshot.n_entries; i++)
        memset(m.snapshot.entries[i].hist, 0, sizeof(m.snapshot.entries[i].hist));
}

static void test_random_mutations(void **state)
{
    (void)state;
    enum { ROUNDS = 100000 };
    msgpack_sbuffer frames[HN_MSG_TYPE_MAX];
    unsigned ok[HN_MSG_TYPE_MAX + 1] = {0}, total_ok = 0;
    uint8_t work[8192];
    for (uint32_t t = 1; t <= HN_MSG_TYPE_MAX; t++)
        frame_of((enum hn_msg_type)t, &frames[t - 1]);
    test_rng_seed(2024);
    for (int round = 0; round < ROUNDS; round++) {
        const msgpack_sbuffer *f = &frames[round % HN_MSG_TYPE_MAX];
        assert_true(f->size + 64 <= sizeof(work));
        memcpy(work, f->data, f->size);
        size_t len = f->size;
        for (int i = 0, n = 1 + (int)(test_rng_next() % 4); i < n; i++)
            len = test_mutate(work, len, f->size + 64, test_rng_next);
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        assert_non_null(copy);
        memcpy(copy, work, len);
        struct hn_msg m;
        int rc = hn_msg_decode(copy, len, &m);
        assert_true(rc >= 0); /* never -ENOMEM on small frames */
        if (rc == 0) {
            check_reencode(&m);
            ok[m.type]++;
            total_ok++;
            hn_msg_deinit(&m);
        }
        free(copy);
    }
    print_message("mutations: %u of %d decoded as valid messages:", total_ok, ROUNDS);
    for (uint32_t t = 1; t <= HN_MSG_TYPE_MAX; t++)
        print_message(" %s %u", hn_msg_type_name(t), ok[t]);
    print_message("\n");
    assert_true(total_ok > ROUNDS / 50); /* the valid path was exercised too */
    assert_true(ok[HN_MSG_SNAPSHOT] > 0);
    assert_true(ok[HN_MSG_GRANT] > 0);
    for (uint32_t t = 1; t <= HN_MSG_TYPE_MAX; t++)
        msgpack_sbuffer_destroy(&frames[t - 1]);
}

static void test_version_and_type(void **state)
{
    (void)state;
    msgpack_sbuffer sbuf;
    struct hn_msg m;
    uint32_t type, version;
    frame_of(HN_MSG_HELLO, &sbuf);
    uint8_t *b = (uint8_t *)sbuf.data; /* 0x93, type, version, body... */
    assert_int_equal(b[0], 0x93);
    assert_int_equal(b[2], HN_PROTO_VERSION);
    b[2] = HN_PROTO_VERSION - 1; /* an older peer */
    assert_int_equal(hn_msg_decode(b, sbuf.size, &m), HN_E_VERSION);
    assert_int_equal(hn_msg_peek(b, sbuf.size, &type, &version), 0);
    assert_int_equal(version, HN_PROTO_VERSION - 1);
    b[2] = HN_PROTO_VERSION + 1; /* a newer one */
    assert_int_equal(hn_msg_decode(b, sbuf.size, &m), HN_E_VERSION);
    assert_int_equal(hn_msg_peek(b, sbuf.size, &type, &version), 0);
    assert_int_equal(type, HN_MSG_HELLO);
    assert_int_equal(version, HN_PROTO_VERSION + 1);
    b[1] = 99; /* version is checked first: a newer peer may have new types */
    assert_int_equal(hn_msg_decode(b, sbuf.size, &m), HN_E_VERSION);
    b[2] = HN_PROTO_VERSION;
    assert_int_equal(hn_msg_decode(b, sbuf.size, &m), HN_E_UNKNOWN_TYPE);
    assert_int_equal(hn_msg_peek(b, sbuf.size, &type, &version), 0);
    assert_int_equal(type, 99);
    b[1] = 0;
    assert_int_equal(hn_msg_decode(b, sbuf.size, &m), HN_E_UNKNOWN_TYPE);

    /* a wide version number, then the HELLO body */
    msgpack_sbuffer wide;
    msgpack_packer pk;
    msgpack_sbuffer_init(&wide);
    msgpack_packer_init(&pk, &wide, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, HN_MSG_HELLO);
    msgpack_pack_uint32(&pk, 70000);
    msgpack_sbuffer_write(&wide, sbuf.data + 3, sbuf.size - 3);
    assert_int_equal(hn_msg_decode(wide.data, wide.size, &m), HN_E_VERSION);
    assert_int_equal(hn_msg_peek(wide.data, wide.size, &type, &version), 0);
    assert_int_equal(version, 70000);
    assert_int_equal(type, HN_MSG_HELLO);
    msgpack_sbuffer_destroy(&wide);
    msgpack_sbuffer_destroy(&sbuf);

    static const uint8_t not_array[] = {0x01}, four[] = {0x94, 1, 1, 0x90, 0xc0},
                         neg_type[] = {0x93, 0xff, 1, 0x90};
    assert_int_equal(hn_msg_peek(not_array, 1, &type, &version), HN_E_TYPE);
    assert_int_equal(hn_msg_decode(four, sizeof(four), &m), HN_E_INVALID);
    assert_int_equal(hn_msg_decode(neg_type, sizeof(neg_type), &m), HN_E_TYPE);
}

/* ---- targeted field edits: decode a valid frame, change one object, pack
 * it again with msgpack-c, and check the decoder's verdict ---- */

/* clang-format off */
#define U(v) {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (v)}
#define I(v) {.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = (v)}
#define F(v) {.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = (v)}
#define S(s) {.type = MSGPACK_OBJECT_STR, .via.str = {.size = sizeof(s) - 1, .ptr = s}}
#define LONG(n) {.type = MSGPACK_OBJECT_STR, .via.str = {.size = (n), .ptr = long_str}}
#define BIN(n) {.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = (n), .ptr = long_str}}
#define NIL {.type = MSGPACK_OBJECT_NIL}
#define MANY(n) {.type = MSGPACK_OBJECT_ARRAY, .via.array = {(n), many}}
/* clang-format on */
#define END (-1)
#define SHRINK (-2)

static char long_str[300];
static msgpack_object many[HN_PROTO_CLASSES_MAX + 1];

static const struct edit {
    enum hn_msg_type type;
    int path[7]; /* indices from the body; END; or SHRINK: drop the last element */
    msgpack_object value;
    int want;
} edits[] = {
    {HN_MSG_HELLO, {0, END}, LONG(HN_PROTO_ID_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_HELLO, {0, END}, LONG(HN_PROTO_ID_MAX), 0},
    {HN_MSG_HELLO, {0, END}, S("a\0b"), HN_E_INVALID},
    {HN_MSG_HELLO, {1, END}, S("\xc3\x28"), HN_E_INVALID},
    {HN_MSG_HELLO, {1, END}, S("\xed\xa0\x80"), HN_E_INVALID}, /* surrogate */
    {HN_MSG_HELLO, {1, END}, S("\xc0\xaf"), HN_E_INVALID},     /* overlong */
    {HN_MSG_HELLO, {1, END}, S("h\xf0\x9f\x90\x9d"), 0},       /* 4-byte UTF-8 */
    {HN_MSG_HELLO, {2, END}, U(UINT64_C(1) << 32), HN_E_RANGE},
    {HN_MSG_HELLO, {2, END}, I(-1), HN_E_RANGE},
    {HN_MSG_HELLO, {2, END}, F(1.0), HN_E_TYPE},
    {HN_MSG_HELLO, {3, END}, LONG(HN_PROTO_VERSION_STR_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_HELLO, {5, END}, {.type = MSGPACK_OBJECT_MAP}, HN_E_TYPE},
    {HN_MSG_HELLO, {SHRINK}, U(0), HN_E_INVALID},
    {HN_MSG_HELLO, {6, END}, LONG(HN_PROTO_ID_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_HELLO, {6, END}, S(""), 0}, /* a worker in no run yet */
    {HN_MSG_HELLO, {6, END}, U(1), HN_E_TYPE},
    {HN_MSG_WELCOME, {1, END}, U(5), HN_E_TYPE},
    {HN_MSG_REJECT, {0, END}, LONG(HN_PROTO_REASON_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_SCENARIO, {1, END}, BIN(HN_PROTO_HASH_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_SCENARIO, {0, END}, S("x"), HN_E_TYPE},
    {HN_MSG_TARGET, {1, END}, U(HN_PHASE__COUNT), HN_E_RANGE},
    {HN_MSG_TARGET, {2, END}, U(HN_MODEL__COUNT), HN_E_RANGE},
    {HN_MSG_TARGET, {4, END}, F(NAN), HN_E_RANGE},
    {HN_MSG_TARGET, {4, END}, F(-1.0), HN_E_RANGE},
    {HN_MSG_TARGET, {5, END}, F(INFINITY), HN_E_RANGE},
    {HN_MSG_TARGET, {5, END}, F(1e7 + 1), HN_E_RANGE}, /* HN_PROTO_ARRIVAL_RATE_MAX */
    {HN_MSG_TARGET, {5, END}, F(1e7), 0},
    {HN_MSG_TARGET, {8, END}, U(UINT64_C(1) << 32), HN_E_RANGE},
    {HN_MSG_TARGET, {9, 1, END}, F(-1.0), HN_E_RANGE},
    {HN_MSG_TARGET, {9, 2, END}, F(2e7), HN_E_RANGE},
    {HN_MSG_TARGET, {9, 0, END}, S("x"), HN_E_TYPE},
    {HN_MSG_TARGET, {4, END}, U(1), HN_E_TYPE},
    {HN_MSG_TARGET, {10, END}, F(1.0), HN_E_TYPE},
    {HN_MSG_TARGET, {10, END}, I(-1), HN_E_RANGE},
    {HN_MSG_TARGET, {SHRINK}, U(0), HN_E_INVALID}, /* ten fields: protocol 3's */
    {HN_MSG_TARGET, {4, END}, {.type = MSGPACK_OBJECT_FLOAT32, .via.f64 = 2.5}, 0},
    {HN_MSG_TARGET, {3, 0, END}, S("x"), HN_E_TYPE},
    {HN_MSG_TARGET,
     {3, END},
     {.type = MSGPACK_OBJECT_ARRAY, .via.array = {HN_PROTO_CLASSES_MAX + 1, many}},
     HN_E_TOO_LARGE},
    {HN_MSG_SNAPSHOT, {4, 0, 3, END}, U(121), HN_E_INVALID}, /* failures > requests */
    {HN_MSG_SNAPSHOT, {6, END}, LONG(HN_PROTO_ID_MAX + 1), HN_E_TOO_LARGE}, /* run id */
    {HN_MSG_SNAPSHOT, {6, END}, BIN(4), HN_E_TYPE},
    {HN_MSG_FINAL, {6, END}, S("\xc3\x28"), HN_E_INVALID},
    {HN_MSG_SNAPSHOT, {4, 0, 2, END}, U(121), HN_E_INVALID}, /* != TOTAL count */
    {HN_MSG_SNAPSHOT, {4, 2, 2, END}, U(4), HN_E_INVALID},
    {HN_MSG_SNAPSHOT, {4, 1, 2, END}, U(1), HN_E_INVALID},       /* requests, no TOTAL */
    {HN_MSG_SNAPSHOT, {4, 0, 5, 1, 0, END}, U(0), HN_E_INVALID}, /* TOTAL twice */
    {HN_MSG_SNAPSHOT, {4, 0, 5, 3, 0, END}, U(2), HN_E_INVALID}, /* CONNECT twice */
    {HN_MSG_SNAPSHOT, {4, 0, 5, 3, 0, END}, U(3), 0},            /* TTFB sent as TLS */
    {HN_MSG_SNAPSHOT, {4, 0, 5, 3, 0, END}, U(HN_TIMING__COUNT), HN_E_RANGE},
    {HN_MSG_SNAPSHOT, {4, 0, 5, 0, 1, 2, END}, U(0), HN_E_INVALID},   /* hist min */
    {HN_MSG_SNAPSHOT, {4, 0, 5, 0, 1, 5, END}, BIN(0), HN_E_INVALID}, /* no buckets */
    {HN_MSG_SNAPSHOT, {4, 0, 0, END}, LONG(HN_PROTO_METHOD_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_SNAPSHOT, {4, 0, 1, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_SNAPSHOT, {4, 0, 1, END}, LONG(HN_PROTO_NAME_MAX), 0},
    {HN_MSG_SNAPSHOT, {4, 0, SHRINK}, U(0), HN_E_INVALID},
    {HN_MSG_SNAPSHOT, {4, END}, U(0), HN_E_TYPE},
    {HN_MSG_SNAPSHOT, {3, END}, F(1.0), HN_E_TYPE},
    {HN_MSG_FINAL, {5, 0, 3, END}, U(0), HN_E_RANGE}, /* error count 0 */
    {HN_MSG_FINAL, {5, 0, 2, END}, LONG(HN_PROTO_ERROR_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_FINAL, {SHRINK}, U(0), HN_E_INVALID},        /* one field short: no exceptions */
    {HN_MSG_SNAPSHOT, {7, 0, 1, END}, U(0), HN_E_RANGE}, /* exception count 0 */
    {HN_MSG_SNAPSHOT, {7, 0, 1, END}, I(-1), HN_E_RANGE},
    {HN_MSG_SNAPSHOT, {7, 0, 0, END}, LONG(HN_PROTO_ERROR_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_SNAPSHOT, {7, 0, 0, END}, LONG(HN_PROTO_ERROR_MAX), 0},
    {HN_MSG_SNAPSHOT, {7, 0, 0, END}, S("a\0b"), HN_E_INVALID},
    {HN_MSG_SNAPSHOT, {7, 0, 0, END}, BIN(3), HN_E_TYPE},
    {HN_MSG_SNAPSHOT, {7, 0, SHRINK}, U(0), HN_E_INVALID},
    {HN_MSG_SNAPSHOT, {7, 0, END}, U(1), HN_E_TYPE},
    {HN_MSG_SNAPSHOT, {7, END}, MANY(0), 0},
    {HN_MSG_FINAL, {7, END}, MANY(HN_PROTO_EXCEPTIONS_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_GRANT, {0, END}, I(-1), HN_E_RANGE},
    {HN_MSG_GRANT, {0, END}, U(UINT64_MAX - 250), 0},    /* last id UINT64_MAX - 1 */
    {HN_MSG_GRANT, {0, END}, U(UINT64_MAX), HN_E_RANGE}, /* ids would wrap */
    {HN_MSG_GRANT, {0, END}, U(0), 0},
    {HN_MSG_GRANT, {1, END}, U(UINT64_C(1) << 32), HN_E_RANGE},
    {HN_MSG_GRANT, {1, END}, U(0), 0},
    {HN_MSG_GRANT, {1, END}, F(1.0), HN_E_TYPE},
    {HN_MSG_GRANT, {2, END}, MANY(HN_PROTO_FEEDERS_MAX + 1), HN_E_TOO_LARGE},
    {HN_MSG_GRANT, {2, END}, MANY(0), 0},
    {HN_MSG_GRANT, {2, END}, U(0), HN_E_TYPE},
    {HN_MSG_GRANT, {2, 0, SHRINK}, U(0), HN_E_INVALID},
    {HN_MSG_GRANT, {2, 0, 0, END}, U(UINT64_C(1) << 32), HN_E_RANGE},
    {HN_MSG_GRANT, {2, 0, 1, END}, I(-2), HN_E_RANGE},
    {HN_MSG_GRANT, {2, 0, 2, END}, U(UINT64_MAX), 0},
    {HN_MSG_GRANT, {2, 0, 2, END}, F(0.0), HN_E_TYPE},
    {HN_MSG_GRANT, {2, 1, 3, END}, S("A-1"), HN_E_TYPE},
    {HN_MSG_GRANT, {2, 1, 3, END}, NIL, 0},
    {HN_MSG_GRANT, {2, 0, 3, END}, BIN(5), 0}, /* rows' rules are the worker's (grants.c) */
    {HN_MSG_GRANT, {2, 0, 3, END}, U(1), HN_E_TYPE},
    {HN_MSG_GRANT, {SHRINK}, U(0), HN_E_INVALID},
    {HN_MSG_HEARTBEAT, {0, END}, U(HN_WSTATE__COUNT), HN_E_RANGE},
    {HN_MSG_HEARTBEAT, {4, END}, U(UINT64_C(1) << 32), HN_E_RANGE},
    {HN_MSG_HEARTBEAT, {4, END}, U(UINT32_MAX), 0},
    {HN_MSG_HEARTBEAT, {4, END}, I(-1), HN_E_RANGE},
    {HN_MSG_HEARTBEAT, {5, END}, U(UINT64_C(1) << 32), HN_E_RANGE},
    {HN_MSG_HEARTBEAT, {5, END}, I(-1), HN_E_RANGE},
    {HN_MSG_HEARTBEAT, {SHRINK}, U(0), HN_E_INVALID},
    {HN_MSG_STOP, {0, END}, I(-5), HN_E_RANGE},
    {HN_MSG_QUIT, {END}, U(0), HN_E_TYPE},
};

static int apply_edit(const struct edit *e)
{
    msgpack_sbuffer sbuf, out;
    msgpack_unpacked up;
    msgpack_packer pk;
    frame_of(e->type, &sbuf);
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    msgpack_object *o = &up.data.via.array.ptr[2];
    int i = 0;
    for (; e->path[i] >= 0; i++) {
        assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
        assert_true((uint32_t)e->path[i] < o->via.array.size);
        o = &o->via.array.ptr[e->path[i]];
    }
    if (e->path[i] == SHRINK)
        o->via.array.size--;
    else
        *o = e->value;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_object(&pk, up.data), 0);
    struct hn_msg m;
    int rc = decode_copy(out.data, out.size, &m);
    msgpack_sbuffer_destroy(&out);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);
    return rc;
}

static void test_field_edits(void **state)
{
    (void)state;
    memset(long_str, 'n', sizeof(long_str));
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        int rc = apply_edit(&edits[i]);
        if (rc != edits[i].want)
            fail_msg("edit %zu (%s): rc %d, want %d", i, hn_msg_type_name(edits[i].type), rc,
                     edits[i].want);
    }
}

/* GRANT ids up to UINT64_MAX are fine; ids that wrap are refused by the
 * encoder too, not only by the decoder (a frame we send is never one the
 * peer rejects). */
static void test_grant_id_range(void **state)
{
    (void)state;
    struct hn_msg m, got;
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    build(HN_MSG_GRANT, &m);
    m.grant.first_user_id = UINT64_MAX - 1; /* ids UINT64_MAX - 1 and UINT64_MAX */
    m.grant.n_ids = 2;
    assert_int_equal(hn_msg_encode(&m, &sbuf), 0);
    assert_int_equal(hn_msg_decode(sbuf.data, sbuf.size, &got), 0);
    msgpack_sbuffer_clear(&sbuf);
    m.grant.first_user_id = UINT64_MAX; /* UINT64_MAX, then 0: wraps */
    assert_int_equal(hn_msg_encode(&m, &sbuf), HN_E_RANGE);
    msgpack_sbuffer_destroy(&sbuf);
}

/* With HN_FUZZ_SEED_DIR set, write one valid frame per type there (seeds
 * for proto/fuzz). */
static void test_dump_seeds(void **state)
{
    (void)state;
    const char *dir = getenv("HN_FUZZ_SEED_DIR");
    if (!dir)
        skip();
    for (uint32_t t = 1; t <= HN_MSG_TYPE_MAX; t++) {
        msgpack_sbuffer sbuf;
        char path[4096];
        frame_of((enum hn_msg_type)t, &sbuf);
        snprintf(path, sizeof(path), "%s/%s.bin", dir, hn_msg_type_name(t));
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(sbuf.data, 1, sbuf.size, f), sbuf.size);
        assert_int_equal(fclose(f), 0);
        msgpack_sbuffer_destroy(&sbuf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_all_types),
        cmocka_unit_test(test_encode_appends_and_checks),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_version_and_type),
        cmocka_unit_test(test_field_edits),
        cmocka_unit_test(test_grant_id_range),
        cmocka_unit_test(test_dump_seeds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
