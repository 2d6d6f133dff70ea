#!/bin/sh
# build-cache.sh [--stack debian12|debian13|debian13-backports] [--update] [CACHE_DIR]
# Builds what the nested runner (tools/hvconform/l1.py) boots as L1, for one stack:
#   debian12  the host's Debian 12 QEMU 7.2 + libraries, Debian 12 cloud kernel
#             (Linux 6.1) via the host's apt (stack-debian12.sh)
#   debian13  Debian 13 trixie's QEMU 10.0 with all its libraries, SeaBIOS,
#             OVMF and cloud kernel (Linux 6.12), from a private apt state in
#             CACHE_DIR/apt, never the host's (stack-debian13.sh)
#   debian13-backports  as debian13, with QEMU 11.1, SeaBIOS and the cloud
#             kernel (Linux 7.3) from trixie-backports (stack-debian13-backports.sh)
# CACHE_DIR (default build/nested/STACK in the repository; without --stack, a
# CACHE_DIR named after a stack or built for one keeps it) receives:
#   kernel/      vmlinuz, the L1 modules as plain .ko and their load-order,
#                pkg, version, release (uname -r), kstamp
#   base.cpio    initramfs: busybox, /init, /lib/modules/*.ko + load-order,
#                qemu + libraries, firmware in /fw
#   versions     qemu=VERSION (as `qemu-system-x86_64 --version` prints it),
#                l1_kernel=UNAME_R, stack=, qemu_pkg=, l1_kernel_pkg= lines
#   stamp        the inputs it was built from, a line each, and their key
#                (tools/hvconform/cachekey.py); rebuilt only when it changes
# --update refreshes a private apt state's package lists (debian13*; the lists
# are fetched once, then reused, so a build is reproducible and offline).
# Parallel runs share a cache (flock): one builds, the others wait.
# Exit 0 ok, 1 failure (the reason on stderr), 2 usage.
# The stack file (sourced) sets kpkg kver kdebs sinputs qemu_pkg qemu_ver, reads update:
# shellcheck disable=SC2154,SC2034
set -eu
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "build-cache: $*" >&2; }
said=
die() { said=1; echo "build-cache: error: $*" >&2; exit 1; }
# set -e ends the script at any failing command: never without a word (the EXIT
# trap names the step it was in). step: what it was doing.
step=starting tmp=
trap 'rc=$?; [ -n "${tmp:-}" ] && rm -rf "$tmp"
	[ $rc -eq 0 ] || [ -n "$said" ] || echo "build-cache: error: failed while $step (status $rc)" >&2' EXIT
usage() { sed -n 2p "$0" | sed 's/^# /usage: /' >&2; exit "${1:-2}"; }

stack='' update='' cache=''
while [ $# -gt 0 ]; do
	case $1 in
	--stack)   [ $# -ge 2 ] || usage; stack=$2; shift 2 ;;
	--update)  update=1; shift ;;
	-h|--help) usage 0 ;;
	-*)        log "unknown option '$1'"; usage ;;
	*)         [ -z "$cache" ] || usage; cache=$1; shift ;;
	esac
done
# Without --stack, a CACHE_DIR names its stack: by its name (build/nested/debian13)
# or by the stack it was built for (its stamp); else debian12 (the old build/nested).
if [ -z "$stack" ] && [ -n "$cache" ]; then
	[ -r "$here/stack-$(basename "$cache").sh" ] && stack=$(basename "$cache")
	[ -n "$stack" ] || stack=$(sed -n 's/^stack=\([^ ]*\).*/\1/p' "$cache/stamp" 2>/dev/null) || true
fi
[ -n "$stack" ] || stack=debian12
[ -r "$here/stack-$stack.sh" ] || {
	log "unknown stack '$stack' (no $here/stack-$stack.sh)"
	usage
}
[ -n "$cache" ] || cache=$here/../../build/nested/$stack
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec 9>"$cache/.lock"
flock 9 || die "cannot lock $cache/.lock"

# A bare Debian may lack what this needs: the project's one package list
# (scripts/packages.txt) is checked and completed here too, for a CACHE_DIR
# built without ./run-qemu.sh. A failure names the packages.
step="checking packages (scripts/install-deps.sh)"
sh "$here/../../scripts/install-deps.sh" >&2 ||
	die "packages missing, not installed (the install-pkgs lines above name them)"
