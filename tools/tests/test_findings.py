"""Issue 10 item 6, the checker's findings: each test here fails on the checker before the
split (commit 9ffec96; run with CHECK_LOG=old/check-log to see it) and passes now."""

from support import LOGS, CheckerCase
import os

HEAD = 'TAP version 13\n# hvconform 0.1.0 multiboot1\n# command line: %s\n# seed: 7 (replay with seed=7)\n'


def read(name):
    with open(os.path.join(LOGS, name), encoding='utf-8') as f:
        return f.read()


class EmptyPlan(CheckerCase):
    """A selection emptied by after= gives `1..0` and an end marker: no test ran."""

    def test_plan_zero_is_an_error(self):
        log = self.write('zero.log', HEAD % '(none)' +
                         '1..0\n# hvconform: 0 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        self.check([log], 1, ['plan 1..0: no test ran'], last='0 passed, 1 failed, 0 skipped')

    def test_plan_zero_after_the_last_test(self):
        log = self.write('zero.log', HEAD % 'tests=harness.* after=post.success' +
                         '1..0\n# hvconform: 0 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        self.check([log], 1, ['plan 1..0: no test ran'])

    def test_resumed_after_the_last_test(self):
        # the last test killed the VM: the resumed boot has nothing left to run
        p1 = self.write('run.log.1', HEAD % '(none)' + '1..2\n# running 1 hv.detect\nok 1 - hv.detect\n'
                        '# running 2 post.cross_page\n')
        p2 = self.write('run.log.2', HEAD % 'seed=7 after=post.cross_page' +
                        '1..0\n# hvconform: 0 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        self.check(['--profile', 'profile_dies.txt', p1, p2], 0, ['KNOWN post.cross_page'], ['ERROR'],
                   '1 passed, 0 failed, 0 skipped')

    def test_list_boot_may_have_no_test(self):
        self.check(['kernel_list.log'], 0, lacks=['ERROR'])


class ResumedPieces(CheckerCase):
    """Pieces of a crash-resumed run: piece 1 from the start, piece k after= the test piece k-1
    died in. The death is excused by the profile, so only the order can fail these runs."""

    def test_in_order(self):
        self.check(['--profile', 'profile_dies.txt', 'piece1.log', 'piece2.log'], 0, lacks=['ERROR'])

    def test_out_of_order(self):
        self.check(['--profile', 'profile_dies.txt', 'piece2.log', 'piece1.log'], 1,
                   ['ERROR piece2.log: resumes after post.cross_page',
                    'ERROR piece1.log: piece 2 follows piece2.log, which ended normally'])

    def test_resumed_piece_alone(self):
        self.check(['piece2.log'], 1, ['ERROR piece2.log: resumes after post.cross_page (after= on its '
                                       'command line), but no piece before it holds the start of the run'])

    def test_resumed_after_the_wrong_test(self):
        p2 = self.write('p2.log', read('piece2.log').replace('after=post.cross_page', 'after=hv.detect'))
        self.check(['--profile', 'profile_dies.txt', 'piece1.log', p2], 1,
                   ['piece 2 resumes after hv.detect, but piece1.log died during post.cross_page '
                    '(want after=post.cross_page)'])

    def test_piece_after_a_complete_one(self):
        self.check(['good.log', 'piece2.log'], 1,
                   ['piece 2 follows good.log, which ended normally (end marker)'])

    def test_piece_without_command_line(self):
        p2 = self.write('p2.log', read('piece2.log').replace('# command line: after=post.cross_page\n', ''))
        self.check(['--profile', 'profile_dies.txt', 'piece1.log', p2], 1,
                   ["piece 2 has no '# command line:' line"])


class CutLine(CheckerCase):
    """A dying VM cuts its last line mid-write (`ok 5 - hv`, `not ok 30 - sm` with --smp 2):
    with no newline and no end marker, that line is not a result; the death is the running
    test's, which the profile's `died` pin covers."""

    def cut(self, tail):
        return self.write('cut.log', read('truncated.log') + tail)

    def test_cut_ok_line(self):
        self.check(['--profile', 'profile_dies.txt', self.cut('ok 3 - post.cr')], 0,
                   ['KNOWN post.cross_page - VM died during post.cross_page',
                    'last line cut off mid-write, not a result: ok 3 - post.cr'], ['ERROR'],
                   '2 passed, 0 failed, 0 skipped')

    def test_cut_not_ok_line(self):
        self.check(['--profile', 'profile_dies.txt', self.cut('not ok 3 - po')], 0,
                   ['KNOWN post.cross_page - VM died during post.cross_page'], ['ERROR'])

    def test_cut_line_without_profile_is_the_death(self):
        self.check([self.cut('ok 3 - post.cross_page')], 1,
                   ['DIED  VM died during post.cross_page'], ['ERROR'], '2 passed, 1 failed, 0 skipped')

    def test_running_line_missing_only_its_lf(self):
        # the VM died right after writing "# running N NAME\r": the line is whole
        # (CR LF lost its LF), so the death is that test's, not "outside a test"
        self.check([self.cut('ok 3 - post.cross_page\n# running 4 post.type_zero\r')], 1,
                   ['DIED  VM died during post.type_zero'], ['ERROR', 'cut off'])

    def test_whole_last_line_is_a_result(self):
        self.check([self.cut('ok 3 - post.cross_page\n')], 1,
                   ['DIED  VM died after test 3 post.cross_page'], ['ERROR'], '3 passed, 1 failed, 0 skipped')

    def test_end_marker_without_newline(self):
        self.check([self.write('g.log', read('good.log').rstrip('\n'))], 0, last='3 passed, 0 failed, 1 skipped')


class Numbers(CheckerCase):
    """TAP numbers are ASCII digits; a huge one is a structural error, not an internal error."""

    def test_unicode_digits_in_results(self):
        log = self.write('u.log', 'TAP version 13\n1..1\n# running 1 hv.detect\nok \u0661 - hv.detect\n'
                         '# hvconform: 1 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        self.check([log], 1, ['ERROR', 'result without a test number'])

    def test_unicode_digits_in_plan(self):
        log = self.write('u.log', 'TAP version 13\n1..\u0661\n# running 1 hv.detect\nok 1 - hv.detect\n'
                         '# hvconform: 1 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        self.check([log], 1, ['not a TAP line: 1..\u0661', 'no plan'])

    def test_fullwidth_digits_in_summary(self):
        log = self.write('u.log', 'TAP version 13\n1..1\n# running 1 hv.detect\nok 1 - hv.detect\n'
                         '# hvconform: \uff11 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        self.check([log], 1, ["no '# hvconform: N passed, N failed, N skipped' line"])

    def big(self, line):
        return self.write('big.log', 'TAP version 13\n1..1\n# running 1 hv.detect\n' + line +
                          '\n# hvconform: 1 passed, 0 failed, 0 skipped\n# hvconform: end\n')

    def test_huge_test_number(self):
        self.check([self.big('ok %s - hv.detect' % ('9' * 5000))], 1, ['test number has more than 9 digits'])

    def test_huge_plan(self):
        log = self.write('big.log', 'TAP version 13\n1..%s\n# hvconform: end\n' % ('7' * 5000))
        self.check([log], 1, ['plan count has more than 9 digits'])

    def test_huge_running_number(self):
        log = self.write('big.log', 'TAP version 13\n1..1\n# running %s hv.detect\n' % ('5' * 5000))
        self.check([log], 1, ['VM died during hv.detect'])

    def test_huge_summary(self):
        self.check([self.big('ok 1 - hv.detect\n# hvconform: %s passed, 0 failed, 0 skipped' % ('1' * 5000))],
                   1, ['second summary line'])


class ProfileText(CheckerCase):
    """A profile saved with a UTF-8 byte-order mark works; invisible characters are shown."""

    def test_bom(self):
        with open(os.path.join(LOGS, 'profile_good.txt'), 'rb') as f:
            prof = self.write('bom.txt', b'\xef\xbb\xbf' + f.read())
        self.check(['--profile', prof, 'failures.log'], 0, ['KNOWN post.payload_241', 'known deviations: 2'])

    def test_invisible_character_is_escaped(self):
        prof = self.write('zw.txt', '\u200bpost.payload_241 reason\n')
        out = self.check(['--profile', prof, 'good.log'], 2, ["bad test name '\\u200bpost.payload_241'"])
        self.assertNotIn('\u200b', out)


class LongBail(CheckerCase):
    """A long bail message keeps its reason (at its end) in the report too."""

    def test_reason_kept(self):
        log = self.write('b.log', 'TAP version 13\n# command line: (none)\nBail out! after=%s names no test\n'
                         '# hvconform: end\n' % ('a' * 600))
        self.check([log], 1, [' ... ', 'names no test (%s:3)' % log])
