/* URL checks (see url.h). */
#include "url.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

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
