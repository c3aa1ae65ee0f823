/* Unit tests of worker/recorder and worker/http_classify: what one request
 * adds, failures told in words (deduplicated per entry and text, bounded),
 * exceptions, exact merge, reset, failure slots and their names, and the
 * mapping of libcurl errors to failure kinds. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_classify.h"
#include "recorder.h"
#include "test-rng.h"

#define ENTRIES 3
#define SAMPLES 20000

static void init(struct hn_recorder *r)
{
    assert_int_equal(hn_recorder_init(r, ENTRIES), 0);
}

static void assert_entry_empty(const struct hn_rec_entry *e)
{
    assert_int_equal(e->requests, 0);
    assert_int_equal(e->failures, 0);
    assert_int_equal(e->bytes, 0);
    for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
        if (e->fail_counts[k])
            fail_msg("failure slot %u holds %llu", k, (unsigned long long)e->fail_counts[k]);
    for (int t = 0; t < HN_TIMING__COUNT; t++) {
        assert_int_equal(hn_hist_count(&e->timing[t]), 0);
        assert_int_equal(e->timing[t].min, UINT64_MAX);
        assert_int_equal(e->timing[t].max, 0);
        assert_int_equal(e->timing[t].sum, 0);
    }
}

/* Count of the failure text (@entry, @text), 0 if absent. */
static uint64_t text_count(const struct hn_recorder *r, uint32_t entry, const char *text)
{
    uint64_t n = 0;
    int seen = 0;
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++) {
        const struct hn_rec_text *t = &r->texts[i];
        if (t->len && t->entry == entry && t->len == strlen(text) &&
            memcmp(t->text, text, t->len) == 0) {
            n = t->count;
            seen++;
        }
    }
    assert_true(seen <= 1); /* one slot per (entry, text) */
    return n;
}

/* Slots in use, checked against n_texts. */
static uint32_t texts_used(const struct hn_recorder *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++)
        if (r->texts[i].len) {
            assert_int_equal(strlen(r->texts[i].text), r->texts[i].len);
            n++;
        }
    assert_int_equal(n, r->n_texts);
    return n;
}

static uint64_t exception_count(const struct hn_recorder *r, const char *message)
{
    for (uint32_t i = 0; i < r->n_exceptions; i++)
        if (strcmp(r->exceptions[i].message, message) == 0)
            return r->exceptions[i].count;
    return 0;
}

/* Both recorders hold exactly the same figures. */
static void assert_recorders_equal(const struct hn_recorder *a, const struct hn_recorder *b)
{
    assert_int_equal(a->n_entries, b->n_entries);
    assert_int_equal(texts_used(a), texts_used(b));
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++)
        if (a->texts[i].len)
            assert_int_equal(text_count(b, a->texts[i].entry, a->texts[i].text), a->texts[i].count);
    assert_int_equal(a->n_exceptions, b->n_exceptions);
    for (uint32_t i = 0; i < a->n_exceptions; i++)
        assert_int_equal(exception_count(b, a->exceptions[i].message), a->exceptions[i].count);
    for (uint32_t i = 0; i < a->n_entries; i++) {
        const struct hn_rec_entry *x = &a->entries[i], *y = &b->entries[i];
        assert_int_equal(x->requests, y->requests);
        assert_int_equal(x->failures, y->failures);
        assert_int_equal(x->bytes, y->bytes);
        assert_memory_equal(x->fail_counts, y->fail_counts, sizeof(x->fail_counts));
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            if (!hn_hist_equal(&x->timing[t], &y->timing[t]))
                fail_msg("entry %u timing %d differs", i, t);
    }
}

static const char *const check_texts[] = {
    "check status: got 500, want 201",
    "capture token: not found",
    "check json $.status: got \"open\", want \"paid\"",
};

/* A random sample: mixed entries, failures (by kind and by text), new
 * connections, TLS or not. */
