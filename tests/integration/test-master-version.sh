#!/usr/bin/env bash
# A peer of another protocol version: fake_worker.py (a DEALER, as a worker)
# says HELLO with protocol version 99. It gets a REJECT, encoded in the
# master's own version, whose reason names both versions; the master keeps
# running, and a real worker then runs the test with exact counts while
# more foreign HELLOs (an older version's, bodies it cannot read) are rejected.
. "$(dirname "$0")/master_lib.sh"

# Check one REJECT reply (JSON from fake_worker.py reject): $1 the JSON,
# $2 the foreign version.
# The master's own protocol version, from --version ("... (protocol N)").
proto=$("$HORNET_MASTER" --version | sed -n 's/.*(protocol \([0-9]*\)).*/\1/p')
[ -n "$proto" ] || { echo "cannot read the master's protocol version"; exit 1; }
older=$((proto - 1))

check_reject() {
    check "REJECT frame for a version-$2 HELLO: $1" "$PY" -c '
import json, re, sys
r, v, p = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
ok = (r.get("type") == 3 and r.get("version") == int(p)
      and re.search(r"\b%s\b" % v, r["reason"]) and re.search(r"\b%s\b" % p, r["reason"]))
sys.exit(0 if ok else 1)' "$1" "$2" "$proto"
}

start_target
# A run without a length, ended on SIGTERM once the foreign HELLOs sent
# during it are answered (a 4 s run could end before the third of them on a
# busy machine: no REJECT from a master that has exited).
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 10 -r 10 --only-summary / /json

echo "== while the master waits for workers"
reply=$(fake_worker reject --master "$master_ep" --version 99) || fail "no REJECT: $reply"
check_reject "$reply" 99
check "the master logs the rejection" grep -q "rejected a worker: .*99" "$work/master.err"
check "the master is still running" kill -0 "$hmaster_pid"
check "the master still waits (the fake did not join)" [ "$(grep -c "workers joined" "$work/master.err")" = 0 ]

echo "== a real worker runs the test; foreign HELLOs meanwhile"
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
check "the run started with the real worker alone" grep -q " 1 workers joined" "$work/master.err"
reply=$(fake_worker reject --master "$master_ep" --version "$older") || fail "no REJECT: $reply"
check_reject "$reply" "$older"
reply=$(fake_worker reject --master "$master_ep" --version $((proto + 1)) --body map) || fail "no REJECT: $reply"
check_reject "$reply" $((proto + 1))
reply=$(fake_worker reject --master "$master_ep" --version 4294967295 --body empty) || fail "no REJECT: $reply"
check_reject "$reply" 4294967295
check "the master is still running" kill -0 "$hmaster_pid"
wait_history "$work/r" 2 30 || fail "no history rows for 2 s of the run"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 30
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"
wait_pid "$worker_pid" 10; rc=$pid_rc
check "worker exits 0 after QUIT (got $rc)" [ "$rc" = 0 ]
finish
