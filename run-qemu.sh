#!/bin/sh
# run-qemu.sh — boot the hvconform test kernel under QEMU in the best mode this
# host offers, stream its serial output (TAP 13) to stdout and a log, survive a
# dying VM by resuming after the test that killed it, and return the verdict of
# tools/check-log. Run with --help for the options and exit statuses.
set -u
set -f # kernel arguments hold globs (tests=post.*): never expand them here
root=$(cd "$(dirname "$0")" && pwd) || exit 3
cd "$root" || exit 3

usage() {
	cat <<'EOF'
usage: ./run-qemu.sh [OPTIONS] [-- KERNEL ARGS...]

Boots build/hvconform.elf (or the ISO / ESP image) under QEMU, prints the
serial output as it arrives, then the checker's report (tools/check-log).
Builds what it boots (make) and installs missing Debian packages
(scripts/install-deps.sh) first.

  --boot kernel|iso|efi  how the kernel is loaded (default kernel):
        kernel  multiboot1 via QEMU -kernel build/hvconform.elf -append ARGS
        iso     build/hvconform.iso as -cdrom: GRUB, multiboot2; SeaBIOS, or
                OVMF with --firmware uefi. Kernel args: a per-run copy of the
                ISO whose first grub.cfg entry carries them (grub-mkrescue, ~1 s)
        efi     build/hvconform-efi.img (GNU-EFI app) under OVMF; kernel args in
                a per-run copy holding \EFI\BOOT\cmdline.txt
  --firmware bios|uefi   firmware for --boot iso (default bios; efi is always uefi)
  --mode auto|tcg|kvm|nested  (default auto)
        kvm     QEMU/KVM on this host with Hyper-V enlightenments
        nested  tools/nested/run-nested.sh: a Linux L1 (under host KVM when it
                can nest, else TCG with +svm) whose KVM runs the kernel in L2
                with Hyper-V enlightenments
        tcg     plain TCG: no Hyper-V at all, the Hyper-V tests SKIP
        auto    kvm if /dev/kvm works and offers Hyper-V (probed by booting
                `tests=hv.detect`), else nested if its L1 cache can be built,
                else tcg. The choice is printed on stderr.
  --config full|enforce|nosynic  the Hyper-V partition (default full):
        full     -cpu qemu64,hv-relaxed,hv-vpindex,hv-synic
                 -device hyperv-testdev -device vmbus-bridge
        enforce  -cpu qemu64,hv-relaxed,hv-vpindex,hv-enforce-cpuid
                 (no SynIC, no PostMessages privilege)
        nosynic  -cpu qemu64,hv-relaxed,hv-vpindex
                 (Hyper-V CPUID without SynIC)
        Applies to kvm and nested; tcg has no Hyper-V and ignores it.
  --smp N                vCPUs (default 1)
  --timeout S            wall-clock limit per boot in seconds
                         (default 120 nested, 60 kvm/tcg)
  --log FILE             serial log (default build/logs/BOOT-MODE-CONFIG.log)
  --junit FILE           also write JUnit XML (tools/check-log --junit)
  --profile FILE|none    known deviations for the checker (default:
                         tcg: profiles/qemu-tcg.txt; kvm/nested:
                         profiles/qemu-kvm-CONFIG.txt if it exists, else
                         profiles/qemu-kvm.txt); none = no profile
  --args "ARGS"          kernel arguments (tests=GLOB,GLOB list verbose seed=N)
  --no-build             do not run make; fail if the image is missing
  --no-deps              do not run scripts/install-deps.sh
  -h, --help             this text

Crash-proof runs: when the VM dies or times out before "# hvconform: end",
the test that was running is recorded as the cause and the kernel boots
again with after=NAME (at most 20 restarts; a "Bail out!" is final). The
pieces are kept as FILE.1, FILE.2, ...; FILE then holds all of them in order,
and the checker reads the pieces ("VM died during NAME").

Exit status:
  0  the checker found nothing unexpected (all passed, or known deviations)
  1  unexpected failures (or a VM death, or a stale profile entry)
  2  bad log (tools/check-log) or a usage error of this script
  3  environment error: QEMU / firmware / image missing, build or package
     install failed, QEMU or the nested runner could not start the VM
EOF
}

