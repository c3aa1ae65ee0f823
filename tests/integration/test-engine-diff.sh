#!/usr/bin/env bash
# The two transports side by side (http.engine: curl, then fast), with 2
# local workers against hornet-target:
#  1. a deterministic journey (every user runs on_start and one sequence,
#     then waits an hour): login with a captured token, templated paths and
#     headers, JSON bodies and checks, chunked and close-delimited bodies,
#     Connection: close, HEAD, 204, error statuses, a failing check, a
#     failing capture, a timeout, a refused connection. Both runs give the
#     same per-entry counts, the same failures (kind and text, by count),
#     and counts equal to the target's own;
#  2. the shop example and a quick-mode-like file (no wait, GET / and
#     /json) for a few seconds each (until every entry of the shop had
#     requests; until the history has 2 rows): per entry, counts equal to
#     the target's and no failure, on both transports.
. "$(dirname "$0")/master_lib.sh"
examples=$(cd "$here/../../deploy/examples" && pwd)

start_target
refused_port=$(free_port)

# The journey, with http.engine $1.
journey() {
    cat <<EOF
http: {cookies: false, engine: $1}
defaults:
  headers: {Accept: application/json}
  timeout: 5s
data:
  accounts: {csv: $examples/data/users.csv, order: unique}
users:
  - name: shopper
    wait: {constant: 1h}
    on_start:
      - post: /api/auth/login
        json: {email: "{{accounts.email}}", password: "{{accounts.password}}"}
        capture: {token: {json: \$.access_token}}
        check: {status: 200}
      - {get: "/echo/{{accounts.email}}", name: "/echo/[account]"}
      - get: /api/products?page=1&limit=20
        name: /api/products?page=1
        capture: {product_id: {json: "\$.data[0].id"}}
    headers: {Authorization: "Bearer {{token}}"}
    tasks:
      - sequence:
          - {get: "/api/products/{{product_id}}", name: "/api/products/[id]"}
          - post: /api/cart/items
            json: {product_id: "{{product_id}}", quantity: 1}
            check: {status: 201, json: {"\$.quantity": 1}}
          - {post: /api/orders, body: "", check: {status: 201}}
          - {get: /chunked/5000, check: {body_contains: "xyz"}}
          - {get: /unsized/3000, check: {body_contains: "0123"}}
          - get: /close
          - head: /json
          - get: /status/204
          - get: /status/404
          - get: /status/500
          - {get: /json, name: /json-check, check: {status: 201}}
          - {get: /json, name: /json-capture, capture: {nothing: {json: \$.no.such.key}}}
          - {get: "/delay?ms=3000", name: /delay, timeout: 300ms}
          - {get: "http://127.0.0.1:$refused_port/", name: refused}
          - {get: "/bytes/100", name: /bytes}
EOF
}

# run_until WORKERS NAME FILE CONDITION ARGS...: as run_scenario, but a run
# without a length, ended on SIGTERM (as planned: exit 0, or 1 after
# failures) once CONDITION (a command) succeeds, or after 30 s or when the
# master is gone (the checks then fail). Requests in flight still finish,
# and every count is reported.
run_until() {
    local workers=$1 name=$2 file=$3 cond=$4
    shift 4
    curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
    start_hmaster -f "$file" -H "$target_url" --local-workers "$workers" --worker-threads 1 \
        --csv "$work/$name" --only-summary "$@"
    stop_when $cond # (a command and its words)
    target_stats >"$work/$name.target.json"
}

users=12
# Every user sent the journey's last step (all the others are done).
journey_done() {
    local n
    n=$(target_stats | sed -n 's|.*"/bytes/100":\([0-9]*\).*|\1|p')
    [ "${n:-0}" -ge "$users" ]
}
for engine in curl fast; do
    echo "== the journey on engine $engine"
    journey "$engine" >"$work/journey-$engine.yaml"
    "$HORNET_MASTER" -f "$work/journey-$engine.yaml" -H "$target_url" --check >"$work/check-$engine.out"
    if [ "$engine" = fast ]; then
        check "--check: every step of the journey is on the fast path" \
            grep -q "engine fast: 18 steps on the fast path, 0 on libcurl" "$work/check-$engine.out"
    fi
    run_until 2 "journey-$engine" "$work/journey-$engine.yaml" journey_done -u "$users" -r "$users"
    check "the $engine journey exits 1: it has failures (got $master_rc)" [ "$master_rc" = 1 ]
done

"$PY" - "$work" "$users" <<'PY' || fail "the transports differ"
import csv, json, re, sys
work, users = sys.argv[1], int(sys.argv[2])
bad = 0
def report(ok, what):
    global bad
    print(("ok: " if ok else "FAIL: ") + what)
    bad += not ok
