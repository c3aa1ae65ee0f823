#!/usr/bin/env bash
# CurveZMQ: with --curve-secret and --allow-workers, only a worker holding
# an allowed key joins. Peers without a key, with an unknown key, or
# flooding HELLOs get nothing back (no WELCOME, no SCENARIO, not even a
# REJECT) and change no count: the CSV equals the target's own count. Each
# unknown key is logged once, with its fingerprint, however often it tries;
# past 1,024 different keys (a flood) a key is named when it is the first
# from its address, or (at most one a 10 s) when it tries again. A worker
# given the wrong master key never joins and says what to check; so does a
# worker without keys, and the master says why it refused it (and one with
# keys at a master without them). A worker that saw the mismatch first, or
# whose key was refused, or that met a peer that is no ZeroMQ socket,
# connects again (libzmq gives up on such an endpoint) and joins the master
# put right. Workers sharing one key (--allow-shared-key, for replicas) each
# join under their --id; a second process with a running one's --id is
# refused; one thrown out of the run does not lock the others out.
. "$(dirname "$0")/master_lib.sh"
: "${HORNET_KEYGEN:?HORNET_KEYGEN must point to hornet-keygen}"

for k in master w1 w2 stranger shared; do
    "$HORNET_KEYGEN" "$work/$k" >/dev/null || fail "hornet-keygen $k"
done
check "the secret key file is private (mode 600)" \
    [ "$(stat -c %a "$work/w1.key")" = 600 ]
check "hornet-keygen does not overwrite keys" bash -c "! '$HORNET_KEYGEN' '$work/w1' 2>/dev/null"
{
    echo "# workers allowed to join"
    echo "$(cat "$work/w1.pub") worker one"
    echo
    echo "   $(cat "$work/w2.pub")"
} >"$work/allowed"
pub() { cat "$work/$1.pub"; }
sec() { cat "$work/$1.key"; }

start_target
# The worker at a web server (below) connects again only after 10 s of
# quiet on its connection: started first, it does so during the runs
# before its turn.
start_py_server httppeer zmtp_null_peer.py --http
httppeer_pid=$server_pid httppeer_port=$server_port
"$HORNET_WORKER" --master "tcp://127.0.0.1:$httppeer_port" --threads 1 \
    --curve-secret "$work/w1.key" --master-key "$(pub master)" 2>"$work/redial-http.err" &
pids+=($!)
start_hmaster -H "$target_url" --curve-secret "$work/master.key" --allow-workers "$work/allowed" \
    --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" -u 10 -r 10 -t 10s \
    --only-summary / /json
check "CurveZMQ is on" grep -q "CurveZMQ on: master key $(pub master | sed 's/[][\.*^$]/\\&/g')" \
    "$work/master.err"
"$HORNET_WORKER" --master "$master_ep" --threads 1 --curve-secret "$work/w2.key" \
    --master-key "$work/stranger.pub" 2>"$work/wrongkey.err" &
wrongkey=$!
pids+=("$wrongkey")
"$HORNET_WORKER" --master "$master_ep" --threads 1 2>"$work/keyless.err" &
pids+=($!)
start_worker --threads 1 --curve-secret "$work/w1.key" --master-key "$(pub master)"
wait_log "workers joined: ramping" 15 || fail "the run did not start"

fake_worker peer --master "$master_ep" --mode intrude --seconds 4 >"$work/plain.json" &
plain=$!
fake_worker peer --master "$master_ep" --mode intrude --seconds 4 --curve-secret="$(sec stranger)" \
    --master-key="$(pub master)" >"$work/curve1.json" &
curve1=$!
fake_worker flood --master "$master_ep" --hellos 500 --seconds 3 >"$work/flood.json" &
flood=$!
for p in $plain $curve1 $flood; do wait_pid "$p" 30; done
fake_worker peer --master "$master_ep" --mode intrude --seconds 2 --curve-secret="$(sec stranger)" \
    --master-key="$(pub master)" >"$work/curve2.json"
for f in plain curve1 curve2 flood; do
    check "a peer without an allowed key gets nothing ($f: $(cat "$work/$f.json"))" \
        grep -q '"got": {}' "$work/$f.json"
done
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "only the real worker joined" [ "$(grep -c "worker [0-9]* joined: " "$work/master.err")" = 1 ]
fp=$(grep -o "refused a worker key $(pub stranger | sed 's/[][\.*^$]/\\&/g') (fingerprint [0-9a-f]*)" \
    "$work/master.err" | head -1)
check "the unknown key is logged with its fingerprint ($fp)" [ -n "$fp" ]
check "... once, though it connected twice" \
    [ "$(grep -c "refused a worker key $(pub stranger | sed 's/[][\.*^$]/\\&/g')" "$work/master.err")" = 1 ]
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

check "the worker given another master key never joined" \
    bash -c "! grep -q 'joined master' '$work/wrongkey.err'"
check "it says what to check" wait_grep "$work/wrongkey.err" "is --master-key its public key" 30
check "a worker without keys never joined" bash -c "! grep -q 'joined master' '$work/keyless.err'"
check "it says keys may be what it lacks" \
    wait_grep "$work/keyless.err" "answers only workers given --master-key and --curve-secret" 30
