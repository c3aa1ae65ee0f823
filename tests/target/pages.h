/* Fixed responses of hornet-target, built once at start and shared by all
 * pool threads (MHD_RESPMEM_PERSISTENT): the cheap endpoints and errors. */
#pragma once

/* GET /status/N accepts N in this range. */
#define HN_PAGES_STATUS_MIN 100
#define HN_PAGES_STATUS_MAX 599
/* GET /bytes/N serves at most this many bytes. */
#define HN_PAGES_BYTES_MAX (10 * 1024 * 1024)

#define HN_PAGES_STATUS_COUNT (HN_PAGES_STATUS_MAX - HN_PAGES_STATUS_MIN + 1)

struct MHD_Response;

struct hn_pages {
    struct MHD_Response *root;   /* GET /: "hornet-target\n" */
    struct MHD_Response *json;   /* GET /json: ~1 KB document */
    struct MHD_Response *health; /* GET /health: "ok\n" */
    /* JSON {"error": ...} bodies; not_get/not_post carry the Allow header. */
    struct MHD_Response *not_found, *not_get, *not_post, *too_large, *bad_request;
    struct MHD_Response *unavailable, *internal;
    struct MHD_Response *status[HN_PAGES_STATUS_COUNT]; /* "status N\n" */
    char status_text[HN_PAGES_STATUS_COUNT][16];
    char *bytes; /* HN_PAGES_BYTES_MAX bytes of text pattern for GET /bytes/N */
};

/* Build every page into caller-owned *p (which must be zeroed). Returns 0 or
 * -ENOMEM; on failure call hn_pages_deinit to release what was built. */
int hn_pages_init(struct hn_pages *p);

/* Release the pages; safe on a partly built or zeroed *p. */
void hn_pages_deinit(struct hn_pages *p);
