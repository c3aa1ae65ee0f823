#!/usr/bin/env bash
# Workers on other hosts, on real network stacks: master, target and three
# workers each in a network namespace of their own, joined by veth pairs
# through a bridge (in a switch namespace). The workers' links have 20 ms of
# latency: this kernel has no netem qdisc, so an iptables NFQUEUE rule hands
# each packet a worker sends to netdelay, which holds it 20 ms and lets it go
# (a lower bound is checked: every response time >= 20 ms).
#  1. a run is exact: the CSV counts what the target counted;
#  2. a worker whose link goes down is marked missing and its users move to
#     the others; when the link is back it rejoins and gets load again, and
#     the run again has exactly its users;
#  3. the master's link goes down: every worker stops its load by itself
#     (after 10 s of silence, by design) and the target's counter stays flat.
# Also: hornet-target's control endpoints refuse clients of other hosts.
# Nothing asserts a duration: waits are for events, with generous bounds.
# Needs root (skips with 77 otherwise); creates its namespaces under unique
# names and always removes them, and those of earlier runs that died.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (network namespaces)"
    exit 77
fi
. "$(dirname "$0")/master_lib.sh"
: "${NETDELAY:?NETDELAY must point to netdelay}"
for tool in ip iptables; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (Debian: iproute2, iptables)"; exit 1; }
done

tag="hornet-netns-$$"
ns_sw="$tag-sw" ns_m="$tag-m" ns_t="$tag-t"
ns_w=("" "$tag-w1" "$tag-w2" "$tag-w3")
net=10.77.0
master_ep="tcp://$net.1:5557"
target_url="http://$net.2:8080"
delay_ms=20

