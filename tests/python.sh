# Sourced by the test scripts: sets PY to the python3 they run, one with
# the modules run.sh installs as Debian packages (python3-zmq, -msgpack,
# -yaml, -jsonschema; failing that, the first two, which most tests need).
# Debian's own /usr/bin/python3 is tried first: a python3 earlier in $PATH
# (pyenv's shim, say) may lack those modules, and a shim can cost 0.4 s per
# start, which a test's polling loops pay hundreds of times (it made the
# test suites minutes longer).
#   py_with MODULES   prints the first python3 that imports MODULES
#                     ("jsonschema, yaml"), else python3
py_with() {
    local p
    for p in /usr/bin/python3 python3; do
        if "$p" -c "import $1" 2>/dev/null; then echo "$p"; return; fi
    done
    echo python3
}
PY=$(py_with 'zmq, msgpack, yaml, jsonschema')
[ "$PY" != python3 ] || PY=$(py_with 'zmq, msgpack')
