#!/usr/bin/env bash
# The master itself stalls: frozen (SIGSTOP) for 3 s while 3 workers load
# the target. Silence the master caused is not its workers': none is marked
# missing (a master that judged liveness by when it gets round to reading
# would mark all three, as 3 s of silence is its limit), none loses its
# users, the master says it stalled and how late it was (lag), and every
# request still counts: the CSV equals the target's own count.
. "$(dirname "$0")/master_lib.sh"

start_target

echo "== 3 workers, the master frozen for 3 s mid-run"
# A run without a length, ended on SIGTERM 2 history rows after the master
# said it stalled (a 12 s run could end before the freeze, or during it, on
# a busy machine: then there was no master to freeze, or no run to judge).
start_hmaster -H "$target_url" --expect-workers 3 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 30 -r 30 -s 3s --only-summary "/delay?ms=5" /
for i in 1 2 3; do start_worker --threads 1 --id "worker-$i"; done
wait_log "workers joined" 15 || fail "the run did not start"
sleep 4
kill -STOP "$hmaster_pid"
sleep 3
kill -CONT "$hmaster_pid"
wait_log "the master itself stalled for" 30 || fail "the master did not notice its stall"
rows=$(history_rows "$work/r")
wait_history "$work/r" $((rows + 2)) 30 || fail "no history rows after the stall"
kill -TERM "$hmaster_pid" # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the master says it stalled" grep -q "the master itself stalled for" "$work/master.err"
check "no worker marked missing for the master's own stall" \
    bash -c "! grep -q 'marked missing' '$work/master.err'"
check "no worker lost its users" bash -c "! grep -q 'go to the other workers' '$work/master.err'"
check "every worker's final report is in" \
    bash -c "! grep -q 'sent no final report' '$work/master.err'"
lag=$(sed -n 's/.*master lag max \([0-9]*\) ms.*/\1/p' "$work/master.err" | tail -1)
check "the master reports its lag, the stall included (${lag:-none} ms >= 2500)" \
    [ "${lag:-0}" -ge 2500 ]
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"
finish
