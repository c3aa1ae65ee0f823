/* Fixed responses of hornet-target: bodies, content types and Allow
 * headers of the cheap endpoints and of every error that needs no detail. */
#include "pages.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_TEXT "text/plain; charset=utf-8"
#define TYPE_JSON "application/json"
#define ERR_JSON(msg) "{\"error\":\"" msg "\"}"

static const char root_body[] = "hornet-target\n";

/* GET /json: a fixed document of about 1 KB. */
static const char json_body[] =
    "{\"id\":\"ord_7f3a9c2e\",\"status\":\"shipped\",\"created_at\":\"2024-05-14T09:31:27Z\","
    "\"customer\":{\"id\":48213,\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\","
    "\"tier\":\"gold\",\"address\":{\"street\":\"12 Analytical Row\",\"city\":\"London\","
    "\"postcode\":\"EC1A 1BB\",\"country\":\"GB\"}},\"items\":["
    "{\"sku\":\"WID-001\",\"name\":\"Swift Copper Widget\",\"quantity\":2,\"unit_price\":19.99},"
    "{\"sku\":\"LMP-042\",\"name\":\"Quiet Oak Lamp\",\"quantity\":1,\"unit_price\":54.5},"
    "{\"sku\":\"KTL-317\",\"name\":\"Bright Steel Kettle\",\"quantity\":1,\"unit_price\":39.0},"
    "{\"sku\":\"MUG-905\",\"name\":\"Gentle Glass Mug\",\"quantity\":4,\"unit_price\":7.25}],"
    "\"totals\":{\"subtotal\":162.48,\"shipping\":4.99,\"tax\":33.49,\"total\":200.96,"
    "\"currency\":\"GBP\"},\"payment\":{\"method\":\"card\",\"brand\":\"visa\","
    "\"last4\":\"4242\",\"captured\":true},\"shipping\":{\"carrier\":\"Royal Mail\","
    "\"service\":\"Tracked 24\",\"tracking\":\"RM123456789GB\",\"events\":["
    "{\"at\":\"2024-05-14T15:02:11Z\",\"status\":\"dispatched\"},"
    "{\"at\":\"2024-05-15T07:45:40Z\",\"status\":\"in transit\"}]},"
    "\"tags\":[\"gift\",\"priority\",\"repeat-customer\"],"
    "\"notes\":\"Leave with the concierge if nobody answers the door.\"}\n";

static struct MHD_Response *make_page(const char *body, const char *type, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return NULL;
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        (allow != NULL && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

int hn_pages_init(struct hn_pages *p)
{
    p->root = make_page(root_body, TYPE_TEXT, NULL);
    p->json = make_page(json_body, TYPE_JSON, NULL);
    p->health = make_page("ok\n", TYPE_TEXT, NULL);
    p->not_found = make_page(ERR_JSON("not found"), TYPE_JSON, NULL);
    p->not_get = make_page(ERR_JSON("method not allowed"), TYPE_JSON, "GET, HEAD");
    p->not_post = make_page(ERR_JSON("method not allowed"), TYPE_JSON, "POST");
    p->too_large = make_page(ERR_JSON("request body too large"), TYPE_JSON, NULL);
    p->bad_request = make_page(ERR_JSON("bad request"), TYPE_JSON, NULL);
    p->unavailable = make_page(ERR_JSON("unavailable"), TYPE_JSON, NULL);
    p->internal = make_page(ERR_JSON("internal error"), TYPE_JSON, NULL);
    bool ok = p->root && p->json && p->health && p->not_found && p->not_get && p->not_post &&
              p->too_large && p->bad_request && p->unavailable && p->internal;
    for (unsigned code = HN_PAGES_STATUS_MIN; code <= HN_PAGES_STATUS_MAX && ok; code++) {
        char *text = p->status_text[code - HN_PAGES_STATUS_MIN];
        /* No body where HTTP allows none; libmicrohttpd would not send it, and
         * an empty 102 keeps its bookkeeping right for the 200 that follows. */
        bool bodyless = code < 200 || code == 204 || code == 304;
        if (!bodyless)
            snprintf(text, sizeof(p->status_text[0]), "status %u\n", code);
        p->status[code - HN_PAGES_STATUS_MIN] = make_page(text, TYPE_TEXT, NULL);
        ok = p->status[code - HN_PAGES_STATUS_MIN] != NULL;
    }
    if (ok && (p->bytes = malloc(HN_PAGES_BYTES_MAX)) != NULL) {
        static const char pattern[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
        for (size_t i = 0; i < HN_PAGES_BYTES_MAX; i++)
            p->bytes[i] = pattern[i % (sizeof(pattern) - 1)];
    }
    return ok && p->bytes != NULL ? 0 : -ENOMEM;
}

void hn_pages_deinit(struct hn_pages *p)
{
    struct MHD_Response *all[] = {p->root,        p->json,     p->health,    p->not_found,
                                  p->not_get,     p->not_post, p->too_large, p->bad_request,
                                  p->unavailable, p->internal};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (all[i] != NULL)
            MHD_destroy_response(all[i]);
    }
    for (size_t i = 0; i < sizeof(p->status) / sizeof(p->status[0]); i++) {
        if (p->status[i] != NULL)
            MHD_destroy_response(p->status[i]);
    }
    free(p->bytes);
}
