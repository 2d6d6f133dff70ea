#!/bin/sh
# install-pkgs.sh PKG... — install the Debian packages named, when missing
# (scripts/install-deps.sh's list; the test helpers' own: chromium for the
# browser check, python3-yaml for the CI-file check). One dpkg-query for all
# of them, `apt-get update` once and only when something must be installed,
# sudo -n when not root. Every apt-get has a time limit (APT_TIMEOUT, default 900 s).
# Exit status: 0 all present (or installed), 1 install failed or not possible,
# 2 usage.
set -u
[ $# -gt 0 ] || { echo "usage: install-pkgs.sh PKG..." >&2; exit 2; }
say() { echo "install-pkgs: $*" >&2; }

for p in "$@"; do
	case $p in
	*[!a-z0-9.+-]* | -*) say "bad package name '$p'"; exit 2 ;;
	esac
done
# one query (a dpkg -s per package costs ~30 ms each, paid by every run)
st="|$(dpkg-query -W -f '${Package} ${db:Status-Abbrev}|' "$@" 2>/dev/null)"
missing=
for p in "$@"; do
	case $st in *"|$p ii"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	say "missing packages:$missing; apt-get not found (Debian needed): install them by hand"
	exit 1
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo -n"
	else
		say "missing packages:$missing; run as root: apt-get install$missing"
		exit 1
	fi
fi
t=${APT_TIMEOUT:-900}
to=
command -v timeout >/dev/null 2>&1 && to="timeout $t"
say "installing$missing"
# shellcheck disable=SC2086
$sudo $to apt-get update -q >&2 || { say "apt-get update failed (or took over $t s)"; exit 1; }
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive $to apt-get install -y -q $missing >&2 ||
	{ say "apt-get install$missing failed (or took over $t s)"; exit 1; }
exit 0
