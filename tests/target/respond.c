/* Responses of hornet-target: prebuilt pages, JSON replies, per-request
 * text; and the strict number parsing its endpoints share. */
#include "server_internal.h"
#include "units.h"

#include <stdlib.h>

/* Strict decimal: digits only, value <= max. */
bool hn_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    uint64_t v;
    if (s == NULL || hn_units_parse_count(s, max, &v) != 0)
        return false;
    *out = (unsigned long)v;
    return true;
}

enum MHD_Result hn_send_page(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    return MHD_queue_response(c, status, r);
}

/* Send and release *reply (its owned body passes to libmicrohttpd). */
enum MHD_Result hn_send_reply(struct hn_server *s, struct MHD_Connection *c, struct hn_reply *reply)
{
    struct MHD_Response *r;
    if (reply->owned != NULL)
        r = MHD_create_response_from_buffer(reply->body_len, reply->owned, MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(reply->body_len, (void *)reply->body,
                                            MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(reply->owned);
        return hn_send_page(c, 500, s->pages.internal);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TYPE_JSON);
    if (reply->status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, reply->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send text built per request (copied by libmicrohttpd). */
enum MHD_Result hn_send_text(struct hn_server *s, struct MHD_Connection *c, unsigned status,
                             const char *text, size_t len, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return hn_send_page(c, 500, s->pages.internal);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

const char *hn_query_arg(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}
