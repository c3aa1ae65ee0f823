/* Growing arrays: one helper for the "double the capacity when full"
 * pattern, with overflow checks. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Make room for at least @need elements of @elem_size bytes in *items,
 * whose capacity is *cap (doubling, starting at @first). Elements keep
 * their values; new ones are uninitialised. 0 or -ENOMEM. */
static inline int hn_array_reserve(void *items, uint32_t *cap, uint32_t need, size_t elem_size,
                                   uint32_t first)
{
    if (need <= *cap)
        return 0;
    uint64_t next = *cap ? *cap : first;
    while (next < need)
        next *= 2;
    if (next > UINT32_MAX || next > SIZE_MAX / elem_size)
        return -ENOMEM;
    void *p = realloc(*(void **)items, (size_t)next * elem_size);
    if (!p)
        return -ENOMEM;
    *(void **)items = p;
    *cap = (uint32_t)next;
    return 0;
}
