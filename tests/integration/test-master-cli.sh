#!/usr/bin/env bash
# Careless use: bad values are refused at once with the reason and exit code
# 2, before anything binds or waits; a master without CurveZMQ on an address
# other hosts can reach is refused (unless --insecure); localhost and [::1]
# can be bound, and connected to; local workers that cannot run end the wait
# at once; setups in which no worker could join are refused at once; --force
# keeps the old keys when it fails; a master that cannot bind leaves the
# last reports alone; and a run in which nothing could be sent does not
# pass: exit 3, with the reason.
. "$(dirname "$0")/master_lib.sh"

# $1 description, $2 regex the message must match, then the arguments.
refused() {
    local what="$1" want="$2"; shift 2
    local rc=0
    timeout 10 "$HORNET_MASTER" --bind 'tcp://127.0.0.1:*' "$@" >"$work/out" 2>"$work/err" || rc=$?
    check "$what: exit 2 (got $rc), says '$want'" \
        bash -c "[ $rc = 2 ] && grep -q -- \"\$1\" '$work/err'" _ "$want"
}

refused "-H 'http://[::1'" "Bad IPv6 address" -H 'http://[::1' /
refused "-H http://" "No host part" -H http:// /
refused "a space in a path" "no space or control character" -H http://127.0.0.1:1 '/a b'
refused "a newline in a path" "no space or control character" -H http://127.0.0.1:1 $'/a\nb'
refused "port 99999 in --bind" "port is a number 1..65535" --bind tcp://127.0.0.1:99999 \
    -H http://127.0.0.1:1 /
refused "--worker-bin /nonexistent" "--worker-bin wants an executable" --local-workers 1 \
    --worker-bin /nonexistent -H http://127.0.0.1:1 /
refused "--worker-threads without --local-workers" \
    "--worker-threads is for the workers --local-workers N starts" \
    --worker-threads 2 -H http://127.0.0.1:1 /
refused "-u 0" "--users wants" -u 0 -H http://127.0.0.1:1 /
refused "-r 0x10" "--spawn-rate wants" -r 0x10 -H http://127.0.0.1:1 /
refused "-r 1e-300" "--spawn-rate wants" -r 1e-300 -H http://127.0.0.1:1 /
refused "--curve-secret without --allow-workers" "needs --allow-workers" \
    --curve-secret /etc/hostname -H http://127.0.0.1:1 /
refused "--allow-shared-key without --curve-secret" "--allow-shared-key needs --curve-secret" \
    --allow-shared-key /etc/hostname -H http://127.0.0.1:1 /
refused "--allow-shared-key /nonexistent" "--allow-shared-key wants a readable file" \
    --allow-shared-key /nonexistent -H http://127.0.0.1:1 /

refused "--only-summary=yes" "--only-summary takes no value (got '--only-summary=yes')" \
    --only-summary=yes -H http://127.0.0.1:1 /
refused "an abbreviation of several flags" "'--max' is short for several options" \
    --max 5 -H http://127.0.0.1:1 /
refused "--local-workers above --max-workers" "--local-workers is more than --max-workers" \
    --local-workers 2 --max-workers 1 -H http://127.0.0.1:1 /
refused "-t beyond 10 years, with a file's stages too" "--run-time: at most 10 years" \
    -t 99999999999h -f "$(dirname "$0")/../../deploy/examples/stages.yaml"
refused "--exit-code-on-error 3" "--exit-code-on-error: 2 and 3 mean" \
    --exit-code-on-error 3 -H http://127.0.0.1:1 /
refused "--csv DIR/" "--csv wants a file name prefix such as reports/run, not a directory" \
    --csv "$work/" -H http://127.0.0.1:1 /
refused "two reports on one file" "--json and --html both write" \
    --json "$work/same" --html "$work/same" -H http://127.0.0.1:1 /
# ... also when the two paths differ only in how they reach the file
# (both runs exited 0, the second report silently replacing the first).
mkdir -p "$work/dir" && ln -s dir "$work/link"
refused "one file by .. and by its name" "--json and --summary-md both write" \
    --json "$work/out/x.json" --summary-md "$work/out/../out/x.json" -H http://127.0.0.1:1 /
