#!/bin/sh
# install-deps.sh — install the Debian packages hvconform needs (scripts/packages.txt, the
# one list), when missing. Quiet when everything is present. Needs root (or sudo) only
# when a package is missing. The installing itself (one dpkg-query, one apt-get update,
# sudo -n, a missing or unknown package named) is tools/ci/install-pkgs.sh's.
# Exit status: 0 all present (or installed), 1 install failed or not possible (the
# packages named on stderr), 2 the list cannot be read.
set -u
here=$(cd "$(dirname "$0")" && pwd) || exit 2
list=$here/packages.txt
pkgs=$(sed -e 's/#.*//' -e 's/^[[:space:]]*\([^[:space:]]*\).*/\1/' "$list") ||
	{ echo "install-deps: cannot read $list" >&2; exit 2; }
[ -n "$pkgs" ] || { echo "install-deps: $list names no package" >&2; exit 2; }
# shellcheck disable=SC2086
exec sh "$here/../tools/ci/install-pkgs.sh" $pkgs
