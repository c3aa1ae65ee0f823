#!/usr/bin/env bash
# Short libFuzzer run for CI: FUZZER for SECONDS, starting from the seed
# corpora SEEDS (and MORE_SEEDS). New inputs and crash artifacts go to a
# temporary directory, never into the source tree. Fails if the fuzzer
# finds a crash.
# Usage: smoke.sh FUZZER SEEDS SECONDS [MORE_SEEDS...]
set -euo pipefail
fuzzer=$1 seeds=$2 secs=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
"$fuzzer" -max_total_time="$secs" -seed=1 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "$seeds" "$@" 2>&1 | tail -n 12
status=${PIPESTATUS[0]}
if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
    echo "fuzzer found a problem:"; ls "$work"
    exit 1
fi
exit "$status"
