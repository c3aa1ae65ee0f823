#!/usr/bin/env bash
# Workers that break the master's limits. Beside one real worker, fake
# workers (no CurveZMQ: any peer may join) send statistics under names the
# scenario does not have, counts that would wrap around when merged, and far
# more statistics bytes per second than any worker sends. Each is thrown out
# of the run, named in the log and after the console summary; the run goes
# on and its CSV stays exact. Escape sequences in a worker's id, hostname
# and error texts never reach the terminal raw, while the CSV keeps their
# bytes. A stats store that runs out of memory fails the run (exit 3) and
# says so.
. "$(dirname "$0")/master_lib.sh"

start_target
echo "== three offenders beside a real worker"
# A run without a length, ended on SIGTERM once the offenders are done (a
# 12 s run could end before the 6 s offenders were thrown out on a busy
# machine, Python's start-up included).
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 10 -r 10 / /json
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
fakes=()
for kind in names overflow bytes; do
    fake_worker peer --master "$master_ep" --mode offend --offense "$kind" --seconds 6 \
        >"$work/$kind.json" &
    fakes+=($!)
done
# Report numbers no run of this length reaches (2^40: a wrapped sum of
# lost reports before).
fake_worker peer --master "$master_ep" --mode idle --first-seq 1099511627776 --seconds 6 \
    >"$work/seq.json" &
fakes+=($!)
for p in "${fakes[@]}"; do wait_pid "$p" 30; done
for kind in names overflow bytes seq; do
    check "the '$kind' offender is thrown out ($(cat "$work/$kind.json"))" \
        grep -q "thrown out of the run" "$work/$kind.json"
done
check "the master is still running" kill -0 "$hmaster_pid"
wait_history "$work/r" 2 30 || fail "no history rows for 2 s of the run"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "each offender is named in the log" \
    [ "$(grep -c "broke a limit and is ignored for the rest of the run" "$work/master.err")" = 4 ]
check "names of no request of the scenario" grep -q "not a request of the scenario" "$work/master.err"
check "counts beyond the limit" grep -q "requests, .* bytes in one interval" "$work/master.err"
check "statistics bytes beyond the budget" grep -q "MiB of statistics per second" "$work/master.err"
check "report numbers beyond the run's length" \
    grep -q "its report numbers run ahead of the run's length" "$work/master.err"
check "... and no lost reports counted for them" bash -c "! grep -q 'reports never arrived' '$work/master.err'"
check "the offenders are listed after the summary" \
    [ "$(sed -n '/^Workers ignored for breaking a limit/,/^$/p' "$work/master.err" | grep -c "^  worker")" = 4 ]
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== escape sequences from a worker"
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 20s --csv "$work/e" \
    -u 1 -r 1 -t 3s --exit-code-on-error 0 /
fake_worker peer --master "$master_ep" --mode offend --offense escape --seconds 30 \
    --id $'\e]0;pwned\a' --hostname $'\e[2Jhost' >"$work/escape.json" &
# A name the scenario does not have, with escape sequences: the reason it
# is thrown out quotes it, in the list after the summary too.
fake_worker peer --master "$master_ep" --mode offend --offense escape-name --seconds 30 \
    >"$work/escape-name.json" &
wait_master 30
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "no escape byte reached the terminal" bash -c "! grep -q $'\e' '$work/master.err'"
check "the id and hostname are shown escaped" \
    grep -q 'joined: \\x1b\]0;pwned\\x07 (\\x1b\[2Jhost' "$work/master.err"
check "the error text is shown escaped in the summary" \
    grep -q 'HTTP 500 \\x1b\[2J\\x1b\]0;pwned\\x07\\x0d\\x0afake line' "$work/master.err"
check "the exception message is shown escaped in the summary" \
    grep -q 'data gone \\x1b\]52;c;cHduZWQ=\\x07\\x1b\[2J' "$work/master.err"
check "the name in the reason is shown escaped after the summary" \
    grep -q '^  worker .*: GET /\\x1b\]0;pwned\\x07\\x1b\[2J: not a request' "$work/master.err"
check "the failures CSV keeps the exact bytes, quoted" \
    grep -q $'"HTTP 500 \e\\[2J\e\\]0;pwned\a\r' "$work/e_failures.csv"

echo "== the stats store out of memory"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 8 -r 8 -t 8s \
    --max-stats-memory 1MiB --only-summary /a /b /c /d /e /f /g /h
start_worker --threads 1
wait_master 40
check "the run fails with exit 3 (got $master_rc)" [ "$master_rc" = 3 ]
check "the master says why" grep -q "statistics store is out of memory" "$work/master.err"
finish