static struct hn_rec_sample random_sample(void)
{
    uint64_t r = test_rng_next();
    struct hn_rec_sample s = {
        .entry = (uint32_t)(r % ENTRIES),
        .fail_slot = HN_FAIL_NONE,
        .new_connection = (r >> 8) % 4 == 0,
        .total_us = 100 + (r >> 16) % 500000,
        .dns_us = (r >> 20) % 300,
        .connect_us = 50 + (r >> 24) % 1000,
        .tls_us = (r >> 30) % 2 ? 0 : 200 + (r >> 32) % 3000,
        .ttfb_us = 80 + (r >> 36) % 400000,
        .bytes = (r >> 40) % 10000,
    };
    switch ((r >> 4) % 10) {
    case 0:
        s.fail_slot = 500;
        break;
    case 1:
        s.fail_slot = 404;
        break;
    case 2:
        s.fail_slot = hn_fail_slot(HN_FAIL_TIMEOUT);
        break;
    case 3:
        s.fail_slot = hn_fail_slot(HN_FAIL_CONN_REFUSED);
        break;
    case 4:
        s.fail_text = check_texts[(r >> 48) % 3];
        s.fail_text_len = strlen(s.fail_text);
        break;
    default:
        break;
    }
    return s;
}

static void test_init_empty(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    assert_int_equal(r.n_entries, ENTRIES);
    for (uint32_t i = 0; i < ENTRIES; i++)
        assert_entry_empty(&r.entries[i]);
    assert_int_equal(hn_recorder_requests(&r), 0);
    assert_non_null(r.texts);
    assert_int_equal(texts_used(&r), 0);
    assert_int_equal(r.n_exceptions, 0);
    hn_recorder_deinit(&r);
    assert_null(r.entries);
    assert_null(r.texts);
    assert_int_equal(r.n_entries, 0);
    hn_recorder_deinit(&r); /* twice is harmless */
}

static void test_add_success(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    /* A reused connection: DNS, connect and TLS are not recorded. */
    struct hn_rec_sample s = {.entry = 1,
                              .fail_slot = HN_FAIL_NONE,
                              .new_connection = false,
                              .total_us = 1500,
                              .dns_us = 10,
                              .connect_us = 20,
                              .tls_us = 30,
                              .ttfb_us = 900,
                              .bytes = 512};
    hn_recorder_add(&r, &s);
    const struct hn_rec_entry *e = &r.entries[1];
    assert_int_equal(e->requests, 1);
    assert_int_equal(e->failures, 0);
    assert_int_equal(e->bytes, 512);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TOTAL]), 1);
    assert_int_equal(hn_hist_min(&e->timing[HN_TIMING_TOTAL]), 1500);
    assert_int_equal(hn_hist_max(&e->timing[HN_TIMING_TTFB]), 900);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_DNS]), 0);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_CONNECT]), 0);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TLS]), 0);
    for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
        assert_int_equal(e->fail_counts[k], 0);
    assert_entry_empty(&r.entries[0]);
    assert_entry_empty(&r.entries[2]);

    /* A new plain connection: DNS and connect, no TLS phase. */
    s.new_connection = true;
    s.tls_us = 0;
    hn_recorder_add(&r, &s);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_DNS]), 1);
    assert_int_equal(hn_hist_max(&e->timing[HN_TIMING_DNS]), 10);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_CONNECT]), 1);
    assert_int_equal(hn_hist_max(&e->timing[HN_TIMING_CONNECT]), 20);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TLS]), 0);

    /* A new TLS connection records the handshake too. */
    s.tls_us = 4000;
    hn_recorder_add(&r, &s);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TLS]), 1);
    assert_int_equal(hn_hist_max(&e->timing[HN_TIMING_TLS]), 4000);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_DNS]), 2);
    assert_int_equal(e->requests, 3);
    assert_int_equal(e->bytes, 3 * 512);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TOTAL]), 3);
    assert_int_equal(hn_recorder_requests(&r), 3);
    hn_recorder_deinit(&r);
}

