#!/usr/bin/env bash
# URLs made of {{env NAME}} (read on the master when the file is loaded)
# are checked as the URL they make: accepted when that is valid (they were
# refused as "not a valid URL" when env was the only template), refused
# with the position when it is not. URLs that cannot be valid whatever
# their values are refused too (tests/scenarios/invalid/url-template-*).
# A path whose query holds a URL has no scheme ("/login?next=http://a/b").
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# $1 the URL, $2 0 (accepted) or 2 (refused), $3 a fragment of the first line
try() {
    printf 'host: http://127.0.0.1:8080\nusers:\n  - tasks:\n      - get: "%s"\n%b' "$1" "${4:-}" \
        >"$work/u.yaml"
    local out rc
    out=$(HN_EMPTY= HN_P=z HN_PORT=8081 HN_HOSTPORT=127.0.0.1:9 HN_BASE=http://127.0.0.1:5 HN_SPACE='a b' \
        timeout 20 "$HORNET_MASTER" --check -f "$work/u.yaml" 2>&1)
    rc=$?
    out=$(printf '%s\n' "$out" | head -n 1)
    if [ "$rc" = "$2" ] && [[ "$out" == *"$3"* ]]; then
        ok "$1: exit $rc, $out"
    else
        bad "$1: exit $rc (want $2), '$out' (want '$3')"
    fi
}
try '/echo/{{env HN_P}}' 0 "valid"
try 'http://127.0.0.1:{{env HN_PORT}}/y' 0 "valid"
try 'http://{{env HN_HOSTPORT}}/y' 0 "valid"
try '{{env HN_BASE}}/x' 0 "valid"
try '/echo/{{env HN_P}}/{{user_id}}' 0 "valid"
try '/a/{{env HN_SPACE}}' 2 "u.yaml:4:14: GET url: 'http://127.0.0.1:8080/a/a b' is not a valid URL"
try 'x{{env HN_P}}' 2 "u.yaml:4:14: GET url: a path starts with '/'"
try 'http://[{{user_id}}]:8080/' 0 "valid" # a value that is an IPv6 host stands as ::1, not 1
try 'http://[fd00::{{user_id}}]:8080/' 0 "valid" # one inside an address as 1
# A URL in the query is no scheme: the scheme is at the start or nowhere.
try '/login?next=http://127.0.0.1/b' 0 "valid"
try '/r?u=https://a/b&v={{user_id}}' 0 "valid"
try 'ftp://127.0.0.1/x' 2 "GET url: only http:// and https:// URLs"
try 'x/y?z=http://a' 2 "a path starts with '/'"
# query: appends to the URL as it is made: an empty one is refused (a crash).
try '{{env HN_EMPTY}}' 2 "u.yaml:5:16: query: the URL is empty" '        query: {a: 1}\n'
try '/q{{env HN_P}}' 0 "valid" '        query: {a: 1}\n'
finish url-env