check "the master said why it refused peers without keys, and what they need" \
    grep -q "refused [0-9]* connections\{0,1\} without CurveZMQ keys: a worker of this master needs --master-key" \
    "$work/master.err"
check "... then at most once per 10 s (by the master's own log times)" "$PY" - "$work/master.err" <<'PY'
import datetime, re, sys
times = [datetime.datetime.strptime(l[:23], "%Y-%m-%dT%H:%M:%S.%f")
         for l in open(sys.argv[1])
         if re.search("connections? without CurveZMQ keys", l) and "to the end" not in l]
gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
print(len(times), "lines, gaps", gaps)
sys.exit(not (times and all(g >= 9.9 for g in gaps)))
PY

echo "== a worker with keys at a master without: the master says why it is refused"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 300s --only-summary /
"$HORNET_WORKER" --master "$master_ep" --threads 1 --curve-secret "$work/w1.key" \
    --master-key "$(pub master)" 2>"$work/keyed.err" &
keyed=$!
pids+=("$keyed")
# Which side sees the mismatch first is a race; the worker connects again
# every second either way (below), so the master sees it in time.
if wait_log "refused [0-9]* connections\{0,1\} with CurveZMQ keys: this master has none" 30; then
    pass "the master says so, and what to do"
else
    fail "the master says so, and what to do (its log, then the worker's:)"
    cat "$work/master.err" "$work/keyed.err"
fi
check "the worker never joined" bash -c "! grep -q 'joined master' '$work/keyed.err'"
kill "$keyed" "$hmaster_pid" 2>/dev/null || true
wait_master 20

# libzmq gives up on an endpoint where its side of a handshake failed: the
# worker would never have joined the master put right and restarted.
# rejoin LABEL: the worker w1 (keys) at $rejoin_port must join a master
# started with keys there, admitting it.
rejoin() {
    MASTER_BIND="tcp://127.0.0.1:$rejoin_port" start_hmaster -H "$target_url" \
        --curve-secret "$work/master.key" --allow-workers "$work/allowed" --expect-workers 1 \
        --expect-workers-max-wait 40s -u 1 -r 1 -t 1s --only-summary /
    check "$1: the worker joins the master started right on that port" \
        wait_log "workers joined: ramping" 40
    wait_master 30
    check "$1: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
}
echo "== a worker at a peer that is no master of its kind (null) connects again, and joins"
start_py_server peer zmtp_null_peer.py
peer_pid=$server_pid rejoin_port=$server_port
"$HORNET_WORKER" --master "tcp://127.0.0.1:$rejoin_port" --threads 1 \
    --curve-secret "$work/w1.key" --master-key "$(pub master)" 2>"$work/redial-null.err" &
redial=$!
pids+=("$redial")
check "null: the worker says the master has no keys, and it has" \
    wait_grep "$work/redial-null.err" "has no CurveZMQ keys, and this worker has" 15
check "null: the worker connects again" wait_grep "$work/peer.out" "^connection 2$" 30
kill "$peer_pid"
wait "$peer_pid" 2>/dev/null || true
rejoin null
kill "$redial" 2>/dev/null || true

echo "== a worker at a peer that is no master of its kind (http) connects again, and joins"
# Its worker was started first; its master runs beside the next parts,
# and it is checked after them (its worker connects again 10 s after the
# last time).
check "http: the worker connects again" wait_grep "$work/httppeer.out" "^connection 2$" 30
kill "$httppeer_pid"
wait "$httppeer_pid" 2>/dev/null || true
HMASTER_LOG=rejoin-http MASTER_BIND="tcp://127.0.0.1:$httppeer_port" start_hmaster \
    -H "$target_url" --curve-secret "$work/master.key" --allow-workers "$work/allowed" \
    --expect-workers 1 --expect-workers-max-wait 60s -u 1 -r 1 -t 1s --only-summary /
rejoin_http_master=$hmaster_pid

echo "== a worker whose key the master refused joins once the master admits it"
grep -vF -e "$(pub w1)" "$work/allowed" >"$work/allowed-not-w1"
rejoin_port=$(free_port)
MASTER_BIND="tcp://127.0.0.1:$rejoin_port" start_hmaster -H "$target_url" \
    --curve-secret "$work/master.key" --allow-workers "$work/allowed-not-w1" --expect-workers 1 \
    --expect-workers-max-wait 60s --only-summary /
"$HORNET_WORKER" --master "tcp://127.0.0.1:$rejoin_port" --threads 1 \
    --curve-secret "$work/w1.key" --master-key "$(pub master)" 2>"$work/redial-auth.err" &
redial=$!
pids+=("$redial")
check "the master refuses its key" \
    wait_log "refused a worker key $(pub w1 | sed 's/[][\.*^$]/\\&/g')" 15
kill "$hmaster_pid" 2>/dev/null || true
wait_master 20
rejoin auth
kill "$redial" 2>/dev/null || true

