/* libFuzzer target: the scenario loader (YAML → model → blob → model) on
 * hostile text. Every input must end in a loaded scenario that encodes and
 * decodes back, or in a FILE:LINE:COL error; never a crash, a leak, or an
 * error without a position. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_codec.h"
#include "scenario_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hn_load_options opt = {.no_files = true};
    struct hn_scenario *s = NULL;
    char err[1024];
    int rc = hn_scenario_load_text("fuzz.yaml", (const char *)data, size, &opt, &s, NULL, err,
                                   sizeof(err));
    unsigned line, col;
    if (rc > 0 && sscanf(err, "fuzz.yaml:%u:%u: ", &line, &col) != 2)
        abort(); /* every refusal names its position */
    if (rc)
        return 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (hn_scenario_encode(s, &buf) == 0) {
        struct hn_scenario *back = NULL;
        char why[256];
        /* What the master accepts, its workers must accept too. */
        if (hn_scenario_decode(buf.data, buf.size, &back, why, sizeof(why)) != 0 ||
            hn_scenario_finalize(back, why, sizeof(why)) != 0)
            abort();
        hn_scenario_free(back);
    }
    msgpack_sbuffer_destroy(&buf);
    hn_scenario_free(s);
    return 0;
}
