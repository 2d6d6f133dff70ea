#!/bin/sh
# kmods.sh MODDIR OUTDIR MODULE... [-- ALTERNATIVE...]
#   MODDIR   an extracted kernel's module tree, .../lib/modules/<uname -r>
#   OUTDIR   receives the modules as plain .ko (busybox insmod reads no
#            compressed ones) and OUTDIR/load-order, one .ko name a line
# Each MODULE is resolved with its dependencies from MODDIR/modules.dep
# (generated with depmod when the package ships none, as Debian's do) and
# listed after them; a module that modules.builtin names is built in and
# skipped. The ALTERNATIVEs (e.g. kvm-intel kvm-amd: init loads the one for
# the CPU's vendor and skips the others) come last, in the order given, after
# all their dependencies. A module neither built in nor in modules.dep is an
# error. Exit 0 ok, 1 failure (the reason on stderr).
set -eu
die() { echo "kmods: error: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: kmods.sh MODDIR OUTDIR MODULE... [-- ALTERNATIVE...]"
md=$1 out=$2; shift 2
[ -f "$md/modules.builtin" ] || die "$md/modules.builtin missing (not a module tree?)"
if [ ! -s "$md/modules.dep" ]; then
	command -v depmod >/dev/null || die "depmod not found (package kmod)"
	# depmod -b BASE VER works on BASE/lib/modules/VER
	ver=$(basename "$md")
	base=$(cd "$md/../../.." && pwd)
	[ "$(cd "$base/lib/modules/$ver" 2>/dev/null && pwd)" = "$(cd "$md" && pwd)" ] ||
		die "$md is not BASE/lib/modules/VERSION"
	depmod -b "$base" "$ver" || die "depmod -b $base $ver failed"
	[ -s "$md/modules.dep" ] || die "depmod wrote no $md/modules.dep"
fi
mkdir -p "$out"
: >"$out/load-order"

# The module's name as the kernel spells it: '-' and '_' are the same.
norm() { echo "$1" | tr - _; }
# path of module $1 in modules.dep (relative to MODDIR), or nothing
dep_path() {
	n=$(norm "$1")
	awk -F: -v n="$n" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b)
		gsub(/-/, "_", b); if (b == n) { print $1; exit } }' "$md/modules.dep"
}
is_builtin() {
	n=$(norm "$1")
	awk -v n="$n" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b)
		if (b == n) { f = 1; exit } } END { exit !f }' "$md/modules.builtin"
}
# add PATH: decompress MODDIR/PATH to OUTDIR/<name>.ko and list it, once
add() {
	ko=$(basename "$1"); ko=${ko%.xz}; ko=${ko%.zst}; ko=${ko%.gz}
	grep -qxF "$ko" "$out/load-order" && return 0
	f=$md/$1
	case $f in
	*.ko.xz)  xz -dc "$f" >"$out/$ko" ;;
	*.ko.zst) zstd -dcq "$f" >"$out/$ko" ;;
	*.ko.gz)  gzip -dc "$f" >"$out/$ko" ;;
	*.ko)     cp "$f" "$out/$ko" ;;
	*)        false ;;
	esac || die "cannot decompress $f"
	echo "$ko" >>"$out/load-order"
}
# deps MODULE: add what MODULE needs (modules.dep lists a module's
# dependencies so that loading them from the last to the first works)
deps() {
	p=$(dep_path "$1")
	for d in $(grep "^$p:" "$md/modules.dep" | cut -d: -f2 | tr ' ' '\n' | grep . | tac); do
		add "$d"
	done
}
alts=
while [ $# -gt 0 ]; do
	if [ "$1" = -- ]; then shift; alts="$*"; break; fi
	m=$1; shift
	if [ -n "$(dep_path "$m")" ]; then deps "$m"; add "$(dep_path "$m")"
	elif is_builtin "$m"; then echo "kmods: $m is built into the kernel" >&2
	else die "module $m is neither in $md/modules.dep nor built in"
	fi
done
for m in $alts; do
	[ -n "$(dep_path "$m")" ] || die "alternative module $m not in $md/modules.dep"
	deps "$m"
done
for m in $alts; do add "$(dep_path "$m")"; done
echo "kmods: load order: $(tr '\n' ' ' <"$out/load-order")" >&2
