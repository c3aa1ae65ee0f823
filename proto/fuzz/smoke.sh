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
# libFuzzer exits 77 on a crash by default, which meson takes for "skipped":
# a crash must fail the test, so any error exits 1.
status=0
"$fuzzer" -max_total_time="$secs" -seed=1 -max_len=65536 -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -artifact_prefix="$work/" "$work/corpus" "$seeds" "$@" >"$work/log" 2>&1 || status=$?
tail -n 40 "$work/log"
if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
    echo "fuzzer found a problem:"; ls "$work"
    exit 1
fi
[ "$status" = 0 ] || { echo "fuzzer exited with $status"; exit 1; }
