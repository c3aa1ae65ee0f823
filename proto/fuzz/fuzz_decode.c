/* libFuzzer target for the wire decoder: any bytes must decode to an error
 * or to a message that merges, re-encodes and decodes back to itself; a
 * SCENARIO's blob goes through the scenario decoder too (scenario_check.h),
 * and a GRANT's data cells through the cells decoder.
 * Build: meson setup -Dfuzz=enabled with CC=clang; run: fuzz-decode CORPUS */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "msg.h"
#include "scenario_check.h"
#include "scenario_codec.h"

/* Scratch histograms for re-encoding a snapshot (allocated on first use;
 * snapshots with more timing histograms skip the whole-message check). */
enum { POOL = 64 };
static struct hn_hist *pool[POOL];
static struct hn_hist *scratch, *scratch_decoded, *scratch_stream;

static struct hn_hist *hist_at(int i)
{
    if (!pool[i] && !(pool[i] = hn_hist_new()))
        abort();
    hn_hist_reset(pool[i]);
    return pool[i];
}

/* One wire histogram: merge, query, pack alone, unpack: same fields and
 * the very same bucket bytes (the encoding is canonical). */
static void check_wire(const struct hn_hist_wire *w)
{
    if (!scratch && !(scratch = hn_hist_new()))
        abort();
    hn_hist_reset(scratch);
    hn_hist_codec_merge(scratch, w);
    if (hn_hist_count(scratch) != w->total || hn_hist_min(scratch) != w->min ||
        hn_hist_max(scratch) != w->max)
        abort();
    /* The counters the decoder kept merge as the bucket stream does. */
    if ((!scratch_decoded && !(scratch_decoded = hn_hist_new())) ||
        (!scratch_stream && !(scratch_stream = hn_hist_new())))
        abort();
    hn_hist_reset(scratch_decoded);
    hn_hist_reset(scratch_stream);
    struct hn_hist_wire stream = *w;
    stream.index = NULL;
    stream.count = NULL;
    uint32_t f1 = 0, l1 = 0, f2 = 0, l2 = 0;
    struct hn_hist *d1[1] = {scratch_decoded}, *d2[1] = {scratch_stream};
    if (hn_hist_codec_merge_many(w, d1, 1, &f1, &l1) !=
            hn_hist_codec_merge_many(&stream, d2, 1, &f2, &l2) ||
        f1 != f2 || l1 != l2 || !hn_hist_equal(scratch_decoded, scratch_stream) ||
        !hn_hist_equal(scratch_decoded, scratch))
        abort();
    uint64_t p50 = hn_hist_percentile(scratch, 50.0);
    if (p50 < w->min || p50 > w->max || !(hn_hist_stddev(scratch) >= 0.0))
        abort();

    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_unpacked up;
    struct hn_hist_wire again;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_unpacked_init(&up);
    if (hn_hist_codec_pack(&pk, scratch) ||
        msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL) != MSGPACK_UNPACK_SUCCESS ||
        hn_hist_codec_unpack(&up.data, &again))
        abort();
    if (again.total != w->total || again.overflow != w->overflow || again.min != w->min ||
        again.max != w->max || again.sum != w->sum || again.buckets_len != w->buckets_len ||
        (w->buckets_len && memcmp(again.buckets, w->buckets, w->buckets_len)))
        abort();
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);
}

/* Point every present timing of @m at a scratch histogram holding it.
 * @return false if the pool is too small for this message. */
static bool attach_hists(struct hn_msg *m)
{
    int used = 0;
    for (uint32_t i = 0; i < m->snapshot.n_entries; i++)
        for (int k = 0; k < HN_TIMING__COUNT; k++)
            if (m->snapshot.entries[i].wire[k].present && used++ == POOL)
                return false;
    used = 0;
    for (uint32_t i = 0; i < m->snapshot.n_entries; i++) {
        struct hn_msg_entry *e = &m->snapshot.entries[i];
        for (int k = 0; k < HN_TIMING__COUNT; k++) {
            if (!e->wire[k].present)
                continue;
            struct hn_hist *h = hist_at(used++);
            hn_hist_codec_merge(h, &e->wire[k]);
            e->hist[k] = h;
        }
    }
    return true;
}

/* The data cells of a GRANT feeder, read as that many NUL-terminated
 * strings as they hold: they decode only if the bin ends in a NUL and
 * every cell is UTF-8, and then pack again to the very same bytes. */
