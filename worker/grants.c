/* Grant store (see grants.h): a queue of id ranges, and per feeder a queue
 * of rows. UNIQUE rows arrive in GRANTs and are owned here until the run
 * ends; SEQUENTIAL rows are ranges of the scenario's rows, as ids are (a
 * pointer per row let a 16-byte GRANT of 10^9 rows make the worker
 * allocate and fill 8 GiB). */
#include "grants.h"
#include "array.h"
#include "error.h"
#include "scenario_codec.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct id_range {
    uint64_t first;
    uint32_t n;
};

/* Rows waiting for users: rows[head..n) (UNIQUE), or ranges of row
 * indexes seq[seq_head..n_seq) (SEQUENTIAL: first is taken modulo the
 * feeder's rows). */
struct row_queue {
    char *const **rows;
    uint32_t head, n, cap;
    struct id_range *seq;
    uint32_t seq_head, n_seq, cap_seq;
};

struct hn_grants {
    pthread_mutex_t lock;
    const struct hn_scenario *s;
    bool local;
    uint64_t local_next_id;                 /* local: next id to give */
    uint32_t local_next_row[HN_MODEL_FEEDERS_MAX];
    struct id_range *ranges; /* ranges[head..n) */
    uint32_t ranges_head, n_ranges, cap_ranges;
    struct row_queue q[HN_MODEL_FEEDERS_MAX];
    char ***owned; /* cell arrays of UNIQUE grants, freed at the end */
    uint64_t *owned_cells;
    uint32_t n_owned, cap_owned, cap_owned_cells;
};

int hn_grants_new(const struct hn_scenario *s, bool local, struct hn_grants **out)
{
    struct hn_grants *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    pthread_mutex_init(&g->lock, NULL);
    g->s = s;
    g->local = local;
    g->local_next_id = 1;
    *out = g;
    return 0;
}

void hn_grants_free(struct hn_grants *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; i < g->n_owned; i++) {
        for (uint64_t k = 0; k < g->owned_cells[i]; k++)
            free(g->owned[i][k]);
        free(g->owned[i]);
    }
    free(g->owned);
    free(g->owned_cells);
    free(g->ranges);
    for (uint32_t f = 0; f < HN_MODEL_FEEDERS_MAX; f++) {
        free(g->q[f].rows);
        free(g->q[f].seq);
    }
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* Room for one more SEQUENTIAL range in @q. */
static int seq_reserve(struct row_queue *q)
{
    if (q->seq_head == q->n_seq)
        q->seq_head = q->n_seq = 0;
    return hn_array_reserve(&q->seq, &q->cap_seq, q->n_seq + 1, sizeof(*q->seq), 8);
}

/* Room for @more rows in @q (compacting first). */
static int queue_reserve(struct row_queue *q, uint32_t more)
{
    if (q->head == q->n)
        q->head = q->n = 0;
    if (q->head > 0 && q->n + more > q->cap) {
        memmove(q->rows, q->rows + q->head, (q->n - q->head) * sizeof(*q->rows));
        q->n -= q->head;
        q->head = 0;
    }
    if (q->n + more < q->n)
        return -ENOMEM;
    return hn_array_reserve(&q->rows, &q->cap, q->n + more, sizeof(*q->rows), 64);
}

static void free_cells(char **cells, uint64_t n)
{
    for (uint64_t k = 0; k < n; k++)
        free(cells[k]);
    free(cells);
}

