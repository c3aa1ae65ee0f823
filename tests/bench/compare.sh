#!/usr/bin/env bash
# Hornet against Locust (HttpUser and FastHttpUser) and Artillery, with wrk
# as the reference: requests per client CPU-second, each tool run as its
# users run it, on a local nginx, alternating in the same run. Prints
# requests/s and requests per client CPU-second per tool and round, the
# requests each tool counted against those nginx served, and Hornet's ratio
# to each tool as medians (and spreads) of the rounds. Ratios only: absolute
# figures depend on the machine. See tests/bench/README.md.
#
# Usage: tests/bench/compare.sh [BUILD_DIR] (default: build-bench, configured
#        with -Dbuildtype=release if missing)
# Env:   PAIRS (rounds, default 3), SECONDS_PER_RUN (default 10), USERS
#        (concurrency of every tool, default 50), PORT (nginx; PORT+1 its
#        stub_status, PORT+2 the master's --bind; default 18490), TOOLS
#        (default "wrk locust-http locust-fast artillery hornet
#        hornet-nocookies": the second is quick mode with --no-cookies, which
#        lets its GETs take the fast path),
#        COMPARE_TOOLS_DIR (where Artillery is installed; default
#        BUILD_DIR/compare-tools), NO_INSTALL=1 (apt-get and npm nothing:
#        a missing tool is skipped with a line saying so), HORNET_ARGS (more
#        hornet-master options, e.g. "--no-cookies" or "--worker-threads 1")
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-bench}
pairs=${PAIRS:-3}
secs=${SECONDS_PER_RUN:-10}
users=${USERS:-50}
port=${PORT:-18490}
status_port=$((port + 1))
bind_port=$((port + 2))
tools=${TOOLS:-wrk locust-http locust-fast artillery hornet hornet-nocookies}
hornet_args=${HORNET_ARGS:-}
tools_dir=${COMPARE_TOOLS_DIR:-$build/compare-tools}
artillery_version=2.0.34

# Debian packages: nginx, wrk, taskset, GNU time, Locust and its fast client.
need=()
for pair in nginx:nginx-light wrk:wrk taskset:util-linux /usr/bin/time:time python3:python3 \
    curl:curl locust:python3-locust; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
# Locust's own interpreter (Debian's, whatever python3 comes first in PATH).
locust_python() { sed -n '1s/^#! *//p' "$(command -v locust)" 2>/dev/null || echo python3; }
command -v locust >/dev/null && ! $(locust_python) -c 'import geventhttpclient' 2>/dev/null &&
    need+=(python3-geventhttpclient)
if [ ${#need[@]} -gt 0 ] && [ -z "${NO_INSTALL:-}" ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
        "${need[@]}" >/dev/null || echo "apt-get install ${need[*]} failed"
fi
for cmd in nginx wrk taskset /usr/bin/time python3 curl; do
    command -v "$cmd" >/dev/null || { echo "needs $cmd"; exit 2; }
done

# Artillery from npm, into a directory of its own under the build directory
# (--ignore-scripts: nothing is downloaded after the packages).
artillery=$tools_dir/node_modules/.bin/artillery
if [[ " $tools " == *" artillery "* ]] && [ ! -x "$artillery" ] && [ -z "${NO_INSTALL:-}" ] &&
    command -v npm >/dev/null; then
    mkdir -p "$tools_dir"
    echo "installing artillery@$artillery_version into $tools_dir (a few minutes)"
    timeout 600 npm install --prefix "$tools_dir" --no-save --no-audit --no-fund --ignore-scripts \
        --loglevel=error "artillery@$artillery_version" >"$tools_dir/install.log" 2>&1 ||
        { echo "npm install failed:"; tail -n 5 "$tools_dir/install.log"; }
fi

# Tools that are here; the others are skipped, each with a line.
have=()
for t in $tools; do
    case $t in
        wrk) have+=(wrk) ;;
        locust-http) command -v locust >/dev/null && have+=("$t") ||
            echo "skipped $t: locust is missing (apt-get install python3-locust)" ;;
        locust-fast) command -v locust >/dev/null && $(locust_python) -c 'import geventhttpclient' 2>/dev/null &&
            have+=("$t") ||
            echo "skipped $t: locust or geventhttpclient is missing (python3-locust, python3-geventhttpclient)" ;;
        artillery) [ -x "$artillery" ] && have+=("$t") ||
            echo "skipped artillery: not installed in $tools_dir (npm install artillery@$artillery_version)" ;;
        hornet | hornet-nocookies) have+=("$t") ;;
        *) echo "unknown tool $t"; exit 2 ;;
    esac
done

