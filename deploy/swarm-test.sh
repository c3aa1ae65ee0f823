#!/usr/bin/env bash
# The same deploy/docker-compose.yml on a single-node Docker Swarm: `docker
# stack deploy` with N worker replicas and the target service, with the
# CurveZMQ keys of deploy/docker-compose.keys.yml (Swarm spans hosts: its
# traffic leaves the machine), the replicas sharing one key; checks that
# the master's task completes with exit code 0, that CurveZMQ was on and N
# workers joined with the shared key, and that the CSV's Aggregated Request
# Count equals the target's /__stats total.
#
# Usage: deploy/swarm-test.sh N          (CI runs N=3; needs root)
# Like compose-test.sh: installs Docker when missing and starts dockerd when
# none runs (stopping only that one). It makes this node a swarm manager
# when it is in no swarm (and leaves that swarm at the end); it refuses to
# run in a swarm of several nodes (the image exists only here). Removes the
# stack at the end, also on failure or Ctrl-C.
. "$(dirname "$0")/docker-lib.sh"

n=${1:-}
[[ "$n" =~ ^[1-9][0-9]?$ ]] || { echo "usage: $0 N   (workers, 1..99)" >&2; exit 2; }

ensure_docker
build_image

swarm_state=$(docker info -f '{{.Swarm.LocalNodeState}}')
if [ "$swarm_state" = inactive ]; then
    say "docker swarm init (single node)"
    # swarm init also creates the docker_gwbridge network: remove it after
    # leaving, unless it was there before.
    gwbridge=$(docker network ls -q --filter name=^docker_gwbridge$)
    bounded 60 docker swarm init --advertise-addr 127.0.0.1 || die "docker swarm init failed"
    cleanups+=("say 'docker swarm leave'; timeout 60 docker swarm leave --force >/dev/null 2>&1")
    [ -n "$gwbridge" ] || cleanups[-1]+="; docker network rm docker_gwbridge >/dev/null 2>&1"
elif [ "$(docker info -f '{{.Swarm.Nodes}}')" != 1 ]; then
    die "this node is in a swarm of several nodes: run this test on a node of its own"
fi

stack="hornet-swarm-test-$$"
report="$work/hornet-report"
mkdir -p "$report"
chown 10001:10001 "$report" # the image's user
# Stop the stack's services, then wait (bounded) until their containers and
# network are gone: leaving the swarm before that leaves them behind.
remove_stack() {
    say "docker stack rm $stack"
    timeout 60 docker stack rm "$stack" >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ]; do
        [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$stack")" ] &&
            [ -z "$(docker network ls -q --filter "label=com.docker.stack.namespace=$stack")" ] && return 0
        sleep 0.5
    done
    echo "stack $stack: containers or network still there after 60 s"
}
cleanups+=("remove_stack")

# The keys, made by the image's hornet-keygen as its user (as deploy/README
# says to).
keys="$work/keys"
mkdir -p "$keys"
chown 10001:10001 "$keys"
bounded 60 docker run --rm --user 10001:10001 -v "$keys:/keys" "$image" \
    sh -c 'cd /keys && hornet-keygen master && hornet-keygen workers' >/dev/null ||
    die "hornet-keygen in the image failed"

# The master waits until the target's name resolves: a swarm starts the
# services in any order (there is no depends_on).
say "docker stack deploy -c deploy/docker-compose.yml -c deploy/docker-compose.keys.yml $stack (workers: $n)"
HORNET_IMAGE="$image" HORNET_REPORT_DIR="$report" HORNET_WORKERS="$n" HORNET_TARGET_REPLICAS=1 \
    HORNET_WAIT_FOR=target HORNET_USERS=$((10 * n)) HORNET_SPAWN_RATE=$((10 * n)) \
    HORNET_RUN_TIME=8s HORNET_PATHS="/delay?ms=10 /json" HORNET_KEYS_DIR="$keys" \
    HORNET_MASTER_ARGS="--curve-secret /run/secrets/master.key --allow-shared-key /run/secrets/workers.pub" \
    HORNET_WORKER_ARGS="--curve-secret /run/secrets/workers.key --master-key /run/secrets/master.pub" \
    bounded 120 docker stack deploy -c "$compose_file" -c "$top/deploy/docker-compose.keys.yml" "$stack" ||
    die "docker stack deploy failed"

# Wait (bounded) for the master's task to end: Complete, Failed, Rejected...
state=""
deadline=$((SECONDS + 300))
while [ $SECONDS -lt $deadline ]; do
    state=$(docker service ps -f desired-state=shutdown --format '{{.CurrentState}}' "${stack}_master" 2>/dev/null |
        head -n 1 | awk '{print $1}')
    [ -n "$state" ] && break
    sleep 1
done
task=$(docker service ps -q "${stack}_master" | head -n 1)
master_rc=$(docker inspect -f '{{.Status.ContainerStatus.ExitCode}}' "$task" 2>/dev/null || echo "?")
master_cid=$(docker inspect -f '{{.Status.ContainerStatus.ContainerID}}' "$task" 2>/dev/null || true)
docker logs "$master_cid" >"$work/master.log" 2>&1 || true
tail -n 12 "$work/master.log"
check "the master's task completed (state: ${state:-still running after 300 s})" [ "$state" = Complete ]
check "the master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
workers=$(docker service ps -f desired-state=running -q "${stack}_worker" | wc -l)
check "the worker service has $n running tasks ($workers)" [ "$workers" = "$n" ]
target_cid=$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_target" | head -n 1)
if [ -n "$target_cid" ] && target_stats "$target_cid" >"$work/target.json"; then
    check_run "$work/master.log" "$report/run" "$work/target.json" "$n"
    check "CurveZMQ was on, with the workers' key shared" \
        grep -q "CurveZMQ on: .*shared by many workers" "$work/master.log"
    shared=$(grep -c "hornet-master info: worker [0-9]* joined: .*shared key" "$work/master.log" || true)
    check "the $n workers joined with the shared key ($shared)" [ "$shared" = "$n" ]
else
    fail "cannot read the target's /__stats"
fi
if [ "$failures" -gt 0 ]; then
    docker stack ps --no-trunc "$stack" || true
    echo "--- worker logs"; docker service logs --tail 10 "${stack}_worker" 2>&1 || true
fi
finish
