#!/usr/bin/env bash
# Each user has its own connections, on both transports, as each Locust
# user has its own session and each k6 VU its own connections: a server
# sees as many connections as users, and no connection carries two users'
# requests. (libcurl's multi handle hands an idle connection to whichever
# user asks next: 20 users with think time shared a couple of connections,
# and a load balancer behind them saw a couple of clients.) A header with
# an empty value is sent empty, a request whose reused connection died is
# sent again (every time), and followed redirects stop after 30, as
# Locust's do.
. "$(dirname "$0")/master_lib.sh"

start_py_server server conn_log_server.py "$work/conns.log"
port=$server_port

# staged_run LOG ARGS...: start_hmaster ARGS (a run with --stages) and wait
# for it, LOG emptied first; sets master_rc. A stage the checks are about
# can pass unseen when the master or the worker stalls for as long as it
# lasts (targets are absolute: the master skips a stage it slept through,
# the worker's engine applies only the newest of the TARGETs that came
# meanwhile), so a run in which either stalled (the master says so) is run
# again, at most twice; the checks then judge the last one.
staged_run() {
    local log=$1 attempt
    shift
    for attempt in 1 2 3; do
        : >"$log"
        start_hmaster "$@"
        wait_master 60
        grep -q 'stalled' "$work/master.err" || return 0
        echo "note: run $attempt again, its stages may have passed unseen:" \
            "$(grep -m1 'stalled' "$work/master.err" | sed 's/.*warn: //' | cut -c1-110)"
    done
}
# seen N REGEX [LOG]: the log (conns.log) has at least N lines matching REGEX.
seen() { [ "$(grep -c -- "$2" "${3:-$work/conns.log}" || true)" -ge "$1" ]; }

# $1: label; the rest: extra master flags. 20 users, each GETs /u/<its id>
# with think time, so that few requests are ever in flight at once.
run() {
    local label=$1; shift
    : >"$work/conns.log"
    cat >"$work/users.yaml" <<YAML
host: http://127.0.0.1:$port
users:
  - wait: {between: [100ms, 200ms]}
    tasks: [{get: "/u/{{user_id}}", name: u}]
YAML
    start_hmaster -f "$work/users.yaml" --local-workers 1 --worker-threads 1 -u 20 -r 100 \
        -t 3s --csv "$work/$label" --only-summary "$@"
    wait_master 60
    check "$label: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    local users conns mixed
    count_conns
    check "$label: all 20 users made requests ($users)" [ "$users" = 20 ]
    check "$label: no connection carried two users' requests ($mixed did)" [ "$mixed" = 0 ]
    check "$label: at least one connection per user ($conns for 20)" [ "$conns" -ge 20 ]
}

# From conns.log: users (distinct paths), conns (connections that carried
# requests) and mixed (connections that carried two users' requests).
count_conns() {
    users=$(awk '$2 != "closed" {print $2}' "$work/conns.log" | sort -u | wc -l)
    conns=$(awk '$2 != "closed" {print $1}' "$work/conns.log" | sort -u | wc -l)
    mixed=$(awk '$2 != "closed" {u[$1] = u[$1] == "" || u[$1] == $2 ? $2 : "mixed"} END {
        n = 0; for (c in u) if (u[c] == "mixed") n++; print n }' "$work/conns.log")
}

echo "== libcurl's transfers (cookies on: the full transfer)"
run curl --engine curl
echo "== the fast path (no cookies)"
run fast --no-cookies

echo "== users who leave close their connections; users who come later open their own"
# 4 users, 1 for 2 s, then 4 again: the 3 that left closed their
# connections (a server saw them leave, not at its keep-alive timeout), and
# the 3 new users did not take over their connections (nor their TLS
# sessions and cookies: those go with the connections' handles).
for engine in curl fast; do
    cat >"$work/ramp.yaml" <<YAML
host: http://127.0.0.1:$port
http: {engine: $engine, cookies: false}
users:
  - wait: {constant: 200ms}
    tasks: [{get: "/u/{{user_id}}", name: u}]
YAML
    staged_run "$work/conns.log" -f "$work/ramp.yaml" --local-workers 1 --worker-threads 1 \
        --stages 2s:4:100,2s:1:100,3s:4:100 --csv "$work/ramp-$engine" --only-summary
    check "$engine: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    count_conns
    check "$engine: 7 users made requests, 4 then 3 more ($users)" [ "$users" = 7 ]
    check "$engine: no connection carried two users' requests ($mixed did)" [ "$mixed" = 0 ]
    # Connections closed before the first request of a user of the third
    # stage: the 3 users who left closed theirs 2 s before.
    first_new=$(awk '$2 != "closed" {print $2}' "$work/conns.log" | awk '!seen[$0]++' |
        sed -n 5p)
    closed_before=$(awk -v p="$first_new" '$2 == p {exit} $2 == "closed" {n++} END {print n + 0}' \
        "$work/conns.log")
    check "$engine: 3 connections closed when 3 users left ($closed_before before $first_new)" \
        [ "$closed_before" = 3 ]
