#!/usr/bin/env bash
# Scenario cost: requests per client CPU-second of the shop journey
# (templates, captures, JSON bodies, checks; tests/bench/shop-nowait.yaml)
# against quick mode's GET /, in the same run against the same hornet-target
# (1 thread on CPU 1; the engine on CPU 0), alternating. Prints each pair and
# the median of (quick req/CPU-s) / (scenario req/CPU-s): the scenario's CPU
# per request relative to quick mode's (goal: at most 1.3).
#
# Usage: tests/bench/scenario.sh [BUILD_DIR] (default: build-bench, release)
# Env:   PAIRS (default 5), SECONDS_PER_RUN (default 5), USERS (default 50)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
pairs=${PAIRS:-5}
secs=${SECONDS_PER_RUN:-5}
users=${USERS:-50}
. "$top/tests/bench/lib.sh"
bench_build tests/bench/engine-run tests/target/hornet-target
bench_target

# One run: prints "req_per_s req_per_cpu_s failures".
run() {
    local out
    out=$(taskset -c 0 "$build/tests/bench/engine-run" "$@" "$users" "$secs" 1)
    python3 - "$out" <<'PY'
import sys
kv = dict(p.split("=") for p in sys.argv[1].split())
print(kv["req_per_s"], kv["req_per_cpu_s"], kv["failures"])
PY
}

echo "Quick mode (GET /) vs the shop journey; hornet-target on CPU 1, engine on CPU 0;"
echo "$users users, $pairs alternating pairs of ${secs} s. cpu = engine user+sys seconds."
printf '%-5s %12s %14s %12s %14s %10s\n' pair "quick req/s" "quick req/cpu" "shop req/s" \
    "shop req/cpu" "cpu/req x"
ratios=()
for p in $(seq "$pairs"); do
    read -r q_rps q_cpu q_fail < <(run "$url/")
    read -r s_rps s_cpu s_fail < <(run --scenario "$top/tests/bench/shop-nowait.yaml" "$url")
    [ "$q_fail" = 0 ] && [ "$s_fail" = 0 ] || echo "warning: failures: quick $q_fail, shop $s_fail"
    r=$(python3 -c "print(f'{$q_cpu / $s_cpu:.3f}')")
    ratios+=("$r")
    printf '%-5s %12s %14s %12s %14s %10s\n' "$p" "$q_rps" "$q_cpu" "$s_rps" "$s_cpu" "$r"
done
med=$(python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "${ratios[@]}")
echo "RESULT shop journey CPU per request = ${med}x quick mode's (median of $pairs pairs; goal <= 1.3)"
