"""tools/check-log over the hand-written logs of checker/logs/ (was checker/run.sh): exit
statuses, report lines, JUnit. Each case: (name, exit status, args, has, lacks, last line)."""

import os
import re
import xml.etree.ElementTree as ET

from support import CheckerCase

OK3 = '3 passed, 0 failed, 1 skipped'
CASES = [
    # well-formed logs
    ('good', 0, ['good.log'], ['SKIP  post.access_denied - partition holds the PostMessages privilege',
                              'good.log: # hvconform 0.1 multiboot2'], ['ERROR'], OK3),
    ('quiet', 0, ['--quiet', 'good.log'], [], ['SKIP', 'multiboot2'], OK3),
    ('failures', 1, ['failures.log'],
     ['FAIL  post.payload_241 - got 0x0003 HV_STATUS_INVALID_HYPERCALL_INPUT, want 0x0005 '
      'HV_STATUS_INVALID_PARAMETER (failures.log:8)', '#   input page at 0x200000, payload size 241',
      'FAIL  harness.x - unexpected #GP[0000] at rip 0x101234'], ['ERROR'], '1 passed, 2 failed, 1 skipped'),
    ('crlf_junk_before_tap', 0, ['crlf_junk.log'], [], ['ERROR'], OK3),
    ('not_utf8_but_tap', 0, ['latin1.log'], [], [], OK3),
    ('list_mode', 0, ['list.log'], ['lists 3 test(s)'], [], '0 passed, 0 failed, 0 skipped'),
    ('junk_after_end', 0, ['junk_after_end.log'], ['line(s) after the end marker ignored'], [],
     '1 passed, 0 failed, 0 skipped'),
    # logs the kernel printed (QEMU TCG, multiboot1): diagnostics may come before their result
    ('kernel_run', 1, ['kernel_tcg.log'],
     ['FAIL  harness.gp_caught - rdmsr 0xdeadbeef did not fault (read 0) (kernel_tcg.log:12)',
      '      #   also: got none[0000], want #GP[0000]'], ['ERROR'], '7 passed, 1 failed, 0 skipped'),
    ('kernel_list', 0, ['kernel_list.log'], ['lists 8 test(s)'], [], '0 passed, 0 failed, 0 skipped'),
    ('kernel_bail', 1, ['kernel_nomatch.log'], ['BAIL  Bail out! tests=nomatch* matches no test'], ['DIED'], None),
    # the VM died
    ('truncated_mid_test', 1, ['truncated.log'],
     ['DIED  VM died during post.cross_page (truncated.log:8; no end marker'], [], '2 passed, 1 failed, 0 skipped'),
    ('died_with_diag', 1, ['died_with_diag.log'],
     ['VM died during post.cross_page', '#   input page 0x1ff000..0x200100 crosses'], [], None),
    ('died_before_first', 1, ['died_first.log'], ['VM died before the first test'], [],
     '0 passed, 1 failed, 0 skipped'),
    ('died_after_last', 1, ['died_last.log'], ['VM died after the last test'], [], '2 passed, 1 failed, 0 skipped'),
    ('died_with_noise', 1, ['died_noise.log'],
     ['VM died during post.cross_page', 'ignored output: KVM internal error'], ['ERROR'],
     '1 passed, 1 failed, 0 skipped'),
    ('died_with_earlier_stray_line', 1, ['died_garbage_mid.log'],
     ['ERROR died_garbage_mid.log:4: not a TAP line: stray text in the middle',
      'VM died during post.cross_page'], [], None),
    ('rebooted_in_one_log', 1, ['rebooted.log'],
     ["rebooted.log:7: second 'TAP version 13' line", 'VM died during post.cross_page'], [], None),
    # structural errors: each a failure with file and line
    ('dup_number', 1, ['dup_number.log'], ['ERROR dup_number.log:5: duplicate number: test 2, expected 3'],
     [], '3 passed, 1 failed, 0 skipped'),
    ('gap_number', 1, ['gap_number.log'], ['ERROR gap_number.log:4: gap in numbering: test 3, expected 2'], [], None),
    ('wrong_plan', 1, ['wrong_plan.log'], ['ERROR wrong_plan.log:2: plan says 5 test(s), log has 4 result(s)'],
     [], '4 passed, 1 failed, 0 skipped'),
    ('two_plans', 1, ['two_plans.log'], ['ERROR two_plans.log:5: second plan (first at line 2)'], [], None),
    ('no_plan', 1, ['no_plan.log'], ['ERROR no_plan.log:4: no plan'], [], None),
    ('skip_without_reason', 1, ['skip_no_reason.log'], ['ERROR skip_no_reason.log:4: SKIP without a reason'], [], None),
    ('summary_mismatch', 1, ['summary_mismatch.log'],
     ['ERROR summary_mismatch.log:6: summary says 3 passed, 0 failed, 0 skipped; results say 2 passed, '
      '1 failed, 0 skipped'], [], '2 passed, 2 failed, 0 skipped'),
    ('no_summary', 1, ['no_summary.log'], ['ERROR no_summary.log:4: no '], [], None),
    ('bad_name', 1, ['bad_name.log'], ["ERROR bad_name.log:4: bad test name 'Post-Payload'"], [], None),
    ('dup_name', 1, ['dup_name.log'], ["ERROR dup_name.log:4: duplicate test name 'hv.detect' (first at line 3)"],
     [], None),
    ('running_mismatch', 1, ['running_mismatch.log'],
     ["ERROR running_mismatch.log:4: result for 'hv.hypercall_page' but line 3 said '# running 1 hv.detect'"],
     [], None),
    ('tap_after_end', 1, ['after_end.log'], ['ERROR after_end.log:6: TAP line after the end marker'], [], None),
    ('stray_line', 1, ['stray.log'], ['ERROR stray.log:3: not a TAP line: hello from nowhere'], [], None),
    # Bail out
    ('bail_out', 1, ['bailout.log'],
     ['BAIL  Bail out! hypercall page not mapped after HV_X64_MSR_HYPERCALL write (while running '
      'post.payload_240)'], ['DIED'], '1 passed, 1 failed, 0 skipped'),
    ('bail_before_plan', 1, ['bail_before_plan.log'], ["Bail out! unknown kernel argument 'tets=post.*'"],
     ['ERROR'], None),
    # bad input: exit 2, a clear message, no report
    ('garbage_binary', 2, ['garbage.bin'], ["garbage.bin: not a TAP log: no 'TAP version 13' line"], [], None),
    ('empty', 2, ['empty.log'], ['empty.log: empty log'], [], None),
    ('missing_file', 2, ['no-such.log'], ['no-such.log: cannot read'], [], None),
    ('directory', 2, ['.'], ['cannot read'], [], None),
    ('stdin_twice', 2, ['-', '-'], ['more than once'], [], None),
    ('usage_no_args', 2, [], ['usage:'], [], None),
    ('usage_bad_option', 2, ['--bogus', 'good.log'], ['usage:'], [], None),
    # crash-resumed runs: several pieces merged in order
    ('merge', 1, ['piece1.log', 'piece2.log'],
     ['DIED  VM died during post.cross_page (piece1.log:6', 'SKIP  post.access_denied'], ['ERROR'],
     '2 passed, 1 failed, 1 skipped'),
    ('merge_died_test_rerun', 1, ['piece1.log', 'piece2_rerun.log'],
     ['ERROR piece2_rerun.log:5: post.cross_page died in piece1.log and ran again'], [], None),
    ('merge_duplicate_name', 1, ['piece1.log', 'piece2_dup.log'],
     ["ERROR piece2_dup.log:5: duplicate test name 'hv.detect' (first at piece1.log:5)"], [], None),
    # profiles
    ('profile_known', 0, ['--profile', 'profile_good.txt', 'failures.log'],
     ['KNOWN post.payload_241 - got 0x0003', 'known deviation: illustrative: size checked before alignment',
      'KNOWN harness.x', 'known deviations: 2'], ['FAIL'], '1 passed, 0 failed, 1 skipped'),
    ('profile_stale', 1, ['--profile', 'profile_stale.txt', 'good.log'], ['profile stale: hv.detect now passes'],
     [], '2 passed, 1 failed, 1 skipped'),
    ('profile_unlisted_failure', 1, ['--profile', 'profile_died.txt', 'failures.log'],
     ['FAIL  post.payload_241', 'FAIL  harness.x', 'known deviations: 0'], [], '1 passed, 2 failed, 1 skipped'),
    ('profile_skip_mentioned', 0, ['--profile', 'profile_skip.txt', 'failures.log'],
     ['profile: post.access_denied skipped'], [], None),
    ('profile_skip_quiet', 0, ['--quiet', '--profile', 'profile_skip.txt', 'failures.log'],
     ['known deviations: 2'], ['post.access_denied'], None),
    ('profile_death_not_excused', 1, ['--profile', 'profile_died.txt', 'truncated.log'],
     ['VM died during post.cross_page', 'profile: got=0x0004; log: died (no host record)'], [], None),
    ('profile_intermittent_pass', 0, ['--profile', 'profile_intermittent.txt', 'good.log'],
     ['INTERMITTENT post.payload_240 passed this run'], ['STALE'], None),
    ('profile_intermittent_death', 1, ['--profile', 'profile_intermittent.txt', 'truncated.log'],
     ['DIED  VM died during post.cross_page', 'this log has no replay'], ['KNOWN post.cross_page'], None),
    ('profile_death_excused', 0, ['--profile', 'profile_dies.txt', 'truncated.log'],
     ['KNOWN post.cross_page - VM died during post.cross_page', 'known deviations: 1'], [], None),
    ('profile_passes_fail', 1, ['--profile', 'profile_passes.txt', 'failures.log'],
     ["FAIL  post.payload_241 - got 0x0003", "profile: died | pass; log: got=0x0003"],
     ['KNOWN post.payload_241'], None),
    ('profile_passes_death', 0, ['--profile', 'profile_passes.txt', 'truncated.log'],
     ['KNOWN post.cross_page - VM died during post.cross_page'], ['FAIL'], None),
    ('profile_passes_pass', 0, ['--profile', 'profile_passes.txt', 'good.log'],
     ['INTERMITTENT post.payload_240 passed this run'], ['STALE', 'FAIL'], None),
    ('profile_passes_alone', 2, ['--profile', 'profile_passes_alone.txt', 'good.log'],
     ["profile_passes_alone.txt:2: post.payload_241 pins only 'pass'"], [], None),
    ('profile_no_reason', 2, ['--profile', 'profile_noreason.txt', 'good.log'],
     ['profile_noreason.txt:1: profile entry post.payload_241 has no outcome and no reason'], [], None),
    # issue 22: a profile pins the outcome; what differs fails, saying both
    ('profile_changed_status', 1, ['--profile', 'profile_good.txt', 'failures_changed.log'],
     ['FAIL  post.payload_241 - got 0x0000 HV_STATUS_SUCCESS', 'profile: got=0x0003; log: got=0x0000'],
     ['KNOWN post.payload_241'], '1 passed, 1 failed, 1 skipped'),
    ('profile_death_host_pinned', 0, ['--profile', 'profile_assert.txt', 'died_host.log'],
     ['KNOWN post.cross_page - VM died during post.cross_page', 'msg_handler: Assertion'], ['DIED'], None),
    ('profile_death_host_differs', 1, ['--profile', 'profile_assert.txt', 'died_reproduced.log'],
     ['DIED  VM died during post.cross_page', 'host: died: QEMU crashed or aborted (qemu-system-x86_64 ended by signal 11)',
      'profile: died="msg_handler: Assertion"'], ['KNOWN post.cross_page'], None),
    ('profile_intermittent_death_reproduced', 1, ['--profile', 'profile_signal11.txt', 'died_reproduced.log'],
     ['DIED  VM died during post.cross_page', 'died there again: not intermittent'], ['KNOWN post.cross_page'], None),
    ('profile_intermittent_death_not_reproduced', 0, ['--profile', 'profile_signal11.txt', 'died_not_reproduced.log'],
     ['KNOWN post.cross_page - VM died during post.cross_page', 'did not reproduce it'], ['DIED'], None),
    # a rare pass of a test whose deviation is usual: excused only when a replay showed it
    ('profile_rare_pass_confirmed', 0, ['--profile', 'profile_rare_pass.txt', 'passed_confirmed.log'],
     ['INTERMITTENT post.payload_240 passed this run'], ['STALE'], None),
    ('profile_rare_pass_unconfirmed', 1, ['--profile', 'profile_rare_pass.txt', 'passed_unconfirmed.log'],
     ['profile stale: post.payload_240 now passes', 'the deviation may be gone'], ['INTERMITTENT'], None),
    ('profile_rare_pass_no_replay', 1, ['--profile', 'profile_rare_pass.txt', 'good.log'],
     ['profile stale: post.payload_240', 'this log has no replay'], ['INTERMITTENT'], None),
    ('profile_rare_pass_death_known', 0, ['--profile', 'profile_rare_death.txt', 'truncated.log'],
     ['KNOWN post.cross_page - VM died during post.cross_page'], ['DIED'], None),
    ('profile_rare_pass_beside_pass', 2, ['--profile', 'profile_rare_pass_bad.txt', 'good.log'],
     ['post.payload_241 pins both pass and rare-pass'], [], None),
    ('fuzz_classes_pinned', 0, ['--profile', 'profile_fuzz.txt', 'fuzz.log'],
     ['KNOWN fuzz.post', 'known deviations: 2'], ['FAIL'], None),
    ('fuzz_class_changed', 1, ['--profile', 'profile_fuzz.txt', 'fuzz_changed.log'],
     ['FAIL  fuzz.post', 'log: post.payload_241:got=0x0003,post.type_zero:got=0x0005 '
      '(not pinned: post.type_zero:got=0x0005)'], ['KNOWN fuzz.post'], None),
    ('fuzz_violation_unlisted', 1, ['fuzz.log'], ['FAIL  fuzz.post', 'FAIL  post.type_zero'], ['READING'],
     '0 passed, 2 failed, 0 skipped'),
    ('status_only_listed_apart', 0, ['status_only.log'],
     ['STATUS-ONLY post.bad_connection - passed on the status alone', 'status only: 1'], [],
     '1 passed, 0 failed, 0 skipped'),
    ('profile_bad_name', 2, ['--profile', 'profile_badname.txt', 'good.log'],
     ["profile_badname.txt:1: bad test name 'Post.Payload'"], [], None),
    ('profile_missing', 2, ['--profile', 'no-such.txt', 'good.log'], ['cannot read profile'], [], None),
]


