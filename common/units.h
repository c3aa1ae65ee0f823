/* Parse and format the units users write in scenarios and on the command
 * line: durations ("1h20m30s"), rates ("500/s") and byte sizes ("10MiB").
 *
 * Every parser takes a NUL-terminated string and is strict: no whitespace,
 * no sign, no leading or trailing garbage, no empty string. Numbers are
 * decimal digits with an optional fraction ("1.5"; not ".5", "1.", "1e3").
 * @return 0 with *out set; HN_E_INVALID for bad syntax; HN_E_RANGE when the
 *         value does not fit. *out is untouched on error. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Buffer size that holds the output of any hn_units_format_* function. */
#define HN_UNITS_FMT_MAX 40

/* Durations: one or more components <number><unit>, units in strictly
 * decreasing order, each at most once: d, h, m, s, ms ("1h20m30s", "1.5s",
 * "250ms", "2d12h"). Units are lower case. A bare number, alone, means
 * seconds ("90" = 90 s, an extension: Locust requires a unit). Each
 * component is rounded to the nearest millisecond (half up); digits past the
 * 9th decimal place are ignored. */
int hn_units_parse_duration_ms(const char *s, uint64_t *out_ms);

/* Same grammar with microsecond results; also accepts the unit "us"
 * ("1ms500us"). For timeouts and latency thresholds. */
int hn_units_parse_duration_us(const char *s, uint64_t *out_us);

/* Canonical text of @ms: components h, m, s, ms with zeros left out, hours
 * not folded into days ("1h20m30s", "1s500ms", "250ms", "48h", "0s").
 * hn_units_parse_duration_ms() of the result gives @ms back.
 * @return the length written (NUL excluded), or -ENOSPC if @len is too small
 *         (then @buf holds "" when @len > 0). */
int hn_units_format_duration_ms(uint64_t ms, char *buf, size_t len);

/* Rates: <number>[/s|/m|/h] ("500/s", "30/m", "2/h", "10.5/s"); a bare number
 * is per second. 0 is allowed ("no arrivals"). The result is a finite double
 * in events per second; a number beyond the range of a double (too large, or
 * so small that it underflows) gives HN_E_RANGE. */
int hn_units_parse_rate(const char *s, double *out_per_s);

/* Text for @per_s: a whole count per minute or per hour when the rate is
 * below 1/s and one exists ("2/h", "30/m"), else per second with the fewest
 * decimals ("500/s", "0.14285714285714285/s"). hn_units_parse_rate() of the
 * result gives @per_s back exactly for any rate of 1e-12/s or more.
 * @return the length written, -EINVAL if @per_s is negative, NaN or infinite,
 *         -ENOSPC if @len is too small (HN_UNITS_FMT_MAX fits rates < 1e20/s). */
int hn_units_format_rate(double per_s, char *buf, size_t len);

/* Byte sizes: <number>[unit], units case-insensitive: B (1), KB MB GB TB
 * PB (powers of 1000), KiB MiB GiB TiB PiB (powers of 1024). A bare number is bytes.
 * Fractions are allowed ("1.5MiB") and rounded to the nearest byte (half up);
 * digits past the 9th decimal place are ignored. */
int hn_units_parse_bytes(const char *s, uint64_t *out);

/* Parse a plain decimal count ("50"): digits only, no sign, no spaces, at
 * most @max. 0 with *out set; HN_E_INVALID (syntax) or HN_E_RANGE. */
int hn_units_parse_count(const char *s, uint64_t max, uint64_t *out);

/* Human-readable size with binary units and up to two decimals, trailing
 * zeros dropped: "512 B", "1.5 KiB", "10 MiB", "1.25 GiB". For display only:
 * it is rounded and holds a space, so it does not parse back.
 * @return the length written, or -ENOSPC if @len is too small. */
int hn_units_format_bytes(uint64_t bytes, char *buf, size_t len);
