#!/usr/bin/env bash
# TLS connection set-up: hornet-target over HTTPS (a certificate signed by a
# CA made here; the scenario trusts it with tls.ca_file), 1 thread on CPU 1;
# the engine on CPU 0.
#  - first-request latency: USERS users start at once, each makes one request
#    in on_start ("first": DNS, connect, TLS handshake, request), then
#    requests on its open connection ("warm"); p50/p99/max of both;
#  - new-connection rate: GET /close answers with Connection: close, so
#    every request is a new TLS connection; requests/s and per client
#    CPU-second, against the same over plain HTTP (the TLS cost ratio).
# Usage: tests/bench/tls.sh [BUILD_DIR] (default build-bench, release)
# Env: USERS (default 50), SECONDS_PER_RUN (default 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
users=${USERS:-50}
secs=${SECONDS_PER_RUN:-5}
if [ ! -x "$build/tests/bench/engine-run" ] || [ ! -x "$build/tests/target/hornet-target" ]; then
    [ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Dbuildtype=release >/dev/null
    ninja -C "$build" tests/bench/engine-run tests/target/hornet-target >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" -keyout ca.key \
    -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout s.key -out s.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext \
    -out s.pem 2>/dev/null
start() { # name, args...: the URL goes to $work/NAME.url (not in a subshell: pids)
    local name=$1
    shift
    taskset -c 1 "$build/tests/target/hornet-target" --listen 127.0.0.1:0 --threads 1 "$@" \
        >"$work/$name.out" </dev/null &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q listening "$work/$name.out" && break
        sleep 0.05
    done
    sed -n 's/^hornet-target listening on //p' "$work/$name.out" >"$work/$name.url"
}
start tls --tls-cert s.pem --tls-key s.key
start plain
https=$(cat "$work/tls.url")
http=$(cat "$work/plain.url")
cat >first.yaml <<EOF2
tls: {ca_file: ca.pem}
users:
  - name: u
    on_start: [{get: /health, name: first}]
    tasks: [{get: /health, name: warm}]
EOF2
cat >close.yaml <<EOF2
tls: {ca_file: ca.pem}
users:
  - tasks: [{get: /close}]
EOF2
kv() { python3 -c 'import sys; kv=dict(p.split("=",1) for p in sys.argv[1].split()); print(" ".join(kv[k] for k in sys.argv[2:]))' "$@"; }
out=$(taskset -c 0 "$build/tests/bench/engine-run" --entries --scenario first.yaml "$https" "$users" 3 1)
first=$(grep '^entry=first ' <<<"$out")
warm=$(grep '^entry=warm ' <<<"$out")
read -r f50 f99 fmax fcount < <(kv "$first" p50_us p99_us max_us count)
read -r w50 w99 wmax < <(kv "$warm" p50_us p99_us max_us)
echo "RESULT first request of $users users starting at once over TLS: p50 $((f50 / 1000)).$(( (f50 % 1000) / 100 )) ms, p99 $((f99 / 1000)).$(( (f99 % 1000) / 100 )) ms, max $((fmax / 1000)).$(( (fmax % 1000) / 100 )) ms ($fcount users); then on the open connection p50 ${w50} us, p99 ${w99} us"
tls_line=$(taskset -c 0 "$build/tests/bench/engine-run" --scenario close.yaml "$https" "$users" "$secs" 1 | head -n 1)
plain_line=$(taskset -c 0 "$build/tests/bench/engine-run" "$http/close" "$users" "$secs" 1 | head -n 1)
read -r t_rps t_cpu t_fail < <(kv "$tls_line" req_per_s req_per_cpu_s failures)
read -r p_rps p_cpu p_fail < <(kv "$plain_line" req_per_s req_per_cpu_s failures)
echo "RESULT new connection per request (Connection: close): TLS $t_rps conn/s, $t_cpu per client CPU-s (failures $t_fail); plain HTTP $p_rps conn/s, $p_cpu per CPU-s (failures $p_fail)"
