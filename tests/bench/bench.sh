#!/usr/bin/env bash
# Engine benchmark: Hornet's engine on both transports (full libcurl
# transfers, and the fast path) against wrk, in the same run, alternating,
# on a local nginx, at 50 and 1,000 connections. Prints requests/s and
# requests per client CPU-second for each and the Hornet/wrk ratios as
# medians (and spreads) of the rounds; then 10,000 users on each transport
# reporting RSS and throughput. Ratios only: absolute figures depend on the
# machine. See tests/bench/README.md.
#
# Usage: tests/bench/bench.sh [BUILD_DIR] (default: build-bench, configured
#        with -Dbuildtype=release if missing)
# Env:   PAIRS (default 3), SECONDS_PER_RUN (default 5), USERS (user counts,
#        default "50 1000"), BIG_USERS (default 10000), PORT (default 18480)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
pairs=${PAIRS:-3}
secs=${SECONDS_PER_RUN:-5}
user_counts=${USERS:-50 1000}
small_users=${user_counts%% *}
big_users=${BIG_USERS:-10000}
port=${PORT:-18480}

need=()
for cmd in nginx wrk taskset /usr/bin/time python3 curl; do
    command -v "$cmd" >/dev/null || need+=("$cmd")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y -q nginx-light wrk util-linux time python3 curl >/dev/null
fi
if [ ! -x "$build/tests/bench/engine-run" ]; then
    [ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Dbuildtype=release >/dev/null
    ninja -C "$build" tests/bench/engine-run >/dev/null
fi
engine_run=$build/tests/bench/engine-run

work=$(mktemp -d)
cleanup() {
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# nginx (tests/bench/nginx.sh), with a 1 KB JSON document at /json.
python3 - "$work/data.json" <<'PY'
import json, sys
items = [{"id": i, "name": "Product %d" % i, "price": round(i * 1.37, 2)} for i in range(1, 21)]
doc = json.dumps({"data": items, "page": 1})
open(sys.argv[1], "w").write(doc[:1024])
PY
. "$top/tests/bench/nginx.sh"
bench_nginx "$port" "location = /json { default_type application/json; alias $work/data.json; }"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# One wrk run: prints "req_per_s req_per_cpu_s".
run_wrk() {
    local url=$1 users=$2 out
    out=$(/usr/bin/time -f "cpu %U %S" taskset -c 0 wrk -t1 -c"$users" -d"${secs}s" "$url" 2>&1)
    python3 - "$out" "$secs" <<'PY'
import re, sys
out, secs = sys.argv[1], float(sys.argv[2])
n = int(re.search(r"(\d+) requests in", out).group(1))
wall = float(re.search(r"requests in ([\d.]+)(m?s)", out).group(1))
u, s = map(float, re.search(r"cpu ([\d.]+) ([\d.]+)", out).groups())
print(f"{n / secs:.0f} {n / (u + s):.0f}")
PY
}

# One Hornet engine run (1 thread, pinned to CPU 0) on transport $3 (curl or
# fast): prints "req_per_s req_per_cpu_s max_rss_kb failures".
run_hornet() {
    local url=$1 users=$2 engine=$3 out
    out=$(taskset -c 0 "$engine_run" --engine "$engine" "$url" "$users" "$secs" 1)
    python3 - "$out" <<'PY'
import sys
kv = dict(p.split("=") for p in sys.argv[1].split())
print(kv["req_per_s"], kv["req_per_cpu_s"], kv["max_rss_kb"], kv["failures"])
PY
}

median() { python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }
spread() { python3 -c 'import sys; v=sorted(map(float, sys.argv[1:])); print(f"{v[0]:.3f}-{v[-1]:.3f}")' "$@"; }
ratio() { python3 -c "print(f'{$1 / $2:.3f}')"; }

echo "Hornet engine (curl and fast transports) vs wrk on nginx (1 worker, CPU 1); clients on"
echo "CPU 0; $pairs alternating rounds of ${secs} s per endpoint and user count."
echo "cpu = client user+sys seconds; x = Hornet/wrk."
printf '%-6s %-6s %-5s %11s %11s %11s %11s %11s %11s %7s %7s %7s %7s\n' path users round \
    "wrk req/s" "wrk r/cpu" "curl req/s" "curl r/cpu" "fast req/s" "fast r/cpu" \
    "curl x" "fast x" "curl xc" "fast xc"
for path in / /json; do
    url="http://127.0.0.1:$port$path"
    for users in $user_counts; do
        c_rps=() c_cpu=() f_rps=() f_cpu=()
        for p in $(seq "$pairs"); do
            read -r w_rps w_cpu < <(run_wrk "$url" "$users")
            read -r hc_rps hc_cpu _ hc_fail < <(run_hornet "$url" "$users" curl)
            read -r hf_rps hf_cpu _ hf_fail < <(run_hornet "$url" "$users" fast)
            [ "$hc_fail" = 0 ] || echo "warning: curl transport saw $hc_fail failures"
            [ "$hf_fail" = 0 ] || echo "warning: fast transport saw $hf_fail failures"
            c_rps+=("$(ratio "$hc_rps" "$w_rps")") c_cpu+=("$(ratio "$hc_cpu" "$w_cpu")")
            f_rps+=("$(ratio "$hf_rps" "$w_rps")") f_cpu+=("$(ratio "$hf_cpu" "$w_cpu")")
            printf '%-6s %-6s %-5s %11s %11s %11s %11s %11s %11s %7s %7s %7s %7s\n' "$path" \
                "$users" "$p" "$w_rps" "$w_cpu" "$hc_rps" "$hc_cpu" "$hf_rps" "$hf_cpu" \
                "${c_rps[-1]}" "${f_rps[-1]}" "${c_cpu[-1]}" "${f_cpu[-1]}"
        done
        echo "RESULT $path $users users: requests per client CPU-second vs wrk: curl median" \
            "$(median "${c_cpu[@]}") ($(spread "${c_cpu[@]}")), fast median $(median "${f_cpu[@]}")" \
            "($(spread "${f_cpu[@]}")); requests/s vs wrk: curl $(median "${c_rps[@]}")," \
            "fast $(median "${f_rps[@]}")"
    done
done

echo
echo "Many users: $big_users users, 1 engine thread, GET /, ${secs} s (vs $small_users users just before)"
for engine in curl fast; do
    read -r small_rps _ _ _ < <(run_hornet "http://127.0.0.1:$port/" "$small_users" "$engine")
    read -r big_rps _ big_rss big_fail < <(run_hornet "http://127.0.0.1:$port/" "$big_users" "$engine")
    echo "RESULT $big_users users, $engine: $big_rps req/s (vs $small_rps with $small_users users:" \
        "$(python3 -c "print(f'{$big_rps / $small_rps:.2f}')")x), peak RSS $((big_rss / 1024)) MB," \
        "failures $big_fail"
done
