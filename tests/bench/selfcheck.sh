#!/usr/bin/env bash
# What the reports say when the load generator itself fails, measured with
# the real master, two workers (CPU 0) and hornet-target (1 thread, CPU 1).
#  1. Freeze: worker-2 is stopped for FREEZE seconds (default 6; SIGSTOP,
#     then SIGCONT: a paused VM) in the middle of the run. Printed: the
#     worker's own stall as the JSON report gives it (stalls, stalled_ms,
#     the generator warning), the latencies the freeze put in the totals
#     (p99.9, p99.99, max), and the requests the target served against
#     those counted.
#  2. kill -9: worker-2 is killed in the middle of the run. Printed: the
#     requests the target served against those counted (what the lost
#     worker had not reported yet), and the worker events the report gives.
# Timings decide nothing here: the figures are printed for the record.
#
# Usage: tests/bench/selfcheck.sh [BUILD_DIR] (default: build-bench, release)
# Env:   USERS (default 20, no wait), FREEZE (default 6)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
users=${USERS:-20}
freeze=${FREEZE:-6}
. "$top/tests/bench/lib.sh"
bench_build master/hornet-master worker/hornet-worker tests/target/hornet-target
bench_target

wpids=()
kill_workers() { for p in "${wpids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wpids=(); }
trap 'kill_workers; [ -n "${mpid:-}" ] && kill -KILL "$mpid" 2>/dev/null; bench_cleanup' EXIT

# Start the master (args passed through) and two workers; sets mpid, wpids.
start_run() {
    curl -s --max-time 5 -X POST "$url/__reset" >/dev/null
    : >"$work/err"
    taskset -c 0 "$build/master/hornet-master" -H "$url" --bind "tcp://127.0.0.1:*" \
        --expect-workers 2 --expect-workers-max-wait 20s -u "$users" -r "$users" \
        --only-summary --json "$work/r.json" "$@" / >"$work/out" 2>"$work/err" &
    mpid=$!
    local ep=
    for _ in $(seq 100); do
        ep=$(sed -n 's/.* waiting for [0-9]* workers\{0,1\} on \(tcp:[^ ]*\).*/\1/p' "$work/err")
        [ -n "$ep" ] && break
        sleep 0.05
    done
    [ -n "$ep" ] || { echo "hornet-master did not start"; cat "$work/err"; exit 1; }
    for i in 1 2; do
        taskset -c 0 "$build/worker/hornet-worker" --master "$ep" --threads 1 --id "worker-$i" \
            2>>"$work/worker.err" &
        wpids+=($!)
    done
    for _ in $(seq 200); do
        grep -q "workers joined" "$work/err" && return 0
        sleep 0.1
    done
    echo "the run did not start"; cat "$work/err"; exit 1
}
end_run() {
    wait "$mpid" || true
    mpid=
    kill_workers
    curl -s --max-time 5 "$url/__stats" >"$work/target.json"
}

echo "== worker-2 frozen for ${freeze} s (SIGSTOP, SIGCONT), $users users without wait, 2 workers"
start_run -t "$((freeze + 10))s"
sleep 4
kill -STOP "${wpids[1]}"
sleep "$freeze"
kill -CONT "${wpids[1]}"
end_run
python3 - "$work/r.json" "$work/target.json" <<'PY'
import json, sys
d, served = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["total"]
t, lat = d["totals"], d["totals"]["latency_us"]
w = {x["id"]: x for x in d["workers"]}["worker-2"]
p = lat["percentiles"]
print(f"worker-2: warnings {w['warnings']}, {w['stalls']} stall(s), stalled {w['stalled_ms']} ms, "
      f"loop lag max {w['loop_lag_ms_max']} ms, state {w['state']}")
for g in d["generator_warnings"]:
    print(f"  generator warning [{g['id']}/{g['kind']}]: {g['message']}")
print(f"latencies in the totals: p99.9 {p['99.9'] / 1000:.1f} ms, p99.99 {p['99.99'] / 1000:.1f} ms, "
      f"max {lat['max'] / 1000:.1f} ms")
n = t["requests"]
print(f"requests: served by the target {served}, counted {n} ({served - n} not counted)")
ev = [(e["time"][11:19], e["worker"], e["kind"]) for e in d["events"] if e["kind"] != "joined"]
print(f"worker-2: reports that never arrived: {w['reports_lost']}")
print(f"worker events: {ev}")
PY

echo
echo "== worker-2 killed (-9) after 5 s, $users users without wait, 2 workers"
start_run -t 10s
sleep 5
kill -KILL "${wpids[1]}"
end_run
python3 - "$work/r.json" "$work/target.json" <<'PY'
import json, sys
d, served = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["total"]
n = d["totals"]["requests"]
w = {x["id"]: x for x in d["workers"]}["worker-2"]
print(f"requests: served by the target {served}, counted {n}: {served - n} not counted "
      f"({(served - n) / served * 100:.2f} %)")
print(f"worker-2: state {w['state']}, final report {w['final_report']}, reports that never arrived {w['reports_lost']}")
ev = [(e["time"][11:19], e["worker"], e["kind"], e.get("detail")) for e in d["events"] if e["kind"] != "joined"]
print(f"worker events: {ev}")
for g in d["generator_warnings"]:
    print(f"  generator warning [{g['id']}/{g['kind']}]: {g['message']}")
PY
