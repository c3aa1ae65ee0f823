#!/usr/bin/env bash
# HTTP/2 over http:// (h2c) and libcurl 7.88.x, which cannot reuse an h2c
# connection (every request after a connection's first failed as "bad
# response", curl issue 10634): with such a libcurl the master refuses the
# scenario for local workers (which use it) at load time with
# http.version's position and exit 2, and warns without them (workers
# elsewhere may have another libcurl; each refuses it if its own has the
# bug); with a later libcurl it accepts it. HTTP/2 over https:// is
# accepted either way.
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
vernum=$(curl-config --vernum 2>/dev/null || echo 0)
broken=no
[ $((16#$vernum)) -ge $((16#075800)) ] && [ $((16#$vernum)) -lt $((16#080000)) ] && broken=yes
echo "libcurl $(curl-config --version 2>/dev/null) (0x$vernum): h2c reuse broken: $broken"

printf 'host: http://127.0.0.1:8080\nhttp: {version: "2"}\nusers:\n  - tasks:\n      - get: /a\n' >"$work/h2c.yaml"
out=$(timeout 20 "$HORNET_MASTER" --check -f "$work/h2c.yaml" --local-workers 1 2>&1); rc=$?
if [ "$broken" = yes ]; then
    check "h2c with local workers (this libcurl) refused (exit $rc)" [ "$rc" = 2 ]
    check "at http.version, saying why" grep -q "h2c.yaml:2:17: http version \"2\" over http:// (h2c): libcurl .* cannot reuse an h2c connection" <<<"$out"
    out=$(timeout 20 "$HORNET_MASTER" --check -f "$work/h2c.yaml" 2>&1); rc=$?
    check "without local workers (theirs may differ) only a warning (exit $rc)" \
        bash -c "[ $rc = 0 ] && grep -q 'workers with such a libcurl refuse this scenario' <<<\"\$1\"" _ "$out"
else
    check "h2c accepted (exit $rc)" [ "$rc" = 0 ]
fi
# An https host with one absolute http:// step is h2c too.
printf 'host: https://127.0.0.1:8443\nhttp: {version: "2"}\nusers:\n  - tasks:\n      - get: /a\n      - get: http://127.0.0.1:8080/b\n' >"$work/mixed.yaml"
timeout 20 "$HORNET_MASTER" --check -f "$work/mixed.yaml" --local-workers 1 >/dev/null 2>&1; rc=$?
check "an absolute http:// step counts (exit $rc)" [ "$rc" = "$([ "$broken" = yes ] && echo 2 || echo 0)" ]
printf 'host: https://127.0.0.1:8443\nhttp: {version: "2"}\nusers:\n  - tasks:\n      - get: /a\n' >"$work/h2.yaml"
timeout 20 "$HORNET_MASTER" --check -f "$work/h2.yaml" >/dev/null 2>&1; rc=$?
check "HTTP/2 over https:// accepted (exit $rc)" [ "$rc" = 0 ]
finish h2c
