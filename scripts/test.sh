#!/bin/sh
# test.sh — the test command (`make test`): installs missing Debian packages,
# builds everything, then runs each case below and prints one line per case:
#   ok NAME (S s)  /  FAIL NAME: why (S s)  /  skip NAME: why (S s)
# and as its last line "N passed, N failed, N skipped". Exit 1 if any failed.
# Case output goes to build/test/NAME.out (its tail is shown for a failure).
# Environment: VERBOSE=1 shows each failing case's whole output;
# HVCONFORM_TEST_NO_NESTED=1 skips the nested cases (they need ~1 min).
set -u
set -f
root=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$root" || exit 2
out=build/test
mkdir -p "$out" || exit 2
passed=0 failed=0 skipped=0
trap 'echo "interrupted"; exit 130' INT TERM

now_ms() { t=$(date +%s%N); echo $((t / 1000000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }

# case NAME FUNCTION: run FUNCTION with $o = its output file; it calls fail/skip.
why= skipwhy=
fail() { why="${why:+$why; }$*"; }
skip() { skipwhy=$*; }
run_case() {
	name=$1 fn=$2 why= skipwhy=
	o=$out/$name.out
	: >"$o"
	t0=$(now_ms)
	"$fn"
	t=$(secs $(($(now_ms) - t0)))
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		echo "FAIL $name: $why ($t s)"
		if [ -n "${VERBOSE:-}" ]; then sed 's/^/    /' "$o"; else tail -n 15 "$o" | sed 's/^/    /'; fi
	elif [ -n "$skipwhy" ]; then
		skipped=$((skipped + 1))
		echo "skip $name: $skipwhy ($t s)"
	else
		passed=$((passed + 1))
		echo "ok $name ($t s)"
	fi
}
# has FILE PATTERN (grep -E), lacks FILE PATTERN; serial logs end lines with CR LF
g() { tr -d '\r' <"$2" 2>/dev/null | grep -aE -- "$1"; }
has() { g "$2" "$1" >/dev/null || fail "$(basename "$1"): no line matching /$2/"; }
lacks() { ! g "$2" "$1" >/dev/null || fail "$(basename "$1"): unexpected /$2/: $(g "$2" "$1" | head -n 1)"; }
# rq [run-qemu.sh args]: run it (deps already checked), output to $o; sets rc
rq() { ./run-qemu.sh --no-deps "$@" >>"$o" 2>&1 </dev/null; rc=$?; }
want_rc() { [ "$rc" -eq "$1" ] || fail "exit status $rc, want $1"; }

# --- environment and build --------------------------------------------------
c_deps() { sh scripts/install-deps.sh >>"$o" 2>&1 || fail "scripts/install-deps.sh failed"; }
c_build() { make all iso efi >>"$o" 2>&1 || fail "make all iso efi failed"; }
c_hosttest() { make hosttest >>"$o" 2>&1 || fail "make hosttest failed"; }
c_checker() { python3 -m unittest discover -s tools/tests >>"$o" 2>&1 || fail "$(tail -n 3 "$o" | head -n 1)"; }

# --- run-qemu.sh's own interface ---------------------------------------------
c_cli() {
	./run-qemu.sh --help >"$o.help" 2>&1 || fail "--help exit $?"
	for w in '--boot' '--mode' '--config' 'hv-enforce-cpuid' 'Exit status'; do has "$o.help" "$w"; done
	rq --bogus; want_rc 2; has "$o" "unknown option '--bogus'"
	rq --boot floppy; want_rc 2; has "$o" "--boot: 'floppy'"
	rq --smp 0; want_rc 2
	rq --boot kernel --firmware uefi; want_rc 2
	# no QEMU on PATH (only what run-qemu.sh needs before it looks): exit 3
	mkdir -p "$out/nobin" && ln -sf "$(command -v dirname)" "$out/nobin/dirname"
	PATH=$root/$out/nobin /bin/sh ./run-qemu.sh --no-deps --mode tcg >>"$o" 2>&1 </dev/null
	rc=$?; want_rc 3; has "$o" "qemu-system-x86_64 not found"
}

# --- boot smoke tests under TCG, one per boot path ------------------------
# smoke LOG ARGS...: full default suite under TCG, checked with the TCG profile
smoke() {
	log=$out/$1.log; shift
	rq --mode tcg --log "$log" "$@"
	want_rc 0
	[ -f "$log" ] || { fail "no log $log"; return; }
	has "$log" 'TAP version 13$'  # GRUB's screen codes may precede it
	has "$log" '^# hvconform: end'
	has "$log" '^ok [0-9]+ - harness\.ud_caught$'
	has "$log" '^ok [0-9]+ - harness\.pf_caught$'
	has "$log" '^ok [0-9]+ - harness\.user_mode$'
	has "$log" '^ok [0-9]+ - hv\.detect # SKIP .{10,}'
	has "$log" '^ok [0-9]+ - post\.[a-z0-9_]+ # SKIP .{10,}'
	lacks "$log" '^(not )?ok [0-9]+ - (hv|synic|post|deliver|abi)\.[a-z0-9_]+$'
	has "$o" '^[0-9]+ passed, 0 failed'
	grep -a 'run-qemu: boot 1 ended' "$o" | sed 's/^run-qemu: //' >"$o.time"
}
c_boot_kernel()   { smoke boot-kernel   --boot kernel; has "$out/boot-kernel.log" '^# hvconform [^ ]+ multiboot1'; }
c_boot_iso_bios() { smoke boot-iso-bios --boot iso;    has "$out/boot-iso-bios.log" '^# hvconform [^ ]+ multiboot2'; }
c_boot_iso_uefi() { smoke boot-iso-uefi --boot iso --firmware uefi; has "$out/boot-iso-uefi.log" '^# hvconform [^ ]+ multiboot2'; }
c_boot_efi()      { smoke boot-efi      --boot efi;    has "$out/boot-efi.log" '^# hvconform [^ ]+ efi'; }
# kernel arguments must reach the kernel on every boot path
c_args_paths() {
	for b in "iso" "efi"; do
		rq --mode tcg --boot $b --log "$out/args-$b.log" --args "tests=harness.no_fault verbose"
		want_rc 0
		has "$out/args-$b.log" '^# command line: .*tests=harness\.no_fault verbose'
		has "$out/args-$b.log" '^1\.\.1$'
	done
}

# --- harness self-test and bad input ---------------------------------------
c_harness_unexpected() {
	log=$out/harness-unexpected.log
	rq --mode tcg --log "$log" --args "tests=harness.unexpected_fault,harness.*"
	want_rc 1
	has "$log" '^not ok [0-9]+ - harness\.unexpected_fault # .*unexpected #UD'
	has "$log" '^ok [0-9]+ - harness\.no_fault$'
	has "$log" '^ok [0-9]+ - harness\.user_mode$'
	has "$log" '^# hvconform: end'
	has "$o" 'harness\.unexpected_fault'
}
c_bad_arg() {
	# straight QEMU: the kernel's bail-out verdict is isa-debug-exit status 37
	timeout 60 qemu-system-x86_64 -accel tcg -m 256 -nodefaults -no-reboot -display none \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel build/hvconform.elf -append "bogus=1" >"$out/bad-arg-qemu.log" 2>&1 </dev/null
	rc=$?; want_rc 37
	has "$out/bad-arg-qemu.log" '^Bail out! .*bogus'
	has "$out/bad-arg-qemu.log" '^# hvconform: end'
	# through run-qemu.sh: a Bail out fails the run and is not retried
	rq --mode tcg --log "$out/bad-arg.log" --args "bogus=1"
	[ "$rc" -ne 0 ] || fail "run-qemu.sh exit 0 for a bailed-out run"
	lacks "$o" 'booting again'
	has "$out/bad-arg.log" '^Bail out!'
}
c_nomatch() {
	rq --mode tcg --log "$out/nomatch.log" --args "tests=nomatch*"
	[ "$rc" -ne 0 ] || fail "run-qemu.sh exit 0 for a selection matching nothing"
	has "$out/nomatch.log" '^Bail out! .*nomatch'
	lacks "$o" 'booting again'
}
# crash-resume: harness.triple_fault kills the VM (QEMU -no-reboot exits 0)
has_test() { # has_test NAME: the kernel registers it
	timeout 60 qemu-system-x86_64 -accel tcg -m 256 -nodefaults -no-reboot -display none \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel build/hvconform.elf -append "list tests=$1" </dev/null 2>&1 | grep -q "^# test $1"
}
crash_resume() { # crash_resume NAME ARGS...
	tag=$1; shift
	if ! has_test harness.triple_fault; then skip "harness.triple_fault is not in the kernel yet"; return; fi
	log=$out/$tag.log
	rq --mode tcg --log "$log" "$@" --args "tests=harness.triple_fault,harness.*"
	want_rc 1
	has "$o" 'VM died during harness\.triple_fault'
	has "$o" 'booting again with after=harness\.triple_fault'
	[ -f "$log.1" ] && [ -f "$log.2" ] || fail "no piece logs $log.1 $log.2"
	has "$log.2" '^# command line: .*after=harness\.triple_fault'
	has "$log.2" '^ok [0-9]+ - harness\.user_mode$'
	has "$log.2" '^# hvconform: end'
}
c_crash_resume()     { crash_resume crash-resume --boot kernel; }
c_crash_resume_iso() { crash_resume crash-resume-iso --boot iso; }
c_crash_resume_efi() { crash_resume crash-resume-efi --boot efi; }

# --- nested: a real Hyper-V-enlightened guest (QEMU/KVM in a Linux L1) ---
nested() { # nested CONFIG: whole suite, checker with profiles/qemu-kvm.txt
	if [ -n "${HVCONFORM_TEST_NO_NESTED:-}" ]; then skip "HVCONFORM_TEST_NO_NESTED set"; return 1; fi
	log=$out/nested-$1.log
	rq --mode nested --config "$1" --log "$log"
	want_rc 0
	has "$log" 'vendor "Microsoft Hv"'
	has "$log" '^# hvconform: end'
	has "$o" '^[0-9]+ passed, 0 failed'
	return 0
}
c_nested_full() {
	nested full || return
	has "$log" '^# hypercall page: enabled'
	has "$log" '^ok [0-9]+ - synic\.deliver_one$'
	has "$log" '^ok [0-9]+ - post\.success$'
	# the profile is what makes it pass: without it the checker must fail
	set +f; pieces=$(ls "$log".[0-9]* 2>/dev/null || echo "$log"); set -f
	# shellcheck disable=SC2086
	python3 tools/check-log --quiet $pieces >"$o.noprofile" 2>&1
	[ $? -eq 1 ] || fail "check-log without the profile did not fail the run"
}
c_nested_enforce() {
	nested enforce || return
	lacks "$log" '^# privileges .*EBX.*PostMessages'
	has "$log" '^(not )?ok [0-9]+ - post\.access_denied( |$)'
	lacks "$log" '^ok [0-9]+ - post\.access_denied # SKIP'
}
c_nested_nosynic() {
	nested nosynic || return
	lacks "$log" '^# privileges .*AccessSynicRegs'
}

c_nested_smp2() { # multi-VP tests on two VPs; smp.* deviations are in the profile
	if [ -n "${HVCONFORM_TEST_NO_NESTED:-}" ]; then skip "HVCONFORM_TEST_NO_NESTED set"; return; fi
	log=$out/nested-smp2.log
	rq --mode nested --config full --smp 2 --log "$log" --args "tests=smp.*,synic.*"
	want_rc 0
	has "$log" '^# cpus: 2 running'
	has "$log" '^ok [0-9]+ - smp\.vp_index$'
	has "$log" '^ok [0-9]+ - smp\.deliver_vp1$'
	has "$o" '^[0-9]+ passed, 0 failed'
}
c_nested_fuzz() { # 10,000 seeded fuzz calls within a minute, and a replay that reproduces a case
	if [ -n "${HVCONFORM_TEST_NO_NESTED:-}" ]; then skip "HVCONFORM_TEST_NO_NESTED set"; return; fi
	log=$out/nested-fuzz.log
	t0=$(now_ms)
	rq --mode nested --config full --log "$log" --args "tests=fuzz.post fuzz=10000 seed=12345"
	[ $(($(now_ms) - t0)) -lt 60000 ] || fail "10,000 fuzz calls took over a minute"
	want_rc 0
	has "$log" '^ok 1 - fuzz\.post$'
	has "$log" 'fuzz: 10000 iterations .* calls/s'
	# replay the third reported case from its printed arguments: same line again
	case_line=$(g 'fuzz violation .*replay: ' "$log" | sed -n 3p)
	[ -n "$case_line" ] || { fail "the fuzz reported fewer than 3 cases to replay"; return; }
	replay=${case_line##*replay: }
	rq --mode nested --config full --log "$log.replay" --args "$replay"
	g 'fuzz violation ' "$log.replay" | tail -n 1 >"$o.replayed"
	printf '%s\n' "$case_line" | cmp -s - "$o.replayed" || fail "replay ($replay) did not reproduce: $(cat "$o.replayed")"
}

T0=$(now_ms)
run_case deps c_deps
export HVCONFORM_NO_DEPS=1
run_case build c_build
run_case hosttest c_hosttest
run_case checker c_checker
run_case run-qemu-cli c_cli
run_case boot-kernel c_boot_kernel
run_case boot-iso-bios c_boot_iso_bios
run_case boot-iso-uefi c_boot_iso_uefi
run_case boot-efi c_boot_efi
run_case args-iso-efi c_args_paths
run_case harness-unexpected-fault c_harness_unexpected
run_case bad-arg-bails c_bad_arg
run_case nomatch-bails c_nomatch
run_case crash-resume c_crash_resume
run_case crash-resume-iso c_crash_resume_iso
run_case crash-resume-efi c_crash_resume_efi
run_case nested-full c_nested_full
run_case nested-enforce c_nested_enforce
run_case nested-nosynic c_nested_nosynic
run_case nested-smp2 c_nested_smp2
run_case nested-fuzz c_nested_fuzz
echo "# boot times (QEMU start to exit):"
for b in kernel iso-bios iso-uefi efi; do
	[ -s "$out/boot-$b.out.time" ] && echo "#   boot-$b: $(cat "$out/boot-$b.out.time")"
done
echo "# total $(secs $(($(now_ms) - T0))) s"
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
