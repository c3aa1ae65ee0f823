#!/usr/bin/env bash
# The docker-compose deployment, for real: builds the image from this
# checkout (on a base made with debootstrap: no registry needed), runs
# deploy/docker-compose.yml with N workers against its target service, and
# checks that N workers joined, that the CSV's Aggregated Request Count
# equals the target's own /__stats total, and that
# `docker-compose up --abort-on-container-exit` exits with the master's
# exit code (0 for that run, 1 for a run whose requests all fail).
#
# Usage: deploy/compose-test.sh N        (CI runs N=3; needs root)
# Installs docker.io and docker-compose when missing, starts dockerd when
# none runs (and stops only that one at the end), removes every container
# and network it created, also on failure or Ctrl-C. Exit status 0 only when
# every check passed. Environment: HORNET_CACHE_DIR (debootstrap cache,
# default /var/cache/hornet), HORNET_IMAGE (default hornet:test).
. "$(dirname "$0")/docker-lib.sh"

n=${1:-}
[[ "$n" =~ ^[1-9][0-9]?$ ]] || { echo "usage: $0 N   (workers, 1..99)" >&2; exit 2; }

ensure_docker compose
build_image

project="hornet-compose-test-$$"
report="$work/hornet-report"
mkdir -p "$report"
chown 10001:10001 "$report" # the image's user
export HORNET_IMAGE="$image" HORNET_REPORT_DIR="$report" HORNET_WORKERS="$n" \
    HORNET_USERS=$((10 * n)) HORNET_SPAWN_RATE=$((10 * n)) HORNET_RUN_TIME=8s \
    HORNET_PATHS="/delay?ms=10 /json"
compose=(docker-compose -f "$compose_file" -p "$project" --ansi never)
cleanups+=("say 'docker-compose down'; timeout 120 ${compose[*]} down -v --remove-orphans --timeout 5 >/dev/null 2>&1")

say "target service"
bounded 120 "${compose[@]}" up -d --scale target=1 target || die "cannot start the target service"
target_cid=$("${compose[@]}" ps -q target)
wait_target "$target_cid" 60 || die "hornet-target does not answer"

say "docker-compose up --scale worker=$n --abort-on-container-exit master worker"
rc=0
timeout --kill-after=10 300 "${compose[@]}" up --scale worker="$n" --abort-on-container-exit master worker >"$work/up.log" 2>&1 || rc=$?
master_cid=$("${compose[@]}" ps -q master)
docker logs "$master_cid" >"$work/master.log" 2>&1 || true
master_rc=$(docker inspect -f '{{.State.ExitCode}}' "$master_cid")
tail -n 12 "$work/master.log"
check "docker-compose exits 0 (got $rc)" [ "$rc" = 0 ]
check "docker-compose's exit code is the master's ($rc == $master_rc)" [ "$rc" = "$master_rc" ]
workers=$("${compose[@]}" ps -q worker | wc -l)
check "compose ran $n worker containers ($workers)" [ "$workers" = "$n" ]
target_stats "$target_cid" >"$work/target.json"
check_run "$work/master.log" "$report/run" "$work/target.json" "$n"

say "a scenario file (docker-compose.scenario.yml) whose refused requests fail the run"
# Its stages and data rows are the run's; nothing listens on port 9: those
# requests are refused and the master exits 1, while each worker leaves
# with 0 after the master's QUIT: compose must exit with the master's 1.
scenario_dir="$work/scenario"
mkdir -p "$scenario_dir"
printf 'id\n7\n8\n' >"$scenario_dir/ids.csv"
cat >"$scenario_dir/mixed.yaml" <<YAML
host: http://target:8080
data: {ids: {csv: ids.csv}}
users:
  - wait: {constant: 100ms}
    tasks:
      - {get: "/echo/{{ids.id}}", name: echo}
      - {get: "http://target:9/", name: refused}
load:
  stages:
    - {duration: 2s, users: $n, spawn_rate: 100}
    - {duration: 3s, users: $((2 * n)), spawn_rate: 100}
YAML
export HORNET_SCENARIO_DIR="$scenario_dir" HORNET_SCENARIO=mixed.yaml HORNET_REPORT=scenario
rc=0
timeout --kill-after=10 300 "${compose[@]}" -f "$(dirname "$compose_file")/docker-compose.scenario.yml" \
    up --scale worker="$n" --abort-on-container-exit master worker >"$work/up2.log" 2>&1 || rc=$?
master_cid=$("${compose[@]}" ps -q master)
master_rc=$(docker inspect -f '{{.State.ExitCode}}' "$master_cid")
check "the master exits 1 (got $master_rc)" [ "$master_rc" = 1 ]
check "docker-compose exits with the master's code (got $rc)" [ "$rc" = "$master_rc" ]
check "the scenario's entries are in the report" \
    grep -q '^GET,echo,[1-9][0-9]*,0,' "$report/scenario_stats.csv"
check "the refused requests are in the failures" \
    grep -q "^GET,refused,connection refused," "$report/scenario_failures.csv"
check "the scenario's stages ran: $((2 * n)) users at the end" \
    grep -q "^[0-9]*,$((2 * n)),,Aggregated," "$report/scenario_stats_history.csv"

if [ "$failures" -gt 0 ]; then
    echo "--- docker-compose up (first run)"; tail -n 40 "$work/up.log"
    echo "--- docker-compose up (the scenario's run)"; tail -n 20 "$work/up2.log"
fi
finish
