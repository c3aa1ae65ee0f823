/* Scenario → msgpack (see scenario_codec.h, format in PROTOCOL.md "Scenario
 * blob"; the decoder is scenario_decode.c). Text travels as bin so that
 * URLs, header values and bodies are not bound by the 256-byte string limit
 * of control messages; data rows travel as one bin of NUL-terminated cells
 * per feeder, so a 200,000-row file costs one msgpack value, not millions. */
#include "scenario_codec.h"
#include "error.h"
#include "msg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* msgpack-c ignores a failed write and keeps packing; remember it. */
struct sink {
    msgpack_sbuffer *sbuf;
    bool failed;
};

static int sink_write(void *data, const char *buf, size_t len)
{
    struct sink *k = data;
    if (!k->failed && msgpack_sbuffer_write(k->sbuf, buf, len) != 0)
        k->failed = true;
    return k->failed ? -1 : 0;
}

static void pack_bin(msgpack_packer *pk, const char *s, size_t len)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_bin(pk, len);
    msgpack_pack_bin_body(pk, s, len);
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    pack_bin(pk, s, s ? strlen(s) : 0);
}

static void pack_bool(msgpack_packer *pk, bool b)
{
    if (b)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

/* template = [source, segments]; a literal segment is a bin, any other an
 * array [kind, escape, a, b] (RANDOM: [kind, escape, lo, hi], the bounds as
 * signed integers). */
static void pack_template(msgpack_packer *pk, const struct hn_template *t)
{
    msgpack_pack_array(pk, 2);
    pack_cstr(pk, t->source ? t->source : "");
    msgpack_pack_array(pk, t->n_segs);
    for (uint32_t i = 0; i < t->n_segs; i++) {
        const struct hn_seg *g = &t->segs[i];
        if (g->kind == HN_SEG_LITERAL) {
            pack_bin(pk, g->text, g->len);
            continue;
        }
        msgpack_pack_array(pk, 4);
        msgpack_pack_uint8(pk, g->kind);
        msgpack_pack_uint8(pk, g->escape);
        if (g->kind == HN_SEG_RANDOM) {
            msgpack_pack_int64(pk, g->lo);
            msgpack_pack_int64(pk, g->hi);
        } else {
            msgpack_pack_uint32(pk, g->a);
            msgpack_pack_uint32(pk, g->b);
        }
    }
}

static void pack_headers(msgpack_packer *pk, const struct hn_header *h, uint32_t n)
{
    msgpack_pack_array(pk, 2 * (size_t)n);
    for (uint32_t i = 0; i < n; i++) {
        pack_cstr(pk, h[i].name);
        pack_template(pk, &h[i].value);
    }
}

static void pack_step(msgpack_packer *pk, const struct hn_step *st)
{
    msgpack_pack_array(pk, 12);
    pack_cstr(pk, st->method);
    pack_template(pk, &st->url);
    pack_cstr(pk, st->name);
    pack_headers(pk, st->headers, st->n_headers);
    msgpack_pack_uint8(pk, st->body_kind);
    pack_template(pk, &st->body);
    msgpack_pack_uint64(pk, st->timeout_ms);
    pack_bool(pk, st->follow_redirects);
    msgpack_pack_array(pk, st->n_captures);
    for (uint32_t k = 0; k < st->n_captures; k++) {
        msgpack_pack_array(pk, 3);
        msgpack_pack_uint32(pk, st->captures[k].var);
        msgpack_pack_uint8(pk, st->captures[k].kind);
        pack_cstr(pk, st->captures[k].expr);
    }
    msgpack_pack_array(pk, st->n_statuses);
    for (uint32_t k = 0; k < st->n_statuses; k++)
        msgpack_pack_uint16(pk, st->statuses[k]);
    if (st->has_body_contains)
        pack_template(pk, &st->body_contains);
    else
        msgpack_pack_nil(pk);
    msgpack_pack_array(pk, st->n_json_checks);
    for (uint32_t k = 0; k < st->n_json_checks; k++) {
        msgpack_pack_array(pk, 3);
        pack_cstr(pk, st->json_checks[k].path);
        pack_cstr(pk, st->json_checks[k].want);
        msgpack_pack_uint8(pk, st->json_checks[k].want_type);
    }
}

static void pack_steps(msgpack_packer *pk, const struct hn_step *st, uint32_t n)
{
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++)
        pack_step(pk, &st[i]);
}

