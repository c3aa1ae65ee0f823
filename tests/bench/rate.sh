#!/usr/bin/env bash
# Open-model rate accuracy, through the real master and workers.
#  1. Closed-model capacity C: USERS users without wait on one worker with
#     one engine thread (CPU 0; hornet-target with 1 thread on CPU 1).
#  2. The open model at 20 %, 50 % and 80 % of C (max users = USERS): the
#     iterations started against rate × time, dropped iterations, and the
#     99th percentile from the intended start against the service time's.
#  3. A constant 2,000/s for LONG_SECONDS (default 60) over 1 worker and
#     over 3 workers: iterations against 2,000 × LONG_SECONDS (goal: within
#     0.5 %, none dropped).
# Timings decide nothing here: the figures are printed for the record.
#
# Usage: tests/bench/rate.sh [BUILD_DIR] (default: build-bench, release)
# Env:   SECONDS_PER_RUN (default 10), USERS (default 50), LONG_SECONDS (60)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
secs=${SECONDS_PER_RUN:-10}
users=${USERS:-50}
long=${LONG_SECONDS:-60}
. "$top/tests/bench/lib.sh"
bench_build master/hornet-master worker/hornet-worker tests/target/hornet-target
bench_target

# One run of the master (and its local workers) on CPU 0, args passed
# through; prints "requests dropped p99_intended_ms p99_service_ms" (the
# last two from the summary's line giving both, from the same run).
run() {
    local prefix="$work/r$RANDOM"
    taskset -c 0 "$build/master/hornet-master" -H "$url" --bind "tcp://127.0.0.1:$((20000 + RANDOM % 10000))" \
        --only-summary --csv "$prefix" "$@" / >"$work/out" 2>"$work/err" || true
    python3 - "$prefix" "$work/err" <<'PY'
import csv, re, sys
agg = [r for r in csv.DictReader(open(sys.argv[1] + "_stats.csv", newline="")) if r["Name"] == "Aggregated"][0]
log = open(sys.argv[2]).read()
m = re.search(r"Dropped iterations: (\d+)", log)
both = re.search(r"from the intended start [0-9.]+ / ([0-9.]+) / [0-9.]+ ms; service time [0-9.]+ / ([0-9.]+)", log)
print(agg["Request Count"], m.group(1) if m else 0, *(both.groups() if both else ("-", "-")))
PY
}

read -r n _ _ _ < <(run -u "$users" -r 100000 -t "${secs}s" --local-workers 1 --worker-threads 1)
cap=$(python3 -c "print(round($n / $secs))")
echo "Closed model, $users users without wait, 1 worker, 1 engine thread: $cap req/s (C)"
echo
printf '%-8s %10s %12s %12s %9s %8s %16s %14s\n' "of C" "rate/s" "iterations" "want" "error" \
    "dropped" "p99 intended" "p99 service"
for f in 0.2 0.5 0.8; do
    rate=$(python3 -c "print(round($cap * $f))")
    read -r n dropped p99i p99s < <(run --rate "$rate/s" --max-users "$users" -t "${secs}s" --local-workers 1 --worker-threads 1)
    want=$((rate * secs))
    err=$(python3 -c "print(f'{($n - $want) / $want * 100:+.2f} %')")
    printf '%-8s %10s %12s %12s %9s %8s %13s ms %11s ms\n' "$(python3 -c "print(f'{$f:.0%}')")" \
        "$rate" "$n" "$want" "$err" "$dropped" "$p99i" "$p99s"
done
echo
for w in 1 3; do
    read -r n dropped _ _ < <(run --rate 2000/s -t "${long}s" --local-workers "$w" --worker-threads 1)
    want=$((2000 * long))
    err=$(python3 -c "print(f'{($n - $want) / $want * 100:+.3f} %')")
    echo "2,000/s for ${long} s over $w worker(s): $n iterations (want $want, $err), dropped $dropped"
done