static void test_add_failures(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    struct hn_rec_sample s = {.entry = 2, .total_us = 100, .bytes = 7};
    s.fail_slot = hn_fail_slot_status(500);
    hn_recorder_add(&r, &s);
    hn_recorder_add(&r, &s);
    s.fail_slot = hn_fail_slot(HN_FAIL_CONN_REFUSED);
    hn_recorder_add(&r, &s);
    s.fail_slot = HN_FAIL_NONE;
    hn_recorder_add(&r, &s);
    const struct hn_rec_entry *e = &r.entries[2];
    assert_int_equal(e->requests, 4);
    assert_int_equal(e->failures, 3);
    assert_int_equal(e->fail_counts[500], 2);
    assert_int_equal(e->fail_counts[hn_fail_slot(HN_FAIL_CONN_REFUSED)], 1);
    uint64_t sum = 0;
    for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
        sum += e->fail_counts[k];
    assert_int_equal(sum, e->failures);
    /* Failed requests still count their time and bytes. */
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TOTAL]), 4);
    assert_int_equal(e->bytes, 28);
    hn_recorder_deinit(&r);
}

static void test_merge_equals_one(void **state)
{
    (void)state;
    /* Samples split over two recorders, merged, equal all in one. */
    struct hn_recorder all, a, b;
    init(&all);
    init(&a);
    init(&b);
    for (int i = 0; i < SAMPLES; i++) {
        struct hn_rec_sample s = random_sample();
        hn_recorder_add(&all, &s);
        hn_recorder_add(i % 3 ? &a : &b, &s);
    }
    assert_int_equal(hn_recorder_requests(&all), SAMPLES);
    assert_int_equal(hn_recorder_requests(&a) + hn_recorder_requests(&b), SAMPLES);
    hn_recorder_merge(&a, &b);
    assert_recorders_equal(&a, &all);
    /* b is only read. */
    assert_true(hn_recorder_requests(&b) > 0);

    /* Merging into an empty recorder copies; merging an empty one adds
     * nothing. */
    struct hn_recorder c;
    init(&c);
    hn_recorder_merge(&c, &all);
    assert_recorders_equal(&c, &all);
    hn_recorder_reset(&b);
    hn_recorder_merge(&c, &b);
    assert_recorders_equal(&c, &all);
    hn_recorder_deinit(&all);
    hn_recorder_deinit(&a);
    hn_recorder_deinit(&b);
    hn_recorder_deinit(&c);
}

static void test_reset(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    for (int i = 0; i < 1000; i++) {
        struct hn_rec_sample s = random_sample();
        s.new_connection = true;
        s.fail_slot = i % 2 ? hn_fail_slot(HN_FAIL_ABORTED) : 503;
        hn_recorder_add(&r, &s);
    }
    hn_recorder_reset(&r);
    for (uint32_t i = 0; i < ENTRIES; i++)
        assert_entry_empty(&r.entries[i]);
    assert_int_equal(hn_recorder_requests(&r), 0);
    /* Usable again after a reset, as a fresh recorder. */
    struct hn_recorder fresh;
    init(&fresh);
    test_rng_seed(42);
    for (int i = 0; i < 500; i++) {
        struct hn_rec_sample s = random_sample();
        hn_recorder_add(&r, &s);
    }
    test_rng_seed(42);
    for (int i = 0; i < 500; i++) {
        struct hn_rec_sample s = random_sample();
        hn_recorder_add(&fresh, &s);
    }
    assert_recorders_equal(&r, &fresh);
    hn_recorder_deinit(&r);
    hn_recorder_deinit(&fresh);
}

/* A failure told in words: counted as a failure of its entry, under its
 * own text, once per (entry, text); not under any failure kind. */