/* Cells as one bin of NUL-terminated strings. 0 or -ENOMEM. */
int hn_cells_pack(msgpack_packer *pk, char *const *cells, uint64_t n)
{
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++)
        total += strlen(cells[i]) + 1;
    char *buf = malloc(total ? total : 1);
    if (!buf)
        return -ENOMEM;
    size_t at = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t l = strlen(cells[i]) + 1;
        memcpy(buf + at, cells[i], l);
        at += l;
    }
    pack_bin(pk, buf, total);
    free(buf);
    return 0;
}

static int pack_feeder(msgpack_packer *pk, const struct hn_feeder *f)
{
    msgpack_pack_array(pk, 5);
    pack_cstr(pk, f->name);
    msgpack_pack_uint8(pk, f->order);
    msgpack_pack_array(pk, f->n_columns);
    for (uint32_t c = 0; c < f->n_columns; c++)
        pack_cstr(pk, f->columns[c]);
    msgpack_pack_uint32(pk, f->n_rows);
    /* UNIQUE rows stay on the master: they are dealt to workers as users
     * start (GRANT), so that each worker holds only its share. */
    if (f->order == HN_ORDER_UNIQUE || !f->cells) {
        msgpack_pack_nil(pk);
        return 0;
    }
    return hn_cells_pack(pk, f->cells, (uint64_t)f->n_rows * f->n_columns);
}

int hn_scenario_encode(const struct hn_scenario *s, msgpack_sbuffer *out)
{
    struct sink sink = {out, false};
    size_t start = out->size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sink, sink_write);
    msgpack_pack_array(&pk, 7);
    pack_cstr(&pk, s->host);
    msgpack_pack_uint64(&pk, s->timeout_ms);
    pack_headers(&pk, s->headers, s->n_headers);
    msgpack_pack_array(&pk, 6);
    pack_bool(&pk, s->tls_verify);
    pack_bin(&pk, s->ca_pem, s->ca_len);
    msgpack_pack_uint8(&pk, s->http_version);
    pack_bool(&pk, s->cookies);
    msgpack_pack_uint64(&pk, s->max_body);
    msgpack_pack_uint8(&pk, s->engine);
    msgpack_pack_array(&pk, s->n_vars);
    for (uint32_t i = 0; i < s->n_vars; i++)
        pack_cstr(&pk, s->vars[i]);
    int err = 0;
    msgpack_pack_array(&pk, s->n_feeders);
    for (uint32_t i = 0; i < s->n_feeders && !err; i++)
        err = pack_feeder(&pk, &s->feeders[i]);
    msgpack_pack_array(&pk, s->n_classes);
    for (uint32_t i = 0; i < s->n_classes && !err; i++) {
        const struct hn_user_class *c = &s->classes[i];
        msgpack_pack_array(&pk, 6);
        pack_cstr(&pk, c->name);
        msgpack_pack_uint32(&pk, c->weight);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint8(&pk, (uint8_t)c->wait.kind);
        msgpack_pack_uint64(&pk, c->wait.min_ms);
        msgpack_pack_uint64(&pk, c->wait.max_ms);
        pack_headers(&pk, c->headers, c->n_headers);
        pack_steps(&pk, c->on_start, c->n_on_start);
        msgpack_pack_array(&pk, c->n_tasks);
        for (uint32_t t = 0; t < c->n_tasks; t++) {
            msgpack_pack_array(&pk, 3);
            pack_cstr(&pk, c->tasks[t].name);
            msgpack_pack_uint32(&pk, c->tasks[t].weight);
            pack_steps(&pk, c->tasks[t].steps, c->tasks[t].n_steps);
        }
    }
    if (sink.failed || err) { /* only out-of-memory makes either fail */
        out->size = start;
        return -ENOMEM;
    }
    return 0;
}