if [[ " ${have[*]} " == *" hornet"* ]] &&
    { [ ! -x "$build/master/hornet-master" ] || [ ! -x "$build/worker/hornet-worker" ]; }; then
    [ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Dbuildtype=release >/dev/null
    ninja -C "$build" master/hornet-master worker/hornet-worker >/dev/null
fi

work=$(mktemp -d)
cleanup() {
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# nginx (tests/bench/nginx.sh), and its request counter (stub_status) on a
# port of its own.
. "$top/tests/bench/nginx.sh"
bench_nginx "$port" "" "server { listen 127.0.0.1:$status_port; location = /status { stub_status; } }"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
url="http://127.0.0.1:$port"

# Requests nginx has served (the stub_status request that asks is one of
# them, and is taken off).
served() {
    curl -sf "http://127.0.0.1:$status_port/status" | awk 'NR == 3 { print $3 - 1 }'
}

# Locust: one task, no wait; the same file for both clients.
for cls in HttpUser FastHttpUser; do
    cat >"$work/locust_$cls.py" <<EOF
from locust import $cls, task


class Get($cls):
    @task
    def get(self):
        self.client.get("/")
EOF
done

# Artillery: N virtual users arrive in the first second and each loops on
# GET / until the deadline (a loop per user keeps its connection: one user
# per request would open a connection per request, Artillery's slowest
# setting).
cat >"$work/artillery.yml" <<EOF
config:
  target: "$url"
  processor: "./artillery_proc.js"
  phases:
    - duration: 1
      arrivalCount: $users
  http:
    timeout: 10
scenarios:
  - flow:
      - loop:
          - get:
              url: "/"
        whileTrue: "running"
EOF
cat >"$work/artillery_proc.js" <<'EOF'
// Loop until SECONDS after the first user's first call.
let deadline = 0;
module.exports.running = function (context, next) {
  if (!deadline) deadline = Date.now() + 1000 * Number(process.env.COMPARE_SECONDS);
  return next(Date.now() < deadline);
};
EOF

# The harness of each run: runs the tool pinned to CPU 0 and samples, every
# 0.5 s, nginx's request counter and the CPU (user+sys) of the tool's
# process tree from /proc. Its output goes to $work/out; it prints
# "cpu_total steady_requests steady_cpu queries": the whole run's CPU from wait4()
# (the tool and every descendant it waited for: the master reaps its
# worker), requests served and CPU spent over the steady state (from
# 1.5 s after the first request nginx saw to 1 s before its last), which
# leaves out start-up and shutdown (Artillery's Node.js start-up alone is
# seconds of CPU), and the number of its queries to stub_status.
cat >"$work/measure.py" <<'PY'
import os, subprocess, sys, time, urllib.request

status_url, out_path = sys.argv[1], sys.argv[2]
tick = os.sysconf("SC_CLK_TCK")

def served():
    with urllib.request.urlopen(status_url) as r:
        return int(r.read().decode().splitlines()[2].split()[2])

def tree_cpu(root):
    kids, cpu = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        f = f[f.rindex(")") + 2:].split()
        kids.setdefault(int(f[1]), []).append(int(d))
        # utime, stime and the children's cutime, cstime (reaped ones)
        cpu[int(d)] = sum(int(x) for x in f[11:15])
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0)
        todo += kids.get(p, [])
    return total / tick

out = open(out_path, "w")
proc = subprocess.Popen(["taskset", "-c", "0"] + sys.argv[3:], stdout=out, stderr=subprocess.STDOUT)
samples = []
while True:
    pid, _, ru = os.wait4(proc.pid, os.WNOHANG)
    if pid:
        break
    samples.append((time.monotonic(), served(), tree_cpu(proc.pid)))
    time.sleep(0.5)
proc.returncode = 0
total = ru.ru_utime + ru.ru_stime
# each query counts itself: one more request between two samples
moving = [i for i in range(1, len(samples)) if samples[i][1] > samples[i - 1][1] + 1]
steady = "0 0"
if moving:
    t0 = samples[moving[0]][0] + 1.5
    t1 = samples[moving[-1]][0] - 1.0
    win = [s for s in samples if t0 <= s[0] <= t1]
    if len(win) >= 2 and win[-1][0] - win[0][0] >= 2:
        steady = f"{win[-1][1] - win[0][1] - (len(win) - 1)} {win[-1][2] - win[0][2]:.2f}"
print(f"{total:.2f} {steady} {len(samples)}")
PY

# Each run: "tool_requests cpu_total steady_requests steady_cpu queries" on stdout.
timed() {
    python3 "$work/measure.py" "http://127.0.0.1:$status_port/status" "$work/out" "$@" \
        >"$work/measure"
}

csv_total() { # Request Count of the Aggregated row of a Locust-format stats CSV
    python3 - "$1" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "Aggregated":
        print(int(row["Request Count"]))
        break
else:
    print(0)
PY
}

run_tool() {
    local tool=$1 n
    rm -f "$work"/run_* "$work/measure"
    case $tool in
        wrk)
            timed wrk -t1 -c"$users" -d"${secs}s" "$url/"
            n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/out")
            ;;
        locust-http | locust-fast)
            local cls=HttpUser
            [ "$tool" = locust-fast ] && cls=FastHttpUser
            (cd "$work" && timed timeout $((secs + 60)) locust -f "locust_$cls.py" --headless \
                -H "$url" -u "$users" -r "$users" -t "${secs}s" --only-summary \
                --csv "$work/run_locust" --loglevel WARNING)
            # The final summary's Aggregated count: Locust 2.12's CSV is the
            # last periodic write (a second or two short), not the final one.
            n=$(awk '$1 == "Aggregated" { print $2; exit }' "$work/out")
            ;;
        artillery)
            (cd "$work" && COMPARE_SECONDS=$secs ARTILLERY_DISABLE_TELEMETRY=true \
                timed timeout $((secs + 90)) "$artillery" run --output "$work/run_art.json" artillery.yml)
            n=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["aggregate"]["counters"]; print(c.get("http.responses", 0))' \
                "$work/run_art.json" 2>/dev/null || echo 0)
            ;;
        hornet | hornet-nocookies)
            local extra=""
            [ "$tool" = hornet-nocookies ] && extra=--no-cookies
            timed timeout $((secs + 60)) "$build/master/hornet-master" -H "$url" -u "$users" \
                -r "$users" -t "${secs}s" --local-workers 1 --bind "tcp://127.0.0.1:$bind_port" \
                --csv "$work/run_hornet" --only-summary $extra $hornet_args /
            n=$(csv_total "$work/run_hornet_stats.csv")
            ;;
    esac
    echo "${n:-0} $(cat "$work/measure" 2>/dev/null || echo "0 0 0 0")"
}

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(map(float, sys.argv[1:])):.0f}")' "$@"; }
fmt_ratio() { # median (min-max) of $1/$2 per round; args: "a1 a2 ..." "b1 b2 ..."
    python3 - "$1" "$2" <<'PY'
import statistics, sys
a = list(map(float, sys.argv[1].split()))
b = list(map(float, sys.argv[2].split()))
r = [x / y for x, y in zip(a, b) if x > 0 and y > 0]
print(f"{statistics.median(r):.1f} ({min(r):.1f}–{max(r):.1f})" if r else "n/a")
PY
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "Hornet vs Locust 2 (HttpUser, FastHttpUser), Artillery and wrk on nginx (1 worker, CPU 1);"
echo "clients on CPU 0, $users users/connections each, no wait, $pairs alternating rounds of ${secs} s."
echo "Load average at the start: $load ($(nproc) CPUs)."
echo "cpu = the client's user+sys seconds (all its processes, start-up included);"
echo "served = requests nginx counted during the run (stub_status); steady = requests nginx"
echo "served and the client's CPU over the steady state (start-up and shutdown left out)."
printf '%-16s %-5s %9s %9s %7s %8s %10s | %9s %7s %10s\n' tool round requests served cpu \
    "req/s" "req/cpu-s" "steady" "cpu" "req/cpu-s"
declare -A rps cps sps
for p in $(seq "$pairs"); do
    for tool in "${have[@]}"; do
        before=$(served)
        read -r n cpu sn sc q < <(run_tool "$tool")
        after=$(served)
        s=$((after - before - 1 - q)) # less the queries to stub_status
        if [ "$n" -le 0 ] || [ "$cpu" = 0 ]; then
            echo "$tool round $p: no result; its output ends:"
            tail -n 5 "$work/out"
            continue
        fi
        r=$(python3 -c "print(f'{$n / $secs:.0f}')")
        c=$(python3 -c "print(f'{$n / $cpu:.0f}')")
        sr=$(python3 -c "print(f'{$sn / $sc:.0f}' if $sc > 0 else 0)")
        rps[$tool]+="$r " cps[$tool]+="$c " sps[$tool]+="$sr "
        printf '%-16s %-5s %9s %9s %7.2f %8s %10s | %9s %7.2f %10s' "$tool" "$p" "$n" "$s" "$cpu" \
            "$r" "$c" "$sn" "$sc" "$sr"
        python3 -c "import sys; sys.exit(abs($n - $s) / max($s, 1) > 0.01)" ||
            printf '  (counts differ by %s)' "$((n - s))"
        echo
    done
done

echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
for tool in "${have[@]}"; do
    [ -n "${cps[$tool]:-}" ] || continue
    echo "RESULT $tool: median $(median ${rps[$tool]}) req/s, $(median ${cps[$tool]}) requests per" \
        "client CPU-second (whole run), $(median ${sps[$tool]}) (steady state)"
done
for h in hornet hornet-nocookies; do
    [ -n "${cps[$h]:-}" ] || continue
    for tool in "${have[@]}"; do
        [[ "$tool" != hornet* ]] && [ -n "${cps[$tool]:-}" ] || continue
        echo "RESULT per client CPU-second: $h / $tool = $(fmt_ratio "${cps[$h]}" "${cps[$tool]}")" \
            "whole run, $(fmt_ratio "${sps[$h]}" "${sps[$tool]}") steady state"
    done
done
