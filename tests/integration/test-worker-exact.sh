#!/usr/bin/env bash
# Exactness: with 2 engine threads and 200 users, the requests summed over
# every SNAPSHOT and the FINAL equal the target's own count, exactly,
# including requests still in flight when STOP arrives (the /delay task).
. "$(dirname "$0")/lib.sh"

start_target
start_master --workers 1 --timeout-ms 10000 --deadline 60 \
    --script "users=200@2000,sleep=3,stop=5000,quit" \
    "$target_url/" "$target_url/json" "$target_url/delay?ms=50"
start_worker --threads 2
wait "$master_pid" || fail "scripted master did not get every FINAL"

got=$(summary '["requests"]')
want=$(target_total)
echo "worker reported $got requests, target counted $want"
check "requests reported == requests received by the target" [ "$got" = "$want" ]
check "some load was generated" [ "$got" -gt 0 ]
check "no failures" [ "$(summary '["failures"]')" = 0 ]
for path in / /json /delay; do
    n=$(curl -s "$target_url/__stats" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['paths'].get('$path', 0))")
    key="GET $target_url${path}"
    [ "$path" = /delay ] && key="GET $target_url/delay?ms=50"
    r=$(summary "['entries'].get('$key', -1)")
    check "entry $path: reported $r == target $n" [ "$r" = "$n" ]
done
wait "$worker_pid"; rc=$?
check "worker exits 0 after QUIT (got $rc)" [ "$rc" = 0 ]

# The FINAL must be a snapshot asked for after every thread drained. With a
# snapshot every millisecond one is nearly always under way when the last
# thread drains; if that one became the FINAL, the requests a thread aborted
# after its swap were lost (about every second run with 32 threads).
lost=0
for run in 1 2 3 4 5 6 7 8 9 10; do
    curl -s -X POST "$target_url/__reset" >/dev/null
    start_master --workers 1 --snapshot-ms 1 --deadline 20 \
        --script "users=320@0,sleep=0.3,stop=200,quit" "$target_url/delay?ms=5000" "$target_url/"
    start_worker --threads 32
    wait "$master_pid" || fail "run $run: scripted master did not get every FINAL"
    wait "$worker_pid" || fail "run $run: worker did not exit 0 after QUIT"
    got=$(summary '["requests"]')
    want=$(target_total)
    # Requests aborted at the stop count as failures, also those that had
    # not reached the target yet (on a busy machine some of the 320 users'
    # requests are still connecting 0.3 s in): the worker may report more
    # than the target saw by those, never fewer (that was the lost count).
    aborted=$(summary "['errors']" | "$PY" -c "import ast,sys; print(sum(v for k, v in ast.literal_eval(sys.stdin.read()).items() if k.endswith('|aborted at stop')))")
    if [ "$got" -lt "$want" ] || [ "$((got - want))" -gt "$aborted" ]; then
        lost=$((lost + 1))
        echo "run $run: worker reported $got requests ($aborted aborted at the stop), target counted $want"
    fi
done
check "snapshots every 1 ms: the FINAL completes the count in 10 of 10 stops ($lost short)" \
    [ "$lost" = 0 ]
# The phase timings (here the time to first byte) are held back and sent
# rarely (PROTOCOL.md §5), yet each request's comes in once. Seed 8 and
# this id: the worker's turn is report 51 of each minute (never in these
# runs) and its lead 14 s (its log says so). Without an announced end they
# all come in the FINAL; with one 8 s away, within the lead from the start,
# in every report, the FINAL holding only those since the last one (however
# late a loaded machine makes the reports).
for ends in 0 8000; do
    curl -s -X POST "$target_url/__reset" >/dev/null
    start_master --workers 1 --deadline 40 --ends-in-ms "$ends" \
        --script "users=5@0,sleep=8,stop=2000,quit" "$target_url/"
    if [ -s "$work/worker.err" ]; then # this run's log alone, for the turn's line
        mv "$work/worker.err" "$work/worker-before-ends-$ends.err"
    fi
    start_worker --threads 1 --seed 8 --id phases-test
    wait "$master_pid" || fail "ends $ends: scripted master did not get every FINAL"
    wait "$worker_pid" || fail "ends $ends: worker did not exit 0 after QUIT"
    if ! grep -q "phase timings go in report 51 of each minute and in each of the last 14 s" \
        "$work/worker.err"; then
        grep "phase timings go" "$work/worker.err" || true
        fail "the worker's turn is not the one this test was written for: choose another --seed"
    fi
    got=$(summary '["requests"]')
    in_snaps=$(summary '["ttfb_in_snapshots"]')
    in_final=$(summary '["ttfb_in_finals"]')
    phase_snaps=$(summary '["phase_snapshots"]')
    echo "ends $ends: $got requests; time to first byte: $in_snaps in $phase_snaps snapshots, $in_final in the FINAL"
    check "ends $ends: some load was generated" [ "$got" -gt 0 ]
    check "ends $ends: each request's time to first byte came in once ($in_snaps + $in_final == $got)" \
        [ "$((in_snaps + in_final))" = "$got" ]
    if [ "$ends" = 0 ]; then
        check "no end announced: the phases wait for the FINAL ($phase_snaps snapshots had some)" \
            [ "$phase_snaps" = 0 ]
    else
        check "end announced: the phases come before it ($phase_snaps snapshots had some)" \
            [ "$phase_snaps" -gt 0 ]
        check "end announced: the FINAL holds fewer than half of them ($in_final of $got)" \
            [ "$((2 * in_final))" -lt "$got" ]
    fi
done
finish
