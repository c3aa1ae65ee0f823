#!/usr/bin/env bash
# A worker's users get their ids (GRANT) even when the messages that dealt
# them were lost. The link from the master to the worker drops everything
# for a while during the ramp, from its first GRANT on (blackhole_proxy.py):
# the GRANTs the master sends meanwhile never arrive, the worker, hearing
# nothing, reconnects, and the same process says HELLO again. Its
# HEARTBEAT on the new connection says how many GRANTs it got; the master
# deals the lost ones again, so the worker reaches its 20 users and none
# waits for an id.
# Before, the master counted the lost GRANTs as dealt: the users of the
# ramp's lost seconds never started (the run said 4 to 8 users of 20).
. "$(dirname "$0")/master_lib.sh"

start_target
port=$(free_port)
pport=$(free_port)
MASTER_BIND="tcp://127.0.0.1:$port" start_hmaster -H "$target_url" -u 20 -r 4 \
    --expect-workers 1 --csv "$work/r" --only-summary /
start_py_server proxy blackhole_proxy.py --listen "$pport" --master-port "$port"
"$HORNET_WORKER" --master "tcp://127.0.0.1:$pport" --threads 1 --id w 2>"$work/worker.err" &
pids+=($!)
# The worker's reported users reached $1, by the history's Aggregated rows
# but the last (the run's end writes that one again, with the users then).
users_reached() {
    awk -F, -v n="$1" '$4 == "Aggregated" { u[++k] = $2 }
        END { for (i = 1; i < k; i++) if (u[i] + 0 >= n) exit 0; exit 1 }' \
        "$work/r_stats_history.csv" 2>/dev/null
}
at_full() { users_reached 20; }
# The link fails once the ramp has begun (the proxy drops what follows the
# master's first GRANT): the GRANTs of the rest of the ramp are lost.
back() { grep -q "is back: w$" "$work/master.err"; }
# A bound, not a timing: ~8 s for libzmq to give up the silent connection,
# 5 s of ramp after it; 17-24 s here in both builds.
stop_when --within 90 eval "back && at_full"
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the master's messages were dropped for a while" grep -q "proxy: dropping" "$work/proxy.out"
check "the same process reconnected" back
check "the master found GRANTs lost" grep -q "GRANT messages\? went down with its old connection" "$work/master.err"
check "the worker ran its 20 users after the reconnect" at_full
check "no user waited for an id" bash -c "! grep -q 'waiting for the master to grant' '$work/worker.err'"
finish
