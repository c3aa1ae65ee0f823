/* URL checks (see url.h). */
#include "url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

bool hn_url_is_base(const char *url)
{
    return !strpbrk(url, "?#");
}

bool hn_url_ok(const char *url)
{
    CURLU *u = curl_url();
    if (!u)
        return false;
    char *scheme = NULL;
    bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0);
    curl_free(scheme);
    curl_url_cleanup(u);
    return ok;
}
