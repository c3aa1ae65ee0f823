/* A growing byte buffer, owned by whoever embeds it: the worker's rendered
 * requests, the fast path's request bytes and the response headers it
 * keeps. It grows by doubling and keeps its room between requests, so a
 * steady run does not allocate. */
#pragma once

#include <stddef.h>

/* Offsets stay valid when it grows; pointers do not. Zeroed: empty. */
struct hn_buf {
    char *p;
    size_t len, cap;
};

/* Room for @more bytes after len. 0 or -ENOMEM. */
int hn_buf_reserve(struct hn_buf *b, size_t more);
/* Append raw bytes. 0 or -ENOMEM. @s must not point into @b. */
int hn_buf_append(struct hn_buf *b, const void *s, size_t n);
/* Insert raw bytes at offset @at (<= b->len), moving what follows. */
int hn_buf_insert(struct hn_buf *b, size_t at, const void *s, size_t n);
/* Free the bytes; @b is empty again. */
void hn_buf_free(struct hn_buf *b);
