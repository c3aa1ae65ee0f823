/* Known libcurl bugs (see curl_quirks.h). */
#include "curl_quirks.h"

#include <curl/curl.h>
#include <strings.h>

bool hn_curl_h2c_broken(void)
{
    const curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
    return d->version_num >= 0x075800 && d->version_num < 0x080000;
}

const char *hn_curl_version(void)
{
    return curl_version_info(CURLVERSION_NOW)->version;
}

/* Whether the request of @st goes over http:// with @host as the base. */
static bool cleartext(const struct hn_step *st, bool host_cleartext)
{
    const struct hn_template *t = &st->url;
    if (!t->n_segs || t->segs[0].kind != HN_SEG_LITERAL)
        return false; /* a value makes the URL: not known before the run */
    const char *u = t->segs[0].text;
    uint32_t len = t->segs[0].len;
    if (len >= 8 && !strncasecmp(u, "https://", 8))
        return false;
    if (len >= 7 && !strncasecmp(u, "http://", 7))
        return true;
    return host_cleartext;
}

bool hn_scenario_uses_h2c(const struct hn_scenario *s)
{
    if (s->http_version != HN_HTTP_2)
        return false;
    bool host_cleartext = s->host && !strncasecmp(s->host, "http://", 7);
    for (uint32_t c = 0; c < s->n_classes; c++) {
        const struct hn_user_class *k = &s->classes[c];
        for (uint32_t i = 0; i < k->n_on_start; i++)
            if (cleartext(&k->on_start[i], host_cleartext))
                return true;
        for (uint32_t t = 0; t < k->n_tasks; t++)
            for (uint32_t i = 0; i < k->tasks[t].n_steps; i++)
                if (cleartext(&k->tasks[t].steps[i], host_cleartext))
                    return true;
    }
    return false;
}
