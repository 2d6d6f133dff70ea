#!/bin/sh
# run-nested.sh — boot a test kernel under Hyper-V enlightenments on a host
# without usable KVM: host QEMU runs L1 (Debian cloud kernel + initramfs with
# KVM modules and QEMU, see build-cache.sh and init), L1's KVM runs L2 QEMU
# on the payload. stdout carries only L2's serial output; notes go to stderr.
#
# Exit status:
#   0..255  L2 QEMU's own exit status, unchanged (isa-debug-exit gives
#           (value<<1)|1: the test kernel's 0x10/0x11/0x12 -> 33/35/37;
#           0 means L2 powered off or reset, e.g. a triple fault, under -no-reboot)
#   2       usage error
#   122     cache build failed (build-cache.sh said why)
#   123     L1 ended without a verdict (L1 panic, host QEMU error): L1 log tail on stderr
#   124     L2 timed out (--timeout)
#   125     outer timeout: L1 hung (L2 timeout + 60 s margin)
#   126     L1 setup failed (module load, no /dev/kvm): L1 log tail on stderr
#   127     L2 QEMU failed to start or crashed: its stderr is on our stderr
#   130     interrupted (INT/TERM); host QEMU is stopped too
# A guest writing 0x3d, 0x3e or 0x3f to port 0xf4 would give 123, 125 or 127
# too: the test kernel does not.
#
# Environment (for debugging the runner itself):
#   NESTED_L1_ACCEL=tcg|kvm   force how host QEMU runs L1
#   NESTED_L1_CPU=MODEL       L1's -cpu (default: host on kvm, qemu64,+svm on tcg)
#   NESTED_OUTER_MARGIN=S     outer timeout = --timeout + S (default 60)
#   NESTED_RETRIES=N          reruns after the host QEMU race below (default 2)
#   NESTED_STACK=STACK        default of --stack (lets run-qemu.sh's nested mode
#                             use debian13 until the runner has --stack)
set -u
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<'EOF'
usage: run-nested.sh [--stack STACK] [--cache DIR] (--kernel FILE | --iso FILE | --efi-img FILE)
                     [--append "KERNEL ARGS"] [--l2-args "EXTRA L2 QEMU ARGS"]
                     [--smp N] [--timeout SECONDS] [--l1-log FILE]
  --kernel FILE    L2 boots FILE with -kernel (multiboot1) and -append ARGS
  --iso FILE       L2 boots FILE as -cdrom through SeaBIOS (--append ignored)
  --efi-img FILE   L2 boots OVMF with the FAT image FILE as a disk (--append ignored)
  --l2-args ARGS   word-split onto L2's QEMU command line; default:
                   -cpu qemu64,hv-relaxed,hv-vpindex,hv-synic -device hyperv-testdev -device vmbus-bridge
  --smp N          L2 (and L1) vCPUs, default 1
  --timeout S      L2 wall-clock limit in seconds, default 60
  --stack STACK    L1's hypervisor stack: debian12 (default; QEMU 7.2, Linux 6.1)
                   or debian13 (QEMU 10.0, Linux 6.12), see build-cache.sh; without
                   it, a --cache DIR keeps the stack it names or was built for
  --cache DIR      L1 kernel/initramfs cache, default build/nested/STACK (built if stale)
  --l1-log FILE    keep L1's console log there
Exit status: L2 QEMU's own, or 2 usage, 122 cache build, 123 L1 gave no verdict,
124 L2 timeout, 125 L1 hung, 126 L1 setup failed, 127 L2 QEMU failed/crashed,
130 interrupted.
EOF
}
note() { echo "run-nested: $*" >&2; }
bad() { note "$*"; usage >&2; exit 2; }

stack=${NESTED_STACK:-} cache= mode= image= append= smp=1 timeout=60 l1log=
l2args="-cpu qemu64,hv-relaxed,hv-vpindex,hv-synic -device hyperv-testdev -device vmbus-bridge"
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--kernel|--iso|--efi-img|--stack|--cache|--append|--l2-args|--smp|--timeout|--l1-log)
		[ $# -ge 2 ] || bad "$1 needs a value"
		case $1 in
		--kernel)  [ -z "$mode" ] || bad "one of --kernel/--iso/--efi-img"; mode=kernel image=$2 ;;
		--iso)     [ -z "$mode" ] || bad "one of --kernel/--iso/--efi-img"; mode=iso image=$2 ;;
		--efi-img) [ -z "$mode" ] || bad "one of --kernel/--iso/--efi-img"; mode=efi image=$2 ;;
		--stack)   stack=$2 ;;
		--cache)   cache=$2 ;;
		--append)  append=$2 ;;
		--l2-args) l2args=$2 ;;
		--smp)     smp=$2 ;;
		--timeout) timeout=$2 ;;
		--l1-log)  l1log=$2 ;;
		esac
		shift 2 ;;
	*) bad "unknown argument '$1'" ;;
	esac
done
[ -n "$mode" ] || bad "need --kernel, --iso or --efi-img"
[ -f "$image" ] && [ -r "$image" ] || bad "cannot read '$image'"
case $smp in ''|*[!0-9]*|0) bad "--smp wants a positive integer" ;; esac
case $timeout in ''|*[!0-9]*|0) bad "--timeout wants a positive integer" ;; esac
[ "$mode" = kernel ] || [ -z "$append" ] || note "--append ignored for --$mode"

