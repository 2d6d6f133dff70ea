#!/bin/sh
# Host tests for tools/check-log: run it over the hand-written logs in logs/ and check exit
# codes and key output lines. One line per case (ok NAME / FAIL NAME: why), then
# "N passed, N failed"; exit status 1 when any case failed. Runs from any directory.
# Set VERBOSE=1 to see the checker's output of failing cases.

here=$(cd "$(dirname "$0")" && pwd) || exit 2
checker=$here/../../check-log
logs=$here/logs
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
out=$tmp/out
passed=0
failed=0

# t NAME RC [ARGS...]: start a case: run the checker in logs/, want exit status RC.
t() {
	name=$1 want=$2 why=
	shift 2
	(cd "$logs" && "$checker" "$@") >"$out" 2>&1 </dev/null
	check_rc $?
}
# tin NAME RC FILE [ARGS...]: same, with FILE (in logs/) on stdin.
tin() {
	name=$1 want=$2 in=$logs/$3 why=
	shift 3
	(cd "$logs" && "$checker" "$@") >"$out" 2>&1 <"$in"
	check_rc $?
}
check_rc() {
	[ "$1" = "$want" ] || why="exit $1, want $want"
	! grep -q Traceback "$out" || fail "Python traceback"
}
fail() { why="${why:+$why; }$1"; }
# has TEXT / lacks TEXT: the output holds / does not hold the fixed string.
has() { grep -qF -- "$1" "$out" || fail "missing '$1'"; }
lacks() { ! grep -qF -- "$1" "$out" || fail "unexpected '$1'"; }
# last TEXT: the output's last line is exactly TEXT.
last() { [ "$(tail -n 1 "$out")" = "$1" ] || fail "last line '$(tail -n 1 "$out")', want '$1'"; }
# junit FILE CHECK...: FILE is well-formed JUnit; each CHECK is name=kind[:message prefix]
# with kind pass, failure or skipped.
junit() {
	python3 - "$@" >>"$out" 2>&1 <<'EOF' || fail "junit check failed (see VERBOSE=1)"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
suites = root.findall('testsuite')
assert len(suites) == 1 and suites[0].get('name') == 'hvconform'
cases = suites[0].findall('testcase')
assert suites[0].get('tests') == str(len(cases))
got = {}
for c in cases:
    assert c.get('name') and c.get('classname'), c.attrib
    if '.' in c.get('name'):
        assert c.get('classname') == c.get('name').split('.')[0], c.attrib
    kids = list(c)
    got[c.get('name')] = (kids[0].tag, kids[0].get('message') or '') if kids else ('pass', '')
for want in sys.argv[2:]:
    name, _, kind = want.partition('=')
    kind, _, msg = kind.partition(':')
    assert name in got, 'no testcase %s' % name
    assert got[name][0] == kind and got[name][1].startswith(msg), (name, got[name], want)
EOF
}
# end: finish the case and print its line.
end() {
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "ok $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: $why"
		[ -z "$VERBOSE" ] || sed 's/^/    | /' "$out"
	fi
}

# Well-formed logs.
t good 0 good.log
has 'SKIP  post.access_denied - partition holds the PostMessages privilege'
has 'good.log: # hvconform 0.1 multiboot2'
lacks ERROR; last '3 passed, 0 failed, 1 skipped'; end

t quiet 0 --quiet good.log
lacks 'SKIP'; lacks 'multiboot2'; last '3 passed, 0 failed, 1 skipped'; end

t failures 1 failures.log
has 'FAIL  post.payload_241 - got 0x0003 HV_STATUS_INVALID_HYPERCALL_INPUT, want 0x0005 HV_STATUS_INVALID_PARAMETER (failures.log:8)'
has '#   input page at 0x200000, payload size 241'
has 'FAIL  harness.x - unexpected #GP[0000] at rip 0x101234'
lacks ERROR; last '1 passed, 2 failed, 1 skipped'; end

t crlf_junk_before_tap 0 crlf_junk.log
lacks ERROR; last '3 passed, 0 failed, 1 skipped'; end

t not_utf8_but_tap 0 latin1.log
last '3 passed, 0 failed, 1 skipped'; end

t list_mode 0 list.log
has 'lists 3 test(s)'; last '0 passed, 0 failed, 0 skipped'; end

t junk_after_end 0 junk_after_end.log
has 'line(s) after the end marker ignored'; last '1 passed, 0 failed, 0 skipped'; end

