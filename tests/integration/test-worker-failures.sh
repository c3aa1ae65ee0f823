#!/usr/bin/env bash
# Failures are counted by kind: HTTP 500, connection refused (a closed
# loopback port), and timeout (a delay longer than the request timeout).
. "$(dirname "$0")/lib.sh"

start_target
closed="http://127.0.0.1:1/"
# A request timeout that a refused connection or an HTTP 500 never reaches
# on a loaded machine, under the run's 2.5 s; the STOP's grace outlasts it,
# so a delayed request in flight at the stop times out rather than being
# aborted.
start_master --workers 1 --timeout-ms 1500 --deadline 60 \
    --script "users=6@0,sleep=2.5,stop=3000,quit" \
    "$target_url/status/500" "$closed" "$target_url/delay?ms=3000"
start_worker --threads 2
wait "$master_pid" || fail "scripted master did not get every FINAL"

for kind in "$target_url/status/500|HTTP 500" "$closed|connection refused" \
    "$target_url/delay?ms=3000|timeout"; do
    url=${kind%%|*} err=${kind#*|}
    n=$(summary "['entries'].get('GET $url', 0)")
    e=$(summary "['errors'].get('GET $url|$err', 0)")
    check "$url: $n requests, all failed with '$err' ($e)" [ "$n" -gt 0 -a "$n" = "$e" ]
done
check "every request failed" [ "$(summary '["failures"]')" = "$(summary '["requests"]')" ]
check "only the three expected error rows" [ "$(summary '.get("errors").__len__()')" = 3 ]
finish
