# Sourced by the test scripts: sets PY to the python3 they run, one with
# the modules run.sh installs as Debian packages (python3-zmq, -msgpack,
# -yaml, -jsonschema; failing that, the first two, which most tests need).
# Debian's own /usr/bin/python3 is tried first: a python3 earlier in $PATH
# (pyenv's shim, say) may lack those modules, and a shim can cost 0.4 s per
# start, which a test's polling loops pay hundreds of times (it made the
# test suites minutes longer).
PY=python3
for _mods in 'zmq, msgpack, yaml, jsonschema' 'zmq, msgpack'; do
    for _py in /usr/bin/python3 python3; do
        if "$_py" -c "import $_mods" 2>/dev/null; then PY=$_py; break 2; fi
    done
done
unset _mods _py
