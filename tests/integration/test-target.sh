#!/usr/bin/env bash
# Integration test of hornet-target: start it on a free loopback port, drive
# every endpoint with curl (status codes and bodies), check the exact request
# counters, feed it garbage, and stop it with SIGTERM. Prints each failed
# check and exits non-zero if any failed.
# Usage: HORNET_TARGET=build/tests/target/hornet-target test-target.sh
set -euo pipefail
. "$(dirname "$0")/../python.sh"

TARGET=${HORNET_TARGET:-}
if [[ -z $TARGET || ! -x $TARGET ]]; then
    echo "test-target: set HORNET_TARGET to the hornet-target executable" >&2
    exit 1
fi

WORK=$(mktemp -d)
BODY=$WORK/body
PID=
FAILURES=0
CHECKS=0
declare -A EXPECT # path -> requests the server should have counted

cleanup() {
    if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

# Note one request to PATH (query string dropped) in the expected counters.
count() {
    local path=${1%%\?*}
    if [[ $path != /__stats && $path != /__reset ]]; then
        EXPECT[$path]=$((${EXPECT[$path]:-0} + 1))
    fi
}

# http WANT METHOD PATH [curl args...]: one request, body saved in $BODY.
http() {
    local want=$1 method=$2 path=$3 got
    shift 3
    CHECKS=$((CHECKS + 1))
    count "$path"
    local how=(-X "$method")
    [[ $method == HEAD ]] && how=(-I)
    got=$(curl -s "${how[@]}" -o "$BODY" -w '%{http_code}' --max-time 10 "$@" "$BASE$path") ||
        got="curl exit $?"
    if [[ $got != "$want" ]]; then
        fail "$method $path: status $got, want $want; body: $(head -c 300 "$BODY" | tr -d '\0')"
    fi
}

# body_is TEXT: the last body is exactly TEXT.
body_is() {
    if ! printf '%s' "$1" | cmp -s - "$BODY"; then
        fail "body is '$(head -c 300 "$BODY")', want '$1'"
    fi
}

# json_ok EXPR: the last body is JSON and the python expression EXPR over it
# (named d) is true.
json_ok() {
    if ! "$PY" - "$BODY" "$1" <<'EOF'; then
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit("not JSON (%s): %r" % (e, open(sys.argv[1], "rb").read()[:300]))
if not eval(sys.argv[2]):
    sys.exit("false: %s for %s" % (sys.argv[2], json.dumps(d)[:300]))
EOF
        fail "json check: $1"
    fi
}

# raw BYTES [SECONDS]: send BYTES (printf %b escapes) on a fresh connection
# and print what comes back until the server closes it, for at most
# SECONDS (1: malformed requests may just be left hanging). Exit status
# 124 when the connection was still open then.
raw() {
    timeout "${2:-1}" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "%b" "$1" >&3 && cat <&3' \
        "$PORT" "$1" 2>/dev/null
}

# stats_are JSON: GET /__stats equals JSON ({"total": n, "paths": {...}}).
stats_are() {
    curl -s --max-time 5 -o "$BODY" "$BASE/__stats" || true
    if ! "$PY" - "$BODY" "$1" <<'EOF'; then
import json, sys
got, want = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
if got != want:
    sys.exit("stats %s, want %s" % (json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)))
EOF
        fail "/__stats mismatch"
    fi
}

expected_stats() {
    local total=0 lines="" path
    for path in "${!EXPECT[@]}"; do
        total=$((total + EXPECT[$path]))
        lines+="$path"$'\t'"${EXPECT[$path]}"$'\n'
    done
    printf '%s' "$lines" | "$PY" -c '
import json, sys
paths = {}
for line in sys.stdin.read().splitlines():
    p, n = line.split("\t")
    paths[p] = int(n)
print(json.dumps({"total": sum(paths.values()), "paths": paths}))'
}

now_ms() { date +%s%3N; }

# --- command line --------------------------------------------------------

"$TARGET" --help >"$WORK/help" || fail "--help exit $?"
for flag in --listen --threads --max-connections --idle-timeout --log-errors --help; do
    grep -q -- "$flag" "$WORK/help" || fail "--help does not document $flag"