static void test_fail_texts(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    const char *status = "check status: got 500, want 201";
    struct hn_rec_sample s = {.entry = 1, .fail_slot = HN_FAIL_NONE, .total_us = 10, .bytes = 3};
    s.fail_text = status;
    s.fail_text_len = strlen(status);
    hn_recorder_add(&r, &s);
    hn_recorder_add(&r, &s);
    s.entry = 2; /* the same text on another entry is another row */
    hn_recorder_add(&r, &s);
    s.entry = 1;
    s.fail_text = "capture token: not found";
    s.fail_text_len = strlen(s.fail_text);
    s.fail_slot = 500; /* the text names the failure: the slot is not counted */
    hn_recorder_add(&r, &s);
    s.fail_text = NULL;
    s.fail_slot = HN_FAIL_NONE;
    hn_recorder_add(&r, &s); /* a success */
    const struct hn_rec_entry *e = &r.entries[1];
    assert_int_equal(e->requests, 4);
    assert_int_equal(e->failures, 3);
    assert_int_equal(e->bytes, 12);
    for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
        assert_int_equal(e->fail_counts[k], 0);
    assert_int_equal(hn_hist_count(&e->timing[HN_TIMING_TOTAL]), 4);
    assert_int_equal(text_count(&r, 1, status), 2);
    assert_int_equal(text_count(&r, 2, status), 1);
    assert_int_equal(text_count(&r, 1, "capture token: not found"), 1);
    assert_int_equal(text_count(&r, 0, status), 0);
    assert_int_equal(texts_used(&r), 3);
    assert_int_equal(r.entries[2].failures, 1);

    /* The text's length counts, not a NUL: a prefix is another text. */
    s.fail_text = status;
    s.fail_text_len = 12; /* "check status" */
    hn_recorder_add(&r, &s);
    assert_int_equal(text_count(&r, 1, "check status"), 1);
    assert_int_equal(text_count(&r, 1, status), 2);
    /* An empty text still counts, as "failed". */
    s.fail_text = "";
    s.fail_text_len = 0;
    hn_recorder_add(&r, &s);
    assert_int_equal(text_count(&r, 1, "failed"), 1);
    /* Texts are cut at the wire's error size: texts that differ only past
     * it are one row. */
    char long_a[300], long_b[300];
    memset(long_a, 'a', sizeof(long_a));
    memcpy(long_b, long_a, sizeof(long_b));
    long_b[HN_PROTO_ERROR_MAX + 5] = 'b';
    s.fail_text = long_a;
    s.fail_text_len = sizeof(long_a);
    hn_recorder_add(&r, &s);
    s.fail_text = long_b;
    hn_recorder_add(&r, &s);
    char cut[HN_PROTO_ERROR_MAX + 1];
    memset(cut, 'a', HN_PROTO_ERROR_MAX);
    cut[HN_PROTO_ERROR_MAX] = '\0';
    assert_int_equal(text_count(&r, 1, cut), 2);
    assert_int_equal(texts_used(&r), 6);
    assert_int_equal(r.entries[1].failures, 7);

    /* Reset forgets them. */
    hn_recorder_reset(&r);
    assert_int_equal(texts_used(&r), 0);
    assert_int_equal(text_count(&r, 1, status), 0);
    for (uint32_t i = 0; i < ENTRIES; i++)
        assert_entry_empty(&r.entries[i]);
    hn_recorder_deinit(&r);
}

/* 300 endpoints failing each with its own text, or one check with 1,000
 * texts, in one second: every text keeps its own row (with 256 slots a
 * third of them went to "other check or capture failures"). */
static void test_texts_thousand(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    char text[64];
    struct hn_rec_sample s = {.fail_slot = HN_FAIL_NONE, .fail_text = text};
    for (uint32_t i = 0; i < 3000; i++) {
        s.entry = (i % 1000) % ENTRIES;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "body has no %u", i % 1000);
        hn_recorder_add(&r, &s);
    }
    assert_int_equal(texts_used(&r), 1000);
    for (uint32_t e = 0; e < ENTRIES; e++)
        assert_int_equal(r.entries[e].fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)], 0);
    hn_recorder_deinit(&r);
}

/* A check whose text changes every time cannot grow the table: past
 * three quarters of it, new texts count as "other check or capture
 * failures"; known texts keep counting under their own. */
