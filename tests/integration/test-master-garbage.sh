#!/usr/bin/env bash
# Hostile input during a run: raw TCP garbage to the master's port (random
# bytes, HTTP, broken ZMTP greetings, an oversized frame after a handshake)
# and, from fake DEALERs, a thousand random frames (random bytes and
# msgpack, truncated and mutated valid frames, unknown types, foreign
# versions, multipart messages, SNAPSHOTs worth a million requests each from
# unregistered identities). The master keeps running, never takes a fake as
# a worker, logs the bad frames once, exits 0, and the run's counts still
# equal the target's exactly.
. "$(dirname "$0")/master_lib.sh"

start_target
# A run without a length, ended on SIGTERM once the hostile input is sent and
# checked (an 8 s run could end while the peers were still at it on a busy
# machine: then the master was no longer "running mid-run").
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 20 -r 20 --only-summary / /json
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
sleep 1

# Bash's /dev/tcp first, then the Python peers side by side.
port=${master_ep##*:}
if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    timeout 5 head -c 65536 /dev/urandom >&3 2>/dev/null || true
    exec 3>&-
else
    fail "cannot open a TCP connection to the master's port"
fi
fake_worker tcp-garbage --master "$master_ep" --connections 40 --seed 7 >"$work/tcp.json" &
tcp_pid=$!
fake_worker garbage --master "$master_ep" --frames 1000 --dealers 8 --seed 11 >"$work/garbage.json" &
garbage_pid=$!
wait_pid "$tcp_pid" 20; rc=$pid_rc
check "raw TCP garbage sent ($(cat "$work/tcp.json"); rc $rc)" [ "$rc" = 0 ]
wait_pid "$garbage_pid" 20; rc=$pid_rc
check "the master took no fake as a worker ($(cat "$work/garbage.json"); rc $rc)" [ "$rc" = 0 ]
check "a thousand frames were sent" "$PY" -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["total_sent"] < 950)' "$work/garbage.json"
check "the master is still running mid-run" kill -0 "$hmaster_pid"

wait_history "$work/r" 2 30 || fail "no history rows for 2 s of the run"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 30
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "bad frames are logged once" [ "$(grep -c "dropped an undecodable frame" "$work/master.err")" = 1 ]
check "foreign-version HELLOs were rejected" grep -q "rejected a worker: protocol version" "$work/master.err"
check "the run kept its only worker" grep -q " 1 workers joined" "$work/master.err"
check "no worker was lost or added" \
    [ -z "$(grep -E "marked missing|worker [1-9][0-9]* joined|is back" "$work/master.err" || true)" ]
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"
finish
