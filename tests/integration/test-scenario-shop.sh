#!/usr/bin/env bash
# Scenario files end to end, with 3 local workers against hornet-target:
#  1. the shop example: per entry, the CSV counts equal the target's per-path
#     counts; no failure (tokens captured at login are accepted by the cart
#     and orders); every unique account is used exactly once (the target
#     sees /echo/<email> once per account);
#  2. {{user_id}} is unique and dense across workers (1..N, each once);
#  3. unique rows that run out: the users beyond them do not start, an
#     exception says why, no row is used twice, exit 1;
#  4. a check that must fail is in _failures.csv with its readable text,
#     exit 1.
. "$(dirname "$0")/master_lib.sh"
examples=$(cd "$here/../../deploy/examples" && pwd)

start_target

echo "== the shop example"
run_scenario 3 shop "$examples/shop.yaml" -u 40 -r 40 -t 5s
check "the shop run exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
"$PY" - "$work/shop" "$work/shop.target.json" "$examples/data/users.csv" <<'PY' || fail "shop checks"
import csv, json, re, sys
prefix, target_json, users_csv = sys.argv[1:]
target = json.load(open(target_json))
rows = {r["Name"]: r for r in csv.DictReader(open(prefix + "_stats.csv", newline=""))}
bad = 0
def report(ok, what):
    global bad
    print(("ok: " if ok else "FAIL: ") + what)
    bad += not ok
agg = rows.pop("Aggregated")
report(int(agg["Request Count"]) == target["total"],
       f"Aggregated Request Count {agg['Request Count']} == target's {target['total']}")
report(int(agg["Failure Count"]) == 0, f"no failures ({agg['Failure Count']})")
report(int(agg["Request Count"]) > 100, f"load was generated ({agg['Request Count']})")
# Stats names → the target's paths (queries are not part of its keys).
paths = target["paths"]
def target_count(pattern):
    return sum(n for p, n in paths.items() if re.fullmatch(pattern, p))
def count(*names):
    return sum(int(rows[n]["Request Count"]) for n in names if n in rows)
groups = {
    "POST /api/auth/login": (count("/api/auth/login"), target_count(r"/api/auth/login")),
    "POST /api/cart/items": (count("/api/cart/items"), target_count(r"/api/cart/items")),
    "POST /api/orders": (count("/api/orders"), target_count(r"/api/orders")),
    "GET /api/products?...": (count("/api/products?page=1", "/api/products?page=[n]"),
                              target_count(r"/api/products")),
    "GET /api/products/[id]": (count("/api/products/[id]"), target_count(r"/api/products/\d+")),
    "GET /json": (count("/json"), target_count(r"/json")),
    "GET /echo/[account]": (count("/echo/[account]"), target_count(r"/echo/.*")),
}
for what, (ours, theirs) in groups.items():
    report(ours == theirs and ours > 0, f"{what}: CSV {ours} == target {theirs}")
report(count("/api/orders") > 0, f"orders were placed with captured tokens ({count('/api/orders')})")
accounts = {r["email"] for r in csv.DictReader(open(users_csv, newline=""))}
echoed = {p[len("/echo/"):]: n for p, n in paths.items() if p.startswith("/echo/")}
report(all(n == 1 for n in echoed.values()), "every account used at most once")
report(set(echoed) <= accounts, "only accounts of users.csv were used")
report(len(echoed) == count("/api/auth/login") == 30,
       f"one account per shopper: {len(echoed)} accounts, {count('/api/auth/login')} logins, "
       "30 shoppers (3/4 of 40 users)")
sys.exit(1 if bad else 0)
PY

echo "== {{user_id}} across 3 workers"
cat >"$work/ids.yaml" <<'EOF'
users:
  - name: u
    wait: {constant: 1s}
    on_start:
      - {get: "/echo/u{{user_id}}", name: "/echo/[user_id]"}
    tasks:
      - get: /health
EOF
run_scenario 3 ids "$work/ids.yaml" -u 30 -r 30 -t 3s
check "the user_id run exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
"$PY" - "$work/ids.target.json" <<'PY' || fail "user ids are not 1..30, each once"
import json, sys
paths = json.load(open(sys.argv[1]))["paths"]
ids = sorted(int(p[len("/echo/u"):]) for p in paths if p.startswith("/echo/u"))
once = all(paths[f"/echo/u{i}"] == 1 for i in ids)
print(f"user ids seen by the target: {ids[:5]}...{ids[-3:]} ({len(ids)})")
sys.exit(0 if ids == list(range(1, 31)) and once else 1)
PY

echo "== unique rows run out (rows named {{data.column}}, as README.md writes them)"
printf 'email\nx1@e\nx2@e\nx3@e\n' >"$work/three.csv"
cat >"$work/exhaust.yaml" <<EOF
data:
  accounts: {csv: $work/three.csv, order: unique}
users:
  - name: u
    wait: {constant: 1s}
    on_start:
      - {get: "/echo/{{data.email}}", name: "/echo/[account]"}
    tasks:
      - get: /health
EOF
run_scenario 3 exhaust "$work/exhaust.yaml" -u 6 -r 6 -t 3s
check "a run whose data ran out exits 1 (got $master_rc)" [ "$master_rc" = 1 ]
"$PY" - "$work/exhaust" "$work/exhaust.target.json" <<'PY' || fail "exhaustion checks"
import csv, json, sys
prefix, target_json = sys.argv[1:]
paths = json.load(open(target_json))["paths"]
echoed = {p: n for p, n in paths.items() if p.startswith("/echo/")}
ex = list(csv.DictReader(open(prefix + "_exceptions.csv", newline="")))
print("exceptions.csv:", [(r["Count"], r["Message"]) for r in ex])
ok = (sorted(echoed) == ["/echo/x1@e", "/echo/x2@e", "/echo/x3@e"]
      and all(n == 1 for n in echoed.values())
      and any(r["Message"].startswith("data accounts exhausted") and int(r["Count"]) == 3 for r in ex))
print(("ok: " if ok else "FAIL: ") + f"3 rows used once each ({echoed}), 3 users could not start")
sys.exit(0 if ok else 1)
PY
check "the console summary names the exhausted data" grep -q "data accounts exhausted" "$work/master.err"

echo "== a check that fails"
cat >"$work/failing.yaml" <<'EOF'
users:
  - name: u
    wait: {constant: 200ms}
    tasks:
      - get: /
        check: {status: 201}
EOF
run_scenario 3 failing "$work/failing.yaml" -u 3 -r 3 -t 2s
check "a run with failed checks exits 1 (got $master_rc)" [ "$master_rc" = 1 ]
check "the failures report has the readable text" \
    grep -qF 'GET,/,"check status: got 200, want 201",' "$work/failing_failures.csv"
finish
