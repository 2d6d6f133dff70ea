#!/bin/sh
# run-qemu.sh — boot the hvconform test kernel under QEMU in the best mode this
# host offers and return the verdict. A thin wrapper: the runner is
# tools/hvconform/runner.py (./run-qemu.sh --help has the options).
# HVCONFORM_PYTHON: the interpreter. By default the system's /usr/bin/python3
# (the runner needs only the standard library), else python3 from PATH: a
# version manager's python3 shim costs ~0.35 s a start (pyenv, measured).
root=$(cd "$(dirname "$0")" && pwd) || exit 3
py=${HVCONFORM_PYTHON:-}
[ -n "$py" ] || { [ -x /usr/bin/python3 ] && py=/usr/bin/python3; } || py=python3
command -v "$py" >/dev/null 2>&1 || { echo "run-qemu: $py not found (apt-get install python3)" >&2; exit 3; }
# Its modules' bytecode goes under build/ (not beside the sources, which a
# PYTHONDONTWRITEBYTECODE user keeps clean): compiling them anew took ~0.05 s
# of each run, before the nested L1 restore could start.
# (an environment variable, so the tools it runs in turn keep theirs there too)
unset PYTHONDONTWRITEBYTECODE
PYTHONPYCACHEPREFIX=$root/build/pycache
export PYTHONPYCACHEPREFIX
exec "$py" "$root/tools/run-qemu.py" "$@"