refused "one file by a linked directory" "--summary-md and --csv both write" \
    --csv "$work/dir/r" --summary-md "$work/link/r_stats.csv" -H http://127.0.0.1:1 /
ln -s dir/z.json "$work/dangling.json" # its target made by the writer
refused "one file by a dangling link" "--json and --html both write" \
    --json "$work/dangling.json" --html "$work/dir/z.json" -H http://127.0.0.1:1 /
refused "one file, absolute and relative" "--json and --html both write" \
    --json "$work/dir/y.json" --html "$(realpath --relative-to=. "$work/dir")/y.json" \
    -H http://127.0.0.1:1 /
# Setups in which no worker could ever join: refused, not a 60 s wait.
"$HORNET_KEYGEN" "$work/m" >/dev/null || fail "hornet-keygen"
refused "--allow-workers naming a directory" "Is a directory" \
    --curve-secret "$work/m.key" --allow-workers "$work" -H http://127.0.0.1:1 /
refused "--allow-workers with no key in it" "no public key in /dev/null: no worker could join" \
    --curve-secret "$work/m.key" --allow-workers /dev/null -H http://127.0.0.1:1 /
refused "more workers expected than local ones, without keys for the others" \
    "the local workers use throwaway CurveZMQ keys" \
    --local-workers 1 --expect-workers 2 -H http://127.0.0.1:1 /
# Keys: a secret others may read, files of the wrong kind, a key in place
# of its file (never echoed); metrics beyond loopback without --insecure.
cp "$work/m.key" "$work/open.key" && chmod 644 "$work/open.key"
refused "a secret key file others may read" "other users may read it (mode 644): chmod 600" \
    --curve-secret "$work/open.key" --allow-workers "$work/m.pub" -H http://127.0.0.1:1 /
refused "a .pub given as the secret" "a public key file: give the secret .key" \
    --curve-secret "$work/m.pub" --allow-workers "$work/m.pub" -H http://127.0.0.1:1 /
refused "a .key given as the allow list" "a secret key file: the list takes public keys" \
    --curve-secret "$work/m.key" --allow-workers "$work/m.key" -H http://127.0.0.1:1 /
secret=$(cat "$work/m.key")
refused "the secret key itself given as --curve-secret" "not the key itself" \
    --curve-secret "$secret" --allow-workers "$work/m.pub" -H http://127.0.0.1:1 /
check "... and not echoed" bash -c "! grep -qF -- '$secret' '$work/err'"
rc=0
timeout 20 "$HORNET_WORKER" --master tcp://127.0.0.1:1 --curve-secret "$secret" \
    --master-key "$work/m.pub" 2>"$work/werr" || rc=$?
check "a worker given the key itself: exit 2 (got $rc), not echoed" \
    bash -c "[ $rc = 2 ] && grep -q 'the secret key itself was given' '$work/werr' && ! grep -qF -- '$secret' '$work/werr'"
rc=0
timeout 20 "$HORNET_WORKER" --master tcp://127.0.0.1:1 --curve-secret "$work/m.key" \
    --master-key "$work/m.key" 2>"$work/werr" || rc=$?
check "a worker given a .key as the master's public key: exit 2 (got $rc)" \
    bash -c "[ $rc = 2 ] && grep -q 'a secret key file: give the public .pub' '$work/werr'"
refused "--metrics-bind beyond loopback without --insecure" "without authentication" \
    --metrics-bind :0 -H http://127.0.0.1:1 /

echo "== hornet-keygen NAME names files, not a directory"
for name in "$work/" "$work/." "$work/.."; do
    rc=0
    "$HORNET_KEYGEN" "$name" >/dev/null 2>"$work/err" || rc=$?
    check "'$name' refused: exit $rc, $(cat "$work/err")" \
        bash -c "[ $rc = 2 ] && grep -q 'NAME names the files, not a directory' '$work/err'"