# Namespaces of earlier runs whose test process is gone (killed -9).
for ns in $(ip netns list | awk '{print $1}' | grep '^hornet-netns-[0-9]*-' || true); do
    owner=${ns#hornet-netns-}
    owner=${owner%%-*}
    if ! kill -0 "$owner" 2>/dev/null; then
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    fi
done

netns_cleanup() {
    local rc=$?
    master_cleanup # our processes: SIGTERM, then SIGKILL after 3 s; removes $work
    for ns in "$ns_sw" "$ns_m" "$ns_t" "${ns_w[@]:1}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    exit "$rc"
}
trap netns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the network --------------------------------------------------------------
# (Processes started in the background use `ip netns exec` directly: it
# execs them, so $! is theirs, for kill and wait.)
in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
ip netns add "$ns_sw"
in_ns "$ns_sw" ip link add br0 type bridge
in_ns "$ns_sw" ip link set br0 up
host() { # name, namespace, address: a host on the bridge through port p-NAME
    ip netns add "$2"
    ip link add "p-$1" netns "$ns_sw" type veth peer name eth0 netns "$2"
    in_ns "$ns_sw" ip link set "p-$1" master br0 up
    in_ns "$2" ip addr add "$3/24" dev eth0
    in_ns "$2" ip link set eth0 up
    in_ns "$2" ip link set lo up
}
host m "$ns_m" "$net.1"
host t "$ns_t" "$net.2"
for i in 1 2 3; do
    host "w$i" "${ns_w[i]}" "$net.1$i"
    # Latency: what worker i sends waits $delay_ms in netdelay. A second
    # rule counts the target's packets to it (its load, as the target sees it).
    : >"$work/netdelay$i.out"
    ip netns exec "${ns_w[i]}" "$NETDELAY" --queue 0 --delay-ms "$delay_ms" >"$work/netdelay$i.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q ready "$work/netdelay$i.out" && break; sleep 0.05; done
    grep -q ready "$work/netdelay$i.out" || { cat "$work/netdelay$i.out"; echo "FAIL: netdelay did not start"; exit 1; }
    in_ns "${ns_w[i]}" iptables -w -A OUTPUT -o eth0 -j NFQUEUE --queue-num 0
    in_ns "${ns_w[i]}" iptables -w -A INPUT -i eth0 -p tcp --sport 8080
done
link() { in_ns "$ns_sw" ip link set "p-$1" "$2"; } # link NAME up|down
# Packets from the target that worker $1 received so far.
worker_rx() { in_ns "${ns_w[$1]}" iptables -w -nvx -L INPUT | awk '/spt:8080/ {print $1}'; }

# --- processes ------------------------------------------------------------------
: >"$work/target.out"
ip netns exec "$ns_t" "$HORNET_TARGET" --listen "$net.2:8080" --threads 2 >"$work/target.out" 2>"$work/target.err" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening" "$work/target.out" && break; sleep 0.05; done
grep -q listening "$work/target.out" || { cat "$work/target.err"; echo "FAIL: hornet-target did not start"; exit 1; }
target_stats() { in_ns "$ns_t" curl -s --max-time 5 "$target_url/__stats"; }
target_total() { target_stats | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["total"])'; }
# The target's control endpoints answer clients on its own host only.
code=$(in_ns "$ns_m" curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
    "$target_url/__stall?ms=60000" || true)
check "another host's POST /__stall is refused by hornet-target (HTTP $code)" [ "$code" = 403 ]
code=$(in_ns "$ns_m" curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
    "$target_url/__reset" || true)
check "... and its POST /__reset (HTTP $code)" [ "$code" = 403 ]

start_master() { # hornet-master flags; its log is $work/master.err (wait_log)
    : >"$work/master.out"
    : >"$work/master.err"
    ip netns exec "$ns_m" "$HORNET_MASTER" --bind "$master_ep" --insecure --only-summary "$@" \
        >"$work/master.out" 2>"$work/master.err" &
    hmaster_pid=$!
    pids+=("$hmaster_pid")
    wait_log "waiting for" 10 || { cat "$work/master.err"; echo "FAIL: hornet-master did not start"; exit 1; }
}
start_workers() { # extra worker flags; logs $work/wI.err
    for i in 1 2 3; do
        ip netns exec "${ns_w[i]}" "$HORNET_WORKER" --master "$master_ep" --threads 1 --id "w$i" "$@" \
            2>"$work/w$i.err" &
        pids+=($!)
    done
}
# History rows (Aggregated) as "timestamp users", from CSV prefix $1.
history() {
    "$PY" - "$1_stats_history.csv" <<'PY'
import csv, sys
try:
    rows = list(csv.DictReader(open(sys.argv[1], newline="")))
except OSError:
    rows = []
for r in rows:
    if r.get("Name") == "Aggregated" and (r.get("User Count") or "").isdigit():
        print(r["Timestamp"], r["User Count"])
PY
}
# True when the history of $1 has $3 consecutive rows after time $2 with
# exactly $4 users.
users_settled() {
    history "$1" | awk -v t="$2" -v n="$3" -v u="$4" '
        $1 > t { run = ($2 == u) ? run + 1 : 0; if (run >= n) ok = 1 }
        END { exit !ok }'
}
log_time() { # epoch seconds of the first master log line matching $1
    grep -m1 -- "$1" "$work/master.err" | "$PY" -c 'import sys, datetime as d
t = d.datetime.strptime(sys.stdin.read().split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
print(int(t.replace(tzinfo=d.timezone.utc).timestamp()))'
}

echo "== 1. an exact run across namespaces, $delay_ms ms on each worker link"
start_master -H "$target_url" --expect-workers 3 --expect-workers-max-wait 30s --csv "$work/exact" \
    -u 30 -r 30 -t 6s "/delay?ms=5" /json
start_workers
wait_master 60
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the master started with the 3 workers" grep -q "3 workers joined" "$work/master.err"
target_stats >"$work/target1.json"
check_csv "$work/exact" "$work/target1.json"
min=$("$PY" -c 'import csv, sys
print([r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated"][0]["Min Response Time"])' \
    "$work/exact_stats.csv" 2>/dev/null || echo 0)
check "the link latency is in effect: every response took >= $delay_ms ms (min $min ms)" \
    "$PY" -c "import sys; sys.exit(not float('$min') >= $delay_ms)"
for i in 1 2 3; do
    wait_pid "${pids[-3 + i - 1]}" 10 # the workers leave after QUIT
done

echo "== 2. worker w3's link goes down mid-run, then comes back"
# A silence timeout longer than the partition: w3 keeps its users, so the
# master must hand it a share again when it is back (else the run would
# have w3's stale users on top of the 30 moved to w1 and w2).
start_master -H "$target_url" --expect-workers 3 --expect-workers-max-wait 30s --csv "$work/part" \
    --exit-code-on-error 0 -u 30 -r 30 -t 120s "/delay?ms=5"
start_workers --silence-timeout 60s
wait_log "workers joined: ramping" 30 || fail "the run did not start"
wait_for 30 users_settled "$work/part" 0 2 30 || fail "the run did not reach 30 users"
w3=$(sed -n 's/.*worker \([0-9]*\) joined: w3 .*/\1/p' "$work/master.err")
echo "w3 is worker $w3; link down"
link w3 down
if wait_log "(w3) silent .* marked missing" 30; then
    line=$(grep -m1 "(w3) silent .* marked missing" "$work/master.err")
    echo "${line#* }"
    moved=$(sed -n 's/.*(w3) silent .* its \([0-9]*\) users go to the other workers.*/\1/p' <<<"$line")
    check "w3 is marked missing and its ${moved:-?} users go to the other workers" [ "${moved:-0}" -gt 0 ]
    missing_at=$(log_time "(w3) silent .* marked missing")
    check "w1 and w2 run all 30 users while w3 is cut off" \
        wait_for 30 users_settled "$work/part" "$missing_at" 2 30
else
    fail "w3 was not marked missing within 30 s of its link going down"
fi
link w3 up
echo "link up"
if wait_log "worker $w3 is \(back\|responding again\)" 60; then
    echo "$(grep -m1 "worker $w3 is \(back\|responding again\)" "$work/master.err" | cut -d' ' -f2-)"
    back_at=$(log_time "worker $w3 is \(back\|responding again\)")
    rx0=$(worker_rx 3)
    check "w3 gets load again: the target answers it (100 packets after its return)" \
        wait_for 30 bash -c "[ \$(ip netns exec '${ns_w[3]}' iptables -w -nvx -L INPUT | awk '/spt:8080/ {print \$1}') -ge $((rx0 + 100)) ]"
    check "the run is back at exactly 30 users with w3 (3 rows in a row after its return)" \
        wait_for 30 users_settled "$work/part" "$back_at" 3 30
else
    fail "w3 did not rejoin within 60 s of its link coming back"
fi
kill -INT "$hmaster_pid" # Ctrl-C: a graceful stop, reports written
wait_master 60
check "master exits 1 after Ctrl-C cut its 120 s run short (got $master_rc)" [ "$master_rc" = 1 ]
check "and says so" grep -q "interrupted by SIGINT" "$work/master.err"
check "w3's final report reached the master" bash -c "! grep -q '(w3) sent no final report' '$work/master.err'"
echo "User Count by second: $(history "$work/part" | awk '{printf "%s ", $2}')"
for i in 1 2 3; do wait_pid "${pids[-3 + i - 1]}" 10; done

echo "== 3. the master's link goes down: every worker stops its load"
start_master -H "$target_url" --expect-workers 3 --expect-workers-max-wait 30s --csv "$work/cut" \
    -u 30 -r 30 -t 120s "/delay?ms=5"
start_workers
wait_log "workers joined: ramping" 30 || fail "the run did not start"
wait_for 30 users_settled "$work/cut" 0 2 30 || fail "the run did not reach 30 users"
link m down
echo "master's link down"
for i in 1 2 3; do
    check "w$i stops all load by itself (its master silent)" \
        wait_for 40 grep -q "no word from the master for .* stopping all load" "$work/w$i.err"
done
sleep 2 # requests in flight (20-odd ms) end
before=$(target_total)
sleep 5
after=$(target_total)
check "the target's counter stays flat once the workers stopped ($before, 5 s later $after)" \
    [ "$before" = "$after" ]
wait_master 30
check "the master, cut off from every worker, gives up with exit 3 (got $master_rc)" [ "$master_rc" = 3 ]
check "the master says why" grep -q "lost all workers" "$work/master.err"

if [ "$failures" -gt 0 ]; then
    for i in 1 2 3; do echo "--- w$i log"; tail -n 8 "$work/w$i.err"; done
fi
finish