class CliCases(CheckerCase):
    def test_cases(self):
        for name, rc, args, has, lacks, last in CASES:
            with self.subTest(name):
                self.check(args, rc, has, lacks, last)

    def test_stdin(self):
        with open(os.path.join(os.path.dirname(__file__), 'checker', 'logs', 'good.log'), 'rb') as f:
            self.check(['-'], 0, last=OK3, stdin=f.read())

    def test_exit_statuses_are_the_readmes(self):
        """The README's exit table says what the checker gives: a
        structurally broken TAP log fails the run (1); what is not a log at
        all is bad input (2)."""
        readme = open(os.path.join(os.path.dirname(__file__), '..', '..', 'README.md')).read()
        rows = dict(re.findall(r'^\| ([0-3]) \| (.*) \|$', readme, re.M))
        self.assertIn('structurally broken log', rows.get('1', ''))
        self.assertNotIn('structurally broken', rows.get('2', ''))
        self.assertIn('not a log', rows.get('2', ''))
        self.check(['dup_number.log'], 1, ['ERROR dup_number.log:5'])
        self.check(['garbage.bin'], 2, ['not a TAP log'])
        self.check(['empty.log'], 2, ['empty log'])


def junit_outcomes(test, path):
    """{testcase name: (outcome, message)} of a well-formed JUnit file, outcome pass,
    failure or skipped; checks the suites' counts."""
    root = ET.parse(path).getroot()
    test.assertEqual(root.tag, 'testsuites')
    suites = root.findall('testsuite')
    test.assertEqual(suites[0].get('name'), 'hvconform')
    got = {}
    for s in suites:
        cases = s.findall('testcase')
        test.assertEqual(s.get('tests'), str(len(cases)))
        for kind, attr in (('failure', 'failures'), ('skipped', 'skipped')):
            test.assertEqual(s.get(attr), str(len(s.findall('testcase/' + kind))))
        for c in cases:
            test.assertTrue(c.get('name') and c.get('classname'), c.attrib)
            if '.' in c.get('name'):
                test.assertEqual(c.get('classname'), c.get('name').split('.')[0])
            kids = [k for k in c if k.tag in ('failure', 'skipped', 'error')]
            got[c.get('name')] = (kids[0].tag, kids[0].get('message') or '') if kids else ('pass', '')
    return got