done
check "no hidden key file made" bash -c "! ls -a '$work' | grep -q '^\.\(key\|pub\)$'"
echo "== hornet-keygen --force keeps the old pair when it cannot write the new one"
"$HORNET_KEYGEN" "$work/k" >/dev/null || fail "hornet-keygen"
old_key=$(cat "$work/k.key")
rm "$work/k.pub" && mkdir "$work/k.pub"
rc=0
"$HORNET_KEYGEN" --force "$work/k" >/dev/null 2>"$work/err" || rc=$?
check "refused: k.pub is a directory (exit $rc)" bash -c "[ $rc = 2 ] && grep -q 'is not a file' '$work/err'"
check "the old secret key is still there" [ "$(cat "$work/k.key")" = "$old_key" ]
rmdir "$work/k.pub"
"$HORNET_KEYGEN" --force "$work/k" >/dev/null || fail "hornet-keygen --force"
check "--force replaces both, leaving no temporary file" \
    bash -c "[ \"\$(cat '$work/k.key')\" != '$old_key' ] && [ -s '$work/k.pub' ] && ! ls '$work'/k.*.tmp 2>/dev/null"
old_key=$(cat "$work/k.key") old_pub=$(cat "$work/k.pub")
# The second rename failing (an immutable .pub): the first is undone.
if chattr +i "$work/k.pub" 2>/dev/null; then
    rc=0
    "$HORNET_KEYGEN" --force "$work/k" >/dev/null 2>"$work/err" || rc=$?
    chattr -i "$work/k.pub"
    check "the public key cannot be replaced: exit 3 (got $rc), the old pair kept" \
        bash -c "[ $rc = 3 ] && [ \"\$(cat '$work/k.key')\" = '$old_key' ] && [ \"\$(cat '$work/k.pub')\" = '$old_pub' ]"
else
    echo "skip: chattr +i does not work here, so a failing rename is not tried"
fi

echo "== a master that cannot bind leaves the last run's reports as they were"
printf 'kept\n' >"$work/prev_stats.csv"
# The holder binds a port of its own choosing (a free port picked first may
# be taken by another job before it binds) and says which.
: >"$work/held-port"
"$PY" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(20)' >"$work/held-port" &
holder=$!
for _ in $(seq 50); do [ -s "$work/held-port" ] && break; sleep 0.1; done
port=$(cat "$work/held-port")
rc=0
timeout 10 "$HORNET_MASTER" --bind "tcp://127.0.0.1:$port" --csv "$work/prev" -H http://127.0.0.1:1 / \
    >/dev/null 2>"$work/err" || rc=$?
kill "$holder" 2>/dev/null
check "cannot bind: exit 3 (got $rc)" [ "$rc" = 3 ]
check "the CSV files of the last run are untouched" [ "$(cat "$work/prev_stats.csv")" = kept ]

echo "== Ctrl-C while the master waits for workers: exit 3, said"
start_hmaster --expect-workers-max-wait 60s -H http://127.0.0.1:1 /
kill -INT "$hmaster_pid"
wait_master 20
check "exit 3 (got $master_rc)" [ "$master_rc" = 3 ]
check "the master says why" grep -q "interrupted by SIGINT while waiting for workers" "$work/master.err"
check "a loopback bind does not warn" bash -c "! grep -q 'without CurveZMQ' '$work/master.err'"

rc=0
timeout 10 "$HORNET_WORKER" --master tcp://127.0.0.1:99999 2>"$work/err" || rc=$?
check "worker -m with port 99999: exit 2 (got $rc)" [ "$rc" = 2 ]
check "the worker says why" grep -q "port is a number 1..65535" "$work/err"

echo "== no CurveZMQ on an address other hosts can reach: refused, unless --insecure"
port=$(free_port)
rc=0
timeout 20 "$HORNET_MASTER" --bind "tcp://0.0.0.0:$port" --expect-workers-max-wait 1s \
    -H http://127.0.0.1:1 / >/dev/null 2>"$work/master.err" || rc=$?
check "a plain bind of 0.0.0.0 is refused (exit $rc)" [ "$rc" = 2 ]
check "... saying why and what to do" grep -q "without CurveZMQ anyone who can reach this port" \
    "$work/master.err"
