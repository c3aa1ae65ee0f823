# Shared by the benchmark scripts (sourced, not run): the release build they
# use, a scratch directory cleaned on exit, and hornet-target pinned to CPU 1.

# Build @targets (ninja names) in $build, configuring it (release) if needed.
bench_build() {
    local missing=0 t
    for t in "$@"; do [ -x "$build/$t" ] || missing=1; done
    [ "$missing" = 0 ] && return 0
    [ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Dbuildtype=release >/dev/null
    ninja -C "$build" "$@" >/dev/null
}

command -v taskset >/dev/null || { echo "needs taskset (util-linux)"; exit 2; }
work=$(mktemp -d)
target_pid=
bench_cleanup() {
    [ -n "$target_pid" ] && kill "$target_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap bench_cleanup EXIT

# hornet-target with 1 thread on CPU 1 (extra args passed through); sets url.
bench_target() {
    taskset -c 1 "$build/tests/target/hornet-target" --listen 127.0.0.1:0 --threads 1 "$@" \
        >"$work/t.out" &
    target_pid=$!
    url=
    for _ in $(seq 100); do
        url=$(sed -n 's/^hornet-target listening on //p' "$work/t.out")
        [ -n "$url" ] && return 0
        sleep 0.05
    done
    echo "hornet-target did not start"
    exit 1
}