done
rc=0
timeout 5 "$TARGET" --no-such-flag 2>/dev/null || rc=$?
[[ $rc == 2 ]] || fail "unknown flag: exit $rc, want 2"
rc=0
timeout 5 "$TARGET" --listen 127.0.0.1:99999 2>/dev/null || rc=$?
[[ $rc == 2 ]] || fail "bad port: exit $rc, want 2"
rc=0
timeout 5 "$TARGET" --threads zero 2>/dev/null || rc=$?
[[ $rc == 2 ]] || fail "bad --threads: exit $rc, want 2"
rc=0
timeout 5 "$TARGET" --listen 2>"$WORK/noval.err" || rc=$?
[[ $rc == 2 ]] && grep -qx "hornet-target: --listen needs a value; see --help" "$WORK/noval.err" ||
    fail "--listen without a value: exit $rc, $(cat "$WORK/noval.err")"
# Files that are no certificate: exit 3 and why (a sanitizer build leaked
# the files' buffers here and exited 1); a file it cannot read: exit 2.
rc=0
timeout 5 "$TARGET" --listen 127.0.0.1:0 --tls-cert /etc/hostname --tls-key /etc/hostname \
    2>"$WORK/tls.err" || rc=$?
[[ $rc == 3 ]] || fail "non-PEM --tls-cert: exit $rc, want 3: $(head -c 300 "$WORK/tls.err")"
grep -q "is --tls-cert a PEM certificate" "$WORK/tls.err" || fail "non-PEM --tls-cert: no reason given"
rc=0
timeout 5 "$TARGET" --listen 127.0.0.1:0 --tls-cert /etc/hostname --tls-key /nonexistent \
    2>"$WORK/tls.err" || rc=$?
[[ $rc == 2 ]] || fail "unreadable --tls-key: exit $rc, want 2: $(head -c 300 "$WORK/tls.err")"

# --- start -----------------------------------------------------------------

"$TARGET" --listen 127.0.0.1:0 --threads 2 >"$WORK/out" 2>"$WORK/err" &
PID=$!
deadline=$(($(now_ms) + 10000))
while ! grep -q '^hornet-target listening on http://' "$WORK/out"; do
    if (($(now_ms) > deadline)) || ! kill -0 "$PID" 2>/dev/null; then
        echo "FAIL: hornet-target did not start: $(cat "$WORK/err")" >&2
        exit 1
    fi
    sleep 0.05