done

echo "== ... and TLS sessions: a new user does not resume one a user before it had"
# Over HTTPS, each response closes its connection: a user's next request
# connects again and resumes its own session; a user who comes after 2
# left must not resume theirs (in the slot they left, or on the fast
# path's thread-wide cache before). The same server would take them. The
# stage without users lasts 1 s: they only leave in it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.pem" 2>/dev/null
start_py_server tls-server conn_log_server.py "$work/tls.log" --tls "$work/tls.pem" "$work/tls.key"
tls_port=$server_port
for engine in curl fast; do
    cat >"$work/tls.yaml" <<YAML
host: https://127.0.0.1:$tls_port
http: {engine: $engine, cookies: false}
tls: {verify: false}
users:
  - wait: {constant: 300ms}
    tasks: [{get: "/c/{{user_id}}", name: c}]
YAML
    staged_run "$work/tls.log" -f "$work/tls.yaml" --local-workers 1 --worker-threads 1 \
        --stages 2s:2:100,1s:0:100,2s:2:100 --csv "$work/tls-$engine" --only-summary
    check "$engine: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    # Each user's first request (first line of its path) and the others.
    firsts=$(grep ' /c/' "$work/tls.log" | awk '!seen[$2]++')
    users=$(echo "$firsts" | wc -l)
    first_resumed=$(echo "$firsts" | grep -c 'tls=resumed' || true)
    later_resumed=$(grep ' /c/' "$work/tls.log" | awk 'seen[$2]++' | grep -c 'tls=resumed' || true)
    check "$engine: 4 users, 2 then 2 more ($users)" [ "$users" = 4 ]
    check "$engine: no user's first connection resumed a session ($first_resumed did)" \
        [ "$first_resumed" = 0 ]
    check "$engine: a user's next connections resumed its own ($later_resumed did)" \
        [ "$later_resumed" -ge 4 ]
done

echo "== a header with an empty value is sent empty; query: values are url-encoded; both transports"
# A value written in the URL keeps ?&=/% (it may be a path or a query
# already); one in query: is a field's value, whatever it holds.
printf 'q\n"ham & eggs=1/2%%+ü"\n' >"$work/terms.csv"
want_q='/q?term=ham+%26+eggs%3D1%2F2%25%2B%C3%BC&page=2&tag=a+b&tag=c%26d&none='
for engine in curl fast; do
    : >"$work/conns.log"
    cat >"$work/hdr.yaml" <<YAML
host: http://127.0.0.1:$port
http: {engine: $engine, cookies: false}
data: {terms: {csv: terms.csv}}
users:
  - wait: {constant: 1h}
    headers: {X-Empty: ""}
    on_start:
      - get: /q
        query: {term: "{{terms.q}}", page: 2, tag: [a b, "c&d"], none: null}
      - {get: "/q?x=1", query: {y: "{{terms.q}}"}, name: second}
    tasks: [{get: /hdr}]
YAML
    start_hmaster -f "$work/hdr.yaml" --local-workers 1 --worker-threads 1 -u 1 -r 1 \
        --csv "$work/hdr-$engine" --only-summary
    stop_when seen 1 ' /hdr '  # the task, after on_start's two
    check "$engine: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    check "$engine: X-Empty came, empty ($(grep /hdr "$work/conns.log" | head -1))" \
        grep -q "^[0-9]* /hdr X-Empty=''$" "$work/conns.log"
    check "$engine: the query sent url-encoded ($(grep ' /q' "$work/conns.log" | head -1))" \
        sh -c "cut -d' ' -f2 '$work/conns.log' | grep -qxF '$want_q'"
    check "$engine: after the URL's own query, with &" \
        sh -c "cut -d' ' -f2 '$work/conns.log' | grep -qxF '/q?x=1&y=ham+%26+eggs%3D1%2F2%25%2B%C3%BC'"
    check "$engine: named after the query as written, values as {{...}}" \
        grep -qF 'GET,/q?term={{terms.q}}&page=2&tag=a+b&tag=c%26d&none=,1,0,' \
        "$work/hdr-${engine}_stats.csv"
done