tin stdin 0 good.log -
last '3 passed, 0 failed, 1 skipped'; end

# Logs the kernel printed (QEMU TCG, multiboot1, commit 4e0caff): diagnostics may come before
# the result line they belong to.
t kernel_run 1 kernel_tcg.log
has 'FAIL  harness.gp_caught - rdmsr 0xdeadbeef did not fault (read 0) (kernel_tcg.log:12)'
has '      #   also: got none[0000], want #GP[0000]'
lacks ERROR; last '7 passed, 1 failed, 0 skipped'; end

t kernel_list 0 kernel_list.log
has 'lists 8 test(s)'; last '0 passed, 0 failed, 0 skipped'; end

t kernel_bail 1 kernel_nomatch.log
has "BAIL  Bail out! tests=nomatch* matches no test"; lacks DIED; end

# The VM died.
t truncated_mid_test 1 truncated.log
has 'DIED  VM died during post.cross_page (truncated.log:8; no end marker'
last '2 passed, 1 failed, 0 skipped'; end

t died_with_diag 1 died_with_diag.log
has 'VM died during post.cross_page'; has '#   input page 0x1ff000..0x200100 crosses'; end

t died_before_first 1 died_first.log
has 'VM died before the first test'; last '0 passed, 1 failed, 0 skipped'; end

t died_after_last 1 died_last.log
has 'VM died after the last test'; last '2 passed, 1 failed, 0 skipped'; end

t died_with_noise 1 died_noise.log
has 'VM died during post.cross_page'; has 'ignored output: KVM internal error'
lacks ERROR; last '1 passed, 1 failed, 0 skipped'; end

t died_with_earlier_stray_line 1 died_garbage_mid.log
has 'ERROR died_garbage_mid.log:4: not a TAP line: stray text in the middle'
has 'VM died during post.cross_page'; end

t rebooted_in_one_log 1 rebooted.log
has "rebooted.log:7: second 'TAP version 13' line"; has 'VM died during post.cross_page'; end

# Structural errors: each is a failure with file and line.
t dup_number 1 dup_number.log
has 'ERROR dup_number.log:5: duplicate number: test 2, expected 3'
last '3 passed, 1 failed, 0 skipped'; end

t gap_number 1 gap_number.log
has 'ERROR gap_number.log:4: gap in numbering: test 3, expected 2'; end

t wrong_plan 1 wrong_plan.log
has 'ERROR wrong_plan.log:2: plan says 5 test(s), log has 4 result(s)'
last '4 passed, 1 failed, 0 skipped'; end

t two_plans 1 two_plans.log
has 'ERROR two_plans.log:5: second plan (first at line 2)'; end

t no_plan 1 no_plan.log
has 'ERROR no_plan.log:4: no plan'; end

t skip_without_reason 1 skip_no_reason.log
has 'ERROR skip_no_reason.log:4: SKIP without a reason'; end

t summary_mismatch 1 summary_mismatch.log
has 'ERROR summary_mismatch.log:6: summary says 3 passed, 0 failed, 0 skipped; results say 2 passed, 1 failed, 0 skipped'
last '2 passed, 2 failed, 0 skipped'; end

t no_summary 1 no_summary.log
has 'ERROR no_summary.log:4: no '; end

t bad_name 1 bad_name.log
has "ERROR bad_name.log:4: bad test name 'Post-Payload'"; end

t dup_name 1 dup_name.log
has "ERROR dup_name.log:4: duplicate test name 'hv.detect' (first at line 3)"; end

t running_mismatch 1 running_mismatch.log
has "ERROR running_mismatch.log:4: result for 'hv.hypercall_page' but line 3 said '# running 1 hv.detect'"; end

t tap_after_end 1 after_end.log
has 'ERROR after_end.log:6: TAP line after the end marker'; end

t stray_line 1 stray.log
has 'ERROR stray.log:3: not a TAP line: hello from nowhere'; end

# Bail out.
t bail_out 1 bailout.log
has 'BAIL  Bail out! hypercall page not mapped after HV_X64_MSR_HYPERCALL write (while running post.payload_240)'
lacks DIED; last '1 passed, 1 failed, 0 skipped'; end

t bail_before_plan 1 bail_before_plan.log
has "Bail out! unknown kernel argument 'tets=post.*'"; lacks ERROR; end

# Bad input: exit 2, a clear message, no report.
t garbage_binary 2 garbage.bin
has "garbage.bin: not a TAP log: no 'TAP version 13' line"; end

