#!/usr/bin/env bash
# A worker whose connection to the master breaks while it runs (the kernel
# aborts both ends: ss -K) reconnects, and its first message on the new
# connection is a HELLO, so the master knows whose reports follow: none is
# lost (reports_lost 0), and the CSV equals what the target served. Before,
# the master dropped them as a stranger's until the worker, hearing
# nothing, said HELLO after 3 s (2 reports and a quarter of the requests
# lost in this test). Once without keys, once with a key several workers
# may hold (--allow-shared-key), which does not say which worker speaks.
. "$(dirname "$0")/master_lib.sh"
: "${HORNET_KEYGEN:?HORNET_KEYGEN must point to hornet-keygen}"

# Can this kernel abort a socket (CONFIG_INET_DIAG_DESTROY)? Tried on a
# connection of our own first, so that a missing feature is said, not
# mistaken for the master's failure.
can_kill=$(python3 - <<'PY'
import socket, subprocess, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); p = s.getsockname()[1]
c = socket.create_connection(("127.0.0.1", p)); a, _ = s.accept()
subprocess.run(["ss", "-K", "dst", "127.0.0.1", "dport", "=", ":%d" % p], capture_output=True)
try:
    c.send(b"x"); time.sleep(0.2); c.send(b"x"); print("no")
except OSError:
    print("yes")
PY
)
if [ "$can_kill" != yes ]; then
    echo "skip: this kernel cannot abort sockets (ss -K), so no connection can be broken"
    finish
fi

start_target
# $1 label, then the master's and (after --) the worker's extra arguments
reconnect_run() {
    local label="$1"; shift
    local margs=() wargs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do margs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    wargs=("$@")
    echo "== $label"
    curl -s -X POST "$target_url/__reset" >/dev/null
    local port
    port=$(free_port)
    MASTER_BIND="tcp://127.0.0.1:$port" start_hmaster -H "$target_url" -u 10 -r 10 -t 8s \
        --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" --json "$work/r.json" \
        --only-summary "${margs[@]}" /
    : >"$work/worker.err"
    start_worker --threads 1 "${wargs[@]}"
    wait_log "workers joined: ramping" 20 || fail "$label: the run did not start"
    sleep 2
    ss -K "( sport = :$port or dport = :$port )" >/dev/null 2>&1
    wait_master 40
    check "$label: master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    check "$label: the connection was broken and came back" \
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(e["kind"] == "back" for e in d["events"]))' "$work/r.json"
    lost=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["workers"][0]["reports_lost"])' \
        "$work/r.json")
    check "$label: no report lost (reports_lost $lost)" [ "$lost" = 0 ]
    target_stats >"$work/target.json"
    check_csv "$work/r" "$work/target.json"
    kill "$worker_pid" 2>/dev/null || true
}

reconnect_run "no keys"
for k in master shared; do "$HORNET_KEYGEN" "$work/$k" >/dev/null || fail "hornet-keygen $k"; done
cat "$work/shared.pub" >"$work/shared.allow"
reconnect_run "a shared key" --curve-secret "$work/master.key" --allow-shared-key "$work/shared.allow" \
    -- --curve-secret "$work/shared.key" --master-key "$work/master.pub"
echo "== a half-open connection: the worker's end broke, the master's stays up"
# The worker reconnects through a proxy that left the master's end open:
# only the run id the worker got in its WELCOME says its HELLO on the new
# connection is the same process (host and pid prove nothing), and it is
# let in as such, not held as a claim until the run loses its only worker
# (exit 3 before).
curl -s -X POST "$target_url/__reset" >/dev/null
port=$(free_port)
pport=$(free_port)
MASTER_BIND="tcp://127.0.0.1:$port" start_hmaster -H "$target_url" -u 2 -r 2 -t 10s \
    --expect-workers 1 --expect-workers-max-wait 20s --only-summary /
"$PY" "$here/halfopen_proxy.py" --listen "$pport" --master-port "$port" --cut-after 4 \
    >"$work/proxy.out" 2>&1 &
pids+=($!)
sleep 0.3
: >"$work/worker.err"
"$HORNET_WORKER" --master "tcp://127.0.0.1:$pport" --threads 1 --id solo 2>>"$work/worker.err" &
pids+=($!)
wait_master 40
check "half-open: the run passes (exit $master_rc)" [ "$master_rc" = 0 ]
check "half-open: the connection was cut" grep -q "proxy: cut" "$work/proxy.out"
check "half-open: the same process is back (reconnected, not a new one claiming its id)" \
    bash -c "grep -q 'back .*solo reconnected' '$work/master.err' && ! grep -q 'says HELLO with its id' '$work/master.err'"
finish
