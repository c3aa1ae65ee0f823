/* Unit tests for common/units: exact values for good input, the right error
 * for bad input, and format/parse round trips. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "units.h"
#include "test-rng.h"

#define UNTOUCHED UINT64_C(0xDEADBEEF)

struct u64_case {
    const char *in;
    uint64_t want;
};

struct err_case {
    const char *in;
    int err;
};

static void check_duration_ms(const char *in, int want_rc, uint64_t want)
{
    uint64_t out = UNTOUCHED;
    int rc = hn_units_parse_duration_ms(in, &out);
    if (rc != want_rc || out != (want_rc == 0 ? want : UNTOUCHED))
        fail_msg("parse_duration_ms(\"%s\") = %d, %llu; want %d, %llu", in ? in : "(null)", rc,
                 (unsigned long long)out, want_rc, (unsigned long long)want);
}

static void test_duration_good(void **state)
{
    (void)state;
    static const struct u64_case cases[] = {
        {"0", 0},
        {"0s", 0},
        {"250ms", 250},
        {"90s", 90000},
        {"90", 90000},
        {"1.5", 1500},
        {"2m", 120000},
        {"1h", 3600000},
        {"1d", 86400000},
        {"1h20m30s", 4830000},
        {"1h30s", 3630000},
        {"2d12h", 216000000},
        {"1s500ms", 1500},
        {"1.5s", 1500},
        {"1.5h", 5400000},
        {"0.5m", 30000},
        {"1.0005s", 1001},  /* 1000.5 ms rounds half up */
        {"1.00049s", 1000}, /* 1000.49 ms rounds down */
        {"0.4ms", 0},
        {"0.5ms", 1},
        {"0.0000000009h", 0}, /* past the 9th decimal: ignored */
        {"1.50000000001s", 1500},
        {"0.333333333m", 20000},
        {"007s", 7000},
        {"1h1m1s1ms", 3661001},
        {"1d1h1m1s1ms", 90061001},
        {"18446744073709551615ms", UINT64_MAX},
        {"18446744073709551s615ms", UINT64_MAX},
        {"5124095576030h25m51s615ms", UINT64_MAX},
        {"213503982334d", UINT64_C(213503982334) * 86400000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_duration_ms(cases[i].in, 0, cases[i].want);
}

static void test_duration_bad(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"", HN_E_INVALID},
        {"s", HN_E_INVALID},
        {"ms", HN_E_INVALID},
        {"-1s", HN_E_INVALID},
        {"+1s", HN_E_INVALID},
        {"1x", HN_E_INVALID},
        {"1s ", HN_E_INVALID},
        {" 1s", HN_E_INVALID},
        {"1 s", HN_E_INVALID},
        {"1s1s", HN_E_INVALID},
        {"1s1h", HN_E_INVALID},
        {"1m1d", HN_E_INVALID},
        {"1ms1s", HN_E_INVALID},
        {"1h30", HN_E_INVALID},
        {"1.2.3s", HN_E_INVALID},
        {".5s", HN_E_INVALID},
        {"1.s", HN_E_INVALID},
        {"1e3s", HN_E_INVALID},
        {"1S", HN_E_INVALID},
        {"1H", HN_E_INVALID},
        {"1us", HN_E_INVALID}, /* microseconds only in parse_duration_us */
        {"1mss", HN_E_INVALID},
        {"1sec", HN_E_INVALID},
        {"1h 30m", HN_E_INVALID},
        {"0x10s", HN_E_INVALID},
        {"nan", HN_E_INVALID},
        {"inf", HN_E_INVALID},
        {"99999999999999999999h", HN_E_RANGE},
        {"99999999999999999999", HN_E_RANGE},
        {"18446744073709551616ms", HN_E_RANGE},
        {"18446744073709551615ms1us", HN_E_INVALID},
        {"213503982335d", HN_E_RANGE},
        {"18446744073709551s616ms", HN_E_RANGE},
        {"5124095576030h25m51s616ms", HN_E_RANGE},
        {"99999999999999999999hx", HN_E_INVALID}, /* syntax errors win */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_duration_ms(cases[i].in, cases[i].err, 0);
    check_duration_ms(NULL, HN_E_INVALID, 0);
}