class JUnit(CheckerCase):
    def junit(self, args, rc, *checks):
        path = os.path.join(self.tmp, 'out.xml')
        self.check(['--junit', path] + args, rc)
        got = junit_outcomes(self, path)
        for name, kind, msg in checks:
            self.assertIn(name, got)
            self.assertEqual(got[name][0], kind, (name, got[name]))
            self.assertTrue(got[name][1].startswith(msg), (name, got[name], msg))
        return got

    def test_profile(self):
        self.junit(['--profile', 'profile_good.txt', 'failures.log'], 0, ('hv.detect', 'pass', ''),
                   ('post.payload_241', 'skipped', 'known deviation: illustrative'),
                   ('harness.x', 'skipped', 'known deviation:'),
                   ('post.access_denied', 'skipped', 'partition holds'))

    def test_escaping(self):
        self.junit(['escape.log'], 1, ('hv.detect', 'pass', ''),
                   ('post.payload_241', 'failure', 'got <0x0003> & "HV_STATUS'))

    def test_structure(self):
        self.junit(['dup_number.log'], 1, ('log structure', 'failure', '1 structural error'))

    def test_death_and_stale(self):
        self.junit(['--profile', 'profile_stale.txt', 'piece1.log', 'piece2.log'], 1,
                   ('post.cross_page', 'failure', 'VM died during post.cross_page'),
                   ('hv.detect', 'failure', 'profile stale: hv.detect now passes'),
                   ('post.payload_240', 'pass', ''))

    def test_bail(self):
        self.junit(['bailout.log'], 1, ('bail out', 'failure', 'Bail out! hypercall page'))

    def test_unwritable(self):
        self.check(['--junit', os.path.join(self.tmp, 'no', 'such', 'dir.xml'), 'good.log'], 2,
                   ['cannot write JUnit file'], ['passed,'])
