/* User ids and data rows dealt to workers (see deal.h). */
#include "deal.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void hn_dealer_init(struct hn_dealer *d)
{
    memset(d, 0, sizeof(*d));
    d->next_user_id = 1;
}

/* Bytes of rows [first, first + n) of @f as NUL-terminated cells. */
static size_t rows_bytes(const struct hn_feeder *f, uint64_t first, uint64_t n)
{
    size_t total = 0;
    for (uint64_t r = first; r < first + n; r++)
        for (uint32_t c = 0; c < f->n_columns; c++)
            total += strlen(f->cells[r * f->n_columns + c]) + 1;
    return total;
}

static void pack_rows(const struct hn_feeder *f, uint64_t first, uint64_t n, char *out)
{
    for (uint64_t r = first; r < first + n; r++) {
        for (uint32_t c = 0; c < f->n_columns; c++) {
            const char *cell = f->cells[r * f->n_columns + c];
            size_t l = strlen(cell) + 1;
            memcpy(out, cell, l);
            out += l;
        }
    }
}

/* Send UNIQUE rows [first, first + n) of feeder @fi in messages of at most
 * HN_PROTO_GRANT_CELLS_MAX bytes of cells, the ids riding on the first. */
static int send_unique(const struct hn_feeder *f, uint32_t fi, uint64_t first, uint64_t n,
                       struct hn_msg *m, void (*send)(void *ctx, const struct hn_msg *m),
                       void *ctx)
{
    while (n > 0) {
        uint64_t take = 0;
        size_t bytes = 0;
        while (take < n) {
            size_t one = rows_bytes(f, first + take, 1);
            if (take > 0 && bytes + one > HN_PROTO_GRANT_CELLS_MAX)
                break;
            bytes += one;
            take++;
        }
        char *cells = malloc(bytes ? bytes : 1);
        if (!cells)
            return -ENOMEM;
        pack_rows(f, first, take, cells);
        struct hn_msg one = *m;
        one.grant.n_feeders = 1;
        one.grant.feeders[0] = (struct hn_msg_grant_feeder){
            .feeder = fi,
            .n_rows = (uint32_t)take,
            .cells = (const uint8_t *)cells,
            .cells_len = bytes,
        };
        send(ctx, &one);
        free(cells);
        m->grant.n_ids = 0; /* the ids went with the first message */
        first += take;
        n -= take;
    }
    return 0;
}

int hn_deal(struct hn_dealer *d, const struct hn_scenario *s, uint32_t *before,
            const uint32_t *after, uint32_t n,
            void (*send)(void *ctx, const struct hn_msg *m), void *ctx)
{
    uint64_t rise[HN_MODEL_CLASSES_MAX] = {0}, total = 0;
    for (uint32_t c = 0; c < n && c < s->n_classes; c++) {
        rise[c] = after[c] > before[c] ? after[c] - before[c] : 0;
        total += rise[c];
    }
    for (uint32_t c = 0; c < n; c++)
        before[c] = after[c];
    if (total == 0)
        return 0;
    struct hn_msg m = {.type = HN_MSG_GRANT};
    m.grant.first_user_id = d->next_user_id;
    m.grant.n_ids = (uint32_t)total;
    d->next_user_id += total;
    /* SEQUENTIAL feeders ride with the ids; UNIQUE ones follow. */
    uint64_t unique_first[HN_MODEL_FEEDERS_MAX], unique_n[HN_MODEL_FEEDERS_MAX] = {0};
    for (uint32_t f = 0; f < s->n_feeders; f++) {
        const struct hn_feeder *fd = &s->feeders[f];
        uint64_t want = 0;
        for (uint32_t c = 0; c < s->n_classes; c++)
            if (s->classes[c].feeders_used & (1u << f))
                want += rise[c];
        if (want == 0 || fd->order == HN_ORDER_RANDOM || fd->n_rows == 0)
            continue;
        if (fd->order == HN_ORDER_SEQUENTIAL) {
            struct hn_msg_grant_feeder *gf = &m.grant.feeders[m.grant.n_feeders++];
            gf->feeder = f;
            gf->n_rows = (uint32_t)want;
            gf->first_row = d->next_row[f] % fd->n_rows;
            d->next_row[f] += want;
            continue;
        }
        uint64_t left = fd->n_rows > d->next_row[f] ? fd->n_rows - d->next_row[f] : 0;
        uint64_t give = want < left ? want : left;
        if (give < want) {
            if (d->short_rows[f] == 0)
                hn_log_warn("data %s: all %u rows are dealt; users beyond them cannot start "
                            "(each row is used once per run)",
                            fd->name, fd->n_rows);
            d->short_rows[f] += want - give;
        }
        unique_first[f] = d->next_row[f];
        unique_n[f] = give;
        d->next_row[f] += give;
    }
    bool sent = false;
    for (uint32_t f = 0; f < s->n_feeders; f++) {
        if (!unique_n[f])
            continue;
        struct hn_msg part = m;
        if (sent) /* the ids and sequential rows went already */
            part.grant.n_ids = 0, part.grant.n_feeders = 0;
        /* send_unique sends one feeder per message: SEQUENTIAL rows of
         * this GRANT go in a message of their own first. */
        if (!sent && part.grant.n_feeders) {
            send(ctx, &part);
            part.grant.n_ids = 0;
            part.grant.n_feeders = 0;
        }
        int err = send_unique(&s->feeders[f], f, unique_first[f], unique_n[f], &part, send, ctx);
        if (err)
            return err;
        sent = true;
    }
    if (!sent)
        send(ctx, &m);
    return 0;
}