def stats(engine):
    rows = {(r["Type"], r["Name"]): (int(r["Request Count"]), int(r["Failure Count"]))
            for r in csv.DictReader(open(f"{work}/journey-{engine}_stats.csv", newline=""))}
    fails = {(r["Method"], r["Name"], r["Error"]): int(r["Occurrences"])
             for r in csv.DictReader(open(f"{work}/journey-{engine}_failures.csv", newline=""))}
    target = json.load(open(f"{work}/journey-{engine}.target.json"))
    return rows, fails, target
c_rows, c_fails, c_target = stats("curl")
f_rows, f_fails, f_target = stats("fast")
report(c_rows == f_rows, "per-entry counts and failure counts are the same")
for k in sorted(set(c_rows) | set(f_rows)):
    if c_rows.get(k) != f_rows.get(k):
        print(f"   {k}: curl {c_rows.get(k)} fast {f_rows.get(k)}")
report(c_fails == f_fails, "failures (kind, text, count) are the same")
for k in sorted(set(c_fails) | set(f_fails)):
    if c_fails.get(k) != f_fails.get(k):
        print(f"   {k}: curl {c_fails.get(k)} fast {f_fails.get(k)}")
want = {"HTTP 404", "HTTP 500", "check status: got 200, want 201",
        "capture nothing: not found", "timeout", "connection refused"}
report({e for (_, _, e) in f_fails} == want, f"the expected failures: {sorted(e for (_, _, e) in f_fails)}")
report(all(n == users for n in f_fails.values()), "each failure once per user")
for name, (rows, target) in {"curl": (c_rows, c_target), "fast": (f_rows, f_target)}.items():
    agg = rows[("", "Aggregated")][0]
    refused = rows.get(("GET", "refused"), (0, 0))[0]
    report(agg - refused == target["total"],
           f"{name}: Aggregated {agg} minus {refused} refused == target's {target['total']}")
    report(rows[("POST", "/api/orders")] == (users, 0), f"{name}: {users} orders placed")
sys.exit(1 if bad else 0)
PY

# A short run of FILE on both engines, ended once the condition $4 (a
# command, given the run's CSV prefix) holds: no failures, every request
# the target counted is in the report (all of them, per path when $3 is
# "paths"), and both runs have the same entries.
exact_both() {
    local name=$1 file=$2 per_path=$3 until=$4
    shift 4
    for engine in curl fast; do
        sed "s/^http: .*/http: {cookies: false, engine: $engine}/" "$file" >"$work/$name-$engine.yaml"
        run_until 2 "$name-$engine" "$work/$name-$engine.yaml" "$until $work/$name-$engine" "$@"
        check "$name on engine $engine exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
        if [ "$per_path" = paths ]; then
            check_csv "$work/$name-$engine" "$work/$name-$engine.target.json"
        fi
    done
    "$PY" - "$work/$name" <<'PY' || fail "$name: the transports differ"
import csv, json, sys
prefix = sys.argv[1]
bad = 0
entries = {}
for engine in ("curl", "fast"):
    rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(open(f"{prefix}-{engine}_stats.csv", newline=""))}
    target = json.load(open(f"{prefix}-{engine}.target.json"))
    agg = rows.pop(("", "Aggregated"))
    n, f = int(agg["Request Count"]), int(agg["Failure Count"])
    ok = n == target["total"] and f == 0 and n > 0
    print(("ok: " if ok else "FAIL: ") + f"{engine}: {n} requests == target's {target['total']}, {f} failures")
    bad += not ok
    entries[engine] = sorted(k for k, r in rows.items() if int(r["Request Count"]) > 0)
ok = entries["curl"] == entries["fast"]
print(("ok: " if ok else "FAIL: ") + f"the same entries on both ({len(entries['fast'])})")
sys.exit(1 if bad or not ok else 0)
PY
}

echo "== the shop example"
sed -e "s|csv: data/users.csv|csv: $examples/data/users.csv|" -e '1a http: {}' \
    "$examples/shop.yaml" >"$work/shop.yaml"
# Until every one of the shop's 8 entries (6 of shoppers, 2 of browsers)
# had a request: its rows in the full history.
entries_seen() {
    [ "$(awk -F, '$4 != "Aggregated" && $18 > 0 {print $4}' "$2_stats_history.csv" 2>/dev/null |
        sort -u | wc -l)" -ge "$1" ]
}
exact_both shop "$work/shop.yaml" total "entries_seen 8" -u 20 -r 20 --csv-full-history

echo "== quick mode (GET / and /json, no wait)"
cat >"$work/quick.yaml" <<'EOF'
http: {}
users:
  - name: quick
    tasks: [{get: /}, {get: /json}]
