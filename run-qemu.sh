#!/bin/sh
# run-qemu.sh — boot the hvconform test kernel under QEMU in the best mode this
# host offers and return the verdict. A thin wrapper: the runner is
# tools/hvconform/runner.py (./run-qemu.sh --help has the options).
# HVCONFORM_PYTHON: the interpreter (default python3 from PATH); make test
# passes its own, as a version manager's python3 shim can cost ~0.4 s a start.
root=$(cd "$(dirname "$0")" && pwd) || exit 3
py=${HVCONFORM_PYTHON:-python3}
command -v "$py" >/dev/null 2>&1 || { echo "run-qemu: $py not found (apt-get install python3)" >&2; exit 3; }
exec "$py" "$root/tools/run-qemu.py" "$@"