static void test_texts_full(void **state)
{
    (void)state;
    struct hn_recorder r;
    init(&r);
    const uint32_t room = HN_REC_TEXTS_MAX * 3 / 4;
    char text[64];
    struct hn_rec_sample s = {.fail_slot = HN_FAIL_NONE, .fail_text = text};
    for (uint32_t i = 0; i < room + 50; i++) {
        s.entry = i % ENTRIES;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "capture id: got %u", i);
        hn_recorder_add(&r, &s);
    }
    assert_int_equal(texts_used(&r), room);
    uint64_t failures = 0, full = 0, in_texts = 0;
    for (uint32_t e = 0; e < ENTRIES; e++) {
        failures += r.entries[e].failures;
        full += r.entries[e].fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)];
    }
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++)
        in_texts += r.texts[i].count;
    assert_int_equal(failures, room + 50);
    assert_int_equal(full, 50);
    assert_int_equal(in_texts, room);
    /* The first texts are those kept. */
    assert_int_equal(text_count(&r, 0, "capture id: got 0"), 1);
    snprintf(text, sizeof(text), "capture id: got %u", room + 49);
    assert_int_equal(text_count(&r, (room + 49) % ENTRIES, text), 0);
    /* A known text still counts under its own row. */
    s.entry = 1;
    s.fail_text_len = (size_t)snprintf(text, sizeof(text), "capture id: got 1");
    hn_recorder_add(&r, &s);
    assert_int_equal(text_count(&r, 1, "capture id: got 1"), 2);
    /* Distinct failure kinds are unaffected. */
    s.fail_text = NULL;
    s.fail_slot = 503;
    hn_recorder_add(&r, &s);
    assert_int_equal(r.entries[1].fail_counts[503], 1);
    char name[64];
    assert_string_equal(hn_fail_name(hn_fail_slot(HN_FAIL_TEXTS_FULL), name, sizeof(name)),
                        "other check or capture failures");
    hn_recorder_deinit(&r);
}

/* Merge adds texts by (entry, text); those the destination has no room
 * for count as "other check or capture failures" of their entry. */
static void test_texts_merge(void **state)
{
    (void)state;
    struct hn_recorder a, b;
    init(&a);
    init(&b);
    const uint32_t room = HN_REC_TEXTS_MAX * 3 / 4;
    struct hn_rec_sample s = {.entry = 2, .fail_slot = HN_FAIL_NONE};
    s.fail_text = "check status: got 500, want 201";
    s.fail_text_len = strlen(s.fail_text);
    hn_recorder_add(&a, &s);
    hn_recorder_add(&b, &s);
    hn_recorder_add(&b, &s);
    s.entry = 0;
    s.fail_text = "capture token: not found";
    s.fail_text_len = strlen(s.fail_text);
    hn_recorder_add(&b, &s);
    hn_recorder_merge(&a, &b);
    assert_int_equal(text_count(&a, 2, "check status: got 500, want 201"), 3);
    assert_int_equal(text_count(&a, 0, "capture token: not found"), 1);
    assert_int_equal(texts_used(&a), 2);
    assert_int_equal(a.entries[2].failures, 3);
    assert_int_equal(a.entries[0].failures, 1);
    assert_int_equal(text_count(&b, 2, "check status: got 500, want 201"), 2); /* b is read only */

    /* Fill a's table; b's new texts then land in the overflow slot. */
    char text[64];
    s.fail_text = text;
    for (uint32_t i = 0; texts_used(&a) < room; i++) {
        s.entry = 1;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "a %u", i);
        hn_recorder_add(&a, &s);
    }
    hn_recorder_reset(&b);
    for (uint32_t i = 0; i < 10; i++) {
        s.entry = i % 2 ? 2 : 0;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "b %u", i);
        hn_recorder_add(&b, &s);
        hn_recorder_add(&b, &s);
    }
    s.entry = 2;
    s.fail_text = "check status: got 500, want 201";
    s.fail_text_len = strlen(s.fail_text);
    hn_recorder_add(&b, &s); /* known to a: merges into its row */
    uint64_t before_0 = a.entries[0].failures, before_2 = a.entries[2].failures;
    hn_recorder_merge(&a, &b);
    assert_int_equal(texts_used(&a), room);
    assert_int_equal(text_count(&a, 2, "check status: got 500, want 201"), 4);
    assert_int_equal(text_count(&a, 0, "b 0"), 0);
    assert_int_equal(a.entries[0].fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)], 10);
    assert_int_equal(a.entries[2].fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)], 10);
    assert_int_equal(a.entries[0].failures, before_0 + 10);
    assert_int_equal(a.entries[2].failures, before_2 + 11);
    /* Every failure is counted exactly once, by text or by slot. */
    for (uint32_t e = 0; e < ENTRIES; e++) {
        uint64_t sum = 0;
        for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
            sum += a.entries[e].fail_counts[k];
        for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++)
            if (a.texts[i].len && a.texts[i].entry == e)
                sum += a.texts[i].count;
        assert_int_equal(sum, a.entries[e].failures);
    }
    hn_recorder_deinit(&a);
    hn_recorder_deinit(&b);
}

