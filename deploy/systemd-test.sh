#!/usr/bin/env bash
# The systemd units as meson installs them, run by a real systemd: a
# container made from the image plus systemd boots /sbin/init, then
# hornet-target, hornet-worker@1, hornet-worker@2 and one hornet-master run
# start from /etc/hornet/*.env, with CurveZMQ keys as the examples'
# drop-ins give them (master-keys.conf, worker-keys.conf: each secret key
# file, root's, as the service's standard input; the master bound beyond
# loopback). Checks the run (exit 0, 2
# workers, CSV count == the target's, keys on), the hardening in effect (a
# dynamic non-root user, no new privileges, a seccomp filter) and that
# workers come back after the run.
#
# Usage: deploy/systemd-test.sh          (needs root; HORNET_BUILD_ROOT: the
# meson build directory whose configured units to use, prefix /usr/local)
# Docker as in compose-test.sh; removes its container at exit.
. "$(dirname "$0")/docker-lib.sh"

: "${HORNET_BUILD_ROOT:?HORNET_BUILD_ROOT must point to the meson build directory}"
units=(hornet-master.service hornet-worker@.service hornet-target.service)
for u in "${units[@]}"; do
    [ -f "$HORNET_BUILD_ROOT/deploy/$u" ] || die "no $HORNET_BUILD_ROOT/deploy/$u"
done
grep -q '^ExecStart=/usr/local/bin/' "$HORNET_BUILD_ROOT/deploy/hornet-master.service" ||
    die "the build's units do not run /usr/local/bin/hornet-* (the image's programs): configure it with the default prefix"

ensure_docker
build_image

say "an image with systemd and the units (FROM $image)"
mkdir -p "$work/ctx"
for u in "${units[@]}"; do cp "$HORNET_BUILD_ROOT/deploy/$u" "$work/ctx/"; done
cp "$top"/deploy/systemd/*.env "$top"/deploy/systemd/*-keys.conf "$work/ctx/"
cat >"$work/ctx/Dockerfile" <<EOF
FROM $image
USER root
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \\
        systemd systemd-sysv curl && rm -rf /var/lib/apt/lists/*
COPY ${units[*]} /usr/local/lib/systemd/system/
COPY master.env worker.env target.env /etc/hornet/
COPY master-keys.conf /etc/systemd/system/hornet-master.service.d/keys.conf
COPY worker-keys.conf /etc/systemd/system/hornet-worker@.service.d/keys.conf
RUN hornet-keygen /etc/hornet/master && hornet-keygen /etc/hornet/worker-1 && \
    hornet-keygen /etc/hornet/worker-2 && cat /etc/hornet/worker-*.pub >/etc/hornet/workers.allow
ENTRYPOINT []
CMD ["/sbin/init"]
EOF
bounded 600 docker build --force-rm -t hornet-systemd:test "$work/ctx" || die "docker build failed"

name="hornet-systemd-test-$$"
cleanups+=("docker rm -f '$name' >/dev/null 2>&1")
# systemd in a container: its own cgroups (the host's hierarchy, written
# under this container's), /run on tmpfs, CAP_SYS_ADMIN for its mounts.
bounded 60 docker run -d --name "$name" --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    -e container=docker hornet-systemd:test || die "cannot start the systemd container"
in_box() { docker exec "$name" "$@"; }
deadline=$((SECONDS + 60))
until state=$(in_box systemctl is-system-running 2>/dev/null) || [ "$state" = degraded ]; do
    [ $SECONDS -lt $deadline ] || die "systemd did not come up (state: ${state:-none})"
    sleep 0.5
done
say "systemd is $state"

docker exec -i "$name" sh -c 'cat >/etc/hornet/master.env' <<'EOF'
HORNET_MASTER_ARGS="--bind tcp://*:5557 -H http://127.0.0.1:8080 -u 20 -r 20 -t 5s --expect-workers 2 --expect-workers-max-wait 60s --csv reports/run /delay?ms=10 /json"
EOF
say "systemctl start hornet-target hornet-worker@1 hornet-worker@2 hornet-master"
in_box systemctl start hornet-target hornet-worker@1 hornet-worker@2
# The hardening, seen on a running worker.
pid=$(in_box systemctl show -p MainPID --value hornet-worker@2)
proc=$(in_box grep -E '^(Uid|NoNewPrivs|Seccomp):' "/proc/$pid/status" || true)
uid=$(awk '/^Uid:/ {print $2}' <<<"$proc")
check "the worker runs as a dynamic user, not root (uid ${uid:-?})" test "${uid:-0}" -ge 61184 -a "${uid:-0}" -le 65519
check "the worker cannot gain privileges (NoNewPrivs 1)" grep -q "NoNewPrivs:[[:space:]]*1" <<<"$proc"
check "the worker runs under a seccomp filter (Seccomp 2)" grep -q "Seccomp:[[:space:]]*2" <<<"$proc"
in_box systemctl start hornet-master
deadline=$((SECONDS + 120))
while [ "$(in_box systemctl show -p ActiveState --value hornet-master)" != inactive ] &&
    [ "$(in_box systemctl show -p ActiveState --value hornet-master)" != failed ]; do
    [ $SECONDS -lt $deadline ] || break
    sleep 0.5
done
in_box journalctl -u hornet-master --no-pager -o cat >"$work/master.log" 2>&1 || true
tail -n 6 "$work/master.log"
status=$(in_box systemctl show -p ExecMainStatus --value hornet-master)
result=$(in_box systemctl show -p Result --value hornet-master)
check "hornet-master.service ran one test and ended with success (Result=$result, exit $status)" \
    test "$result" = success -a "$status" = 0
check "with CurveZMQ: the workers joined with their own keys" grep -q "CurveZMQ on" "$work/master.log"
in_box cat /var/lib/hornet/reports/run_stats.csv >"$work/run_stats.csv" 2>/dev/null || true
in_box curl -s --max-time 5 http://127.0.0.1:8080/__stats >"$work/target.json" || true
check_run "$work/master.log" "$work/run" "$work/target.json" 2

owner=$(in_box stat -c %u /var/lib/private/hornet/reports 2>/dev/null || echo none)
check "the reports belong to the master's dynamic user (uid $owner), in its state directory" \
    test "$owner" -ge 61184 -a "$owner" -le 65519 2>/dev/null
# After the master's QUIT each worker exits 0 and is started again.
back() { [ "$(in_box systemctl show -p NRestarts --value hornet-worker@1)" -ge 1 ] &&
    [ "$(in_box systemctl is-active hornet-worker@1)" = active ]; }
deadline=$((SECONDS + 30))
until back; do [ $SECONDS -lt $deadline ] || break; sleep 0.5; done
check "hornet-worker@1 is restarted after the run, ready for the next one" back
# The secret keys reach the services as their standard input: on no
# command line.
wkey=$(in_box cat /etc/hornet/worker-1.key)
cmdlines=$(in_box sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <"$f"; echo; done' 2>/dev/null)
check "the worker's command line names its standard input, not the key" \
    bash -c 'grep -q -- "--curve-secret /dev/stdin" <<<"$2" &&
        ! grep -qF -- "$1" <<<"$2"' _ "$wkey" "$cmdlines"
finish
