# Helpers of hornet-master's integration tests (sourced, not run): lib.sh,
# plus starting hornet-master, bounded waits, and the Locust CSV checks.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${HORNET_MASTER:?HORNET_MASTER must point to hornet-master}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fake_worker() { "$PY" "$here/fake_worker.py" "$@"; }

# Like lib.sh's cleanup, but a process that ignores SIGTERM for 3 s (a
# master in its stop phase) gets SIGKILL, so a failing test ends promptly.
master_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for _ in $(seq 30); do
        local alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap master_cleanup EXIT

# Start hornet-master (args passed through; default --bind
# tcp://127.0.0.1:* unless MASTER_BIND is set); its log goes to
# $work/master.err ($work/$HMASTER_LOG.err if set: a master running beside
# another, not seen by wait_log). Sets hmaster_pid and master_ep (for
# start_worker).
start_hmaster() {
    local log=$work/${HMASTER_LOG:-master}
    : >"$log.out" # see start_target: the loop may read first
    : >"$log.err"
    # HMASTER_WRAP: a command to run it under (nohup)
    ${HMASTER_WRAP:-} "$HORNET_MASTER" --bind "${MASTER_BIND:-tcp://127.0.0.1:*}" "$@" \
        >"$log.out" 2>"$log.err" &
    hmaster_pid=$!
    pids+=("$hmaster_pid")
    for _ in $(seq 100); do
        master_ep=$(sed -n 's/.* waiting for [0-9]* workers\{0,1\} on \(tcp:[^ ]*\).*/\1/p' "$log.err")
        [ -n "$master_ep" ] && return 0
        kill -0 "$hmaster_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "hornet-master did not start"; cat "$log.err"; exit 1
}

# start_py_server NAME SCRIPT [ARGS...]: run tests/integration/SCRIPT (a
# Python server that prints "listening on PORT" once ready) in the
# background, its output in $work/NAME.out and .err; sets server_pid and
# server_port, or fails the test with its errors.
start_py_server() {
    local name=$1 script=$2
    shift 2
    : >"$work/$name.out" # read below, maybe before the server's shell opens it
    "$PY" "$here/$script" "$@" >"$work/$name.out" 2>"$work/$name.err" &
    server_pid=$!
    pids+=("$server_pid")
    wait_grep "$work/$name.out" "^listening on [0-9]" 10 ||
        { cat "$work/$name.err"; fail "$script did not start"; exit 1; }
    server_port=$(sed -n 's/^listening on //p' "$work/$name.out")
}

