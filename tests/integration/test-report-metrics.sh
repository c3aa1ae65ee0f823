#!/usr/bin/env bash
# --metrics-bind: Prometheus metrics scraped during a real run (2 local
# workers), checked with promtool (Debian's prometheus package): the
# exposition is valid, the counters and histograms agree with each other,
# users and workers are there, and the server answers only /metrics. A bad
# address is refused before the run (exit 2).
. "$(dirname "$0")/master_lib.sh"

command -v promtool >/dev/null || { fail "promtool is missing (Debian package prometheus)"; finish; }
rc=0
"$HORNET_MASTER" -H http://127.0.0.1:1 --metrics-bind 127.0.0.1:99999 / >/dev/null 2>"$work/bad.err" || rc=$?
check "a bad --metrics-bind is refused with exit 2 (got $rc)" [ "$rc" = 2 ]
check "with the reason" grep -q "metrics-bind wants HOST:PORT" "$work/bad.err"

start_target
# A run without a length, ended on SIGTERM once the checks that need it
# running are done (a 10 s run could end before them on a busy machine).
start_hmaster -H "$target_url" -u 4 -r 4 --local-workers 2 --worker-threads 1 \
    --metrics-bind 127.0.0.1:0 --only-summary / '/delay?ms=5'
wait_log "Prometheus metrics on http://" 10 || fail "no metrics address in the log"
url=$(sed -n 's/.*Prometheus metrics on \(http:[^ ]*\).*/\1/p' "$work/master.err" | head -n 1)
echo "scraping $url"
# Scrape until requests are counted (bounded), as Prometheus would.
deadline=$((SECONDS + 30)) got=0
while [ $SECONDS -lt $deadline ]; do
    if curl -sf --max-time 5 -D "$work/headers" "$url" >"$work/metrics.txt" &&
        grep -Eq '^hornet_requests_total\{method="GET",name="/"\} [1-9]' "$work/metrics.txt" &&
        grep -q '^hornet_workers 2$' "$work/metrics.txt" &&
        grep -Eq '^hornet_users [1-9]' "$work/metrics.txt"; then
        got=1; break
    fi
    sleep 0.5
done
check "a scrape during the run counts requests" [ "$got" = 1 ]
# (While the run lasts: the checks of the text below come after.)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${url%/metrics}/other" || true)
check "other paths are 404 (got $code)" [ "$code" = 404 ]
code=$(curl -s -o /dev/null -D "$work/post.headers" -w '%{http_code}' --max-time 5 -X POST "$url" || true)
check "POST is 405 (got $code) with an Allow header" \
    grep -qi '^Allow: GET, HEAD' "$work/post.headers"
# Bound to loopback, it answers requests that name it by address or as
# localhost, not a page of another site whose name was rebound to
# 127.0.0.1 (DNS rebinding).
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: attacker.example:80' "$url" || true)
check "a request naming another host is 403 (got $code)" [ "$code" = 403 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: localhost:9' "$url" || true)
check "one naming localhost is served (got $code)" [ "$code" = 200 ]
# Scrapes still answered with 1,100 more descriptors in the master (its
# workers' connections: a thousand workers) and 100 scrapers that never
# finish their request: libmicrohttpd's select() served no descriptor
# above 1,023, and 16 slow clients kept every other one out (with 100 of
# them, the scrape would wait a minute for its turn: more than the 30 s a
# loaded machine may take to answer it).
"$PY" - "${master_ep##*:}" "${url#http://}" "$url" <<'PY' && pass "a scrape with 1,100 connections to the master and 100 slow scrapers: 200" || fail "metrics under many descriptors and slow scrapers"
import resource, socket, sys, urllib.request
zmq_port, metrics_hostport, url = int(sys.argv[1]), sys.argv[2].split("/")[0], sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
held = [socket.create_connection(("127.0.0.1", zmq_port)) for _ in range(1100)]
mhost, mport = metrics_hostport.rsplit(":", 1)
slow = []
for _ in range(100):
    c = socket.create_connection((mhost, int(mport)))
    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and nothing more
    slow.append(c)
try:
    with urllib.request.urlopen(url, timeout=30) as r:  # a loaded machine: slow, not stuck
        body = r.read()
    print(f"status {r.status}, {len(body)} bytes")
    sys.exit(0 if r.status == 200 and b"hornet_requests_total" in body else 1)
except Exception as e:
    print(f"scrape failed: {e}")
    sys.exit(1)
PY
check "content type of the text format" grep -qi '^content-type: text/plain; version=0.0.4' "$work/headers"
if promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1; then
    pass "promtool check metrics: valid"
else
    fail "promtool check metrics: $(head -n 10 "$work/promtool.out")"
fi
"$PY" - "$work/metrics.txt" <<'PY' || fail "the metrics disagree with each other"
import re, sys
samples = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    name_labels, value = line.rsplit(" ", 1)
    samples[name_labels] = float(value)
ok = True
def report(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok &= bool(cond)
users = samples.get("hornet_users", 0)
report(users > 0, f"hornet_users {users}")
for name in ("/", "/delay?ms=5"):
    lab = f'method="GET",name="{name}"'
    total = samples.get(f"hornet_requests_total{{{lab}}}")
    count = samples.get(f"hornet_request_duration_seconds_count{{{lab}}}")
    buckets = sorted((float(m.group(1)) if m.group(1) != "+Inf" else float("inf"), v)
                     for k, v in samples.items()
                     for m in [re.match(r'hornet_request_duration_seconds_bucket\{' + re.escape(lab) + r',le="([^"]+)"\}$', k)] if m)
    report(total is not None and total == count and buckets and buckets[-1][1] == count,
           f"{name}: requests_total {total} == histogram count {count} == +Inf bucket")
    counts = [v for _, v in buckets]
    report(counts == sorted(counts), f"{name}: buckets cumulative")
    if name == "/delay?ms=5":
        le5 = dict(buckets).get(0.005, 0)
        report(le5 < count, f"{name}: fewer requests within 5 ms ({le5}) than in all ({count})")
w = [k for k in samples if k.startswith("hornet_worker_up{")]
report(len(w) == 2 and all(samples[k] == 1 for k in w), f"two workers up: {w}")
report(any(k.startswith("hornet_worker_cpu_ratio{") for k in samples), "worker CPU exposed")
report("hornet_dropped_iterations_total" in samples, "dropped iterations exposed")
sys.exit(0 if ok else 1)
PY
# A port another process listens on: the master cannot serve metrics there.
port=$(free_port)
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close(); time.sleep(30)' "$port" "$work/holding" &
pids+=($!)
for _ in $(seq 300); do [ -f "$work/holding" ] && break; sleep 0.1; done
[ -f "$work/holding" ] || fail "the process holding port $port did not start"
rc=0
"$HORNET_MASTER" --bind 'tcp://127.0.0.1:*' -H http://127.0.0.1:1 --metrics-bind "127.0.0.1:$port" / \
    >/dev/null 2>"$work/busy.err" || rc=$?
check "a metrics port in use: exit 3 (got $rc)" [ "$rc" = 3 ]
check "with the reason" grep -q "cannot serve metrics on 127.0.0.1:$port" "$work/busy.err"
kill -TERM "$hmaster_pid" # a run without a length: SIGTERM is its end
wait_master 60
check "the run ends normally (exit $master_rc)" [ "$master_rc" = 0 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
check "the metrics server is gone with the master (got $code)" [ "$code" = 000 ]
finish