/* Check one feeder's part of a GRANT; unpack UNIQUE cells into *cells. */
static int check_feeder(const struct hn_grants *g, const struct hn_msg_grant_feeder *gf,
                        char ***cells, char *why, size_t why_len)
{
    *cells = NULL;
    if (gf->feeder >= g->s->n_feeders) {
        snprintf(why, why_len, "GRANT names feeder %u of %u", gf->feeder + 1, g->s->n_feeders);
        return HN_E_INVALID;
    }
    const struct hn_feeder *f = &g->s->feeders[gf->feeder];
    if (f->order == HN_ORDER_RANDOM) {
        snprintf(why, why_len, "GRANT deals rows of the random feeder %s", f->name);
        return HN_E_INVALID;
    }
    if (f->order == HN_ORDER_SEQUENTIAL) {
        if (gf->cells || (gf->n_rows && (!f->n_rows || gf->first_row >= f->n_rows))) {
            snprintf(why, why_len, "GRANT of feeder %s: bad sequential rows", f->name);
            return HN_E_INVALID;
        }
        return 0;
    }
    if (!gf->cells && gf->n_rows) {
        snprintf(why, why_len, "GRANT of feeder %s: rows missing", f->name);
        return HN_E_INVALID;
    }
    if (gf->n_rows > HN_MODEL_ROWS_MAX) {
        snprintf(why, why_len, "GRANT of feeder %s: %u rows (at most %d)", f->name, gf->n_rows,
                 HN_MODEL_ROWS_MAX);
        return HN_E_INVALID;
    }
    return gf->n_rows ? hn_cells_unpack(gf->cells, gf->cells_len,
                                        (uint64_t)gf->n_rows * f->n_columns, cells, why, why_len)
                      : 0;
}

int hn_grants_add(struct hn_grants *g, const struct hn_msg_grant *m, char *why, size_t why_len)
{
    char **cells[HN_PROTO_FEEDERS_MAX] = {0};
    uint64_t n_cells[HN_PROTO_FEEDERS_MAX] = {0};
    int err = 0;
    uint32_t seen = 0;
    for (uint32_t i = 0; i < m->n_feeders && !err; i++) {
        uint32_t f = m->feeders[i].feeder;
        if (f < 32 && (seen & (1u << f))) {
            snprintf(why, why_len, "GRANT names feeder %u twice", f + 1);
            err = HN_E_INVALID;
            break;
        }
        seen |= f < 32 ? 1u << f : 0;
        err = check_feeder(g, &m->feeders[i], &cells[i], why, why_len);
        if (!err && cells[i])
            n_cells[i] = (uint64_t)m->feeders[i].n_rows *
                         g->s->feeders[m->feeders[i].feeder].n_columns;
    }
    /* Reserve everything first, so that nothing can fail half-way. */
    pthread_mutex_lock(&g->lock);
    if (!err && m->n_ids) {
        if (g->ranges_head == g->n_ranges)
            g->ranges_head = g->n_ranges = 0;
        err = hn_array_reserve(&g->ranges, &g->cap_ranges, g->n_ranges + 1, sizeof(*g->ranges), 8);
    }
    for (uint32_t i = 0; i < m->n_feeders && !err; i++)
        err = g->s->feeders[m->feeders[i].feeder].order == HN_ORDER_SEQUENTIAL
                  ? seq_reserve(&g->q[m->feeders[i].feeder])
                  : queue_reserve(&g->q[m->feeders[i].feeder], m->feeders[i].n_rows);
    if (!err)
        err = hn_array_reserve(&g->owned, &g->cap_owned, g->n_owned + m->n_feeders,
                               sizeof(*g->owned), 8);
    if (!err)
        err = hn_array_reserve(&g->owned_cells, &g->cap_owned_cells, g->n_owned + m->n_feeders,
                               sizeof(*g->owned_cells), 8);
    if (err) {
        pthread_mutex_unlock(&g->lock);
        for (uint32_t i = 0; i < m->n_feeders; i++)
            if (cells[i])
                free_cells(cells[i], n_cells[i]);
        if (err < 0)
            snprintf(why, why_len, "out of memory");
        return err;
    }
    if (m->n_ids)
        g->ranges[g->n_ranges++] = (struct id_range){m->first_user_id, m->n_ids};
    for (uint32_t i = 0; i < m->n_feeders; i++) {
        const struct hn_msg_grant_feeder *gf = &m->feeders[i];
        const struct hn_feeder *f = &g->s->feeders[gf->feeder];
        struct row_queue *q = &g->q[gf->feeder];
        if (f->order == HN_ORDER_SEQUENTIAL) {
            if (gf->n_rows)
                q->seq[q->n_seq++] = (struct id_range){gf->first_row, gf->n_rows};
            continue;
        }
        if (cells[i]) {
            g->owned[g->n_owned] = cells[i];
            g->owned_cells[g->n_owned++] = n_cells[i];
        }
        for (uint32_t r = 0; r < gf->n_rows; r++)
            q->rows[q->n++] = &cells[i][(uint64_t)r * f->n_columns];
    }
    pthread_mutex_unlock(&g->lock);
    return 0;
}