note() { echo "run-qemu: $*" >&2; }
bad() { note "$*"; echo "run-qemu: see ./run-qemu.sh --help" >&2; exit 2; }
env_fail() { note "error: $*"; exit 3; }

boot=kernel firmware= mode=auto config=full smp=1 timeout= log= junit= profile=
kargs= build=1 deps=1
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--) shift; kargs="$kargs $*"; break ;;
	--no-build) build= ; shift ;;
	--no-deps) deps= ; shift ;;
	--boot|--firmware|--mode|--config|--smp|--timeout|--log|--junit|--profile|--args)
		[ $# -ge 2 ] || bad "$1 needs a value"
		case $1 in
		--boot)     boot=$2 ;;
		--firmware) firmware=$2 ;;
		--mode)     mode=$2 ;;
		--config)   config=$2 ;;
		--smp)      smp=$2 ;;
		--timeout)  timeout=$2 ;;
		--log)      log=$2 ;;
		--junit)    junit=$2 ;;
		--profile)  profile=$2 ;;
		--args)     kargs="$kargs $2" ;;
		esac
		shift 2 ;;
	--*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
	*) bad "unknown option '$1' (kernel arguments go after -- or in --args)" ;;
	esac
done
case $boot in kernel|iso|efi) ;; *) bad "--boot: '$boot' is not kernel, iso or efi" ;; esac
case $firmware in
'') case $boot in efi) firmware=uefi ;; *) firmware=bios ;; esac ;;
bios) [ "$boot" != efi ] || bad "--boot efi needs --firmware uefi" ;;
uefi) [ "$boot" != kernel ] || bad "--boot kernel uses QEMU's multiboot loader: --firmware uefi needs --boot iso or efi" ;;
*) bad "--firmware: '$firmware' is not bios or uefi" ;;
esac
case $mode in auto|tcg|kvm|nested) ;; *) bad "--mode: '$mode' is not auto, tcg, kvm or nested" ;; esac
case $config in full|enforce|nosynic) ;; *) bad "--config: '$config' is not full, enforce or nosynic" ;; esac
case $smp in ''|*[!0-9]*|0) bad "--smp: '$smp' is not a positive integer" ;; esac
case $timeout in '') ;; *[!0-9]*|0) bad "--timeout: '$timeout' is not a positive number of seconds" ;; esac
[ -z "$profile" ] || [ "$profile" = none ] || [ -r "$profile" ] || bad "--profile: cannot read '$profile'"
# shellcheck disable=SC2086
set -- $kargs; kargs="$*" # normalise spaces (set -f: no globbing)

case $config in
full)    hvflags="-cpu qemu64,hv-relaxed,hv-vpindex,hv-synic -device hyperv-testdev -device vmbus-bridge" ;;
enforce) hvflags="-cpu qemu64,hv-relaxed,hv-vpindex,hv-enforce-cpuid" ;;
nosynic) hvflags="-cpu qemu64,hv-relaxed,hv-vpindex" ;;
esac

# --- packages, QEMU, images ------------------------------------------------
if [ -n "$deps" ] && [ -z "${HVCONFORM_NO_DEPS:-}" ]; then
	sh "$root/scripts/install-deps.sh" || env_fail "missing Debian packages (scripts/install-deps.sh failed)"
fi
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	env_fail "qemu-system-x86_64 not found: apt-get install qemu-system-x86 (or run scripts/install-deps.sh)"
command -v timeout >/dev/null 2>&1 || env_fail "timeout(1) not found (coreutils)"

elf=build/hvconform.elf iso=build/hvconform.iso img=build/hvconform-efi.img
case $boot in
kernel) image=$elf target=all ;;
iso)    image=$iso target=iso ;;
efi)    image=$img target=efi ;;
esac
# the ELF is also what the kvm probe boots
targets=$target
[ "$mode" = auto ] || [ "$mode" = kvm ] && [ "$target" != all ] && targets="all $target"
if [ -n "$build" ]; then
	# shellcheck disable=SC2086
	make -s --no-print-directory $targets >&2 || env_fail "make $targets failed"
