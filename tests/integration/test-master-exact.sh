#!/usr/bin/env bash
# Exactness end to end: a master with 3 separately started workers, then a
# single command with --local-workers 2. In both, the Locust CSV reports
# count exactly the requests hornet-target received (in total and per path),
# the four header rows are Locust's byte for byte, lines end with CRLF,
# percentiles are monotonic within [Min, Max], and the master exits 0.
. "$(dirname "$0")/master_lib.sh"

start_target

echo "== 3 workers started separately, master on an explicit port"
MASTER_BIND="tcp://127.0.0.1:$(free_port)" start_hmaster -H "$target_url" --expect-workers 3 --expect-workers-max-wait 20s \
    --csv "$work/r" -u 30 -r 30 -t 4s --only-summary / /json
workers=()
for _ in 1 2 3; do start_worker --threads 1; workers+=("$worker_pid"); done
wait_master 30
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the master started with all 3 workers" grep -q "3 workers joined" "$work/master.err"
target_stats >"$work/target1.json"
check_csv "$work/r" "$work/target1.json"
for w in "${workers[@]}"; do
    wait_pid "$w" 10; rc=$pid_rc
    check "worker $w exits 0 after QUIT (got $rc)" [ "$rc" = 0 ]
done
check "the summary went to the console" grep -q "Aggregated" "$work/master.err"

echo "== one command: --local-workers 2"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" --local-workers 2 --csv "$work/l" -u 30 -r 30 -t 4s --only-summary / /json
wait_log "workers joined: ramping" 15 || fail "the run with local workers did not start"
inherited=""
for w in $(pgrep -P "$hmaster_pid" || true); do
    inherited+=$(ls -l "/proc/$w/fd" 2>/dev/null | grep -o "$work/l_[a-z_]*.csv" || true)
done
check "local workers hold none of the master's files (${inherited:-none})" [ -z "$inherited" ]
wait_master 30
check "master with local workers exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the master started 2 local workers" grep -q "started 2 local workers" "$work/master.err"
target_stats >"$work/target2.json"
check_csv "$work/l" "$work/target2.json"
check "no local worker is left behind" [ -z "$(pgrep -f -- "--master $master_ep --threads" || true)" ]
finish
