/* Writes the seed corpus of fuzz-session (worker/fuzz/corpus-session):
 * sequences of frames a master sends, each prefixed by its length (2 bytes,
 * big endian), as fuzz_session.c reads them. Run it again after a change to
 * the wire format:  make-session-seeds worker/fuzz/corpus-session
 * (the seed "garbage-between" is hand-made and kept as it is). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "msg.h"
#include "scenario_codec.h"

static FILE *out;

static void put(const struct hn_msg *m)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    if (hn_msg_encode(m, &b) || b.size > 65535) {
        fprintf(stderr, "make-session-seeds: cannot encode a %s\n", hn_msg_type_name(m->type));
        exit(1);
    }
    unsigned char len[2] = {(unsigned char)(b.size >> 8), (unsigned char)b.size};
    fwrite(len, 1, 2, out);
    fwrite(b.data, 1, b.size, out);
    msgpack_sbuffer_destroy(&b);
}

static void scenario(struct hn_scenario *s)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    if (hn_scenario_encode(s, &b))
        exit(1);
    struct hn_msg m = {.type = HN_MSG_SCENARIO};
    m.scenario.blob = (const uint8_t *)b.data;
    m.scenario.blob_len = b.size;
    m.scenario.hash = (const uint8_t *)"h";
    m.scenario.hash_len = 1;
    put(&m);
    msgpack_sbuffer_destroy(&b);
}

static void target(uint64_t seq, uint32_t users, uint32_t n_classes)
{
    struct hn_msg m = {.type = HN_MSG_TARGET};
    m.target.seq = seq;
    m.target.phase = HN_PHASE_RUN;
    m.target.model = HN_MODEL_CLOSED;
    m.target.n_classes = n_classes;
    for (uint32_t i = 0; i < n_classes; i++)
        m.target.users[i] = users;
    m.target.spawn_rate_per_s = 10;
    put(&m);
}

static void open_target(uint64_t seq, uint32_t users, double rate)
{
    struct hn_msg m = {.type = HN_MSG_TARGET};
    m.target.seq = seq;
    m.target.phase = HN_PHASE_RUN;
    m.target.model = HN_MODEL_OPEN;
    m.target.n_classes = 1;
    m.target.users[0] = users;
    m.target.arrival_rate_per_s = rate;
    m.target.max_users = users;
    m.target.max_delay_ms = 100;
    m.target.ends_in_ms = 2000;
    put(&m);
}

static void grant(uint64_t first, uint32_t n)
{
    struct hn_msg m = {.type = HN_MSG_GRANT};
    m.grant.first_user_id = first;
    m.grant.n_ids = n;
    put(&m);
}

static void stop(void)
{
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = 100;
    put(&m);
}

static void begin(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(out = fopen(path, "wb"))) {
        perror(path);
        exit(1);
    }
}

/* Two classes posting a templated JSON body with a capture, one data
 * feeder (sequential), statuses checked. */
static struct hn_scenario *rich(void)
{
    struct hn_scenario *s = hn_scenario_new();
    s->host = strdup("http://127.0.0.1:1");
    struct hn_feeder *f = hn_scenario_add_feeder(s);
    f->name = strdup("acc");
    f->order = HN_ORDER_SEQUENTIAL;
    f->columns = calloc(1, sizeof(char *));
    f->columns[0] = strdup("email");
    f->n_columns = 1;
    f->n_rows = 2;
    f->cells = calloc(2, sizeof(char *));
    f->cells[0] = strdup("a@x");
    f->cells[1] = strdup("b@x");
    f->rows_shipped = 1;
    uint32_t slot;
    hn_scenario_var(s, "token", &slot);
    for (int c = 0; c < 2; c++) {
        struct hn_user_class *uc = hn_scenario_add_class(s);
        uc->name = strdup(c ? "b" : "a");
        struct hn_step *st = hn_task_add_step(hn_class_add_task(uc));
        st->method = strdup("POST");
        struct hn_seg row = {.kind = HN_SEG_DATA, .escape = HN_ESC_URL, .a = 0, .b = 0};
        hn_template_add_literal(&st->url, "/u/", 3);
        hn_template_add_seg(&st->url, &row);
        st->url.source = strdup("/u/{{acc.email}}");
        st->body_kind = HN_BODY_JSON;
        struct hn_seg var = {.kind = HN_SEG_VAR, .escape = HN_ESC_JSON, .a = slot};
        hn_template_add_literal(&st->body, "{\"a\":\"", 6);
        hn_template_add_seg(&st->body, &var);
        hn_template_add_literal(&st->body, "\"}", 2);
        st->body.source = strdup("(json)");
        struct hn_capture *cap = hn_step_add_capture(st);
        cap->var = slot;
        cap->kind = HN_CAPTURE_JSON;
        cap->expr = strdup("$.t");
        hn_step_add_status(st, 201);
    }
    char why[200];
    if (hn_scenario_finalize(s, why, sizeof(why))) {
        fprintf(stderr, "make-session-seeds: %s\n", why);
        exit(1);
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-session-seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    const char *paths[] = {"/", "/json"};
    struct hn_scenario *quick = hn_scenario_quick("http://127.0.0.1:1", paths, 2);
    struct hn_scenario *s = rich();
    if (!quick)
        return 1;

    begin(dir, "quick-run-stop");
    scenario(quick);
    grant(1, 5);
    target(1, 5, 1);
    stop();
    struct hn_msg quit = {.type = HN_MSG_QUIT};
    put(&quit);
    fclose(out);

    begin(dir, "rich-classes");
    scenario(s);
    grant(1, 4);
    struct hn_msg g = {.type = HN_MSG_GRANT};
    g.grant.first_user_id = 5;
    g.grant.n_ids = 2;
    g.grant.n_feeders = 1;
    g.grant.feeders[0].feeder = 0;
    g.grant.feeders[0].n_rows = 2;
    g.grant.feeders[0].first_row = 1;
    put(&g);
    target(1, 2, 2);
    target(2, 0, 2);
    fclose(out);

    begin(dir, "new-run");
    scenario(quick);
    grant(1, 3);
    target(1, 3, 1);
    struct hn_msg w = {.type = HN_MSG_WELCOME};
    snprintf(w.welcome.run_id, sizeof(w.welcome.run_id), "other");
    w.welcome.snapshot_interval_ms = 1000;
    put(&w);
    scenario(s);
    grant(1, 2);
    target(1, 1, 2);
    fclose(out);

    /* The open model, its rate dropped to 0, then a closed target. */
    begin(dir, "open-model");
    scenario(quick);
    grant(1, 5);
    open_target(1, 5, 1000);
    open_target(2, 5, 0);
    target(3, 5, 1);
    stop();
    fclose(out);

    hn_scenario_free(s);
    hn_scenario_free(quick);
    return 0;
}
