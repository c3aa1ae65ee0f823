/* The fast path's request bytes: exactly what libcurl 7.88 writes for the
 * same step (Curl_http, Curl_http_host, Curl_add_custom_headers,
 * Curl_http_bodysend), so a server cannot tell the transports apart.
 * Fixed steps are written once per run; steps with rendered parts into the
 * conn's buffer, which reaches its steady size after a few requests. */
#include "error.h"
#include "http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Curl_checkheaders: a line "Name:" or "Name;" of the list (any case). */
static const char *find_header(const char *const *lines, uint32_t n, const char *name)
{
    size_t nl = strlen(name);
    for (uint32_t i = 0; i < n; i++)
        if (strncasecmp(lines[i], name, nl) == 0 && (lines[i][nl] == ':' || lines[i][nl] == ';'))
            return lines[i];
    return NULL;
}

/* libcurl's ISSPACE. */
static bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

#define ADD(s, n) HN_TRY(hn_buf_append(out, (s), (n)))
#define ADDS(s) ADD((s), strlen(s))

int hn_fast_request(struct hn_buf *out, const struct hn_http_prep *p, const char *target,
                    size_t target_len, const char *const *lines, uint32_t n_lines, const char *body,
                    size_t body_len)
{
    ADDS(p->method);
    ADD(" ", 1);
    ADD(target, target_len);
    ADD(" HTTP/1.1\r\n", 11);
    /* Host: a custom one replaces libcurl's ("Host:" alone removes it). */
    const char *host = find_header(lines, n_lines, "Host");
    bool host_sent = true;
    if (!host) {
        ADDS(p->host_line);
    } else if (strcmp(host, "Host:") != 0) {
        ADD("Host:", 5);
        ADDS(host + 5);
        ADD("\r\n", 2);
    } else {
        host_sent = false;
    }
    if (!find_header(lines, n_lines, "Accept"))
        ADD("Accept: */*\r\n", 13);
    /* Custom headers in order; a blank value only removes libcurl's own,
     * and "Name;" is a header sent empty ("Name:", as libcurl writes it). */
    for (uint32_t i = 0; i < n_lines; i++) {
        const char *line = lines[i];
        const char *colon = strchr(line, ':');
        size_t len = strlen(line);
        if (!colon && len > 1 && line[len - 1] == ';') {
            if (!(host_sent && strcasecmp(line, "Host;") == 0)) { /* written above */
                ADD(line, len - 1);
                ADD(":\r\n", 3);
            }
            continue;
        }
        if (!colon || colon == line)
            continue;
        const char *v = colon + 1;
        while (*v && is_space(*v))
            v++;
        if (!*v || (host_sent && strncasecmp(line, "Host:", 5) == 0))
            continue;
        ADDS(line);
        ADD("\r\n", 2);
    }
    if (p->has_body) {
        /* CURLOPT_POSTFIELDS: a "simple POST" whatever the method. */
        if (!find_header(lines, n_lines, "Content-Length")) {
            char cl[40];
            int n = snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", body_len);
            ADD(cl, (size_t)n);
        }
        if (!find_header(lines, n_lines, "Content-Type"))
            ADDS("Content-Type: application/x-www-form-urlencoded\r\n");
        ADD("\r\n", 2);
        if (body_len)
            ADD(body, body_len);
    } else {
        ADD("\r\n", 2);
    }
    return 0;
}

static int invalid(char *why, size_t len, const char *what, const char *url)
{
    snprintf(why, len, "%s: %s", url, what);
    return HN_E_INVALID;
}

/* The Host line libcurl writes for @u: the port only when it is not the
 * scheme's own. */
static int host_line(struct hn_http_prep *p, CURLU *u)
{
    char *host = NULL, *port = NULL;
    int err = -ENOMEM;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    bool dflt = strcmp(port, p->origin_https ? "443" : "80") == 0;
    if (asprintf(&p->host_line, "Host: %s%s%s\r\n", host, dflt ? "" : ":", dflt ? "" : port) < 0)
        p->host_line = NULL;
    else
        err = 0;
out:
    curl_free(host);
    curl_free(port);
    return err;
}

/* The request target libcurl sends for a fixed URL: its path, encoded as
 * libcurl encodes it, and its query. */
static int fixed_target(struct hn_http_prep *p)
{
    char *path = NULL, *query = NULL;
    int err = -ENOMEM;
    if (curl_url_get(p->curlu, CURLUPART_PATH, &path, CURLU_URLENCODE) != CURLUE_OK)
        goto out;
    CURLUcode qc = curl_url_get(p->curlu, CURLUPART_QUERY, &query, 0);
    if (qc != CURLUE_OK && qc != CURLUE_NO_QUERY)
        goto out;
    if (asprintf(&p->target, "%s%s%s", path, query ? "?" : "", query ? query : "") < 0)
        p->target = NULL;
    else
        err = 0;
out:
    curl_free(path);
    curl_free(query);
    return err;
}

int hn_fast_prep(struct hn_http_prep *p, const struct hn_http_step_desc *d, char *why,
                 size_t why_len)
{
    p->fast = true;
    p->keep_headers = d->keep_headers;
    if (!d->origin || !d->origin_len)
        return invalid(why, why_len, "no origin for the fast path", d->method);
    if (asprintf(&p->origin, "%.*s/", (int)d->origin_len, d->origin) < 0) {
        p->origin = NULL;
        return -ENOMEM;
    }
    p->origin_len = d->origin_len;
    p->origin_https = strncasecmp(p->origin, "https:", 6) == 0;
    CURLU *u = curl_url();
    if (!u)
        return -ENOMEM;
    int err = 0;
    if (curl_url_set(u, CURLUPART_URL, p->origin, 0) != CURLUE_OK)
        err = invalid(why, why_len, "not a URL", p->origin);
    if (!err)
        err = host_line(p, u);
    curl_url_cleanup(u);
    if (!err && p->curlu)
        err = fixed_target(p);
    if (err)
        return err;
    if (d->header_lines) {
        p->line_copies = calloc(d->n_header_lines ? d->n_header_lines : 1, sizeof(char *));
        if (!p->line_copies)
            return -ENOMEM;
        p->n_lines = d->n_header_lines;
        for (uint32_t i = 0; i < d->n_header_lines; i++)
            if (!(p->line_copies[i] = strdup(d->header_lines[i])))
                return -ENOMEM;
        p->lines = (const char *const *)p->line_copies;
    }
    /* Nothing rendered: the whole request, once. */
    if (p->target && p->lines && (!p->has_body || p->body)) {
        struct hn_buf b = {0};
        err = hn_fast_request(&b, p, p->target, strlen(p->target), p->lines, p->n_lines, p->body,
                              p->body_len);
        if (err) {
            free(b.p);
            return err;
        }
        p->request = b.p;
        p->request_len = b.len;
    }
    return 0;
}

void hn_fast_prep_free(struct hn_http_prep *p)
{
    free(p->origin);
    free(p->target);
    free(p->host_line);
    for (uint32_t i = 0; p->line_copies && i < p->n_lines; i++)
        free(p->line_copies[i]);
    free(p->line_copies);
    free(p->request);
}
