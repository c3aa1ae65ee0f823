/* A response built by a handler that knows nothing of libmicrohttpd:
 * status code plus JSON body, either static or owned by the reply. */
#pragma once

#include <stddef.h>

struct hn_reply {
    unsigned status;  /* HTTP status code */
    const char *body; /* body_len bytes of JSON; static unless owned != NULL */
    size_t body_len;
    char *owned; /* non-NULL if body is a malloc'd block (then body == owned);
                    whoever sends the reply frees it */
};
