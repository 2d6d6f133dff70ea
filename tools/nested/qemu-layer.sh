#!/bin/sh
# qemu-layer.sh STACK_CACHE QEMU OUT — an L1 cache like STACK_CACHE (built by
# build-cache.sh) whose L2 QEMU is the binary QEMU (run-qemu.sh --qemu): the
# stack's kernel (a link to STACK_CACHE/kernel), its firmware in /fw (L2 runs
# with -L /fw), its init, and QEMU at /usr/bin/qemu-system-x86_64 with the
# libraries `ldd` names on this host, loader included, at their own paths
# (/lib/x86_64-linux-gnu comes first in the loader's default search, so they
# win over a stack's own libraries in /usr/lib/x86_64-linux-gnu). OUT gets
# base.cpio, kernel, versions (qemu= the binary's --version, run inside the
# tree: proves the closure complete; qemu_sha256=) and stamp (the stack
# cache's key, the binary's hash and this script's, with their key:
# tools/hvconform/cachekey.py; so its saved L1 is its own).
# Rebuilt only when the stamp changes. Exit 0 ok, 1 failure, 2 usage.
set -eu
die() { echo "qemu-layer: error: $*" >&2; exit 1; }
[ $# -eq 3 ] || { echo "usage: qemu-layer.sh STACK_CACHE QEMU OUT" >&2; exit 2; }
base=$(cd "$1" && pwd) q=$2 out=$3
basekey=$(sed -n 's/^key=//p' "$base/stamp" 2>/dev/null) || true
[ -s "$base/base.cpio" ] && [ -n "$basekey" ] || die "$base is not a built L1 cache"
[ -f "$q" ] && [ -x "$q" ] || die "$q is not an executable file"
sum=$(sha256sum <"$q" | cut -d' ' -f1)
stamp=$(python3 "$(dirname "$0")/../hvconform/cachekey.py" "base=$basekey" "qemu_sha256=$sum" --file "layer=$0") ||
	die "cannot compute the layer's key"
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9>"$out/.lock"
flock 9 || die "cannot lock $out/.lock"
[ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ] && [ -s "$out/base.cpio" ] && exit 0

tmp=$(mktemp -d "$out/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
r=$tmp/root
mkdir -p "$r"
(cd "$r" && cpio -id --quiet <"$base/base.cpio") || die "cannot unpack $base/base.cpio"
cp "$q" "$r/usr/bin/qemu-system-x86_64"
ldd "$q" >"$tmp/ldd" 2>&1 || die "ldd $q: $(cat "$tmp/ldd")"
grep -q 'not found' "$tmp/ldd" && die "$q lacks libraries on this host: $(grep 'not found' "$tmp/ldd")"
for lib in $(sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' "$tmp/ldd"); do
	mkdir -p "$r$(dirname "$lib")"
	cp -L "$lib" "$r$lib" || die "cannot copy $lib"
done
ver=$(chroot "$r" /usr/bin/qemu-system-x86_64 --version 2>&1 | sed -n 's/^QEMU emulator version //p') || true
[ -n "$ver" ] || {
	chroot "$r" /usr/bin/qemu-system-x86_64 --version >&2 || true
	die "$q does not start inside the L1 tree"
}
(cd "$r" && find . | cpio -o -H newc --quiet) >"$tmp/base.cpio" || die "cpio failed"
sed '/^qemu=/d' "$base/versions" >"$tmp/versions"
{ echo "qemu=$ver"; echo "qemu_sha256=$sum"; echo "qemu_path=$(realpath "$q")"; } >>"$tmp/versions"
rm -f "$out/kernel"
ln -s "$base/kernel" "$out/kernel"
mv "$tmp/base.cpio" "$out/base.cpio"
mv "$tmp/versions" "$out/versions"
echo "$stamp" >"$out/stamp"
echo "qemu-layer: $out: the $(sed -n 's/^stack=//p' "$out/versions") L1 with QEMU $ver ($q)" >&2