static void test_duration_us(void **state)
{
    (void)state;
    static const struct u64_case cases[] = {
        {"1", 1000000},    {"1us", 1},        {"1ms500us", 1500},        {"1.5ms", 1500},
        {"0.0015s", 1500}, {"10s", 10000000}, {"1h", 3600000000},        {"1d", 86400000000},
        {"0.5us", 1},      {"0.4us", 0},      {"1.000000001s", 1000000}, {"1.0000005s", 1000001},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t out = UNTOUCHED;
        int rc = hn_units_parse_duration_us(cases[i].in, &out);
        if (rc != 0 || out != cases[i].want)
            fail_msg("parse_duration_us(\"%s\") = %d, %llu; want %llu", cases[i].in, rc,
                     (unsigned long long)out, (unsigned long long)cases[i].want);
    }
    uint64_t out = UNTOUCHED;
    assert_int_equal(hn_units_parse_duration_us("1us1ms", &out), HN_E_INVALID);
    assert_int_equal(hn_units_parse_duration_us("1ns", &out), HN_E_INVALID);
    assert_int_equal(hn_units_parse_duration_us("213503983d", &out), HN_E_RANGE);
    assert_int_equal(out, UNTOUCHED);
}

static void check_format_duration(uint64_t ms, const char *want)
{
    char buf[HN_UNITS_FMT_MAX];
    int n = hn_units_format_duration_ms(ms, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_duration_format(void **state)
{
    (void)state;
    check_format_duration(0, "0s");
    check_format_duration(1, "1ms");
    check_format_duration(250, "250ms");
    check_format_duration(1000, "1s");
    check_format_duration(1500, "1s500ms");
    check_format_duration(60000, "1m");
    check_format_duration(4830000, "1h20m30s");
    check_format_duration(3600001, "1h1ms");
    check_format_duration(172800000, "48h");
    check_format_duration(UINT64_MAX, "5124095576030h25m51s615ms");

    /* Too small a buffer: -ENOSPC and an empty string; exact fit works. */
    char small[8], fit[9];
    assert_int_equal(hn_units_format_duration_ms(4830000, small, sizeof small), -ENOSPC);
    assert_string_equal(small, "");
    assert_int_equal(hn_units_format_duration_ms(4830000, fit, sizeof fit), 8);
    assert_string_equal(fit, "1h20m30s");
    assert_int_equal(hn_units_format_duration_ms(0, NULL, 0), -ENOSPC);
}

static void check_duration_round_trip(uint64_t ms)
{
    char buf[HN_UNITS_FMT_MAX];
    uint64_t back = UNTOUCHED;
    assert_true(hn_units_format_duration_ms(ms, buf, sizeof buf) > 0);
    if (hn_units_parse_duration_ms(buf, &back) != 0 || back != ms)
        fail_msg("round trip %llu -> \"%s\" -> %llu", (unsigned long long)ms, buf,
                 (unsigned long long)back);
}

static void test_duration_round_trip(void **state)
{
    (void)state;
    for (uint64_t ms = 0; ms < 200000; ms += 7)
        check_duration_round_trip(ms);
    /* Pseudo-random values over the whole range. */
    test_rng_seed(88172645463325252u);
    for (int i = 0; i < 100000; i++)
        check_duration_round_trip(test_rng_next() >> (i % 64));
    check_duration_round_trip(UINT64_MAX);
    check_duration_round_trip(UINT64_MAX - 1);
}

static void check_rate(const char *in, int want_rc, double want)
{
    double out = -1;
    int rc = hn_units_parse_rate(in, &out);
    if (rc != want_rc || (rc == 0 && out != want) || (rc != 0 && out != -1))
        fail_msg("parse_rate(\"%s\") = %d, %.17g; want %d, %.17g", in ? in : "(null)", rc, out,
                 want_rc, want);
}

static void test_rate(void **state)
{
    (void)state;
    check_rate("500/s", 0, 500);
    check_rate("500", 0, 500);
    check_rate("30/m", 0, 0.5);
    check_rate("2/h", 0, 2.0 / 3600);
    check_rate("10.5/s", 0, 10.5);
    check_rate("0", 0, 0);
    check_rate("0/s", 0, 0);
    check_rate("0.001/s", 0, 0.001);
    check_rate("1000000/m", 0, 1000000.0 / 60);

    static const char *const bad[] = {
        "",      "/s",     "-1/s",    "+1/s", "10/x", "10/",   "10/ss",  "10/S",
        "10 /s", " 10/s",  "10/s ",   "10s",  "nan",  "inf/s", "inf",    "1e3/s",
        "1e400", "0x10/s", "1.2.3/s", ".5/s", "5./s", "10//s", "10/s/s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_rate(bad[i], HN_E_INVALID, 0);
    check_rate(NULL, HN_E_INVALID, 0);

    /* 400 digits overflow a double. */
    char big[402];
    memset(big, '9', 400);
    strcpy(big + 400, "");
    check_rate(big, HN_E_RANGE, 0);
}

static void check_format_rate(double per_s, const char *want)
{
    char buf[HN_UNITS_FMT_MAX];
    int n = hn_units_format_rate(per_s, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_rate_format(void **state)
{
    (void)state;
    check_format_rate(500, "500/s");
    check_format_rate(0, "0/s");
    check_format_rate(10.5, "10.5/s");
    check_format_rate(0.5, "30/m");
    check_format_rate(2.0 / 3600, "2/h");
    check_format_rate(0.25, "15/m");
    check_format_rate(0.1, "6/m");
    check_format_rate(1.0 / 7, "0.14285714285714285/s");
    check_format_rate(2000.0 / 60, "2000/m"); /* as written in a file */
    check_format_rate(100.0 / 3, "2000/m");
    check_format_rate(1.25, "1.25/s");
    check_format_rate(1e15, "1000000000000000/s");

    char buf[HN_UNITS_FMT_MAX];
    assert_int_equal(hn_units_format_rate(-1, buf, sizeof buf), -EINVAL);
    assert_int_equal(hn_units_format_rate(NAN, buf, sizeof buf), -EINVAL);
    assert_int_equal(hn_units_format_rate(INFINITY, buf, sizeof buf), -EINVAL);
    assert_int_equal(hn_units_format_rate(500, buf, 5), -ENOSPC);
    assert_int_equal(hn_units_format_rate(500, buf, 6), 5);

    /* Round trips are exact for rates from 1e-12/s upwards. */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double r = (1 + (double)(x >> 11) / (double)(UINT64_C(1) << 53)) * pow(10, i % 28 - 12);
        double back = -1;
        assert_true(hn_units_format_rate(r, buf, sizeof buf) > 0);
        if (hn_units_parse_rate(buf, &back) != 0 || back != r)
            fail_msg("rate round trip %.17g -> \"%s\" -> %.17g", r, buf, back);
    }
}

static void check_bytes(const char *in, int want_rc, uint64_t want)
{
    uint64_t out = UNTOUCHED;
    int rc = hn_units_parse_bytes(in, &out);
    if (rc != want_rc || out != (want_rc == 0 ? want : UNTOUCHED))
        fail_msg("parse_bytes(\"%s\") = %d, %llu; want %d, %llu", in ? in : "(null)", rc,
                 (unsigned long long)out,
                 want_rc, (unsigned long long)want);
}

static void test_bytes(void **state)
{
    (void)state;
    static const struct u64_case good[] = {
        {"0", 0},
        {"512", 512},
        {"512B", 512},
        {"512b", 512},
        {"10KB", 10000},
        {"10kb", 10000},
        {"10KiB", 10240},
        {"10kib", 10240},
        {"10KIB", 10240},
        {"5MB", 5000000},
        {"5MiB", 5242880},
        {"1GB", 1000000000},
        {"1GiB", 1073741824},
        {"2TB", 2000000000000},
        {"1TiB", UINT64_C(1) << 40},
        {"1PiB", UINT64_C(1) << 50},
        {"1.5MiB", 1572864},
        {"1.5KB", 1500},
        {"0.5", 1},
        {"0.4", 0},
        {"1.0001KiB", 1024},
        {"18446744073709551615", UINT64_MAX},
        {"16383PiB", UINT64_C(16383) << 50},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        check_bytes(good[i].in, 0, good[i].want);

    static const struct err_case bad[] = {
        {"", HN_E_INVALID},
        {"B", HN_E_INVALID},
        {"KiB", HN_E_INVALID},
        {"-1", HN_E_INVALID},
        {"-1KB", HN_E_INVALID},
        {"1x", HN_E_INVALID},
        {"1K", HN_E_INVALID},
        {"1Ki", HN_E_INVALID},
        {"1KiBB", HN_E_INVALID},
        {"1 KiB", HN_E_INVALID},
        {" 1", HN_E_INVALID},
        {"1 ", HN_E_INVALID},
        {"1.2.3MB", HN_E_INVALID},
        {"1e3", HN_E_INVALID},
        {"nan", HN_E_INVALID},
        {"inf", HN_E_INVALID},
        {"18446744073709551616", HN_E_RANGE},
        {"99999999999999999999B", HN_E_RANGE},
        {"16384PiB", HN_E_RANGE},
        {"17179869184GiB", HN_E_RANGE},
        {"18446744073709551615.5", HN_E_RANGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_bytes(bad[i].in, bad[i].err, 0);
    check_bytes(NULL, HN_E_INVALID, 0);
}

static void check_format_bytes(uint64_t bytes, const char *want)
{
    char buf[HN_UNITS_FMT_MAX];
    int n = hn_units_format_bytes(bytes, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_bytes_format(void **state)
{
    (void)state;
    check_format_bytes(0, "0 B");
    check_format_bytes(512, "512 B");
    check_format_bytes(1023, "1023 B");
    check_format_bytes(1024, "1 KiB");
    check_format_bytes(1536, "1.5 KiB");
    check_format_bytes(1280, "1.25 KiB");
    check_format_bytes(1572864, "1.5 MiB");
    check_format_bytes(10485760, "10 MiB");
    check_format_bytes(1048575, "1 MiB"); /* 1023.999 KiB rounds up a unit */
    check_format_bytes(UINT64_C(1) << 30, "1 GiB");
    check_format_bytes(UINT64_MAX, "16 EiB");

    char buf[4];
    assert_int_equal(hn_units_format_bytes(512, buf, sizeof buf), -ENOSPC);
    assert_string_equal(buf, "");
}

static void test_count(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(hn_units_parse_count("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(hn_units_parse_count("50", 50, &v), 0);
    assert_int_equal(v, 50);
    assert_int_equal(hn_units_parse_count("18446744073709551615", UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    v = 7;
    assert_int_equal(hn_units_parse_count("51", 50, &v), HN_E_RANGE);
    assert_int_equal(hn_units_parse_count("18446744073709551616", UINT64_MAX, &v), HN_E_RANGE);
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "1s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(hn_units_parse_count(bad[i], UINT64_MAX, &v), HN_E_INVALID);
    assert_int_equal(v, 7); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_duration_good),
        cmocka_unit_test(test_duration_bad),
        cmocka_unit_test(test_duration_us),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_duration_round_trip),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_rate_format),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_bytes_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
