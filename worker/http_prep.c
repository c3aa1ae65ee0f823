/* Steps prepared once per run for libcurl (see http.h): the fixed URL
 * parsed into a CURLU, the fixed header list built, the body copied; for
 * the fast path also the request bytes (http_fast_req.c). Read only
 * afterwards, so every engine thread shares them. */
#include "error.h"
#include "http_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parse @url into @u; http and https only. */
static int parse_url(CURLU *u, const char *url, bool *https)
{
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        return HN_E_INVALID;
    char *scheme = NULL;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        return HN_E_INVALID;
    bool ok = strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0;
    if (https)
        *https = strcasecmp(scheme, "https") == 0;
    curl_free(scheme);
    return ok ? 0 : HN_E_INVALID;
}

int hn_http_prep_new(const struct hn_scenario *s, const struct hn_http_step_desc *d,
                     struct hn_http_prep **out, char *why, size_t why_len)
{
    (void)s;
    int err = -ENOMEM;
    struct hn_http_prep *p = calloc(1, sizeof(*p));
    if (!p || !(p->method = strdup(d->method)))
        goto fail;
    if (strcmp(d->method, "GET") == 0)
        p->kind = HN_PREP_GET;
    else if (strcmp(d->method, "HEAD") == 0)
        p->kind = HN_PREP_HEAD;
    else if (strcmp(d->method, "POST") == 0)
        p->kind = HN_PREP_POST;
    else
        p->kind = HN_PREP_OTHER;
    if (d->url) {
        if (!(p->curlu = curl_url()))
            goto fail;
        if (parse_url(p->curlu, d->url, &p->https)) {
            err = hn_invalid(why, why_len, "%s %s: not an http:// or https:// URL", d->method,
                             d->url);
            goto fail;
        }
    }
    if (d->header_lines) {
        for (uint32_t i = 0; i < d->n_header_lines; i++) {
            struct curl_slist *next = curl_slist_append(p->headers, d->header_lines[i]);
            if (!next)
                goto fail;
            p->headers = next;
        }
    }
    p->has_body = d->has_body && p->kind != HN_PREP_HEAD;
    if (p->has_body && d->body) {
        if (!(p->body = malloc(d->body_len + 1)))
            goto fail;
        memcpy(p->body, d->body, d->body_len);
        p->body[d->body_len] = '\0';
        p->body_len = d->body_len;
    }
    p->timeout_ms = d->timeout_ms > 0x7fffffff ? 0x7fffffff : (long)d->timeout_ms;
    p->follow_redirects = d->follow_redirects;
    if (d->fast && (err = hn_fast_prep(p, d, why, why_len)))
        goto fail;
    *out = p;
    return 0;
fail:
    hn_http_prep_free(p);
    return err;
}

void hn_http_prep_free(struct hn_http_prep *p)
{
    if (!p)
        return;
    free(p->method);
    if (p->curlu)
        curl_url_cleanup(p->curlu);
    curl_slist_free_all(p->headers);
    free(p->body);
    hn_fast_prep_free(p);
    free(p);
}
