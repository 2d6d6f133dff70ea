#!/bin/sh
# run-qemu.sh — boot the hvconform test kernel under QEMU in the best mode this
# host offers and return the verdict. A thin wrapper: the runner is
# tools/hvconform/runner.py (./run-qemu.sh --help has the options).
root=$(cd "$(dirname "$0")" && pwd) || exit 3
command -v python3 >/dev/null 2>&1 || { echo "run-qemu: python3 not found (apt-get install python3)" >&2; exit 3; }
exec python3 "$root/tools/run-qemu.py" "$@"