/* Local mode: deal from the scenario itself. */
static int take_local(struct hn_grants *g, const struct hn_user_class *c, struct hn_user_data *out,
                      uint32_t *feeder)
{
    for (uint32_t f = 0; f < g->s->n_feeders; f++) {
        const struct hn_feeder *fd = &g->s->feeders[f];
        if (!(c->feeders_used & (1u << f)) || fd->order == HN_ORDER_RANDOM)
            continue;
        if (!fd->cells || fd->n_rows == 0 ||
            (fd->order == HN_ORDER_UNIQUE && g->local_next_row[f] >= fd->n_rows)) {
            *feeder = f;
            return HN_E_RANGE;
        }
    }
    out->user_id = g->local_next_id++;
    for (uint32_t f = 0; f < g->s->n_feeders; f++) {
        const struct hn_feeder *fd = &g->s->feeders[f];
        if (!(c->feeders_used & (1u << f)) || fd->order == HN_ORDER_RANDOM)
            continue;
        uint32_t row = g->local_next_row[f]++ % fd->n_rows;
        out->rows[f] = &fd->cells[(uint64_t)row * fd->n_columns];
    }
    return 0;
}

int hn_grants_take(struct hn_grants *g, const struct hn_user_class *c, struct hn_user_data *out,
                   uint32_t *feeder)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&g->lock);
    int err = 0;
    if (g->local) {
        err = take_local(g, c, out, feeder);
        goto out;
    }
    if (g->ranges_head == g->n_ranges) {
        err = HN_E_STATE;
        goto out;
    }
    for (uint32_t f = 0; f < g->s->n_feeders; f++) {
        if (!(c->feeders_used & (1u << f)) || g->s->feeders[f].order != HN_ORDER_UNIQUE)
            continue;
        if (g->q[f].head == g->q[f].n) {
            *feeder = f;
            err = HN_E_RANGE;
            goto out;
        }
    }
    struct id_range *r = &g->ranges[g->ranges_head];
    out->user_id = r->first++;
    if (--r->n == 0)
        g->ranges_head++;
    for (uint32_t f = 0; f < g->s->n_feeders; f++) {
        const struct hn_feeder *fd = &g->s->feeders[f];
        if (!(c->feeders_used & (1u << f)) || fd->order == HN_ORDER_RANDOM)
            continue;
        struct row_queue *q = &g->q[f];
        if (q->head < q->n) {
            out->rows[f] = q->rows[q->head++];
        } else if (q->seq_head < q->n_seq && fd->cells && fd->n_rows) {
            struct id_range *sr = &q->seq[q->seq_head];
            out->rows[f] = &fd->cells[(sr->first++ % fd->n_rows) * fd->n_columns];
            if (--sr->n == 0)
                q->seq_head++;
        } else if (fd->cells && fd->n_rows) {
            /* SEQUENTIAL rows the master did not deal (a user started
             * beyond its grant): the row its id points at. */
            out->rows[f] = &fd->cells[((out->user_id - 1) % fd->n_rows) * fd->n_columns];
        }
    }
out:
    pthread_mutex_unlock(&g->lock);
    return err;
}
