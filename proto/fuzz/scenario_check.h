/* Shared by the fuzz targets: the properties every scenario blob must have,
 * whatever its bytes. Aborts (a libFuzzer finding) when one fails. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "scenario_codec.h"

/* @data[0..size) decodes to an error with a reason, or to a scenario that
 * encodes to a blob which decodes again and encodes to the same bytes
 * (canonical form is a fixed point); finalizing it must not crash. */
static inline void hn_fuzz_check_scenario(const uint8_t *data, size_t size)
{
    struct hn_scenario *s = NULL, *s2 = NULL;
    char why[256] = "";
    int rc = hn_scenario_decode(data, size, &s, why, sizeof(why));
    if (rc < 0 && rc != -ENOMEM)
        abort(); /* only allocation may fail with a system error */
    if (rc) {
        if (s || (rc > 0 && !why[0]))
            abort(); /* nothing returned, and a reason given */
        return;
    }
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    if (hn_scenario_encode(s, &a) || hn_scenario_decode(a.data, a.size, &s2, why, sizeof(why)) ||
        hn_scenario_encode(s2, &b) || a.size != b.size || memcmp(a.data, b.data, a.size))
        abort();
    rc = hn_scenario_finalize(s2, why, sizeof(why));
    if (rc != 0 && rc != HN_E_INVALID && rc != -ENOMEM)
        abort();
    hn_scenario_free(s2);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}