/* Exceptions: counted per message, outside any entry; the last slot takes
 * what does not fit; merged and reset with the rest. */
static void test_exceptions(void **state)
{
    (void)state;
    struct hn_recorder a, b;
    init(&a);
    init(&b);
    const char *exhausted = "data accounts exhausted: a user could not start";
    hn_recorder_exception(&a, exhausted);
    hn_recorder_exception(&a, exhausted);
    hn_recorder_exception(&a, "other");
    assert_int_equal(a.n_exceptions, 2);
    assert_int_equal(exception_count(&a, exhausted), 2);
    assert_int_equal(exception_count(&a, "other"), 1);
    assert_int_equal(hn_recorder_requests(&a), 0); /* not a request */
    for (uint32_t i = 0; i < ENTRIES; i++)
        assert_entry_empty(&a.entries[i]);
    /* A prefix of a message is another message. */
    hn_recorder_exception(&a, "data accounts");
    assert_int_equal(a.n_exceptions, 3);
    assert_int_equal(exception_count(&a, exhausted), 2);

    /* Cut at the wire's error size. */
    char longer[200];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    hn_recorder_exception(&a, longer);
    longer[150] = 'y'; /* differs past the cut: the same message */
    hn_recorder_exception(&a, longer);
    assert_int_equal(a.n_exceptions, 4);
    assert_int_equal(strlen(a.exceptions[3].message), HN_PROTO_ERROR_MAX);
    assert_int_equal(a.exceptions[3].count, 2);

    /* Merge adds by message. */
    hn_recorder_exception(&b, exhausted);
    hn_recorder_exception(&b, "from b");
    hn_recorder_merge(&a, &b);
    assert_int_equal(exception_count(&a, exhausted), 3);
    assert_int_equal(exception_count(&a, "from b"), 1);
    assert_int_equal(a.n_exceptions, 5);
    assert_int_equal(b.n_exceptions, 2);

    /* Beyond the table, the last slot takes the count. */
    hn_recorder_reset(&a);
    assert_int_equal(a.n_exceptions, 0);
    assert_int_equal(exception_count(&a, exhausted), 0);
    char msg[32];
    for (int i = 0; i < HN_REC_EXCEPTIONS_MAX + 5; i++) {
        snprintf(msg, sizeof(msg), "exception %d", i);
        hn_recorder_exception(&a, msg);
    }
    assert_int_equal(a.n_exceptions, HN_REC_EXCEPTIONS_MAX);
    assert_int_equal(exception_count(&a, "exception 0"), 1);
    snprintf(msg, sizeof(msg), "exception %d", HN_REC_EXCEPTIONS_MAX - 1);
    assert_int_equal(exception_count(&a, msg), 6);
    uint64_t total = 0;
    for (uint32_t i = 0; i < a.n_exceptions; i++)
        total += a.exceptions[i].count;
    assert_int_equal(total, HN_REC_EXCEPTIONS_MAX + 5);
    /* A full table still counts known messages under their own. */
    hn_recorder_exception(&a, "exception 3");
    assert_int_equal(exception_count(&a, "exception 3"), 2);
    /* Merging into a full table: the last slot again. */
    hn_recorder_merge(&a, &b);
    assert_int_equal(a.n_exceptions, HN_REC_EXCEPTIONS_MAX);
    assert_int_equal(exception_count(&a, msg), 8);
    hn_recorder_deinit(&a);
    hn_recorder_deinit(&b);
}

