/* JSON path and regex extraction (see extract.h). The JSON walk keeps a
 * frame per open container up to the path's depth and knows, at every
 * value, whether the containers above it are the ones the path names. */
#include "extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* yajl allocates a handle, a lexer, buffers and a stack for every parse,
 * that is for every check and capture of every request: they come from a
 * per-thread arena instead, emptied when a parse begins, so that a request
 * costs no malloc. What does not fit (a long escaped string, deep nesting)
 * goes to malloc. Each block has a header with its size (for realloc);
 * under AddressSanitizer what is not handed out is poisoned. */
#define ARENA_BYTES (32u << 10)
#define ARENA_HEADER 16u /* keeps blocks 16-byte aligned */

static _Thread_local struct {
    _Alignas(16) unsigned char bytes[ARENA_BYTES];
    size_t used;
} arena;

static size_t block_bytes(size_t size)
{
    return ARENA_HEADER + ((size + 15) & ~(size_t)15);
}

static bool in_arena(const void *p)
{
    const unsigned char *b = p;
    return b >= arena.bytes && b < arena.bytes + ARENA_BYTES;
}

static void arena_reset(void)
{
    arena.used = 0;
    ARENA_POISON(arena.bytes, ARENA_BYTES);
}

static void *arena_malloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size > ARENA_BYTES || block_bytes(size) > ARENA_BYTES - arena.used)
        return malloc(size);
    unsigned char *b = arena.bytes + arena.used;
    arena.used += block_bytes(size);
    ARENA_UNPOISON(b, ARENA_HEADER + size);
    memcpy(b, &size, sizeof(size));
    return b + ARENA_HEADER;
}

static void *arena_realloc(void *ctx, void *p, size_t size)
{
    if (!p)
        return arena_malloc(ctx, size);
    if (!in_arena(p))
        return realloc(p, size);
    unsigned char *b = (unsigned char *)p - ARENA_HEADER;
    size_t old;
    memcpy(&old, b, sizeof(old));
    size_t at = (size_t)(b - arena.bytes);
    /* The newest block grows in place while the arena has room. */
    if (at + block_bytes(old) == arena.used && size <= ARENA_BYTES &&
        block_bytes(size) <= ARENA_BYTES - at) {
        arena.used = at + block_bytes(size);
        ARENA_UNPOISON(b, ARENA_HEADER + size);
        memcpy(b, &size, sizeof(size));
        return p;
    }
    if (size <= old)
        return p;
    void *q = arena_malloc(ctx, size);
    if (q)
        memcpy(q, p, old); /* the old block stays used until the next parse */
    return q;
}

static void arena_free(void *ctx, void *p)
{
    (void)ctx;
    if (p && !in_arena(p))
        free(p);
}

static yajl_alloc_funcs arena_funcs = {
    .malloc = arena_malloc, .realloc = arena_realloc, .free = arena_free};

/* A frame per open container, as deep as the longest path, plus one. */
#define FRAMES_MAX (HN_JSONPATH_STEPS_MAX + 1)

struct frame {
    bool is_array;
    bool on_path;  /* this container is the one the path names here */
    bool selected; /* maps: the current key is the path's; arrays: unused */
    long index;    /* arrays: index of the current element */
};

struct walk {
    const struct hn_jsonpath *path;
    struct hn_extract *x;
    yajl_handle yh;
    struct frame frames[FRAMES_MAX];
    uint32_t open;       /* containers open now */
    bool found;          /* the value is complete in x */
    bool in_target;      /* inside the target container */
    uint32_t target_open; /* open count when the target container began */
    size_t target_start; /* its first byte */
    const char *body;
};

static void put(struct walk *w, const char *s, size_t n)
{
    struct hn_extract *x = w->x;
    if (n < x->cap) {
        memcpy(x->out, s, n);
        x->out[n] = '\0';
    } else if (x->cap) {
        x->out[0] = '\0'; /* too long: nothing of it, not an older value */
    }
    x->len = n;
}

/* A value begins at the current level: advance the parent array's index
 * and say whether the path leads here (the parent is on the path and
 * selects this key or index; the root always is). */
