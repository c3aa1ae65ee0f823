/* HdrHistogram's compressed histogram encoding (V2, the one its interval
 * logs hold): Hornet's counters are HdrHistogram's counts for lowest value
 * 1 µs, highest 3,600,000,000 µs and 3 significant digits (common/hist.h
 * uses the same index scheme), so the counts are written as they are. */
#pragma once

#include <stddef.h>

#include "hist.h"

/* Base64 of the compressed V2 encoding of @h ("HISTF..."), NUL-terminated,
 * in a malloc'd string (*out, the caller frees). 0 or -ENOMEM. */
int hn_hdr_encode_base64(const struct hn_hist *h, char **out);
