#!/usr/bin/env bash
# The scenario format's reference example (the design's section 5, which
# users, examples and tests outside this repository are written against)
# passes `--check` as written: exit 0, with the files it names in place.
# It is read from ../shared/DESIGN.md when that file is there (the design
# may change it); otherwise from the copy below, which is that example
# verbatim. Its threshold "GET /api/orders" names no request (the orders
# step is a POST): that is a warning with the threshold's position, not
# an error, and a threshold on an entry that the run does not measure
# fails at the end (checked in test-thresholds.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
design="${CONTRACT_DESIGN:-$here/../../../shared/DESIGN.md}" # or another copy
if [ -f "$design" ] && "$PY" - "$design" "$work/contract.yaml" <<'PY'; then
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
sec = text.split("## 5.", 1)[1].split("\n## ", 1)[0]
block = re.search(r"```yaml\n(.*?)```", sec, re.S).group(1)
open(sys.argv[2], "w", encoding="utf-8").write(block)
PY
    echo "the example of $design"
else
    echo "the copy of the example in this test (no ../shared/DESIGN.md here)"
    cat >"$work/contract.yaml" <<'YAML'
host: http://127.0.0.1:8080            # base for relative URLs; -H overrides
defaults: {headers: {Accept: application/json}, timeout: 10s, follow_redirects: false}
tls: {verify: true, ca_file: certs/ca.pem}   # verify: false = curl -k (staging servers)
http: {version: "1.1"}                 # "1.1" | "2" (h2 over TLS, h2c prior knowledge over http)
data:
  accounts: {csv: data/users.csv, order: unique}   # sequential | random | unique (rows dealt across workers, never twice)
users:
  - name: shopper            # Locust: HttpUser subclass
    weight: 6                # relative share of users
    wait: {between: [1s, 3s]}   # or {constant: 1s} / {pacing: 2s} / none
    on_start:                # once per user, before its first task
      - post: /api/auth/login
        json: {email: "{{accounts.email}}", password: "{{accounts.password}}"}
        capture: {token: {json: $.access_token}}
        check: {status: 200}
    headers: {Authorization: "Bearer {{token}}"}
    tasks:
      - {weight: 5, tags: [browse], get: "/api/products?page=1&limit=20", capture: {product_id: {json: "$.data[0].id"}}}
      - {weight: 3, get: "/api/products/{{random 1 1000}}", name: "/api/products/[id]"}
      - weight: 1
        sequence:            # Locust: SequentialTaskSet
          - get: /api/products/{{product_id}}
          - post: /api/cart/items
            json: {product_id: "{{product_id}}", quantity: 1}
          - post: /api/orders
            body: ""                          # raw body; or form: {k: v}
            check: {status: 201}          # anything else (e.g. 409) is a failure, named in the failures report
load:                         # closed model: users over time (Locust LoadTestShape, k6 ramping-vus)
  stages:
    - {duration: 30s, users: 10, spawn_rate: 10}
    - {duration: 60s, users: 50, spawn_rate: 10}
# or an open model (k6 ramping-arrival-rate, wrk2 -R):
#  arrival: {stages: [{duration: 1m, rate: 500/s}], max_users: 2000, max_delay: 1s}
thresholds: ["p(95) < 500ms", "p(99) < 1s", "error_rate < 1%", "rps > 150", "GET /api/orders: p(95) < 800ms"]
YAML
fi
mkdir -p "$work/data" "$work/certs"
printf 'email,password\na@example.com,secret-a\nb@example.com,secret-b\n' >"$work/data/users.csv"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=contract test CA" \
    -keyout "$work/certs/ca.key" -out "$work/certs/ca.pem" >/dev/null 2>&1 ||
    { bad "openssl could not make a CA"; finish contract; }

out=$(cd "$work" && timeout 20 "$HORNET_MASTER" --check -f contract.yaml 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check "--check accepts the example (exit $rc)" [ "$rc" = 0 ]
check "the summary lists its two stages" grep -q "1m: 50 users at 10 users/s" <<<"$out"
if grep -q '"GET /api/orders: ' "$work/contract.yaml"; then
    line=$(grep -n '"GET /api/orders: ' "$work/contract.yaml" | head -1 | cut -d: -f1)
    check "a threshold on no request is a warning at its place (line $line)" \
        grep -Eq "contract.yaml:$line:[0-9]+: threshold 'GET /api/orders: p\(95\) < 800ms': no request is named 'GET /api/orders' in this scenario \(there is POST /api/orders\)" <<<"$out"
fi
# A request may be named Aggregated (as in Locust), with a warning: the
# reports' total row has that name too.
printf 'host: http://127.0.0.1:1\nusers:\n  - tasks:\n      - {get: /x, name: Aggregated}\n' \
    >"$work/aggregated.yaml"
out=$(timeout 20 "$HORNET_MASTER" --check -f "$work/aggregated.yaml" 2>&1); rc=$?
check "a request named Aggregated is valid (exit $rc)" [ "$rc" = 0 ]
check "with a warning at its name" grep -q "aggregated.yaml:4:25: name: Aggregated is also" <<<"$out"
finish contract
