/* Parsers and formatters for durations, rates and byte sizes (see units.h).
 * Numbers are scanned by hand into fixed point so that results are exact and
 * independent of the locale; only rates go through strtod. */
#include "units.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FRAC_SCALE UINT64_C(1000000000) /* fraction kept to 9 decimal places */

/* A scanned number: integer part and the fraction in units of 1e-9. */
struct decimal {
    uint64_t whole;
    uint64_t frac_e9;
    bool overflow; /* the integer part exceeds UINT64_MAX */
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Scan digits[.digits] at *pp and move *pp past it. Digits past the 9th
 * decimal place are checked but ignored. False if no valid number is there. */
static bool scan_decimal(const char **pp, struct decimal *d)
{
    const char *p = *pp;

    if (!is_digit(*p))
        return false;
    *d = (struct decimal){0};
    for (; is_digit(*p); p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (d->whole > (UINT64_MAX - digit) / 10)
            d->overflow = true;
        else
            d->whole = d->whole * 10 + digit;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return false;
        for (uint64_t scale = FRAC_SCALE; is_digit(*p); p++) {
            scale /= 10;
            d->frac_e9 += (uint64_t)(*p - '0') * scale;
        }
    }
    *pp = p;
    return true;
}

/* *out = d × unit, rounded half up. @return 0 or HN_E_RANGE. */
static int decimal_mul(const struct decimal *d, uint64_t unit, uint64_t *out)
{
    if (d->overflow || (unit && d->whole > UINT64_MAX / unit))
        return HN_E_RANGE;
    /* frac_e9 × unit / 1e9 without overflow: split unit = hi × 1e9 + lo. */
    uint64_t hi = unit / FRAC_SCALE, lo = unit % FRAC_SCALE;
    uint64_t lo_prod = d->frac_e9 * lo; /* < 1e18 */
    uint64_t frac = d->frac_e9 * hi + lo_prod / FRAC_SCALE;
    frac += lo_prod % FRAC_SCALE >= FRAC_SCALE / 2;
    uint64_t whole = d->whole * unit;
    if (whole > UINT64_MAX - frac)
        return HN_E_RANGE;
    *out = whole + frac;
    return 0;
}

/* Copy @n bytes of @tmp (a formatted result, n from snprintf) into @buf. */
static int emit(const char *tmp, int n, char *buf, size_t len)
{
    if (n < 0 || (size_t)n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

/* ---- durations ---- */

struct duration_unit {
    const char *name;
    uint64_t ns;
};

/* In decreasing size: components must follow this order. */
static const struct duration_unit duration_units[] = {
    {"d", UINT64_C(86400000000000)}, {"h", UINT64_C(3600000000000)}, {"m", UINT64_C(60000000000)},
    {"s", UINT64_C(1000000000)},     {"ms", UINT64_C(1000000)},      {"us", UINT64_C(1000)},
};
#define DURATION_UNITS (sizeof duration_units / sizeof duration_units[0])
#define UNIT_SECONDS 3

/* Index of the longest unit name at @p ("ms" over "m"), or DURATION_UNITS. */
static size_t match_duration_unit(const char *p, size_t *name_len)
{
    size_t best = DURATION_UNITS, best_len = 0;

    for (size_t i = 0; i < DURATION_UNITS; i++) {
        size_t n = strlen(duration_units[i].name);
        if (n > best_len && strncmp(p, duration_units[i].name, n) == 0) {
            best = i;
            best_len = n;
        }
    }
    *name_len = best_len;
    return best;
}

/* Parse a duration into units of @ns_per_base nanoseconds; units smaller
 * than the base are rejected. Syntax errors win over range errors. */
static int parse_duration(const char *s, uint64_t ns_per_base, uint64_t *out)
{
    const char *p = s;
    size_t prev = DURATION_UNITS; /* unit of the previous component */
    uint64_t total = 0;
    bool range = false;

    if (!s)
        return HN_E_INVALID;
    do {
        struct decimal d;
        size_t unit, name_len;
        uint64_t v;

        if (!scan_decimal(&p, &d))
            return HN_E_INVALID;
        if (*p == '\0' && prev == DURATION_UNITS) {
            unit = UNIT_SECONDS; /* a bare number alone means seconds */
        } else {
            unit = match_duration_unit(p, &name_len);
            if (unit == DURATION_UNITS || duration_units[unit].ns < ns_per_base)
                return HN_E_INVALID;
            if (prev != DURATION_UNITS && unit <= prev)
                return HN_E_INVALID; /* repeated or out of order */
            p += name_len;
        }
        if (decimal_mul(&d, duration_units[unit].ns / ns_per_base, &v) != 0 ||
            total > UINT64_MAX - v)
            range = true;
        else
            total += v;
        prev = unit;
    } while (*p != '\0');
    if (range)
        return HN_E_RANGE;
    *out = total;
    return 0;
}

int hn_units_parse_duration_ms(const char *s, uint64_t *out_ms)
{
    return parse_duration(s, UINT64_C(1000000), out_ms);
}

int hn_units_parse_duration_us(const char *s, uint64_t *out_us)
{
    return parse_duration(s, UINT64_C(1000), out_us);
}

int hn_units_format_duration_ms(uint64_t ms, char *buf, size_t len)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } parts[] = {{"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    char tmp[HN_UNITS_FMT_MAX];
    int n = 0;

    if (ms == 0)
        return emit("0s", 2, buf, len);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        uint64_t count = ms / parts[i].ms;
        ms %= parts[i].ms;
        if (count > 0)
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%llu%s", (unsigned long long)count,
                          parts[i].name);
    }
    return emit(tmp, n, buf, len);
}

/* ---- rates ---- */

int hn_units_parse_rate(const char *s, double *out_per_s)
{
    const char *p = s;
    struct decimal d;
    double per = 1;

    if (!s || !scan_decimal(&p, &d))
        return HN_E_INVALID;
    const char *num_end = p;
    if (*p == '/') {
        if (p[1] == '\0' || p[2] != '\0')
            return HN_E_INVALID;
        switch (p[1]) {
        case 's':
            per = 1;
            break;
        case 'm':
            per = 60;
            break;
        case 'h':
            per = 3600;
            break;
        default:
            return HN_E_INVALID;
        }
    } else if (*p != '\0') {
        return HN_E_INVALID;
    }

    /* The span is plain digits[.digits], so strtod reads exactly it (the
     * program never calls setlocale: the decimal point is '.'). */
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != num_end)
        return HN_E_INVALID;
    if (errno == ERANGE || !isfinite(v))
        return HN_E_RANGE;
    *out_per_s = v / per;
    return 0;
}

