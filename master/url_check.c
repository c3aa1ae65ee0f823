/* Scenario URL checks with libcurl's URL API (see url_check.h). */
#include "url_check.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "sanitize.h"
#include "url.h"

static bool is_absolute(const char *url)
{
    return hn_url_scheme_len(url) > 0;
}

static int invalid(char *why, size_t len, const char *url, const char *reason)
{
    char safe[HN_SANITIZE_SIZE(96)];
    size_t n = strlen(url);
    hn_sanitize(safe, sizeof(safe), url, n > 96 ? 96 : n, NULL);
    snprintf(why, len, "%s%s: %s", safe, n > 96 ? "..." : "", reason);
    return HN_E_INVALID;
}

int hn_url_check(const char *host, const char *url, char *why, size_t why_len)
{
    char *full = NULL;
    if (is_absolute(url) || !host) {
        full = strdup(url);
    } else {
        size_t hl = strlen(host);
        while (hl > 0 && host[hl - 1] == '/')
            hl--;
        if (asprintf(&full, "%.*s%s%s", (int)hl, host, url[0] == '/' ? "" : "/", url) < 0)
            full = NULL;
    }
    if (!full)
        return -ENOMEM;
    int err = 0;
    CURLU *u = curl_url();
    char *scheme = NULL, *hostname = NULL, *port = NULL;
    if (!u) {
        err = -ENOMEM;
        goto out;
    }
    for (const unsigned char *p = (const unsigned char *)full; *p; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            err = invalid(why, why_len, full, "a URL holds no space or control character");
            goto out;
        }
    }
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, full, 0);
    if (rc != CURLUE_OK) {
        err = invalid(why, why_len, full, curl_url_strerror(rc));
        goto out;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (!scheme || (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))) {
        err = invalid(why, why_len, full, "only http:// and https:// URLs are allowed");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &hostname, 0) != CURLUE_OK || !hostname[0]) {
        err = invalid(why, why_len, full, "no host in the URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && strcmp(port, "0") == 0)
        err = invalid(why, why_len, full, "port 0 cannot be connected to");
out:
    curl_free(scheme);
    curl_free(hostname);
    curl_free(port);
    curl_url_cleanup(u);
    free(full);
    return err;
}