static void test_fail_names(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(hn_fail_name(500, buf, sizeof(buf)), "HTTP 500");
    assert_string_equal(hn_fail_name(404, buf, sizeof(buf)), "HTTP 404");
    assert_string_equal(hn_fail_name(hn_fail_slot(HN_FAIL_CONN_REFUSED), buf, sizeof(buf)),
                        "connection refused");
    assert_string_equal(hn_fail_name(hn_fail_slot(HN_FAIL_TIMEOUT), buf, sizeof(buf)), "timeout");
    assert_string_equal(hn_fail_name(hn_fail_slot(HN_FAIL_CONN_RESET), buf, sizeof(buf)),
                        "connection reset");
    assert_string_equal(hn_fail_name(hn_fail_slot(HN_FAIL_ABORTED), buf, sizeof(buf)),
                        "aborted at stop");
    assert_string_equal(hn_fail_name(HN_FAIL_SLOTS, buf, sizeof(buf)), "unknown");
    assert_string_equal(hn_fail_name(HN_FAIL_NONE, buf, sizeof(buf)), "unknown");
    /* Every kind has its own non-empty name. */
    char names[HN_FAIL__COUNT][64];
    for (int f = 0; f < HN_FAIL__COUNT; f++) {
        hn_fail_name(hn_fail_slot((enum hn_fail)f), names[f], sizeof(names[f]));
        assert_true(strlen(names[f]) > 0);
        assert_null(strstr(names[f], "HTTP"));
        for (int g = 0; g < f; g++)
            if (strcmp(names[f], names[g]) == 0)
                fail_msg("kinds %d and %d are both \"%s\"", g, f, names[f]);
    }
    /* A short buffer truncates, terminated. */
    char small[6];
    memset(small, 'x', sizeof(small));
    hn_fail_name(hn_fail_slot(HN_FAIL_CONN_REFUSED), small, sizeof(small));
    assert_string_equal(small, "conne");
}

static void test_fail_slot_status(void **state)
{
    (void)state;
    const uint32_t bad = hn_fail_slot(HN_FAIL_BAD_RESPONSE);
    assert_int_equal(hn_fail_slot_status(100), 100);
    assert_int_equal(hn_fail_slot_status(404), 404);
    assert_int_equal(hn_fail_slot_status(500), 500);
    assert_int_equal(hn_fail_slot_status(599), 599);
    assert_int_equal(hn_fail_slot_status(99), bad);
    assert_int_equal(hn_fail_slot_status(600), bad);
    assert_int_equal(hn_fail_slot_status(0), bad);
    assert_int_equal(hn_fail_slot_status(-1), bad);
    assert_int_equal(hn_fail_slot_status(LONG_MAX), bad);
    assert_int_equal(hn_fail_slot_status(LONG_MIN), bad);
    /* Status slots and transport slots never collide. */
    assert_true(hn_fail_slot((enum hn_fail)0) >= HN_FAIL_STATUS_SLOTS);
    assert_true(hn_fail_slot(HN_FAIL_CLIENT) < HN_FAIL_SLOTS);
}

struct classify_case {
    CURLcode result;
    long os_errno;
    const char *want;
};