fi
[ -f "$image" ] || env_fail "$image is missing: build it with 'make $target'"

code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
if [ "$firmware" = uefi ]; then
	[ -r "$code" ] && [ -r "$vars" ] || env_fail "OVMF not found ($code, $vars): apt-get install ovmf"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-qemu.XXXXXX") || env_fail "mktemp failed"
qpid= teepid=
cleanup() { [ -z "$qpid" ] || kill "$qpid" 2>/dev/null; [ -z "$teepid" ] || kill "$teepid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'note interrupted; exit 130' INT TERM HUP

# --- mode ------------------------------------------------------------------
# kvm_probe: boot the ELF with tests=hv.detect on host KVM with the Hyper-V
# flags; KVM qualifies when the kernel ran (verdict 33) and saw "Hv#1".
kvm_probe() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || { kvm_why="no usable /dev/kvm"; return 1; }
	[ -f "$elf" ] || { kvm_why="$elf missing"; return 1; }
	# shellcheck disable=SC2086
	timeout -k 2 20 qemu-system-x86_64 -accel kvm -m 256 -nodefaults -no-reboot -display none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$tmp/probe.log" \
		-cpu qemu64,hv-relaxed,hv-vpindex,hv-synic -device hyperv-testdev -device vmbus-bridge \
		-kernel "$elf" -append tests=hv.detect </dev/null >"$tmp/probe.err" 2>&1
	prc=$?
	if [ $prc -eq 33 ] && grep -q '"Hv#1"' "$tmp/probe.log" 2>/dev/null; then return 0; fi
	kvm_why=$(head -n 1 "$tmp/probe.err" 2>/dev/null)
	[ -n "$kvm_why" ] || kvm_why="probe boot ended with status $prc"
	return 1
}
nested_ok() {
	[ -x tools/nested/run-nested.sh ] || [ -f tools/nested/run-nested.sh ] || { nested_why="tools/nested/run-nested.sh missing"; return 1; }
	[ "$boot/$firmware" != iso/uefi ] || { nested_why="the nested runner boots ISOs through SeaBIOS only"; return 1; }
	[ -s build/nested/debian12/stamp ] || note "building the nested runner's L1 cache in build/nested/debian12 (first time: ~15 s plus a ~27 MB download)"
	sh tools/nested/build-cache.sh >"$tmp/cache.err" 2>&1 || {
		cat "$tmp/cache.err" >&2
		nested_why="its L1 cache could not be built: $(tail -n 1 "$tmp/cache.err")"
		return 1
	}
	return 0
}
kvm_why= nested_why=
case $mode in
auto)
	if kvm_probe; then mode=kvm why="host KVM offers Hyper-V enlightenments"
	elif nested_ok; then mode=nested why="host KVM: $kvm_why; nested runner ready"
	else mode=tcg why="host KVM: $kvm_why; nested: $nested_why"
	fi
	note "mode $mode ($why)" ;;
kvm)
	kvm_probe || env_fail "--mode kvm: host KVM with Hyper-V enlightenments does not work: $kvm_why"
	note "mode kvm" ;;
nested)
	nested_ok || env_fail "--mode nested: $nested_why"
	note "mode nested" ;;
tcg) note "mode tcg" ;;
esac
if [ "$mode" = tcg ]; then
	note "tcg: no Hyper-V (TCG offers no hv-* enlightenments); --config $config does not apply, Hyper-V tests SKIP"
else
	note "config $config: $hvflags"
fi
[ -n "$timeout" ] || { [ "$mode" = nested ] && timeout=120 || timeout=60; }
if [ -z "$profile" ]; then
	# a configuration's own profile when there is one: profiles/qemu-kvm-CONFIG.txt
	if [ "$mode" = tcg ]; then profile=profiles/qemu-tcg.txt
	elif [ -r "profiles/qemu-kvm-$config.txt" ]; then profile=profiles/qemu-kvm-$config.txt
	else profile=profiles/qemu-kvm.txt
	fi
	[ -r "$profile" ] || { note "default profile $profile missing: checking without one"; profile=none; }