done
BASE=$(sed -n 's/^hornet-target listening on \(http:.*\)$/\1/p' "$WORK/out")
PORT=${BASE##*:}
[[ $BASE == http://127.0.0.1:* && $PORT =~ ^[0-9]+$ && $PORT != 0 ]] || fail "ready line: $BASE"

rc=0
timeout 5 "$TARGET" --listen "127.0.0.1:$PORT" 2>/dev/null || rc=$?
[[ $rc == 3 ]] || fail "port in use: exit $rc, want 3"

stats_are '{"total": 0, "paths": {}}'

# --- basic endpoints -------------------------------------------------------

http 200 GET /
body_is $'hornet-target\n'
http 200 HEAD /
http 200 GET /json
json_ok 'isinstance(d, dict) and d["id"] == "ord_7f3a9c2e"'
size=$(stat -c %s "$BODY")
((size >= 900 && size <= 1200)) || fail "/json is $size bytes, want about 1 KB"
http 200 GET /health
body_is $'ok\n'

for code in 200 201 302 404 418 500 503 599; do
    http "$code" GET "/status/$code"
done
http 404 GET /status/404
body_is $'status 404\n'
for bad in 99 600 abc 2x0 -200 ''; do
    http 400 GET "/status/$bad"
done
# 1xx: sent as the final response, without a body (an HTTP client would wait
# for another one), except 102, which libmicrohttpd follows with our 200.
raw_rc=0
reply=$(raw 'GET /status/100 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' 30) || raw_rc=$?
count /status/100
[[ $reply == "HTTP/1.1 100 "* ]] || fail "GET /status/100: reply '${reply:0:80}'"
[ "$raw_rc" = 0 ] || fail "GET /status/100 with Connection: close was not closed (raw: exit $raw_rc)"
http 200 GET /status/102
body_is $'status 200\n'
http 204 GET /status/204

for n in 0 1 1000 1048576 10485760; do
    CHECKS=$((CHECKS + 1))
    count "/bytes/$n"
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 20 "$BASE/bytes/$n") ||
        got="curl exit $?"
    [[ $got == "200 $n" ]] || fail "GET /bytes/$n: '$got', want '200 $n'"
done
http 200 GET /bytes/40
body_is $'0123456789abcdefghijklmnopqrstuvwxyz\n012'
for bad in 10485761 -1 1e3 abc; do
    http 400 GET "/bytes/$bad"
done

# A delay is never shorter than asked (a loaded machine can only make it
# longer, so no upper bound is checked).
start=$(now_ms)
http 200 GET '/delay?ms=300'
elapsed=$(($(now_ms) - start))
((elapsed >= 290)) || fail "GET /delay?ms=300 took only ${elapsed} ms"
json_ok 'd == {"delay_ms": 300}'
http 200 GET '/delay?ms=0'
json_ok 'd == {"delay_ms": 0}'
for bad in 'ms=-1' 'ms=60001' 'ms=abc' 'ms=' 'x=1'; do
    http 400 GET "/delay?$bad"
done
http 400 GET /delay
# Delays must not hold pool threads: with 40 delays of 3 s pending on 2
# threads, another request is still answered (held threads would make it
# wait for the delays: 60 s).
pids=()
for i in $(seq 40); do
    count /delay
    curl -s -o /dev/null --max-time 60 "$BASE/delay?ms=3000&i=$i" &
    pids+=($!)
done
sleep 0.5
count /health
curl -s -o /dev/null --max-time 20 "$BASE/health" ||
    fail "GET /health not answered while 40 delays were pending (pool threads blocked?)"
wait "${pids[@]}" || true
# A request whose client gives up is still counted (once: the exact
# counters below are read after its delay has ended).
count /delay
gave_up_at=$SECONDS
curl -s -o /dev/null --max-time 2 "$BASE/delay?ms=4000" && fail "client should have timed out"

# --- methods and unknown paths ----------------------------------------------

http 405 POST /
grep -q . "$BODY" || fail "405 has no body"
allow=$(curl -s -o /dev/null -X POST -D - "$BASE/json" | tr -d '\r' | sed -n 's/^Allow: //p')
count /json
[[ $allow == "GET, HEAD" ]] || fail "405 Allow header '$allow'"
http 405 DELETE /json
http 405 PUT /api/orders
http 405 GET /api/auth/login
http 405 GET /__reset
http 405 POST /__stats
http 404 GET /nope
json_ok '"error" in d'
http 404 POST /nope -d 'x=1'
http 404 GET /api/product
http 404 GET /jsonx

# --- shop API ----------------------------------------------------------------

J=(-H 'Content-Type: application/json')
http 400 POST /api/auth/login "${J[@]}" -d '{"email": "a@b.c", "password": '
json_ok 'isinstance(d["error"], str)'
http 400 POST /api/auth/login "${J[@]}" -d '{"email": "a@b.c"}'
http 400 POST /api/auth/login "${J[@]}" -d '{"email": 5, "password": "x"}'
http 400 POST /api/auth/login "${J[@]}" -d '[]'
http 400 POST /api/auth/login
http 200 POST /api/auth/login "${J[@]}" -d '{"email": "ada@example.com", "password": "pw"}'
json_ok 'len(d["access_token"]) == 40 and all(c in "0123456789abcdef" for c in d["access_token"])'
TOKEN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$BODY")
AUTH=(-H "Authorization: Bearer $TOKEN")
http 200 POST /api/auth/login "${J[@]}" -d '{"email": "bob@example.com", "password": "pw"}'
OTHER=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$BODY")
[[ $OTHER != "$TOKEN" ]] || fail "two logins got the same token"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
http 413 POST /api/auth/login "${J[@]}" --data-binary "{\"email\": \"$big\"}"

http 200 GET /api/products
json_ok '[p["id"] for p in d["data"]] == list(range(1, 21)) and d["page"] == 1 and d["limit"] == 20 and d["total"] == 1000'
json_ok 'all(isinstance(p["name"], str) and p["price"] > 0 for p in d["data"])'
http 200 GET '/api/products?page=50&limit=20'
json_ok '[p["id"] for p in d["data"]] == list(range(981, 1001)) and d["page"] == 50'
http 200 GET '/api/products?page=3&limit=100'
json_ok 'len(d["data"]) == 100 and d["data"][0]["id"] == 201 and d["limit"] == 100'
http 200 GET '/api/products?page=11&limit=100'
json_ok 'd["data"] == [] and d["total"] == 1000'
for bad in 'page=0' 'page=-1' 'page=abc' 'limit=0' 'limit=101' 'limit=x' 'page=1&limit='; do
    http 400 GET "/api/products?$bad"
done
http 200 GET /api/products/1
json_ok 'd["id"] == 1 and isinstance(d["name"], str) and d["price"] > 0'
http 200 GET /api/products/1000
json_ok 'd["id"] == 1000'
http 404 GET /api/products/1001
http 404 GET /api/products/0
http 400 GET /api/products/abc

http 401 POST /api/cart/items "${J[@]}" -d '{"product_id": 5, "quantity": 1}'
http 401 POST /api/cart/items "${J[@]}" -H 'Authorization: Bearer deadbeef' -d '{"product_id": 5}'
http 401 POST /api/cart/items "${J[@]}" -H "Authorization: Basic $TOKEN" -d '{"product_id": 5}'
http 400 POST /api/cart/items "${J[@]}" "${AUTH[@]}" -d '{"product_id": 5'
http 400 POST /api/cart/items "${J[@]}" "${AUTH[@]}" -d '{"quantity": 1}'
http 400 POST /api/cart/items "${J[@]}" "${AUTH[@]}" -d '{"product_id": 5, "quantity": 0}'
http 404 POST /api/cart/items "${J[@]}" "${AUTH[@]}" -d '{"product_id": 1001, "quantity": 1}'
http 401 POST /api/orders "${J[@]}" -d '{}'
http 409 POST /api/orders "${J[@]}" "${AUTH[@]}" -d '{"payment_method": "card"}'
http 201 POST /api/cart/items "${J[@]}" "${AUTH[@]}" -d '{"product_id": 5, "quantity": 2}'
json_ok 'd["items"] == 1 and d["quantity"] == 2 and d["product_id"] == 5'
http 201 POST /api/cart/items "${J[@]}" "${AUTH[@]}" -d '{"product_id": "42", "quantity": 1}'
json_ok 'd["items"] == 2 and d["quantity"] == 3'
http 409 POST /api/orders "${AUTH[@]/$TOKEN/$OTHER}"
http 400 POST /api/orders "${J[@]}" "${AUTH[@]}" -d 'not json'
http 201 POST /api/orders "${J[@]}" "${AUTH[@]}" -d '{"payment_method": "card"}'
json_ok 'd["items"] == 2 and d["quantity"] == 3 and isinstance(d["order_id"], int)'
http 409 POST /api/orders "${AUTH[@]}"

# --- exact counters ------------------------------------------------------------

while ((SECONDS - gave_up_at < 5)); do sleep 0.2; done # the given-up request's delay is over
stats_are "$(expected_stats)"
http 200 POST /__reset
stats_are '{"total": 0, "paths": {}}'
for _ in 1 2 3; do
    curl -s -o /dev/null --max-time 5 "$BASE/"
done
curl -s -o /dev/null --max-time 5 "$BASE/json?x=1"
stats_are '{"total": 4, "paths": {"/": 3, "/json": 1}}'

# Keep-alive: the second request reuses the first one's connection.
conns=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' --max-time 5 "$BASE/" "$BASE/json")
[[ $conns == "1 0 " ]] || fail "keep-alive: new connections per request '$conns', want '1 0 '"

# Concurrent clients on kept-alive connections: counts stay exact.
curl -s -o /dev/null --max-time 5 -X POST "$BASE/__reset"
pids=()
for c in 1 2 3 4; do
    curl -s --max-time 30 "$BASE/json?c=$c&i=[1-250]" >/dev/null &
    pids+=($!)
done
curl -s --max-time 30 "$BASE/api/products/[1-200]" >/dev/null &
pids+=($!)
wait "${pids[@]}" || true
stats_are "$("$PY" -c '
import json
paths = {"/json": 1000}
paths.update({"/api/products/%d" % i: 1 for i in range(1, 201)})
print(json.dumps({"total": 1200, "paths": paths}))')"

# Many open connections at once (load tests open thousands).
if ! timeout 60 "$PY" - "$PORT" <<'EOF'; then
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
n = min(3000, hard - 100)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) for _ in range(n)]
for s in socks:
    s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
