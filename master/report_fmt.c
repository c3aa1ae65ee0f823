/* Formatting shared by every report (see report_fmt.h). */
#include "report_fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const double hn_report_pcts[HN_REPORT_N_PCTS] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};
const char *const hn_report_pct_labels[HN_REPORT_N_PCTS] = {
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"};

static void trim_zeros(char *buf, int n)
{
    if (n <= 0 || !strchr(buf, '.'))
        return;
    while (buf[n - 1] == '0')
        buf[--n] = '\0';
    if (buf[n - 1] == '.')
        buf[--n] = '\0';
}

void hn_report_fmt_ms(char buf[HN_REPORT_NUM_MAX], uint64_t us)
{
    int n = snprintf(buf, HN_REPORT_NUM_MAX, "%llu.%03u", (unsigned long long)(us / 1000),
                     (unsigned)(us % 1000));
    trim_zeros(buf, n);
}

uint64_t hn_report_ms_int(uint64_t us)
{
    return us / 1000 + (us % 1000 >= 500);
}

void hn_report_fmt_ms_int(char buf[HN_REPORT_NUM_MAX], uint64_t us)
{
    snprintf(buf, HN_REPORT_NUM_MAX, "%llu", (unsigned long long)hn_report_ms_int(us));
}

void hn_report_fmt_ms_short(char buf[HN_REPORT_NUM_MAX], uint64_t us)
{
    /* Decimals for 3 significant digits, none from 100 ms on. Integer
     * arithmetic: no binary fraction rounds 0.0005 ms the wrong way. */
    int decimals = us >= 100000 ? 0 : us >= 10000 ? 1 : us >= 1000 ? 2 : 3;
    uint64_t div = decimals == 0 ? 1000 : decimals == 1 ? 100 : decimals == 2 ? 10 : 1;
    uint64_t scaled = us / div + (us % div >= (div + 1) / 2 && div > 1);
    uint64_t unit = decimals == 0 ? 1 : decimals == 1 ? 10 : decimals == 2 ? 100 : 1000;
    int n;
    if (decimals == 0)
        n = snprintf(buf, HN_REPORT_NUM_MAX, "%llu", (unsigned long long)scaled);
    else
        n = snprintf(buf, HN_REPORT_NUM_MAX, "%llu.%0*llu", (unsigned long long)(scaled / unit),
                     decimals, (unsigned long long)(scaled % unit));
    trim_zeros(buf, n);
}

void hn_report_fmt_decimal(char buf[HN_REPORT_NUM_MAX], double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(buf, HN_REPORT_NUM_MAX, "0");
        return;
    }
    int n = snprintf(buf, HN_REPORT_NUM_MAX, "%.*f", decimals, v);
    if (n <= 0 || n >= HN_REPORT_NUM_MAX)
        return;
    trim_zeros(buf, n);
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
}

void hn_report_fmt_utc(char *buf, size_t len, uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "?");
}

void hn_report_fmt_utc_ms(char *buf, size_t len, uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char base[24];
    if (!gmtime_r(&t, &tm) || !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%s.%03uZ", base, (unsigned)(ms % 1000));
}

void hn_report_fmt_duration(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = ms / 1000;
    if (ms < 1000)
        snprintf(buf, len, "%llu ms", (unsigned long long)ms);
    else if (ms < 60000)
        snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
    else if (s < 3600)
        snprintf(buf, len, "%llu min %llu s", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else
        snprintf(buf, len, "%llu h %llu min", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60));
}