fi
bootname=$boot
[ "$boot/$firmware" = iso/uefi ] && bootname=iso-uefi
[ -n "$log" ] || log=build/logs/$bootname-$mode-$config.log
mkdir -p "$(dirname "$log")" || env_fail "cannot create $(dirname "$log")"
: >"$log" || env_fail "cannot write $log"
set +f
for f in "$log".[0-9]*; do [ -e "$f" ] && rm -f "$f"; done
set -f

# --- one boot --------------------------------------------------------------
# prepare ARGS: the image to boot with these kernel arguments -> $run_image
prepare() {
	a=$1 run_image=$image
	case $boot in
	kernel) ;;
	iso)
		[ -n "$a" ] || return 0
		q=
		for w in $a; do q="$q '$(printf '%s' "$w" | sed "s/'/'\\\\''/g")'"; done
		rm -rf "$tmp/isodir" && mkdir -p "$tmp/isodir/boot/grub" &&
			cp "$elf" "$tmp/isodir/boot/hvconform.elf" || return 1
		awk -v a="$q" '!d && $1 == "multiboot2" { print $0 a; d = 1; next } { print }' \
			iso/grub.cfg >"$tmp/isodir/boot/grub/grub.cfg" || return 1
		grub-mkrescue -o "$tmp/run.iso" "$tmp/isodir" >"$tmp/mkrescue.log" 2>&1 ||
			{ cat "$tmp/mkrescue.log" >&2; return 1; }
		run_image=$tmp/run.iso ;;
	efi)
		cp "$img" "$tmp/run.img" || return 1
		if [ -n "$a" ]; then
			printf '%s\n' "$a" >"$tmp/cmdline.txt"
			mcopy -o -i "$tmp/run.img" "$tmp/cmdline.txt" ::/EFI/BOOT/cmdline.txt || return 1
		fi
		run_image=$tmp/run.img ;;
	esac
}

# boot_once ARGS PIECE: boot $run_image (prepare ARGS first) once, serial to stdout and PIECE; sets rc (QEMU's or
# the nested runner's status) and timed_out.
boot_once() {
	a=$1 piece=$2 timed_out=
	rm -f "$tmp/ser" && mkfifo "$tmp/ser" || env_fail "mkfifo failed"
	tee "$piece" <"$tmp/ser" &
	teepid=$!
	if [ "$mode" = nested ]; then
		case $boot in
		kernel) set -- --kernel "$run_image" --append "$a" ;;
		iso)    set -- --iso "$run_image" ;;
		efi)    set -- --efi-img "$run_image" ;;
		esac
		sh tools/nested/run-nested.sh "$@" --l2-args "$hvflags" --smp "$smp" \
			--timeout "$timeout" >"$tmp/ser" </dev/null &
	else
		accel="-accel tcg" flags=
		[ "$mode" = kvm ] && accel="-accel kvm" flags=$hvflags
		case $boot in
		kernel) set -- -kernel "$run_image" -append "$a" ;;
		iso)    set -- -cdrom "$run_image" ;;
		efi)    set -- -drive "format=raw,file=$run_image" ;;
		esac
		if [ "$firmware" = uefi ]; then
			cp "$vars" "$tmp/vars.fd" || env_fail "cannot copy $vars"
			set -- -drive "if=pflash,format=raw,readonly=on,file=$code" \
				-drive "if=pflash,format=raw,file=$tmp/vars.fd" "$@"
		fi
		# shellcheck disable=SC2086
		timeout -k 5 "$timeout" qemu-system-x86_64 $accel $flags -m 256 -smp "$smp" \
			-nodefaults -no-reboot -display none -serial stdio \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" >"$tmp/ser" </dev/null &
	fi
	qpid=$!
	wait $qpid
	rc=$?
	qpid=
	wait $teepid
	teepid=
	if [ "$mode" = nested ]; then [ $rc -eq 124 ] && timed_out=1
	else [ $rc -eq 124 ] || [ $rc -eq 137 ] && timed_out=1
	fi
	return 0
}

