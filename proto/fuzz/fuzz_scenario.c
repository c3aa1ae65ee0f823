/* libFuzzer target for the scenario blob decoder (proto/scenario_decode.c):
 * any bytes must decode to an error with a reason, or to a scenario that
 * re-encodes canonically. Build: meson setup -Dfuzz=enabled with CC=clang;
 * run: fuzz-scenario proto/fuzz/corpus-scenario */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "scenario_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hn_fuzz_check_scenario(data, size);
    return 0;
}