static void test_classify(void **state)
{
    (void)state;
    static const struct classify_case cases[] = {
        {CURLE_COULDNT_CONNECT, ECONNREFUSED, "connection refused"},
        {CURLE_COULDNT_CONNECT, ENETUNREACH, "host unreachable"},
        {CURLE_COULDNT_CONNECT, EHOSTUNREACH, "host unreachable"},
        {CURLE_COULDNT_CONNECT, ETIMEDOUT, "timeout"},
        {CURLE_COULDNT_CONNECT, 0, "connect failed"},
        {CURLE_OPERATION_TIMEDOUT, 0, "timeout"},
        {CURLE_OPERATION_TIMEDOUT, ETIMEDOUT, "timeout"},
        {CURLE_RECV_ERROR, ECONNRESET, "connection reset"},
        {CURLE_RECV_ERROR, 0, "receive error"},
        /* A body cut short by a clean close: libcurl's errno is then that
         * of an earlier transfer on the handle, not this one's. */
        {CURLE_PARTIAL_FILE, ECONNRESET, "receive error"},
        {CURLE_PARTIAL_FILE, 0, "receive error"},
        {CURLE_SEND_ERROR, ECONNRESET, "connection reset"},
        {CURLE_SEND_ERROR, EPIPE, "connection reset"},
        {CURLE_SEND_ERROR, 0, "send error"},
        {CURLE_COULDNT_RESOLVE_HOST, 0, "DNS failure"},
        {CURLE_COULDNT_RESOLVE_PROXY, 0, "DNS failure"},
        {CURLE_SSL_CONNECT_ERROR, 0, "TLS error"},
        {CURLE_PEER_FAILED_VERIFICATION, 0, "TLS error"},
        {CURLE_SSL_CERTPROBLEM, 0, "TLS error"},
        {CURLE_SSL_CIPHER, 0, "TLS error"},
        {CURLE_SSL_CACERT_BADFILE, 0, "TLS error"},
        {CURLE_SSL_ISSUER_ERROR, 0, "TLS error"},
        {CURLE_SSL_PINNEDPUBKEYNOTMATCH, 0, "TLS error"},
        {CURLE_SSL_INVALIDCERTSTATUS, 0, "TLS error"},
        {CURLE_SSL_SHUTDOWN_FAILED, 0, "TLS error"},
        {CURLE_HTTP2, 0, "bad response"},
        {CURLE_HTTP2_STREAM, 0, "bad response"},
        {CURLE_BAD_CONTENT_ENCODING, 0, "bad response"},
        {CURLE_GOT_NOTHING, 0, "empty reply"},
        {CURLE_WEIRD_SERVER_REPLY, 0, "bad response"},
        {CURLE_UNSUPPORTED_PROTOCOL, 0, "bad response"},
        {CURLE_TOO_MANY_REDIRECTS, 0, "too many redirects"},
        {CURLE_OUT_OF_MEMORY, 0, "client error"},
        {CURLE_URL_MALFORMAT, 0, "client error"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[64];
        uint32_t slot = hn_classify_curl(cases[i].result, cases[i].os_errno);
        if (slot < HN_FAIL_STATUS_SLOTS || slot >= HN_FAIL_SLOTS)
            fail_msg("case %zu: slot %u out of the transport range", i, slot);
        hn_fail_name(slot, name, sizeof(name));
        if (strcmp(name, cases[i].want) != 0)
            fail_msg("%s (errno %ld) -> \"%s\", want \"%s\"", curl_easy_strerror(cases[i].result),
                     cases[i].os_errno, name, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_empty),     cmocka_unit_test(test_add_success),
        cmocka_unit_test(test_add_failures),   cmocka_unit_test(test_merge_equals_one),
        cmocka_unit_test(test_reset),          cmocka_unit_test(test_fail_texts),
        cmocka_unit_test(test_texts_thousand), cmocka_unit_test(test_texts_full),
        cmocka_unit_test(test_texts_merge),    cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_fail_names),     cmocka_unit_test(test_fail_slot_status),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