# Wait up to $2 seconds for a line matching the regex $1 in the master log.
wait_log() {
    local deadline=$((SECONDS + $2))
    until grep -q -- "$1" "$work/master.err"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Wait up to $1 seconds for "$@" (after $1) to succeed.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# A run without a length (-t) ends on SIGTERM as planned: stop_when ends
# the master's run that way once "$@" succeeds (what the checks need has
# happened), or after 30 s (`stop_when --within S ...`: S s) or when the
# master is gone (the checks then fail), and waits for it; sets master_rc.
# The requests in flight then still finish, and every count is reported.
stop_when() {
    local within=30
    if [ "$1" = --within ]; then
        within=$2
        shift 2
    fi
    local deadline=$((SECONDS + within))
    until "$@"; do
        kill -0 "$hmaster_pid" 2>/dev/null || break
        if [ $SECONDS -ge $deadline ]; then
            echo "note: not seen in $within s: $*"
            break
        fi
        sleep 0.1
    done
    kill -TERM "$hmaster_pid" 2>/dev/null || true
    wait_master 60
}

# The number of Aggregated rows in the history file of CSV prefix $1 (one a
# second while the run goes).
history_rows() {
    grep -c '^[0-9]*,[0-9]*,,Aggregated,' "$1_stats_history.csv" 2>/dev/null || true
}

# Wait up to $3 seconds for the history file of CSV prefix $1 to hold at
# least $2 Aggregated rows: a run ended by a signal has then run long
# enough for check_csv's history checks, or for rows after an event.
wait_history() {
    local deadline=$((SECONDS + $3)) n
    while :; do
        n=$(history_rows "$1")
        [ "${n:-0}" -ge "$2" ] && return 0
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# Wait up to $2 seconds for process $1 (a child of this shell) to exit;
# sets pid_rc to its exit status (124 when it is still running).
wait_pid() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then pid_rc=124; return 0; fi
        sleep 0.1
    done
    pid_rc=0
    wait "$1" || pid_rc=$?
}

# Wait up to $1 seconds for the master to exit; sets master_rc (124 when it
# is still running), and pid_rc to the same.
wait_master() {
    wait_pid "$hmaster_pid" "$1"
    master_rc=$pid_rc
}

target_stats() { curl -s --max-time 5 "$target_url/__stats"; }

# run_scenario WORKERS NAME FILE ARGS...: the target's counters reset, a
# run of scenario FILE with WORKERS local workers (one engine thread each),
# CSV reports $work/NAME_*.csv, waited for up to 60 s; sets master_rc and
# writes the target's counters to $work/NAME.target.json.
run_scenario() {
    local workers=$1 name=$2 file=$3
    shift 3
    curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
    start_hmaster -f "$file" -H "$target_url" --local-workers "$workers" --worker-threads 1 \
        --csv "$work/$name" --only-summary "$@"
    wait_master 60
    target_stats >"$work/$name.target.json"
}

# Check the four Locust CSV files PREFIX_*.csv of a run without failures:
# header rows byte for byte, CRLF line ends, the Aggregated row equal to the
# sum of the entries and to the target's own count (its /__stats JSON in
# file $2) per path and in total, percentiles monotonic within [Min, Max],
# the history's last Aggregated row holding every request. With $3 =
# "lossy" (a worker was lost with requests it never reported) the counts
# may fall short of the target's, by at most 10 %. Each check prints
# ok/FAIL; FAILs count as test failures.
check_csv() {
    local out
    out=$("$PY" - "$1" "$2" "${3:-exact}" <<'PY' || true
import csv, io, json, sys
prefix, target_json, exact = sys.argv[1], sys.argv[2], sys.argv[3] == "exact"
target = json.load(open(target_json))
PCT = "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
HEAD = {
    "stats": "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
             "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," + PCT,
    "stats_history": "Timestamp,User Count,Type,Name,Requests/s,Failures/s," + PCT + ",Total Request Count,"
                     "Total Failure Count,Total Median Response Time,Total Average Response Time,"
                     "Total Min Response Time,Total Max Response Time,Total Average Content Size",
    "failures": "Method,Name,Error,Occurrences,First Seen,Last Seen",
    "exceptions": "Count,Message,Traceback,Nodes",
}
def report(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    return ok
def load(kind):
    path = f"{prefix}_{kind}.csv"
    try:
        data = open(path, "rb").read()
    except OSError as e:
        report(False, f"{kind}.csv readable ({e})")
        return None
    first = data.split(b"\r\n", 1)[0]
    report(first == HEAD[kind].encode(), f"{kind}.csv header row is Locust's, byte for byte"
           + ("" if first == HEAD[kind].encode() else f" (got {first!r})"))
    lone_lf = data.count(b"\n") - data.count(b"\r\n")
    crlf = data.count(b"\r\n")
    report(data.endswith(b"\r\n") and lone_lf == 0 and data.count(b"\r") == crlf,
           f"{kind}.csv: every line ends with CRLF ({crlf} lines)")
    if first != HEAD[kind].encode():
        return None  # the other checks of this file would only add noise
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    width = len(HEAD[kind].split(","))
    bad = [r for r in rows if len(r) != width]
    report(not bad, f"{kind}.csv: every row has {width} columns" + (f" (not {bad[:2]})" if bad else ""))
    return [dict(zip(rows[0], r)) for r in rows[1:]]

def num(s):
    return float(s)
def tol(s):  # half a unit of the last printed digit: what printing may round
    return 0.5 * 10 ** -(len(s.split(".")[1]) if "." in s else 0)
def le(a, b):  # a <= b, as printed
    return num(a) <= num(b) + tol(a) + tol(b)

stats = load("stats")
if stats is not None:
    agg = [r for r in stats if r["Name"] == "Aggregated"]
    report(len(agg) == 1 and stats[-1] is agg[0] and agg[0]["Type"] == "",
           "stats.csv: one Aggregated row, last, with an empty Type")
    entries = [r for r in stats if r["Name"] != "Aggregated"]
    if agg:
        a = agg[0]
        n = int(a["Request Count"])
        if exact:
            report(n == target["total"], f"Aggregated Request Count {n} == target's count {target['total']}")
        else:
            report(0.9 * target["total"] <= n <= target["total"],
                   f"Aggregated Request Count {n} <= target's count {target['total']}, short by at most 10 %")
        report(n > 0, f"some load was generated ({n} requests)")
        s = sum(int(r["Request Count"]) for r in entries)
        report(s == n, f"entries' Request Counts add up to the Aggregated one ({s} == {n})")
        f = int(a["Failure Count"])
        report(f == 0 and sum(int(r["Failure Count"]) for r in entries) == 0, f"no failures ({f})")
    key = [(r["Name"], r["Type"]) for r in entries]
    report(key == sorted(key), "entries sorted by name, then method")
    def path_of(name):  # quick-mode names are the PATH as given (maybe a URL); the
        if "://" in name:  # target keys paths without their query
            name = "/" + name.split("://", 1)[1].split("/", 1)[1]
        return name.split("?", 1)[0]
    got = {path_of(r["Name"]): int(r["Request Count"]) for r in entries}
    if exact:
        report(got == target["paths"], f"per-path counts equal the target's ({got} vs {target['paths']})")
    else:
        report(got.keys() == target["paths"].keys() and all(got[p] <= target["paths"][p] for p in got),
               f"per-path counts at most the target's ({got} vs {target['paths']})")
    for r in stats:
        name = r["Name"]
        pct = [r[p] for p in PCT.split(",")]
        if int(r["Request Count"]) == 0:
            continue
        mono = all(le(x, y) for x, y in zip(pct, pct[1:]))
        report(mono, f"{name}: percentiles monotonic {pct}")
        lo, hi = r["Min Response Time"], r["Max Response Time"]
        inside = [p for p in pct + [r["Median Response Time"], r["Average Response Time"]]
                  if not (le(lo, p) and le(p, hi))]
        report(not inside, f"{name}: percentiles, median and average within [Min {lo}, Max {hi}]"
               + (f"; outside: {inside}" if inside else ""))
        report(num(r["Requests/s"]) > 0, f"{name}: Requests/s {r['Requests/s']} > 0")

hist = load("stats_history")
if hist is not None and stats is not None and agg:
    rows = [r for r in hist if r["Name"] == "Aggregated"]
    report(len(rows) >= 2, f"history has an Aggregated row per second ({len(rows)} rows)")
    ts = [int(r["Timestamp"]) for r in rows]
    report(ts == sorted(ts), "history timestamps do not go back")
    totals = [int(r["Total Request Count"]) for r in rows]
    report(totals == sorted(totals), "history Total Request Count never decreases")
    if rows:
        last = int(rows[-1]["Total Request Count"])
        report(last == int(agg[0]["Request Count"]),
               f"last history row holds every request ({last} == {agg[0]['Request Count']})")
for kind in ("failures", "exceptions"):
    rows = load(kind)
    if rows is not None:
        report(rows == [], f"{kind}.csv has only its header (no failures)")
PY
)
    echo "$out"
    local line
    while IFS= read -r line; do
        failures=$((failures + 1))
        failed_checks+=("${line#FAIL: }")
    done < <(grep '^FAIL' <<<"$out" || true)
    grep -q '^ok' <<<"$out" || fail "CSV checker did not run"
}
