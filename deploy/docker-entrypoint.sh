#!/bin/sh
# Entrypoint of the Hornet image: runs its arguments (hornet-master,
# hornet-worker, hornet-target and their flags), e.g.
#   docker run IMAGE hornet-worker --master tcp://MASTER_HOST:5557
# HORNET_WAIT_FOR="NAME ...": first wait until each name resolves (e.g. a
# target service that a Swarm starts in any order), at most
# HORNET_WAIT_TIMEOUT seconds (default 120), else exit 3.
# With HORNET_LINGER=1, a command that exits 0 leaves the container idle
# until it is stopped instead of ending it: workers that leave after the
# master's QUIT then cannot end `docker-compose up --abort-on-container-exit`
# before the master does, so compose exits with the master's exit code.
# Any other exit status, or an exit after the container was told to stop,
# ends the container at once with that status.
set -eu

if [ $# -eq 0 ]; then
    set -- hornet-master --help
fi
if [ -n "${HORNET_WAIT_FOR:-}" ]; then
    deadline=$(($(date +%s) + ${HORNET_WAIT_TIMEOUT:-120}))
    for name in $HORNET_WAIT_FOR; do
        until getent hosts "$name" >/dev/null; do
            if [ "$(date +%s)" -ge "$deadline" ]; then
                echo "hornet-entrypoint: $name does not resolve: giving up" >&2
                exit 3
            fi
            sleep 0.5
        done
    done
fi
if [ "${HORNET_LINGER:-0}" != 1 ]; then
    exec "$@"
fi

"$@" &
child=$!
# SIGTERM/SIGINT (docker stop, Ctrl-C) go to the program; wait until it is gone.
stopping=0
trap 'stopping=1; kill -TERM "$child" 2>/dev/null || true' TERM
trap 'stopping=1; kill -INT "$child" 2>/dev/null || true' INT
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do
    rc=0
    wait "$child" || rc=$?
done
if [ "$rc" != 0 ] || [ "$stopping" = 1 ]; then
    exit "$rc"
fi
echo "hornet-entrypoint: $1 exited 0; idle until stopped (HORNET_LINGER=1)" >&2
trap 'exit 0' TERM INT
while :; do
    sleep 3600 &
    wait $! || true
done
