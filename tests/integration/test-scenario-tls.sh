#!/usr/bin/env bash
# HTTPS targets: hornet-target serving a certificate signed by a CA made
# here. With the system's CA store every request fails with a TLS error
# that says what failed; with tls.verify: false (a staging server) or with
# tls.ca_file naming the CA (shipped to the workers, which hold no file) the
# run is clean and exact; also on the fast path (http.engine: fast).
. "$(dirname "$0")/master_lib.sh"
command -v openssl >/dev/null || { echo "needs openssl"; exit 1; }

# A CA and a server certificate for 127.0.0.1.
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Hornet test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr \
    2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile san.ext -out server.pem 2>/dev/null
cd - >/dev/null

: >"$work/target.out"
"$HORNET_TARGET" --listen 127.0.0.1:0 --threads 2 --tls-cert "$work/server.pem" \
    --tls-key "$work/server.key" >"$work/target.out" 2>"$work/target.err" &
pids+=($!)
for _ in $(seq 100); do
    target_url=$(sed -n 's/^hornet-target listening on //p' "$work/target.out")
    [ -n "$target_url" ] && break
    sleep 0.05
done
case "$target_url" in https://*) ;; *) echo "hornet-target did not start with TLS"; cat "$work/target.err"; exit 1 ;; esac
check "curl with the CA reaches the target" curl -sf --cacert "$work/ca.pem" "$target_url/health"

run_tls() { # name, tls section
    cat >"$work/$1.yaml" <<EOF
$2
users:
  - name: u
    tasks:
      - get: /json
EOF
    curl -s --cacert "$work/ca.pem" -X POST "$target_url/__reset" >/dev/null
    start_hmaster -f "$work/$1.yaml" -H "$target_url" --local-workers 2 --worker-threads 1 \
        --csv "$work/$1" --only-summary -u 6 -r 6 -t 3s
    wait_master 60
    curl -s --cacert "$work/ca.pem" "$target_url/__stats" >"$work/$1.target.json"
}

echo "== verified against the system's CA store: refused, and the error says why"
run_tls system ""
check "the run fails (exit 1, got $master_rc)" [ "$master_rc" = 1 ]
check "failures name the certificate problem" \
    grep -q "TLS error: SSL certificate problem: unable to get local issuer certificate" \
    "$work/system_failures.csv"

echo "== tls.verify: false"
run_tls insecure "tls: {verify: false}"
check "the run passes (exit 0, got $master_rc)" [ "$master_rc" = 0 ]
check_csv "$work/insecure" "$work/insecure.target.json"

echo "== tls.ca_file: the test CA, shipped to the workers"
run_tls ca "tls: {ca_file: ca.pem}"
check "the run passes (exit 0, got $master_rc)" [ "$master_rc" = 0 ]
check_csv "$work/ca" "$work/ca.target.json"

echo "== the fast path over TLS: libcurl connects and verifies, the worker talks"
run_tls ca-fast "tls: {ca_file: ca.pem}
http: {cookies: false, engine: fast}"
check "the run passes (exit 0, got $master_rc)" [ "$master_rc" = 0 ]
check_csv "$work/ca-fast" "$work/ca-fast.target.json"
run_tls system-fast "http: {cookies: false, engine: fast}"
check "the fast path against the system's CA store fails (exit 1, got $master_rc)" \
    [ "$master_rc" = 1 ]
check "its failures name the certificate problem" \
    grep -q "TLS error: SSL certificate problem: unable to get local issuer certificate" \
    "$work/system-fast_failures.csv"

echo "== a CA that did not sign the server's certificate"
cd "$work" && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Other CA" \
    -keyout other.key -out other.pem 2>/dev/null && cd - >/dev/null
run_tls other "tls: {ca_file: other.pem}"
check "the run fails (exit 1, got $master_rc)" [ "$master_rc" = 1 ]
check "failures say the issuer is unknown" grep -q "TLS error: SSL certificate problem" \
    "$work/other_failures.csv"
finish