int hn_units_format_rate(double per_s, char *buf, size_t len)
{
    char tmp[400]; /* "%.0f" of DBL_MAX has 309 digits */
    double back;
    int n = 0;

    if (!isfinite(per_s) || per_s < 0)
        return -EINVAL;
    /* A few decimals per second read best ("10.5/s"). */
    for (int prec = 0; per_s >= 1 && prec <= 3; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*f/s", prec, per_s);
        if (hn_units_parse_rate(tmp, &back) == 0 && back == per_s)
            return emit(tmp, n, buf, len);
    }
    /* Else a whole count per minute or hour ("2/h"; "2000/m", not
     * 33.333333333333336/s). */
    if (per_s > 0) {
        static const struct {
            char unit;
            double secs;
        } per[] = {{'m', 60}, {'h', 3600}};
        for (size_t i = 0; i < 2; i++) {
            /* The nearest whole count; it must read back exactly. */
            double v = nearbyint(per_s * per[i].secs);
            if (v < 1 || v > 1e15)
                continue;
            n = snprintf(tmp, sizeof tmp, "%.0f/%c", v, per[i].unit);
            if (hn_units_parse_rate(tmp, &back) == 0 && back == per_s)
                return emit(tmp, n, buf, len);
        }
    }
    /* Fewest decimals that read back exactly; 30 suffice down to 1e-12/s. */
    for (int prec = 0; prec <= 30; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*f/s", prec, per_s);
        if (hn_units_parse_rate(tmp, &back) == 0 && back == per_s)
            break;
    }
    return emit(tmp, n, buf, len);
}

/* ---- byte sizes ---- */

static const struct {
    const char *name;
    uint64_t bytes;
} byte_units[] = {
    {"b", 1},
    {"kb", UINT64_C(1000)},
    {"mb", UINT64_C(1000000)},
    {"gb", UINT64_C(1000000000)},
    {"tb", UINT64_C(1000000000000)},
    {"pb", UINT64_C(1000000000000000)},
    {"kib", UINT64_C(1) << 10},
    {"mib", UINT64_C(1) << 20},
    {"gib", UINT64_C(1) << 30},
    {"tib", UINT64_C(1) << 40},
    {"pib", UINT64_C(1) << 50},
};

int hn_units_parse_bytes(const char *s, uint64_t *out)
{
    const char *p = s;
    struct decimal d;
    uint64_t unit = 0;

    if (!s || !scan_decimal(&p, &d))
        return HN_E_INVALID;
    if (*p == '\0') {
        unit = 1;
    } else {
        for (size_t i = 0; i < sizeof byte_units / sizeof byte_units[0]; i++) {
            if (strcasecmp(p, byte_units[i].name) == 0)
                unit = byte_units[i].bytes;
        }
        if (unit == 0)
            return HN_E_INVALID;
    }
    return decimal_mul(&d, unit, out);
}

int hn_units_format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    char tmp[HN_UNITS_FMT_MAX];
    size_t i = 0;
    double v = (double)bytes;
    int n;

    if (bytes < 1024) {
        n = snprintf(tmp, sizeof tmp, "%llu B", (unsigned long long)bytes);
        return emit(tmp, n, buf, len);
    }
    /* Scale down; move up once more if rounding to 2 decimals gives 1024. */
    while (i < 6 && round(v * 100) / 100 >= 1024) {
        v /= 1024;
        i++;
    }
    n = snprintf(tmp, sizeof tmp, "%.2f", v);
    while (tmp[n - 1] == '0')
        n--;
    if (tmp[n - 1] == '.')
        n--;
    n += snprintf(tmp + n, sizeof tmp - (size_t)n, " %s", names[i]);
    return emit(tmp, n, buf, len);
}

int hn_units_parse_count(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return HN_E_INVALID;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return HN_E_INVALID;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return HN_E_RANGE;
        v = v * 10 + d;
    }
    if (v > max)
        return HN_E_RANGE;
    *out = v;
    return 0;
}
