#!/usr/bin/env bash
# Engine benchmark: Hornet's engine against wrk, in the same run, alternating,
# on a local nginx. Prints requests/s and requests per client CPU-second for
# each tool and the Hornet/wrk ratio as the median of the pairs; then one run
# with 10,000 users reporting RSS and throughput. Ratios only: absolute
# figures depend on the machine. See tests/bench/README.md.
#
# Usage: tests/bench/bench.sh [BUILD_DIR] (default: build-bench, configured
#        with -Dbuildtype=release if missing)
# Env:   PAIRS (default 3), SECONDS_PER_RUN (default 5), USERS (default 50),
#        BIG_USERS (default 10000), PORT (default 18480)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
pairs=${PAIRS:-3}
secs=${SECONDS_PER_RUN:-5}
users=${USERS:-50}
big_users=${BIG_USERS:-10000}
port=${PORT:-18480}

need=()
for cmd in nginx wrk taskset /usr/bin/time python3; do
    command -v "$cmd" >/dev/null || need+=("$cmd")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y -q nginx-light wrk util-linux time python3 >/dev/null
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

# nginx: one worker pinned to CPU 1, no access log, keep-alive without limit.
python3 - "$work/data.json" <<'PY'
import json, sys
items = [{"id": i, "name": "Product %d" % i, "price": round(i * 1.37, 2)} for i in range(1, 21)]
doc = json.dumps({"data": items, "page": 1})
open(sys.argv[1], "w").write(doc[:1024])
PY
mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
worker_cpu_affinity 10;
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 32768; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path $work;
    proxy_temp_path $work;
    fastcgi_temp_path $work;
    uwsgi_temp_path $work;
    scgi_temp_path $work;
    server {
        listen 127.0.0.1:$port backlog=8192;
        location = / { return 200 "ok\n"; }
        location = /json { default_type application/json; alias $work/data.json; }
    }
}
EOF
nginx -p "$work" -c "$work/nginx.conf"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# One wrk run: prints "req_per_s req_per_cpu_s".
run_wrk() {
    local url=$1 out
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

# One Hornet engine run (1 thread, pinned to CPU 0).
run_hornet() {
    local url=$1 users=$2 out
    out=$(taskset -c 0 "$engine_run" "$url" "$users" "$secs" 1)
    python3 - "$out" <<'PY'
import sys
kv = dict(p.split("=") for p in sys.argv[1].split())
print(kv["req_per_s"], kv["req_per_cpu_s"], kv["max_rss_kb"], kv["failures"])
PY
}

median() { python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }

echo "Hornet engine vs wrk on nginx (1 worker, CPU 1); clients on CPU 0; $users connections;"
echo "$pairs alternating pairs of ${secs} s per endpoint. cpu = client user+sys seconds."
printf '%-6s %-5s %12s %14s %12s %14s %8s %8s\n' path pair "wrk req/s" "wrk req/cpu-s" \
    "hornet req/s" "hornet req/cpu" "rps x" "cpu x"
for path in / /json; do
    url="http://127.0.0.1:$port$path"
    rps_ratios=() cpu_ratios=()
    for p in $(seq "$pairs"); do
        read -r w_rps w_cpu < <(run_wrk "$url")
        read -r h_rps h_cpu _ h_fail < <(run_hornet "$url" "$users")
        [ "$h_fail" = 0 ] || echo "warning: hornet saw $h_fail failures"
        r1=$(python3 -c "print(f'{$h_rps / $w_rps:.3f}')")
        r2=$(python3 -c "print(f'{$h_cpu / $w_cpu:.3f}')")
        rps_ratios+=("$r1") cpu_ratios+=("$r2")
        printf '%-6s %-5s %12s %14s %12s %14s %8s %8s\n' "$path" "$p" "$w_rps" "$w_cpu" \
            "$h_rps" "$h_cpu" "$r1" "$r2"
    done
    echo "RESULT $path: hornet/wrk requests/s median $(median "${rps_ratios[@]}"), requests per client CPU-second median $(median "${cpu_ratios[@]}")"
done

echo
echo "Many users: $big_users users, 1 engine thread, GET /, ${secs} s (vs $users users just before)"
read -r small_rps _ _ _ < <(run_hornet "http://127.0.0.1:$port/" "$users")
read -r big_rps _ big_rss big_fail < <(run_hornet "http://127.0.0.1:$port/" "$big_users")
echo "RESULT $big_users users: $big_rps req/s (vs $small_rps with $users users: $(python3 -c "print(f'{$big_rps / $small_rps:.2f}')")x), peak RSS $((big_rss / 1024)) MB, failures $big_fail"
