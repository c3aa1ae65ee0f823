/* Growing byte buffers (see buf.h). */
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int hn_buf_reserve(struct hn_buf *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->len)
        return -ENOMEM;
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int hn_buf_append(struct hn_buf *b, const void *s, size_t n)
{
    HN_TRY(hn_buf_reserve(b, n));
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

int hn_buf_insert(struct hn_buf *b, size_t at, const void *s, size_t n)
{
    HN_TRY(hn_buf_reserve(b, n));
    memmove(b->p + at + n, b->p + at, b->len - at);
    if (n)
        memcpy(b->p + at, s, n);
    b->len += n;
    return 0;
}

void hn_buf_free(struct hn_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
