/* Unit tests of master/limits_check: what a worker may send before it is
 * merged, and the token bucket of statistics bytes. Snapshots go through
 * the wire codec, as in a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "hist.h"
#include "limits_check.h"
#include "model.h"
#include "msg.h"

struct fixture {
    struct hn_scenario *scn;
    struct hn_limits lim;
    struct hn_hist *h; /* 10 requests of 1 ms */
};

static int setup(void **state)
{
    static struct fixture f;
    const char *paths[] = {"/", "/json"};
    char why[128];
    f.scn = hn_scenario_quick("http://127.0.0.1:1", paths, 2);
    if (!f.scn || hn_scenario_finalize(f.scn, why, sizeof(why)) || hn_limits_init(&f.lim, f.scn))
        return -1;
    f.h = hn_hist_new();
    hn_hist_record_n(f.h, 1000, 10);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hn_limits_deinit(&f->lim);
    hn_scenario_free(f->scn);
    hn_hist_free(f->h);
    return 0;
}

static struct hn_msg_entry entry(const char *name, const struct hn_hist *h, uint64_t failures)
{
    struct hn_msg_entry e = {.requests = h->total, .failures = failures};
    strcpy(e.method, "GET");
    strcpy(e.name, name);
    e.hist[HN_TIMING_TOTAL] = h;
    return e;
}

static struct hn_msg_error error_row(const char *name, uint64_t count)
{
    struct hn_msg_error r = {.count = count};
    strcpy(r.method, "GET");
    strcpy(r.name, name);
    strcpy(r.error, "HTTP 500");
    return r;
}

/* Encode, decode, check; returns the verdict and leaves the reason in @why. */
static int verdict(struct fixture *f, struct hn_msg_entry *e, uint32_t n, struct hn_msg_error *r,
                   uint32_t n_err, char *why, size_t len)
{
    struct hn_msg m = {.type = HN_MSG_SNAPSHOT};
    m.snapshot.entries = e, m.snapshot.n_entries = n;
    m.snapshot.errors = r, m.snapshot.n_errors = n_err;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(hn_msg_encode(&m, &buf), 0);
    struct hn_msg d;
    assert_int_equal(hn_msg_decode(buf.data, buf.size, &d), 0);
    why[0] = '\0';
    int rc = hn_limits_check_snapshot(&f->lim, &d.snapshot, why, len);
    hn_msg_deinit(&d);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

static void test_honest(void **state)
{
    struct fixture *f = *state;
    char why[200];
    struct hn_msg_entry e[] = {entry("/", f->h, 2), entry("/json", f->h, 0)};
    struct hn_msg_error r[] = {error_row("/", 1), error_row("/", 1)};
    assert_int_equal(verdict(f, e, 2, r, 2, why, sizeof(why)), 0);
    assert_int_equal(verdict(f, e, 0, NULL, 0, why, sizeof(why)), 0);
}

static void test_unknown_name(void **state)
{
    struct fixture *f = *state;
    char why[200];
    struct hn_msg_entry e[] = {entry("/", f->h, 0), entry("/admin", f->h, 0)};
    assert_int_equal(verdict(f, e, 2, NULL, 0, why, sizeof(why)), HN_E_INVALID);
    assert_string_equal(why, "GET /admin: not a request of the scenario");
    strcpy(e[1].name, "/");
    strcpy(e[1].method, "POST");
    assert_int_equal(verdict(f, e, 2, NULL, 0, why, sizeof(why)), HN_E_INVALID);
}

/* Names are matched whole, method and name apart: neither a name that
 * holds a space, nor a method that is a prefix of another, nor a name
 * that is a prefix of another lets a stranger's entry through. */
static void test_name_lookup(void **state)
{
    (void)state;
    const char *paths[] = {"/a", "/a b", "/b"};
    char why[200];
    struct hn_scenario *s = hn_scenario_quick("http://127.0.0.1:1", paths, 3);
    assert_non_null(s);
    free(s->classes[0].tasks[2].steps[0].method);
    s->classes[0].tasks[2].steps[0].method = strdup("POST");
    struct hn_limits l;
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), 0);
    assert_int_equal(hn_limits_init(&l, s), 0);
    static const struct {
        const char *method, *name;
        bool known;
    } cases[] = {
        {"GET", "/a", true},   {"GET", "/a b", true}, {"POST", "/b", true},
        {"GET", "/b", false},  {"POST", "/a", false}, {"GE", "T /a", false},
        {"GET", "/a ", false}, {"GET", "/", false},   {"GETX", "/a", false},
        {"G", "/a", false},    {"GET", "", false},    {"POSTX", "/b", false},
        {"GET /a", "b", false}, {"", "GET /a", false},
    };
    struct hn_hist *h = hn_hist_new();
    hn_hist_record(h, 1000);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hn_msg_entry e = {.requests = 1};
        strcpy(e.method, cases[i].method);
        strcpy(e.name, cases[i].name);
        e.hist[HN_TIMING_TOTAL] = h;
        struct hn_msg_snapshot snap = {.n_entries = 1, .entries = &e};
        /* the check reads the decoded wire form: make it */
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        struct hn_msg m = {.type = HN_MSG_SNAPSHOT, .snapshot = snap}, d;
        assert_int_equal(hn_msg_encode(&m, &buf), 0);
        assert_int_equal(hn_msg_decode(buf.data, buf.size, &d), 0);
        int rc = hn_limits_check_snapshot(&l, &d.snapshot, why, sizeof(why));
        if (cases[i].known)
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, HN_E_INVALID);
        hn_msg_deinit(&d);
        msgpack_sbuffer_destroy(&buf);
    }
    hn_hist_free(h);
    hn_limits_deinit(&l);
    hn_scenario_free(s);
}

