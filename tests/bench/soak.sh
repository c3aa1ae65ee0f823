#!/usr/bin/env bash
# Soak bench: one long run (default 30 minutes) of hornet-master with local
# workers against hornet-target, sampling the resident memory (RSS) of the
# master and of each worker every 10 s, and reporting each one's RSS slope
# (least squares, KiB per minute, after a warm-up). A leak shows as a slope
# that stays positive however long the run. Not run by CI; see README.md.
#
# Usage: tests/bench/soak.sh [BUILD_DIR] (default: build-bench, configured
#        with -Dbuildtype=release if missing)
# Env:   MINUTES (default 30), USERS (default 50), WORKERS (default 2),
#        URL_PATH (default /delay?ms=20), SAMPLE_S (default 10),
#        WARMUP_S (default: the first tenth of the run, at most 120)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
minutes=${MINUTES:-30}
users=${USERS:-50}
workers=${WORKERS:-2}
path=${URL_PATH:-/delay?ms=20}
sample_s=${SAMPLE_S:-10}
run_s=$((minutes * 60))
warmup_s=${WARMUP_S:-$((run_s / 10 < 120 ? run_s / 10 : 120))}

if [ ! -x "$build/master/hornet-master" ] || [ ! -x "$build/tests/target/hornet-target" ]; then
    [ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Dbuildtype=release >/dev/null
    ninja -C "$build" master/hornet-master worker/hornet-worker tests/target/hornet-target >/dev/null
fi

work=$(mktemp -d)
target_pid="" master_pid=""
cleanup() {
    for p in $master_pid $target_pid; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$build/tests/target/hornet-target" --listen 127.0.0.1:0 --threads 2 >"$work/target.out" 2>&1 &
target_pid=$!
for _ in $(seq 100); do
    url=$(sed -n 's/^hornet-target listening on //p' "$work/target.out")
    [ -n "$url" ] && break
    sleep 0.05
done
[ -n "${url:-}" ] || { echo "soak: hornet-target did not start"; exit 1; }

echo "soak: $minutes min, $users users, $workers local workers, GET $path; RSS every ${sample_s} s"
"$build/master/hornet-master" --bind 'tcp://127.0.0.1:*' -H "$url" -u "$users" -r "$users" \
    -t "${run_s}s" --local-workers "$workers" --only-summary "$path" >"$work/master.out" \
    2>"$work/master.err" &
master_pid=$!

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
start=$SECONDS
: >"$work/samples"
while kill -0 "$master_pid" 2>/dev/null; do
    t=$((SECONDS - start))
    line="$t m=$(rss_kib "$master_pid")"
    for w in $(ps -o pid= --ppid "$master_pid" 2>/dev/null); do
        line="$line w$w=$(rss_kib "$w")"
    done
    echo "$line" >>"$work/samples"
    sleep "$sample_s"
done
rc=0
wait "$master_pid" || rc=$?
master_pid=""

python3 - "$work/samples" "$warmup_s" <<'PY'
import sys
series = {}
for line in open(sys.argv[1]):
    f = line.split()
    t = int(f[0])
    for kv in f[1:]:
        k, v = kv.split("=")
        if int(v) > 0:
            series.setdefault(k, []).append((t, int(v)))
warmup = int(sys.argv[2])
def slope(pts):
    n = len(pts)
    if n < 2:
        return float("nan")
    mt = sum(t for t, _ in pts) / n
    mv = sum(v for _, v in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    return sum((t - mt) * (v - mv) for t, v in pts) / var * 60 if var else 0.0

print(f"{'process':10} {'samples':>7} {'first KiB':>10} {'last KiB':>10} {'peak KiB':>10} "
      f"{'slope KiB/min':>14} {'2nd half':>9}")
for k, pts in series.items():
    name = "master" if k == "m" else "worker " + k[1:]
    use = [(t, v) for t, v in pts if t >= warmup] or pts
    half = pts[len(pts) // 2:]
    print(f"{name:10} {len(use):7} {pts[0][1]:10} {pts[-1][1]:10} {max(v for _, v in pts):10} "
          f"{slope(use):14.1f} {slope(half):9.1f}")
print(f"(slopes over the samples after the first {warmup} s, and over the second half)")
PY
total=$(curl -s --max-time 5 "$url/__stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])' || echo "?")
echo "soak: master exit code $rc; the target served $total requests"
grep -E "error|warn" "$work/master.err" | head -5 || true
exit "$rc"