case $stack in ''|debian12|debian13) ;; *) bad "--stack: '$stack' is not debian12 or debian13" ;; esac
# without --stack, build-cache.sh takes the stack a --cache DIR names or was built for
[ -n "$cache" ] || cache=$here/../../build/nested/${stack:-debian12}
sh "$here/build-cache.sh" ${stack:+--stack "$stack"} "$cache" || { note "cache build failed"; exit 122; }
cache=$(cd "$cache" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/run-nested.XXXXXX") || exit 122
trap 'rm -rf "$work"' EXIT
qpid= catpid=
# timeout(1) runs QEMU in its own process group: pass ^C / TERM on by hand.
trap 'kill $qpid $catpid 2>/dev/null; exit 130' INT TERM
[ -n "$l1log" ] || l1log=$work/l1.log
: >"$l1log" || bad "cannot write '$l1log'"

# Per-run payload: a second cpio appended to the cached one (the kernel
# unpacks concatenated archives in order), read by init from /payload.
p=$work/root/payload
mkdir -p "$p"
cp "$image" "$p/image" || exit 122
echo "$mode" >"$p/mode"; printf '%s\n' "$append" >"$p/append"
printf '%s\n' "$l2args" >"$p/l2args"; echo "$timeout" >"$p/timeout"; echo "$smp" >"$p/smp"
(cd "$work/root" && find . | cpio -o -H newc --quiet) >"$work/payload.cpio" || exit 122
cat "$cache/base.cpio" "$work/payload.cpio" >"$work/initrd" || exit 122

# L1 on host KVM only when it can nest (vmx/svm visible, nested=Y); a KVM
# without them (e.g. PVM sandboxes) cannot run L2, so TCG with SVM instead.
accel=${NESTED_L1_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo &&
		grep -qsE '^(Y|1)$' /sys/module/kvm_intel/parameters/nested \
			/sys/module/kvm_amd/parameters/nested; then
		accel=kvm
	fi
fi
case $accel in
kvm) l1cpu="-accel kvm -cpu ${NESTED_L1_CPU:-host}" ;;
tcg) l1cpu="-accel tcg -cpu ${NESTED_L1_CPU:-qemu64,+svm}" ;;
*)   bad "NESTED_L1_ACCEL must be tcg or kvm" ;;
esac
# L1 is a throwaway VM: CPU-bug mitigations only slow it under TCG (~0.6 s
# of boot); nor does it need the PS/2 controller probed.
l1opts="mitigations=off i8042.nokbd i8042.noaux"
outer=$((timeout + ${NESTED_OUTER_MARGIN:-60}))
note "L1 on $accel, L2 timeout ${timeout}s, outer ${outer}s"

# ttyS0 -> L1 log file, ttyS1 -> a FIFO that tee copies to our stdout (and
# to l2.copy, to know whether L2 said anything yet). Nothing host QEMU prints
# itself (e.g. glib's "Bail out!" on an assertion) can reach stdout.
mkfifo "$work/l2.out" || exit 122
run_l1() {
	: >"$l1log"
	tee "$work/l2.copy" <"$work/l2.out" &
	catpid=$!
	# shellcheck disable=SC2086
	timeout -k 5 "$outer" qemu-system-x86_64 $l1cpu -m 1024 -smp "$smp" \
		-nodefaults -no-reboot -vga none -display none -nic none \
		-kernel "$cache/kernel/vmlinuz" -initrd "$work/initrd" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 $l1opts" \
		-serial "file:$l1log" -serial "file:$work/l2.out" \
		</dev/null >"$work/host.err" 2>&1 &
	qpid=$!
	wait $qpid
	hrc=$?
	# If QEMU never opened the FIFO, tee still waits for a writer: be one,
	# briefly (a read-write open never blocks).
	: <>"$work/l2.out"
	wait $catpid
}
# Host QEMU 7.2 TCG can abort (tcg_handle_interrupt asserts the BQL), most
# likely when L2 writes CR8 while L1's KVM waits for an interrupt window;
# seen in about 1 of 3 OVMF boots, during firmware start. Retry then, but only while L2 has
# printed nothing: the caller must never see output twice.
tries=${NESTED_RETRIES:-2}
while :; do
	run_l1
	grep -q 'tcg_handle_interrupt: assertion failed' "$work/host.err" || break
	[ "$tries" -gt 0 ] && [ ! -s "$work/l2.copy" ] || break
	tries=$((tries - 1))
	note "host QEMU hit its TCG nested-SVM race before L2 printed anything; retrying"
done

tr -d '\r' <"$l1log" >"$work/l1.txt"
sed -n 's/^hvconform-l1: /run-nested: L1: /p' "$work/l1.txt" >&2
sed -n 's/^l2-stderr: //p' "$work/l1.txt" >&2
status=$(sed -n 's/^hvconform-l1-status=\([0-9][0-9]*\)$/\1/p' "$work/l1.txt" | tail -n1)

if [ $hrc -eq 124 ] || [ $hrc -eq 137 ]; then
	note "L1 hung: no verdict within ${outer}s; L1 log tail:"
	tail -n 20 "$work/l1.txt" >&2
	exit 125
fi
if [ -z "$status" ]; then
	note "L1 ended without a verdict (host QEMU status $hrc):"
	cat "$work/host.err" >&2
	grep -q 'tcg_handle_interrupt: assertion failed' "$work/host.err" &&
		note "host QEMU hit its TCG nested-SVM race (CR8 write with a virtual IRQ pending) after L2 output began: rerun"
	tail -n 20 "$work/l1.txt" >&2
	exit 123
fi
# L1's own kernel messages may say why (e.g. "kvm: no hardware support").
[ "$status" -eq 126 ] && grep -v '^hvconform-l1' "$work/l1.txt" | tail -n 20 >&2
exit "$status"