static void test_counts(void **state)
{
    struct fixture *f = *state;
    char why[200];
    struct hn_hist *big = hn_hist_new();
    hn_hist_record_n(big, 1, HN_LIMIT_COUNT_MAX + 1);
    struct hn_msg_entry e[] = {entry("/", big, 0)};
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), HN_E_TOO_LARGE);
    assert_non_null(strstr(why, "in one interval"));
    hn_hist_reset(big);
    hn_hist_record_n(big, 1, HN_LIMIT_COUNT_MAX);
    e[0] = entry("/", big, 0);
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), 0);
    e[0].bytes_received = HN_LIMIT_BYTES_MAX + 1;
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), HN_E_TOO_LARGE);
    /* A phase holds several reports' requests, not bounded by this one's:
     * bounded on its own. */
    e[0] = entry("/", f->h, 0);
    e[0].hist[HN_TIMING_TTFB] = big;
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), 0);
    hn_hist_record(big, 1);
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), HN_E_TOO_LARGE);
    assert_non_null(strstr(why, "timings in one histogram"));
    hn_hist_free(big);
}

/* Dropped iterations and exception counts are bounded as requests are. */
static void test_other_counts(void **state)
{
    struct fixture *f = *state;
    char why[200] = "";
    struct hn_msg_exception x = {.message = "data gone", .count = HN_LIMIT_COUNT_MAX};
    struct hn_msg_snapshot s = {
        .seq = 1, .dropped = HN_LIMIT_COUNT_MAX, .exceptions = &x, .n_exceptions = 1};
    assert_int_equal(hn_limits_check_snapshot(&f->lim, &s, why, sizeof(why)), 0);
    s.dropped = UINT64_MAX;
    assert_int_equal(hn_limits_check_snapshot(&f->lim, &s, why, sizeof(why)), HN_E_TOO_LARGE);
    assert_non_null(strstr(why, "dropped iterations in one interval"));
    s.dropped = 0;
    x.count = HN_LIMIT_COUNT_MAX + 1;
    assert_int_equal(hn_limits_check_snapshot(&f->lim, &s, why, sizeof(why)), HN_E_TOO_LARGE);
    assert_non_null(strstr(why, "exceptions in one interval"));
}

static void test_error_rows(void **state)
{
    struct fixture *f = *state;
    char why[200];
    struct hn_msg_entry e[] = {entry("/", f->h, 2)};
    struct hn_msg_error r[] = {error_row("/json", 1)};
    assert_int_equal(verdict(f, e, 1, r, 1, why, sizeof(why)), HN_E_INVALID);
    assert_string_equal(why, "GET /json: errors without requests");
    struct hn_msg_error r2[] = {error_row("/", 2), error_row("/", 1)};
    assert_int_equal(verdict(f, e, 1, r2, 2, why, sizeof(why)), HN_E_INVALID);
    assert_string_equal(why, "GET /: more errors than failures");
}

static void test_buckets(void **state)
{
    struct fixture *f = *state;
    char why[200];
    struct hn_hist *wide = hn_hist_new();
    for (uint32_t i = 0; i <= HN_LIMIT_BUCKETS_MAX; i++)
        hn_hist_record(wide, hn_hist_lowest_at_index(i));
    struct hn_msg_entry e[] = {entry("/", wide, 0)};
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), HN_E_TOO_LARGE);
    assert_non_null(strstr(why, "16385 histogram counters"));
    /* As a phase (up to a minute of requests): only the layout bounds it. */
    e[0] = entry("/", f->h, 0);
    e[0].hist[HN_TIMING_TTFB] = wide;
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), 0);
    hn_hist_reset(wide);
    for (uint32_t i = 0; i < HN_LIMIT_BUCKETS_MAX; i++)
        hn_hist_record(wide, hn_hist_lowest_at_index(i));
    e[0] = entry("/", wide, 0);
    assert_int_equal(verdict(f, e, 1, NULL, 0, why, sizeof(why)), 0);
    hn_hist_free(wide);
}

static void test_bytes_budget(void **state)
{
    (void)state;
    double budget = 0, at = -1;
    /* A fresh bucket holds the burst; then it refills at the rate. */
    assert_true(hn_limits_charge(&budget, &at, (size_t)HN_LIMIT_STATS_BURST_BYTES, 10.0));
    assert_false(hn_limits_charge(&budget, &at, 1024, 10.0));
    assert_true(hn_limits_charge(&budget, &at, (size_t)(HN_LIMIT_STATS_BYTES_PER_S / 2), 10.5));
    assert_false(hn_limits_charge(&budget, &at, 1024 * 1024, 10.5));
    /* Never more than the burst, however long the silence. */
    assert_false(hn_limits_charge(&budget, &at, (size_t)HN_LIMIT_STATS_BURST_BYTES + 1, 1000.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_honest),      cmocka_unit_test(test_unknown_name),
        cmocka_unit_test(test_counts),      cmocka_unit_test(test_error_rows),
        cmocka_unit_test(test_buckets),     cmocka_unit_test(test_bytes_budget),
        cmocka_unit_test(test_name_lookup), cmocka_unit_test(test_other_counts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