# one_user NAME ENGINE STEP [DEFAULTS]: one user on that transport does
# STEP (its entry named NAME) 13 times in a row in its on_start, then
# waits an hour: a count that does not depend on the machine's speed. The
# run ends once the server saw the task's /hdr (the 13 are done). Sets
# master_rc, and n and nf, the entry's requests and failures.
one_user() {
    local name=$1 engine=$2 step=$3 defaults=${4:-} row i
    {
        printf 'host: http://127.0.0.1:%s\nhttp: {engine: %s, cookies: false}\n%s\n' \
            "$port" "$engine" "$defaults"
        printf 'users:\n  - wait: {constant: 1h}\n    on_start:\n'
        for i in $(seq 13); do printf '      - %s\n' "$step"; done
        printf '    tasks: [{get: /hdr, name: idle}]\n'
    } >"$work/$name.yaml"
    : >"$work/conns.log"
    start_hmaster -f "$work/$name.yaml" --local-workers 1 --worker-threads 1 -u 1 -r 1 \
        --csv "$work/$name-$engine" --only-summary
    stop_when seen 1 ' /hdr '
    row=$(grep "^[A-Z]*,$name," "$work/$name-${engine}_stats.csv" || true)
    n=$(echo "$row" | cut -d, -f3) nf=$(echo "$row" | cut -d, -f4)
}

echo "== a reused connection that died unanswered: the request goes again, never fails"
# libcurl 7.88 fails every sixth such retry of a handle ("Connection died,
# tried 5 times"); the fast path did the same.
for engine in curl fast; do
    one_user once "$engine" "{get: /once, name: once}"
    check "$engine: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    check "$engine: $n of 13 requests, each after a retry but the first, none failed ($nf)" \
        [ "$n" = 13 -a "$nf" = 0 ]
done

echo "== ... also after a redirect, for a GET"
one_user go curl "{get: /go, name: go}" "defaults: {follow_redirects: true}"
check "go: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "go: $n of 13 redirected requests, none failed ($nf)" [ "$n" = 13 -a "$nf" = 0 ]

echo "== ... but a redirected POST is never sent twice (it may fail instead)"
# Sent again, libcurl's handle would start over from the step's POST.
: >"$work/conns.log"
one_user start curl "{post: /start, name: start, body: x}" "defaults: {follow_redirects: true}"
posts=$(grep -c ' POST/start$' "$work/conns.log")
check "the server got as many POSTs as requests counted ($posts, $n)" \
    [ "$n" = 13 -a "$posts" = 13 ]

echo "== a user's steps on both transports: the fast path leaves libcurl's requests alone"
# A fast request's deadline timer (it runs lazily) fired during the same
# user's later libcurl request, and failed it as a timeout; the handle
# stayed in the multi, the next request failed as a client error, and the
# worker read past the task's steps when the orphan ended.
cat >"$work/mixed.yaml" <<YAML
host: http://127.0.0.1:$port
http: {cookies: false}
users:
  - wait: {constant: 1h}
    on_start:
      - {get: /hdr, name: fast, timeout: 3s}  # /slow takes 4 s
      - {get: /slow, name: slow, follow_redirects: true}
      - {get: /hdr, name: next, follow_redirects: true}
    tasks: [{get: /hdr, name: idle}]
YAML
: >"$work/conns.log"
start_hmaster -f "$work/mixed.yaml" --local-workers 1 --worker-threads 1 -u 1 -r 1 \
    --csv "$work/mixed" --only-summary
stop_when seen 3 ' /hdr '  # fast, next and the task's idle
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "--check puts the first step on the fast path, the others on libcurl's" \
    bash -c "'$HORNET_MASTER' --check -f '$work/mixed.yaml' | grep -q 'engine auto: 2 steps on the fast'"
for name in fast slow next; do
    row=$(grep "^GET,$name," "$work/mixed_stats.csv" || true)
    check "$name: 1 request, no failure ($(echo "$row" | cut -d, -f3,4))" \
        [ "$(echo "$row" | cut -d, -f3,4)" = "1,0" ]
done

echo "== a redirect loop fails with 'too many redirects' after 30 hops"
: >"$work/conns.log"
cat >"$work/loop.yaml" <<YAML
host: http://127.0.0.1:$port
defaults: {follow_redirects: true}
users:
  - wait: {constant: 1h}
    tasks: [{get: /hop/0, name: hop}]
YAML
start_hmaster -f "$work/loop.yaml" --local-workers 1 --worker-threads 1 -u 1 -r 1 \
    --csv "$work/loop" --only-summary
# The 30th redirect's request: its answer (a 31st redirect) ends the transfer.
stop_when seen 1 ' /hop/30$'
check "a failed run exits 1 (got $master_rc)" [ "$master_rc" = 1 ]
check "the failure is 'too many redirects'" grep -q '^GET,hop,too many redirects,[1-9]' \
    "$work/loop_failures.csv"
check "no request followed more than 30 redirects" \
    [ "$(sed -n 's|.* /hop/||p' "$work/conns.log" | sort -n | tail -1)" -le 30 ]
finish