echo "== a flood of new keys does not hide a worker whose key is not allowed"
"$HORNET_KEYGEN" "$work/late" >/dev/null || fail "hornet-keygen late"
start_hmaster -H "$target_url" --curve-secret "$work/master.key" --allow-workers "$work/allowed" \
    --expect-workers 1 --expect-workers-max-wait 300s --only-summary /
timeout 150 "$PY" "$here/curve_flood.py" "$master_ep" "$(pub master)" "$work/master.err" \
    "$(pub late)" "$(sec late)" || fail "curve_flood.py (a wait for the master's log ran out)"
check "past 1,024 keys the master says so" \
    wait_log "1024 different worker keys were refused (a flood of handshakes?)" 10
check "during the flood, a key from another address is named" \
    wait_log "refused a worker key $(pub late | sed 's/[][\.*^$]/\\&/g') .* from 127.0.0.2" 10
n=$(grep -c "refused a worker key" "$work/master.err")
check "the log stays bounded: $n refusals named in a flood where 300 keys tried twice" \
    [ "$n" -le 1028 ]
kill "$hmaster_pid" 2>/dev/null
wait_master 20

echo "== the worker at a web server (http), at the master started right on that port"
check "http: the worker joins the master started right on that port" \
    wait_grep "$work/rejoin-http.err" "workers joined: ramping" 40
wait_pid "$rejoin_http_master" 30
check "http: master exits 0 (got $pid_rc)" [ "$pid_rc" = 0 ]

echo "== three workers sharing one key"
curl -s -X POST "$target_url/__reset" >/dev/null
pub shared >"$work/shared.allow"
start_hmaster -H "$target_url" --curve-secret "$work/master.key" \
    --allow-shared-key "$work/shared.allow" --expect-workers 3 --expect-workers-max-wait 20s \
    --csv "$work/s" -u 12 -r 12 --only-summary / /json
check "the master says some keys are shared" grep -q "shared by many workers" "$work/master.err"
: >"$work/worker.err"
for i in 1 2 3; do
    start_worker --threads 1 --id "rep$i" --curve-secret "$work/shared.key" --master-key "$(pub master)"
    rep_pid[$i]=$worker_pid
done
wait_log "workers joined: ramping" 20 || fail "the three did not all join"
# Four claims at once, each on its own id. Another holder of the key
# saying rep1's id, host and pid: what a HELLO says of host and pid is not
# believed under a shared key.
fake_worker peer --master "$master_ep" --mode impostor --id rep1 --hostname "$(hostname)" \
    --pid "${rep_pid[1]}" --seconds 4 --curve-secret="$(sec shared)" --master-key="$(pub master)" \
    >"$work/hijack.json" &
hijack=$!
pids+=("$hijack")
# One connection, two ids.
fake_worker peer --master "$master_ep" --mode second-id --id rep7 --seconds 3 \
    --curve-secret="$(sec shared)" --master-key="$(pub master)" >"$work/second.json" &
second=$!
pids+=("$second")
"$HORNET_WORKER" --master "$master_ep" --threads 1 --id rep2 --curve-secret "$work/shared.key" \
    --master-key "$(pub master)" 2>"$work/twin.err" &
twin=$!
pids+=("$twin")
fake_worker peer --master "$master_ep" --mode offend --offense names --seconds 4 --id rep9 \
    --curve-secret="$(sec shared)" --master-key="$(pub master)" >"$work/offender.json" &
offender=$!
pids+=("$offender")
for p in $hijack $second $offender; do
    wait_pid "$p" 30
    [ "$pid_rc" = 0 ] || fail "a fake worker exited $pid_rc"
done
check "a holder claiming rep1's id, host and pid is refused ($(cat "$work/hijack.json"))" \
    grep -q "worker id rep1 is already used" "$work/hijack.json"
check "... and never welcomed" bash -c "! grep -q '\"2\":' '$work/hijack.json'"
check "a second id on one connection is refused ($(cat "$work/second.json"))" \
    grep -q "one worker per connection" "$work/second.json"
check "a holder of the shared key that breaks a limit is thrown out ($(cat "$work/offender.json"))" \
    grep -q "thrown out of the run" "$work/offender.json"
start_worker --threads 1 --id rep4 --curve-secret "$work/shared.key" --master-key "$(pub master)"
check "after that, a new holder of the shared key still joins" wait_log "joined: rep4 " 15
wait_pid "$twin" 20
check "a second process with rep2's --id exits 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "... told the id is in use" grep -q "worker id rep2 is already used" "$work/twin.err"
# A run without a length ends on SIGTERM (Ctrl-C), as planned: exit 0.
kill -TERM "$hmaster_pid"
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "four workers joined with the shared key, rep7 and the offender" \
    [ "$(grep -c "joined: rep[0-9] .*shared key" "$work/master.err")" = 6 ]
check "rep1 was never replaced, rep7-2 never joined" \
    bash -c "! grep -qE 'is back: rep1|joined: rep7-2' '$work/master.err'"
check "the shared key was never refused" bash -c "! grep -q 'refused a worker key' '$work/master.err'"
target_stats >"$work/target.json"
check_csv "$work/s" "$work/target.json"
finish