# The stack interface: stack_resolve (sets kpkg, kver, qemu_pkg,
# sinputs); stack_kernel_deb DIR (sets kdebs, the kernel's
# .deb files: Linux 7.x packages split vmlinuz and modules out of linux-image-*); stack_userland ROOT (QEMU,
# libraries, ROOT/fw; sets qemu_ver).
# shellcheck disable=SC1090
. "$here/stack-$stack.sh"
step="resolving the $stack stack's packages"
stack_resolve
# L1's modules: KVM (the vendor module picked by init), virtio_console for the
# host's ports, and virtio_blk with what its device needs, for a payload disk.
# Dependencies come from modules.dep.
mods="irqbypass kvm virtio_pci virtio_blk virtio_console" alts="kvm-intel kvm-amd"
bver=$(dpkg-query -W -f '${Version}' busybox-static)
step="computing the cache's key (tools/hvconform/cachekey.py)"
# shellcheck disable=SC2086
stamp=$(python3 "$here/../hvconform/cachekey.py" --stack "$stack" "kernel=$kpkg/$kver" $sinputs "busybox=$bver")
if [ -s "$cache/kernel/vmlinuz" ] && [ -s "$cache/base.cpio" ] && [ -s "$cache/versions" ] &&
	[ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ]; then
	log "cache up to date ($cache)"
	exit 0
fi

tmp=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'exit 130' INT TERM

# 1. Kernel and modules, kept apart so a change elsewhere does not redo them.
kstamp=$(python3 "$here/../hvconform/cachekey.py" "kernel=$kpkg/$kver" "mods=$mods" "alts=$alts" \
	--file "kmods=$here/kmods.sh")
step="extracting the L1 kernel and its modules"
if [ "$(cat "$cache/kernel/kstamp" 2>/dev/null)" != "$kstamp" ] || [ ! -s "$cache/kernel/vmlinuz" ]; then
	mkdir -p "$tmp/dl"
	stack_kernel_deb "$tmp/dl"
	for d in $kdebs; do dpkg-deb -x "$d" "$tmp/deb" || die "cannot extract $d"; done
	k=$tmp/kernel
	mkdir -p "$k"
	# Debian 12 ships /lib/modules, Debian 13 /usr/lib/modules
	md=$(ls -d "$tmp"/deb/lib/modules/* "$tmp"/deb/usr/lib/modules/* 2>/dev/null | head -n1)
	[ -n "$md" ] || die "no module tree in $kdebs"
	# /boot/vmlinuz-REL up to Linux 6.x, the module tree's vmlinuz in 7.x packages
	cp "$(ls "$tmp"/deb/boot/vmlinuz-* "$md/vmlinuz" 2>/dev/null | head -n1)" "$k/vmlinuz" ||
		die "no vmlinuz in $kdebs"
	# shellcheck disable=SC2086
	sh "$here/kmods.sh" "$md" "$k" $mods -- $alts || die "cannot resolve L1's modules in $kdebs"
	echo "$kpkg" >"$k/pkg"; echo "$kver" >"$k/version"; basename "$md" >"$k/release"
	echo "$kstamp" >"$k/kstamp"
	rm -rf "$tmp/deb" "$tmp/dl"
	rm -rf "$cache/kernel"
	mv "$k" "$cache/kernel"
fi

# 2. The root tree.
step="building L1's root tree"
r=$tmp/root
mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/lib/modules" \
	"$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/fw"
cp "$(command -v busybox)" "$r/bin/busybox"
ldd "$r/bin/busybox" >/dev/null 2>&1 && die "busybox is not static (need busybox-static)"
cp "$here/init" "$r/init" && chmod 755 "$r/init"
# L2 QEMUs forked after their start-up (zygote.c; built against this host's
# C library, whose symbol versions the stacks' newer ones keep)
mkdir -p "$r/lib"
"$here/build-zygote.sh" "$r/lib/hvc-zygote.so" ||
	die "cannot build zygote.c (gcc, libc6-dev)"
cp "$cache"/kernel/*.ko "$cache/kernel/load-order" "$r/lib/modules/"
stack_userland "$r"

# Uncompressed: L1 boots faster without gunzip under TCG, and the per-run
# cpio can simply be appended.
(cd "$r" && find . | cpio -o -H newc --quiet) >"$tmp/base.cpio" || die "cpio failed"
{ echo "qemu=$qemu_ver"; echo "l1_kernel=$(cat "$cache/kernel/release")"
  echo "stack=$stack"; echo "qemu_pkg=$qemu_pkg"; echo "l1_kernel_pkg=$kpkg $kver"
} >"$tmp/versions"
mv "$tmp/base.cpio" "$cache/base.cpio"
mv "$tmp/versions" "$cache/versions"
echo "$stamp" >"$cache/stamp"
log "built $cache/base.cpio ($(du -h "$cache/base.cpio" | cut -f1)) for $stack: QEMU $qemu_ver, Linux $(cat "$cache/kernel/release")"
