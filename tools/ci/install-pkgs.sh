#!/bin/sh
# install-pkgs.sh PKG... — install the Debian packages named, when missing: the project's one
# install mechanism (scripts/install-deps.sh gives it scripts/packages.txt; the slow tests
# their own: chromium, python3-yaml, npm). One dpkg-query for all of them, `apt-get update`
# once and only when something must be installed, sudo -n when not root. Every apt-get has a
# time limit (APT_TIMEOUT, default 3600 s: a bare machine installs ~400 packages, slow on a
# loaded host) and waits up to that for another apt's dpkg lock.
# A failure names the packages and apt's reason; a package apt does not know is named as
# such. Never a silent exit.
# Exit status: 0 all present (or installed), 1 install failed or not possible, 2 usage.
set -u
[ $# -gt 0 ] || { echo "usage: install-pkgs.sh PKG..." >&2; exit 2; }
say() { echo "install-pkgs: $*" >&2; }

for p in "$@"; do
	case $p in
	*[!a-z0-9.+-]* | -*) say "bad package name '$p'"; exit 2 ;;
	esac
done
# One query (a dpkg -s per package costs ~30 ms each, paid by every run). dpkg-query exits
# non-zero when one of them is not installed: its output is what counts.
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
t=${APT_TIMEOUT:-3600}
to=
command -v timeout >/dev/null 2>&1 && to="timeout $t"
out=$(mktemp "${TMPDIR:-/tmp}/install-pkgs.XXXXXX") || { say "cannot make a temporary file"; exit 1; }
trap 'rm -f "$out" "$out.rc"' EXIT
# apt ARGS...: apt-get ARGS, its output on stderr as it comes and in $out (for the message)
apt() {
	# shellcheck disable=SC2086
	{ $sudo env DEBIAN_FRONTEND=noninteractive $to apt-get -q -o DPkg::Lock::Timeout="$t" "$@" 2>&1
	  echo $? >"$out.rc"; } | tee "$out" >&2
	return "$(cat "$out.rc" 2>/dev/null || echo 1)"
}
# fail WHAT: the message with apt's reason, and the packages apt does not know
fail() {
	unknown=
	for p in $missing; do
		apt-cache show "$p" >/dev/null 2>&1 || unknown="$unknown $p"
	done
	[ -z "$unknown" ] || say "unknown to apt here:$unknown (check the apt sources; Debian 12 or 13 needed)"
	rc=$(cat "$out.rc" 2>/dev/null)
	why="status $rc"
	[ "$rc" = 124 ] && why="timed out after $t s (APT_TIMEOUT)"
	# apt's own reason: its last error line (else its last line)
	last=$(grep '^E: ' "$out" | tail -n 1)
	[ -n "$last" ] || last=$(grep . "$out" | tail -n 1)
	say "$1 ($why): ${last:-apt-get printed nothing}"
	say "missing packages:$missing"
	exit 1
}
say "installing$missing"
apt update || fail "apt-get update failed"
# shellcheck disable=SC2086
apt install -y $missing || fail "apt-get install$missing failed"
exit 0
