# The benchmarks' target server (sourced by bench.sh and compare.sh, not run):
# nginx with one worker pinned to CPU 1, no access log and keep-alive
# without limit, so that the clients are what is measured.
#
# bench_nginx PORT [LOCATIONS [HTTP_EXTRA]]: starts nginx in $work (its pid
# in $work/nginx.pid: the caller's cleanup kills it) answering "ok\n" at
# http://127.0.0.1:PORT/, with LOCATIONS added to that server and
# HTTP_EXTRA (e.g. another server) to the http block; returns once it
# answers, or fails saying so.
bench_nginx() {
    local port=$1 locations=${2:-} http_extra=${3:-}
    mkdir -p "$work/logs"
    cat >"$work/nginx.conf" <<EOF
worker_processes 1;
worker_cpu_affinity 10;
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 32768; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path $work;
    proxy_temp_path $work;
    fastcgi_temp_path $work;
    uwsgi_temp_path $work;
    scgi_temp_path $work;
    server {
        listen 127.0.0.1:$port backlog=8192;
        location = / { return 200 "ok\n"; }
        $locations
    }
    $http_extra
}
EOF
    nginx -p "$work" -c "$work/nginx.conf"
    for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$port/" >/dev/null && return 0
        sleep 0.1
    done
    echo "nginx did not answer on port $port (see $work/logs/error.log)"
    exit 1
}