for s in socks:
    data = b""
    while not data.endswith(b"ok\n"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed early")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        sys.exit("bad reply %r" % data[:80])
print("%d connections served" % n)
EOF
    fail "many concurrent connections"
fi

# --- garbage ---------------------------------------------------------------------

# Each sent once, whatever comes back (or not, within raw's 1 s); the
# server must survive them all.
for garbage in \
    'GARBAGE\r\n\r\n' \
    '\x00\x01\x02\xff\xfe\r\n\r\n' \
    'GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n' \
    'GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n' \
    'POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{"email"' \
    'POST /api/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' \
    "GET /$(head -c 100000 /dev/zero | tr '\0' 'x') HTTP/1.1\r\nHost: t\r\n\r\n" \
    "GET / HTTP/1.1\r\n$(head -c 50000 /dev/zero | tr '\0' 'h'): v\r\n\r\n" \
    'GET /%ff%00%zz/../..//x?ms=%00 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' \
    'GET /delay?ms=100000000000000000000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' \
    'POST /api/cart/items HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' \
    'GET / HTTP/9.9\r\nHost: t\r\n\r\n' \
    'GET / HTTP/1.1\r\nHost: t\r\n'; do
    raw "$garbage" >/dev/null || true
done
http 400 POST /api/cart/items "${J[@]}" "${AUTH[@]}" --data-binary $'\xff\xfe{"product_id": 1}'
http 400 POST /api/auth/login "${J[@]}" --data-binary $'{"email": "a\\ud800@b", "password": "x"}'
curl -s --max-time 5 -X POST -H 'Transfer-Encoding: chunked' --data-binary @<(head -c 200000 /dev/zero) \
    -o /dev/null "$BASE/api/auth/login" || true
kill -0 "$PID" 2>/dev/null || fail "hornet-target died on garbage input"
http 200 GET /health
curl -s --max-time 5 -o "$BODY" "$BASE/__stats" || true
json_ok 'd["total"] == sum(d["paths"].values())'

# --- stop --------------------------------------------------------------------------

# SIGTERM with a delayed request pending: exits 0 without waiting for it.
curl -s -o /dev/null --max-time 70 "$BASE/delay?ms=60000" &
pending=$!
sleep 0.3
kill -TERM "$PID"
start=$(now_ms)
while kill -0 "$PID" 2>/dev/null && (($(now_ms) - start < 30000)); do
    sleep 0.05
done
rc=0
if kill -0 "$PID" 2>/dev/null; then
    fail "hornet-target still running 30 s after SIGTERM (waiting for a 60 s delay?)"
else
    wait "$PID" || rc=$?
    [[ $rc == 0 ]] || fail "exit status $rc after SIGTERM, want 0; stderr: $(cat "$WORK/err")"
fi
PID=
wait "$pending" 2>/dev/null || true
# Sanitizer builds: UBSan reports without exiting, so read its output.
if grep -qE 'runtime error|Sanitizer' "$WORK/err"; then
    fail "sanitizer report: $(grep -E -m 3 'runtime error|Sanitizer' "$WORK/err")"
fi

if ((FAILURES > 0)); then
    echo "test-target: $FAILURES of $CHECKS+ checks failed" >&2
    exit 1
fi
echo "test-target: all $CHECKS+ checks passed"