static void check_grant_cells(const struct hn_msg_grant *g)
{
    if (g->n_feeders > HN_PROTO_FEEDERS_MAX ||
        (g->n_ids && g->first_user_id + g->n_ids - 1 < g->first_user_id))
        abort(); /* the decoder's own limits */
    for (uint32_t i = 0; i < g->n_feeders; i++) {
        const struct hn_msg_grant_feeder *f = &g->feeders[i];
        if (!f->cells)
            continue;
        uint64_t n = 0;
        for (size_t k = 0; k < f->cells_len; k++)
            n += f->cells[k] == '\0';
        char **cells = NULL, why[128] = "";
        int rc = hn_cells_unpack(f->cells, f->cells_len, n, &cells, why, sizeof(why));
        if (rc == -ENOMEM)
            continue;
        if (rc) {
            if (rc != HN_E_INVALID || !why[0] || cells)
                abort();
            continue;
        }
        msgpack_sbuffer sbuf;
        msgpack_packer pk;
        msgpack_unpacked up;
        msgpack_sbuffer_init(&sbuf);
        msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
        msgpack_unpacked_init(&up);
        if (hn_cells_pack(&pk, cells, n) ||
            msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL) != MSGPACK_UNPACK_SUCCESS ||
            up.data.type != MSGPACK_OBJECT_BIN || up.data.via.bin.size != f->cells_len ||
            memcmp(up.data.via.bin.ptr, f->cells, f->cells_len))
            abort();
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&sbuf);
        for (uint64_t k = 0; k < n; k++)
            free(cells[k]);
        free(cells);
    }
}

/* Decoded into a small room that is partly used already, as the master
 * decodes (hn_msg_decode_into): the same message, some histograms with
 * their counters decoded and the rest without (merged from the stream);
 * on error the room's use is as it was. */
static void check_small_room(const uint8_t *data, size_t size, const struct hn_msg *m)
{
    enum { CAP = 64, USED = 7 };
    static uint16_t index[CAP];
    static uint64_t count[CAP];
    struct hn_hist_pairs room = {.index = index, .count = count, .used = USED, .cap = CAP};
    struct hn_msg d;
    int rc = hn_msg_decode_into(data, size, &room, &d);
    if (rc) {
        if (rc != -ENOMEM || room.used != USED)
            abort(); /* it decoded on its own */
        return;
    }
    if (!hn_msg_equal(m, &d) || room.used > CAP)
        abort();
    if (d.type == HN_MSG_SNAPSHOT || d.type == HN_MSG_FINAL)
        for (uint32_t i = 0; i < d.snapshot.n_entries; i++)
            for (int k = 0; k < HN_TIMING__COUNT; k++) {
                const struct hn_hist_wire *w = &d.snapshot.entries[i].wire[k];
                if (w->index && (w->index < index + USED || w->index + w->n_buckets > index + CAP))
                    abort();
                if (w->present)
                    check_wire(w);
            }
    hn_msg_deinit(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hn_msg m, m2;
    int rc = hn_msg_decode(data, size, &m);
    if (rc < 0 && rc != -ENOMEM)
        abort(); /* only allocation may fail with a system error */
    if (rc)
        return 0;

    uint32_t type, version;
    if (hn_msg_peek(data, size, &type, &version) || type != m.type || version != HN_PROTO_VERSION)
        abort();

    if (m.type == HN_MSG_SCENARIO)
        hn_fuzz_check_scenario(m.scenario.blob, m.scenario.blob_len);
    if (m.type == HN_MSG_GRANT)
        check_grant_cells(&m.grant);
    check_small_room(data, size, &m);

    bool snapshot = m.type == HN_MSG_SNAPSHOT || m.type == HN_MSG_FINAL;
    if (snapshot) {
        for (uint32_t i = 0; i < m.snapshot.n_entries; i++)
            for (int k = 0; k < HN_TIMING__COUNT; k++)
                if (m.snapshot.entries[i].wire[k].present)
                    check_wire(&m.snapshot.entries[i].wire[k]);
        if (!attach_hists(&m)) {
            hn_msg_deinit(&m);
            return 0;
        }
    }

    /* Re-encode, decode again: same message; encoding that again: the same
     * bytes (canonical form is a fixed point). */
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    if (hn_msg_encode(&m, &a) || hn_msg_decode(a.data, a.size, &m2))
        abort();
    if (!hn_msg_equal(&m, &m2))
        abort();
    if (snapshot)
        for (uint32_t i = 0; i < m2.snapshot.n_entries; i++)
            memcpy(m2.snapshot.entries[i].hist, m.snapshot.entries[i].hist,
                   sizeof(m2.snapshot.entries[i].hist));
    if (hn_msg_encode(&m2, &b) || a.size != b.size || memcmp(a.data, b.data, a.size))
        abort();
    hn_msg_deinit(&m2);
    hn_msg_deinit(&m);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    return 0;
}
