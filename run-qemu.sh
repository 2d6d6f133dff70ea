#!/bin/sh
# run-qemu.sh — boot the hvconform test kernel under QEMU in the best mode this
# host offers and return the verdict. A thin wrapper: the runner is
# tools/hvconform/runner.py (./run-qemu.sh --help has the options).
# HVCONFORM_PYTHON: the interpreter. By default the system's /usr/bin/python3
# (the runner needs only the standard library), else python3 from PATH: a
# version manager's python3 shim costs ~0.35 s a start (pyenv, measured).
root=$(cd "$(dirname "$0")" && pwd) || exit 3
pick() {
	py=${HVCONFORM_PYTHON:-}
	[ -n "$py" ] || { [ -x /usr/bin/python3 ] && py=/usr/bin/python3; } || py=python3
	command -v "$py" >/dev/null 2>&1
}
# A bare Debian has no python3: it is installed here, by the project's one
# mechanism (the runner then installs the rest of scripts/packages.txt),
# unless packages are not to be touched (--no-deps, HVCONFORM_NO_DEPS).
if ! pick; then
	deps=1
	for a; do
		case $a in --) break ;; --no-deps) deps= ;; esac
	done
	[ -z "${HVCONFORM_NO_DEPS:-}" ] || deps=
	if [ -n "$deps" ] && [ -z "${HVCONFORM_PYTHON:-}" ]; then
		sh "$root/tools/ci/install-pkgs.sh" python3 ||
			{ echo "run-qemu: error: python3 could not be installed (the lines above say why)" >&2; exit 3; }
	fi
	pick || { echo "run-qemu: error: $py not found (apt-get install python3, or run scripts/install-deps.sh)" >&2; exit 3; }
fi
# Its modules' bytecode goes under build/ (not beside the sources, which a
# PYTHONDONTWRITEBYTECODE user keeps clean): compiling them anew took ~0.05 s
# of each run, before the nested L1 restore could start.
# (an environment variable, so the tools it runs in turn keep theirs there too)
unset PYTHONDONTWRITEBYTECODE
PYTHONPYCACHEPREFIX=$root/build/pycache
export PYTHONPYCACHEPREFIX
exec "$py" "$root/tools/run-qemu.py" "$@"
