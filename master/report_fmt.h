/* Formatting shared by every report: Locust's percentile list and its
 * labels, milliseconds from microseconds (exact, whole, or short for the
 * console), decimals and UTC times. One place, so the CSV files, the
 * console, the JSON, HTML, JUnit and Markdown reports never disagree. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Locust's PERCENTILES_TO_REPORT, in percent, and its column labels. */
#define HN_REPORT_N_PCTS 11
extern const double hn_report_pcts[HN_REPORT_N_PCTS];
extern const char *const hn_report_pct_labels[HN_REPORT_N_PCTS];

/* Room for any number these formatters write, NUL included. */
#define HN_REPORT_NUM_MAX 32

/* Milliseconds from microseconds, exact: "12.345" for 12345 µs, "12" for
 * 12000 µs, "0.5" for 500 µs (trailing zeros trimmed). */
void hn_report_fmt_ms(char buf[HN_REPORT_NUM_MAX], uint64_t us);

/* Whole milliseconds, rounded to the nearest (half up): "12" for 12499 µs,
 * "13" for 12500 µs, "0" below 500 µs. What Locust's CSV columns hold. */
void hn_report_fmt_ms_int(char buf[HN_REPORT_NUM_MAX], uint64_t us);
/* The same value as a number. */
uint64_t hn_report_ms_int(uint64_t us);

/* Milliseconds with 3 significant digits, whole from 100 ms on: "0.312",
 * "4.5", "43.1", "363", "12346". Console tables: at most 6 characters below
 * 1,000,000 ms, so Locust's 7-wide columns keep a space between values. */
void hn_report_fmt_ms_short(char buf[HN_REPORT_NUM_MAX], uint64_t us);

/* @v with at most @decimals decimals, rounded, trailing zeros trimmed
 * ("2.5", "3", "0"). */
void hn_report_fmt_decimal(char buf[HN_REPORT_NUM_MAX], double v, int decimals);

/* UTC time "YYYY-MM-DDTHH:MM:SSZ" of @ms since the epoch. @len >= 21. */
void hn_report_fmt_utc(char *buf, size_t len, uint64_t ms);
/* UTC time with milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ" (RFC 3339). @len >= 25. */
void hn_report_fmt_utc_ms(char *buf, size_t len, uint64_t ms);

/* A duration for people: "850 ms", "6.0 s", "2 min 5 s", "1 h 20 min". @len >= 32. */
void hn_report_fmt_duration(char *buf, size_t len, uint64_t ms);