# With credentials in -H and every report: they never reach one.
MASTER_BIND="tcp://0.0.0.0:$port" start_hmaster --expect-workers-max-wait 1s --insecure \
    -H 'http://user:pa55word@127.0.0.1:1' --json "$work/cred.json" --html "$work/cred.html" \
    --junit "$work/cred.xml" --summary-md "$work/cred.md" /
wait_master 20
check "--insecure allows it: the master waits for workers (exit $master_rc: none came)" \
    [ "$master_rc" = 3 ]
check "... and says nothing of CurveZMQ" bash -c "! grep -q 'without CurveZMQ' '$work/master.err'"
echo "== credentials in -H never reach a report"
check "the JSON shows the host without them" "$PY" -c "import json,sys
sys.exit(json.load(open(sys.argv[1]))['run']['config']['host'] != 'http://***@127.0.0.1:1')" "$work/cred.json"
check "no report holds the password" bash -c "! grep -l pa55word '$work'/cred.*"

echo "== a master bound to localhost, and to IPv6 loopback"
start_target
served() { [ "$(target_total)" -gt 0 ]; }
# $1 the bind address (HOST), $2 what the worker connects to. A run without
# a length, ended by SIGTERM (its planned end) once the target has served
# a request since its reset.
loopback_run() {
    local port
    port=$(free_port)
    curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
    MASTER_BIND="tcp://$1:$port" start_hmaster -H "$target_url" -u 2 -r 2 \
        --expect-workers 1 --expect-workers-max-wait 20s --only-summary /
    "$HORNET_WORKER" --master "tcp://$2:$port" --threads 1 2>>"$work/worker.err" &
    pids+=($!)
    wait_for 30 served || fail "--bind tcp://$1:P: no request was served"
    kill -TERM "$hmaster_pid" 2>/dev/null || true
    wait_master 40
    check "--bind tcp://$1:P, a worker at tcp://$2:P: the run passes (exit $master_rc)" \
        [ "$master_rc" = 0 ]
    check "... with requests" grep -q "Aggregated  *[1-9]" "$work/master.out" "$work/master.err"
}
loopback_run localhost localhost
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
    loopback_run '[::1]' '[::1]'
else
    echo "skip: this machine has no ::1 on lo (IPv6 off), so no IPv6 run"
fi

echo "== local workers that cannot run: exit 3 at once, not after the whole wait"
start_hmaster --local-workers 1 --worker-bin /bin/false --expect-workers-max-wait 60s \
    -H http://127.0.0.1:1 /
wait_master 20
check "exit 3 long before the 60 s wait (got $master_rc)" [ "$master_rc" = 3 ]
check "the master says why" grep -q "every local worker exited" "$work/master.err"

echo "== a worker through which nothing is sent: exit 3, with the reason"
start_target
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 5 -r 5 -t 4s \
    --only-summary --json "$work/idle-run.json" /
# Its reports skip two numbers, and the first one sent is number 4: five
# reports that never arrived (the first three before any arrived). From
# its 3rd report on its clock is set back 20 s (NTP): no delay of its
# reports (that read as reports 20 s late).
fake_worker peer --master "$master_ep" --mode idle --first-seq 4 --skip-seq 2 --seconds 30 \
    --clock-step -20 >"$work/idle.json" &
idle=$!
wait_master 40
check "a run that sent nothing exits 3 (got $master_rc)" [ "$master_rc" = 3 ]
check "the master says why" grep -q "nothing was sent: no request completed" "$work/master.err"
check "a worker's clock set back is no delay of its reports" \
    bash -c "! grep -q 'its reports arrive' '$work/master.err'"
check "a gap in a worker's report numbers is logged" grep -q "worker 0: 2 of its reports never arrived" "$work/master.err"
check "reports lost before the first that arrived are logged" \
    grep -q "worker 0: 3 of its reports never arrived" "$work/master.err"
check "and is in the JSON report (reports_lost, a gap event)" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ev = [e["kind"] for e in d["events"]]
sys.exit(not (d["workers"][0]["reports_lost"] == 5 and "gap" in ev))' "$work/idle-run.json"
wait_pid "$idle" 10
finish
