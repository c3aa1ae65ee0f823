/* Eligibility of steps for the fast path (see fastpath.h). */
#include "fastpath.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const engine_names[HN_ENGINE__COUNT] = {"auto", "curl", "fast"};

const char *hn_fast_engine_name(unsigned engine)
{
    return engine < HN_ENGINE__COUNT ? engine_names[engine] : "?";
}

const char *hn_fast_scenario_reason(const struct hn_scenario *s)
{
    if (s->http_version != HN_HTTP_1_1)
        return "HTTP/2 is asked for (http.version)";
    /* The fast path keeps no cookie jar: with one, a Set-Cookie in a response
     * would change what later requests send. */
    if (s->cookies)
        return "cookies are on (http.cookies: false or --no-cookies allows the fast path)";
    return NULL;
}

const char *hn_fast_header_reason(const char *name)
{
    /* Headers that change how libcurl frames the request or reads the
     * answer: the fast path writes plain keep-alive HTTP/1.1 only. */
    static const char *const framing[] = {"Connection", "Content-Length", "Expect", "TE",
                                          "Transfer-Encoding", "Upgrade"};
    for (size_t i = 0; i < sizeof(framing) / sizeof(framing[0]); i++)
        if (strcasecmp(name, framing[i]) == 0)
            return framing[i];
    return NULL;
}

size_t hn_fast_origin_len(const char *url, size_t len)
{
    size_t at;
    if (len >= 7 && strncasecmp(url, "http://", 7) == 0)
        at = 7;
    else if (len >= 8 && strncasecmp(url, "https://", 8) == 0)
        at = 8;
    else
        return 0;
    while (at < len && url[at] != '/' && url[at] != '?' && url[at] != '#')
        at++;
    return at;
}

/* Text libcurl sends as written: no byte its URL parser would reject or
 * rewrite (controls, space, non-ASCII, fragment, backslash). Rendered
 * values are escaped for URLs, so only literal text is checked. */
static bool plain_url_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '#' || c == '\\')
            return false;
    }
    return true;
}

/* @origin ("scheme://authority") parsed as libcurl parses it: no user name
 * or password (libcurl would send Basic authentication), no zone id. */
static const char *origin_reason(const char *origin, size_t len)
{
    char url[HN_MODEL_STR_MAX + 2];
    if (len + 2 > sizeof(url))
        return "its URL is too long";
    memcpy(url, origin, len);
    url[len] = '/';
    url[len + 1] = '\0';
    CURLU *u = curl_url();
    if (!u)
        return "out of memory";
    const char *why = NULL;
    char *part = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        why = "its URL does not parse";
    else if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
             curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK)
        why = "its URL holds a user name (authentication)";
    else if (memchr(origin, '%', len))
        why = "its URL's host has a zone id";
    curl_free(part);
    curl_url_cleanup(u);
    return why;
}

static const char *url_reason(const struct hn_template *url, const char *host)
{
    const struct hn_seg *first = url->n_segs ? &url->segs[0] : NULL;
    if (!first || first->kind != HN_SEG_LITERAL)
        return "its URL starts with a template (the host may change per request)";
    for (uint32_t i = 0; i < url->n_segs; i++)
        if (url->segs[i].kind == HN_SEG_LITERAL &&
            !plain_url_text(url->segs[i].text, url->segs[i].len))
            return "its URL has text libcurl would rewrite (space, #, \\, non-ASCII)";
    size_t olen = hn_fast_origin_len(first->text, first->len);
    if (olen) {
        /* Absolute: the authority must end inside the literal text. */
        if ((olen < first->len && first->text[olen] == '?') ||
            (olen == first->len && url->n_segs == 1))
            return "its URL has no path (write http://host/...)";
        if (olen == first->len || first->text[olen] != '/')
            return "its URL's host is not fixed before the first template";
        return origin_reason(first->text, olen);
    }
    if (first->len == 0 || first->text[0] != '/')
        return "its URL is not a path or an absolute http(s) URL";
    if (!host)
        return "its URL is relative and there is no host";
    size_t hl = strlen(host);
    size_t hol = hn_fast_origin_len(host, hl);
    if (!hol)
        return "the host is not an http(s) URL";
    if (!plain_url_text(host, hl) || strchr(host, '?'))
        return "the host has text libcurl would rewrite (space, ?, #, \\, non-ASCII)";
    return origin_reason(host, hol);
}

const char *hn_fast_step_reason(const struct hn_step *st, const char *host, char *buf,
                                size_t len)
{
    if (st->follow_redirects)
        return "it follows redirects";
    const char *why = url_reason(&st->url, host);
    if (why)
        return why;
    for (uint32_t i = 0; i < st->n_headers; i++) {
        const char *h = hn_fast_header_reason(st->headers[i].name);
        if (h) {
            snprintf(buf, len, "it sets the %s header", h);
            return buf;
        }
    }
    return NULL;
}

static const char *headers_reason(const struct hn_header *h, uint32_t n, const char *level,
                                  char *buf, size_t len)
{
    for (uint32_t i = 0; i < n; i++) {
        const char *name = hn_fast_header_reason(h[i].name);
        if (name) {
            snprintf(buf, len, "%s header %s", level, name);
            return buf;
        }
    }
    return NULL;
}

const char *hn_fast_reason(const struct hn_scenario *s, const struct hn_user_class *c,
                           const struct hn_step *st, const char *host, char *buf, size_t len)
{
    const char *why = hn_fast_scenario_reason(s);
    if (!why)
        why = hn_fast_step_reason(st, host, buf, len);
    if (!why && c)
        why = headers_reason(c->headers, c->n_headers, "the class's", buf, len);
    if (!why)
        why = headers_reason(s->headers, s->n_headers, "the defaults'", buf, len);
    return why;
}

bool hn_fast_uses(const struct hn_scenario *s, const struct hn_user_class *c,
                  const struct hn_step *st)
{
    char buf[128];
    return s->engine != HN_ENGINE_CURL && !hn_fast_reason(s, c, st, s->host, buf, sizeof(buf));
}