static bool selected(struct walk *w)
{
    if (w->open == 0)
        return true;
    if (w->open > FRAMES_MAX)
        return false;
    struct frame *f = &w->frames[w->open - 1];
    if (f->is_array)
        f->index++;
    if (!f->on_path || w->open - 1 >= w->path->n_steps)
        return false;
    const struct hn_jsonpath_step *st = &w->path->steps[w->open - 1];
    return f->is_array ? st->is_index && (long)st->index == f->index : f->selected;
}

/* The value beginning now is the target: on the path, as deep as it. */
static bool begins(struct walk *w)
{
    return !w->in_target && selected(w) && w->open == w->path->n_steps;
}

static int scalar(struct walk *w, int type, const char *s, size_t n)
{
    if (!begins(w))
        return 1;
    w->x->type = type;
    put(w, s, n);
    w->found = true;
    return 0; /* stop parsing: found */
}

static int on_null(void *ctx)
{
    return scalar(ctx, HN_JSON_NULL, "null", 4);
}

static int on_boolean(void *ctx, int b)
{
    return scalar(ctx, HN_JSON_BOOL, b ? "true" : "false", b ? 4 : 5);
}

static int on_number(void *ctx, const char *s, size_t n)
{
    return scalar(ctx, HN_JSON_NUMBER, s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    return scalar(ctx, HN_JSON_STRING, (const char *)s, n);
}

static int start(struct walk *w, bool is_array)
{
    bool on = !w->in_target && selected(w);
    if (on && w->open == w->path->n_steps) {
        w->in_target = true;
        w->target_open = w->open;
        w->target_start = yajl_get_bytes_consumed(w->yh) - 1;
        w->x->type = is_array ? HN_JSON_ARRAY : HN_JSON_OBJECT;
    }
    if (w->open < FRAMES_MAX)
        w->frames[w->open] = (struct frame){.is_array = is_array, .on_path = on, .index = -1};
    w->open++;
    return 1;
}

static int end(struct walk *w)
{
    w->open--;
    if (w->in_target && w->open == w->target_open) {
        size_t stop = yajl_get_bytes_consumed(w->yh);
        put(w, w->body + w->target_start, stop - w->target_start);
        w->found = true;
        return 0;
    }
    return 1;
}

static int on_start_map(void *ctx)
{
    return start(ctx, false);
}

static int on_start_array(void *ctx)
{
    return start(ctx, true);
}

static int on_end(void *ctx)
{
    return end(ctx);
}

static int on_map_key(void *ctx, const unsigned char *k, size_t n)
{
    struct walk *w = ctx;
    if (w->open == 0 || w->open > FRAMES_MAX || w->in_target)
        return 1;
    struct frame *f = &w->frames[w->open - 1];
    const struct hn_jsonpath_step *st =
        w->open - 1 < w->path->n_steps ? &w->path->steps[w->open - 1] : NULL;
    f->selected = f->on_path && st && !st->is_index && st->key_len == n &&
                  memcmp(st->key, k, n) == 0;
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

int hn_extract_json(const struct hn_jsonpath *path, const char *body, size_t len,
                    struct hn_extract *x)
{
    struct walk w = {.path = path, .x = x, .body = body};
    x->len = 0;
    arena_reset();
    if (!(w.yh = yajl_alloc(&callbacks, &arena_funcs, &w)))
        return -ENOMEM;
    yajl_status st = yajl_parse(w.yh, (const unsigned char *)body, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(w.yh);
    yajl_free(w.yh);
    arena_reset(); /* nothing of it is used after this (ASan says if it is) */
    if (w.found)
        return 1;
    return st == yajl_status_ok ? 0 : -1;
}

int hn_extract_regex(const pcre2_code *re, pcre2_match_data *md, const char *body, size_t len,
                     size_t *off, size_t *vlen)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)(body ? body : ""), len, 0, 0, md, NULL);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0)
        return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    int group = rc >= 2 ? 1 : 0;
    if (ov[2 * group] == PCRE2_UNSET) /* the group took no part in the match */
        return 0;
    *off = ov[2 * group];
    *vlen = ov[2 * group + 1] - ov[2 * group];
    return 1;
}