EOF
# Until the history has the 2 rows check_csv needs.
history_has_2() { [ "$(history_rows "$1")" -ge 2 ]; }
exact_both quick "$work/quick.yaml" paths history_has_2 -u 10 -r 10

# Quick mode on the command line: cookies are on by default, so its GETs
# take libcurl; --no-cookies lets them take the fast path (the worker says
# how many of its steps do: the master's debug level reaches local
# workers); --engine fast without it is refused before any worker starts.
echo "== quick mode with --no-cookies, and --engine"
for mode in default no-cookies; do
    flags=()
    want="0 of 2 steps on the fast path"
    if [ "$mode" = no-cookies ]; then flags=(--no-cookies); want="2 of 2 steps on the fast path"; fi
    curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
    start_hmaster -H "$target_url" --local-workers 1 --worker-threads 1 -u 10 -r 10 -t 2s \
        --csv "$work/cli-$mode" --only-summary --log-level debug "${flags[@]}" / /json
    wait_master 60
    target_stats >"$work/cli-$mode.target.json"
    check "quick mode ($mode) exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    check "quick mode ($mode): the worker says '$want'" grep -q "$want" "$work/master.err"
    check_csv "$work/cli-$mode" "$work/cli-$mode.target.json"
done
rc=0
"$HORNET_MASTER" -H "$target_url" --engine fast / /json >"$work/refused.out" 2>&1 || rc=$?
check "--engine fast with cookies on exits 2 (got $rc)" [ "$rc" = 2 ]
check "--engine fast with cookies on says why" \
    grep -q "engine fast: GET / cannot use it: cookies are on" "$work/refused.out"
rc=0
"$HORNET_MASTER" -f "$work/quick.yaml" -H "$target_url" --engine fast --no-cookies --check \
    >"$work/check-cli.out" 2>&1 || rc=$?
check "a file's steps take --engine fast --no-cookies (--check exits 0, got $rc)" [ "$rc" = 0 ]
check "--engine fast replaces the file's http.engine" \
    grep -q "engine fast: 2 steps on the fast path, 0 on libcurl" "$work/check-cli.out"
sed 's/^http: .*/http: {engine: fast}/' "$work/quick.yaml" >"$work/quick-cookies.yaml"
rc=0
"$HORNET_MASTER" -f "$work/quick-cookies.yaml" -H "$target_url" --no-cookies --check \
    >"$work/check-nc.out" 2>&1 || rc=$?
check "--no-cookies makes a file's engine fast possible (--check exits 0, got $rc)" [ "$rc" = 0 ]
rc=0
"$HORNET_MASTER" -f "$work/quick-cookies.yaml" -H "$target_url" --check \
    >"$work/check-c.out" 2>&1 || rc=$?
check "without it, engine fast with cookies on is refused (exit 2, got $rc)" [ "$rc" = 2 ]
rc=0
"$HORNET_MASTER" -f "$work/quick.yaml" -H "$target_url" --engine fast --check \
    >"$work/check-cf.out" 2>&1 || rc=$?
check "--engine fast on a file with cookies on is refused (exit 2, got $rc)" [ "$rc" = 2 ]
check "... at the file's start, naming the flag" \
    grep -q "quick.yaml:1:1: --engine fast: no step can use it: cookies are on" "$work/check-cf.out"
rc=0
"$HORNET_MASTER" -H "$target_url" --engine fast --no-cookies "$target_url" >"$work/nopath.out" 2>&1 ||
    rc=$?
check "--engine fast on a URL without a path exits 2 (got $rc)" [ "$rc" = 2 ]
check "... and says so" grep -q "cannot use it: its URL has no path" "$work/nopath.out"
printf 'users:\n  - name: r\n    tasks:\n      - {get: /old, follow_redirects: true}\n' \
    >"$work/redirect.yaml"
rc=0
"$HORNET_MASTER" -f "$work/redirect.yaml" -H "$target_url" --engine fast --no-cookies --check \
    >"$work/check-redirect.out" 2>&1 || rc=$?
check "--engine fast on a file's redirect step exits 2 (got $rc)" [ "$rc" = 2 ]
check "... at the step, naming the flag" \
    grep -q "redirect.yaml:4:9: GET /old: not possible with --engine fast: it follows redirects" \
    "$work/check-redirect.out"
rc=0
"$HORNET_MASTER" -f "$work/quick.yaml" -H "$target_url" --engine curl --no-cookies --check \
    >"$work/check-curl.out" 2>&1 || rc=$?
check "--engine curl puts every step on libcurl" \
    grep -q "engine curl: 0 steps on the fast path, 2 on libcurl" "$work/check-curl.out"
finish