# --- the run, resumed after crashes ---------------------------------------
# without_after ARGS: ARGS minus any after=... word
without_after() {
	o=
	for w in $1; do case $w in after=*) ;; *) o="$o $w" ;; esac; done
	echo "${o# }"
}
base=$(without_after "$kargs")
case " $base" in *" seed="*) seeded=1 ;; *) seeded= ;; esac
now_ms() { t=$(date +%s%N); echo $((t / 1000000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
args=$kargs piece_n=1 restarts=0 max_restarts=20 infra_retries=0
pieces=
t0=$(now_ms)
while :; do
	piece=$log.$piece_n
	prepare "$args" || env_fail "could not prepare the $boot image with args '$args'"
	tb=$(now_ms)
	boot_once "$args" "$piece"
	te=$(now_ms)
	clean=$(tr -d '\r' <"$piece")
	note "boot $piece_n ended after $(secs $((te - tb))) s (status $rc)"
	# the nested runner's own failures: retry this boot once, then give up
	if [ "$mode" = nested ]; then
		case $rc in 122|123|125|126)
			if [ $infra_retries -lt 1 ]; then
				infra_retries=$((infra_retries + 1))
				note "nested runner failed (status $rc, see above): retrying this boot"
				continue
			fi
			env_fail "nested runner failed (status $rc, see above)" ;;
		esac
	fi
	pieces="$pieces $piece"
	if printf '%s\n' "$clean" | grep -q '^# hvconform: end$'; then break; fi
	if printf '%s\n' "$clean" | grep -q '^Bail out!'; then break; fi
	if ! printf '%s\n' "$clean" | grep -q '^TAP version'; then
		# nothing booted: QEMU refused to start, or the firmware/loader failed
		[ $piece_n -eq 1 ] && [ ! -s "$piece" ] &&
			env_fail "QEMU produced no output (status $rc): it could not start the VM (see above)"
		note "the VM printed no TAP (status $rc): not resuming"
		break
	fi
	# the test that was running: the last "# running N name" without a result
	last=$(printf '%s\n' "$clean" | sed -n 's/^# running \([0-9][0-9]*\) \([^ ]*\)$/\1 \2/p' | tail -n 1)
	if [ -z "$last" ]; then
		note "the VM died before its first test (status $rc): not resuming"
		break
	fi
	name=${last#* }
	[ -n "$timed_out" ] && how="timed out after ${timeout}s" || how="died (status $rc)"
	if [ $restarts -ge $max_restarts ]; then
		note "the VM $how during $name; $max_restarts restarts used up: not resuming"
		break
	fi
	note "the VM $how during $name: booting again with after=$name"
	restarts=$((restarts + 1))
	piece_n=$((piece_n + 1))
	# the same seed as the first boot, so the pieces make one reproducible run
	if [ -z "$seeded" ]; then
		seed=$(printf '%s\n' "$clean" | sed -n 's/^# seed: \([0-9][0-9]*\).*/\1/p' | head -n 1)
		[ -z "$seed" ] || { base="${base:+$base }seed=$seed"; seeded=1; }
	fi
	args="${base:+$base }after=$name"
done
t1=$(now_ms)

# one piece: it is the log; several: FILE.1.. stay, FILE holds them in order
set -- $pieces
if [ $# -eq 1 ]; then
	mv "$1" "$log"
	set -- "$log"
else
	cat "$@" >"$log"
fi
note "$(secs $((t1 - t0))) s, $# boot(s); log $log"

set -- "$@"
[ "$profile" = none ] || set -- --profile "$profile" "$@"
[ -z "$junit" ] || set -- --junit "$junit" "$@"
python3 tools/check-log "$@"
crc=$?
case $crc in 0|1|2) exit $crc ;; *) note "tools/check-log ended with status $crc"; exit 2 ;; esac