t empty 2 empty.log
has 'empty.log: empty log'; end

t missing_file 2 no-such.log
has 'no-such.log: cannot read'; end

t directory 2 .
has 'cannot read'; end

t stdin_twice 2 - -
has 'more than once'; end

t usage_no_args 2
has 'usage:'; end

t usage_bad_option 2 --bogus good.log
has 'usage:'; end

# Crash-resumed runs: several pieces merged in order.
t merge 1 piece1.log piece2.log
has 'DIED  VM died during post.cross_page (piece1.log:6'
has 'SKIP  post.access_denied'; lacks ERROR
last '2 passed, 1 failed, 1 skipped'; end

t merge_died_test_rerun 1 piece1.log piece2_rerun.log
has 'ERROR piece2_rerun.log:4: post.cross_page died in piece1.log and ran again'; end

t merge_duplicate_name 1 piece1.log piece2_dup.log
has "ERROR piece2_dup.log:4: duplicate test name 'hv.detect' (first at piece1.log:5)"; end

# Profiles.
t profile_known 0 --profile profile_good.txt failures.log
has 'KNOWN post.payload_241 - got 0x0003'
has 'known deviation: illustrative: size checked before alignment'
has 'KNOWN harness.x'; lacks FAIL
has 'known deviations: 2'; last '1 passed, 0 failed, 1 skipped'; end

t profile_stale 1 --profile profile_stale.txt good.log
has 'profile stale: hv.detect now passes'; last '2 passed, 1 failed, 1 skipped'; end

t profile_unlisted_failure 1 --profile profile_died.txt failures.log
has 'FAIL  post.payload_241'; has 'FAIL  harness.x'
has 'known deviations: 0'; last '1 passed, 2 failed, 1 skipped'; end

t profile_skip_mentioned 0 --profile profile_skip.txt failures.log
has 'profile: post.access_denied skipped'; end

t profile_skip_quiet 0 --quiet --profile profile_skip.txt failures.log
lacks 'post.access_denied'; has 'known deviations: 2'; end

t profile_death_not_excused 1 --profile profile_died.txt truncated.log
has 'VM died during post.cross_page'; has "reason isn't marked 'VM dies:'"; end

t profile_intermittent_pass 0 --profile profile_intermittent.txt good.log
has 'INTERMITTENT post.payload_240 passed this run'; lacks 'STALE'; end

t profile_intermittent_death 0 --profile profile_intermittent.txt truncated.log
has 'KNOWN post.cross_page - VM died during post.cross_page'; end

t profile_death_excused 0 --profile profile_dies.txt truncated.log
has 'KNOWN post.cross_page - VM died during post.cross_page'; has 'known deviations: 1'; end

t profile_no_reason 2 --profile profile_noreason.txt good.log
has 'profile_noreason.txt:1: profile entry post.payload_241 has no reason'; end

t profile_bad_name 2 --profile profile_badname.txt good.log
has "profile_badname.txt:1: bad test name 'Post.Payload'"; end

t profile_missing 2 --profile no-such.txt good.log
has 'cannot read profile'; end

# JUnit XML.
t junit_profile 0 --junit "$tmp/a.xml" --profile profile_good.txt failures.log
junit "$tmp/a.xml" hv.detect=pass \
	'post.payload_241=skipped:known deviation: illustrative' 'harness.x=skipped:known deviation:' \
	'post.access_denied=skipped:partition holds'; end

t junit_escaping 1 --junit "$tmp/b.xml" escape.log
junit "$tmp/b.xml" hv.detect=pass 'post.payload_241=failure:got <0x0003> & "HV_STATUS'; end

t junit_structure 1 --junit "$tmp/e.xml" dup_number.log
junit "$tmp/e.xml" 'log structure=failure:1 structural error'; end

t junit_death_and_stale 1 --junit "$tmp/c.xml" --profile profile_stale.txt piece1.log piece2.log
junit "$tmp/c.xml" 'post.cross_page=failure:VM died during post.cross_page' \
	'hv.detect=failure:profile stale: hv.detect now passes' post.payload_240=pass; end

t junit_bail 1 --junit "$tmp/d.xml" bailout.log
junit "$tmp/d.xml" 'bail out=failure:Bail out! hypercall page'; end

t junit_unwritable 2 --junit "$tmp/no/such/dir.xml" good.log
has 'cannot write JUnit file'; lacks 'passed,'; end

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
