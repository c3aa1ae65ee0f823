/* hn_url_scheme_len, hn_url_redact (see url.h): plain text work, no libcurl, so that the
 * scenario model (which names entries after their urls) links without it. */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

size_t hn_url_scheme_len(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

const char *hn_url_redact(const char *url, char *out, size_t len)
{
    const char *sep = strstr(url, "://");
    const char *host = sep ? sep + 3 : url;
    const char *end = host + strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *p = host; p < end; p++)
        if (*p == '@')
            at = p; /* the last one: a password may hold another */
    if (!at)
        snprintf(out, len, "%s", url);
    else
        snprintf(out, len, "%.*s***%s", (int)(host - url), url, at);
    return out;
}
