"""Profiles: entries and their pinned outcomes, `avoid KEY reason` lines (the runner's avoid= argument),
--print-avoid, --known-tests (an entry naming a test the kernel doesn't have is an error)."""

import unittest

from support import CheckerCase
from hvconform import BadInput, profile

TEXT = ('# QEMU 8.2, full\n'
        'post.payload_241  died="signal 6"  aborts (hw/hyperv/hyperv.c)\n'
        'post.payload_241  got=0x0003,delivery=none  refused (hw/hyperv/hyperv.c)\n'
        'post.payload_241  pass  a race (hw/hyperv/hyperv.c)\n'
        'avoid payload_240   QEMU asserts on a 240-byte payload (hw/hyperv/hyperv.c:123)\n'
        'avoid scontrol_off  reason with # inside\n')


class Parse(unittest.TestCase):
    def test_entries_and_avoid(self):
        p = profile.parse(TEXT, 'p.txt')
        self.assertEqual(list(p.entries), ['post.payload_241'])
        self.assertEqual(p.get('post.payload_241').where, 'p.txt:2')
        self.assertIsNone(p.get('post.other'))
        e = p.get('post.payload_241')
        self.assertEqual(e.tokens, {'got=0x0003', 'delivery=none'})
        self.assertEqual([d.death for d in e.deaths], ['signal 6'])
        self.assertTrue(e.may_pass and e.intermittent_death and not e.sure_death)
        self.assertEqual(e.text(), 'died="signal 6" | delivery=none,got=0x0003 | pass')
        self.assertEqual(p.avoid, ['payload_240', 'scontrol_off'])
        self.assertEqual(p.avoid_reasons['scontrol_off'].reason, 'reason with # inside')

    def test_bom(self):
        self.assertEqual(profile.parse('\ufeff' + TEXT, 'p').avoid, ['payload_240', 'scontrol_off'])

    def bad(self, text, message):
        with self.assertRaises(BadInput) as e:
            profile.parse(text, 'p.txt')
        self.assertIn(message, str(e.exception))

    def test_bad_avoid(self):
        self.bad('avoid\n', 'p.txt:1: avoid needs a key and a reason')
        self.bad('avoid payload_240\n', 'p.txt:1: avoid payload_240 has no reason')
        self.bad('avoid post.x reason\n', "p.txt:1: bad avoid key 'post.x'")
        self.bad('avoid Big reason\n', "bad avoid key 'Big'")
        self.bad('avoid a r\navoid a r\n', 'p.txt:2: avoid a listed twice (first at p.txt:1)')

    def test_bad_entries(self):
        self.bad('post.x\n', 'p.txt:1: profile entry post.x has no outcome and no reason')
        self.bad('post.x got=0x0003\n', 'p.txt:1: profile entry post.x has no reason')
        self.bad('post.x r\n', "p.txt:1: 'r' is not an outcome")
        self.bad('post.x got=3 r\n', "'got=3' is not an outcome")
        self.bad('post.x died=x r\n', 'bad death pin')
        self.bad('post.x pass r\n', "post.x pins only 'pass'")
        self.bad('post.x got=0x0003 r\npost.x got=0x0003 s\n',
                 'p.txt:2: post.x got=0x0003 listed twice (first at p.txt:1)')
        self.bad('postx got=0x0003 r\n', "bad test name 'postx'")

    def test_known(self):
        p = profile.parse(TEXT, 'p.txt')
        p.check_known(['post.payload_241', 'post.x'], 'list.log')
        with self.assertRaises(BadInput) as e:
            p.check_known(['post.x'], 'list.log')
        self.assertEqual(str(e.exception),
                         'p.txt:2: post.payload_241 is not a test of this kernel (list.log lists 1 test(s))')


class Cli(CheckerCase):
    def test_print_avoid(self):
        self.check(['--print-avoid', '--profile', self.write('p.txt', TEXT)], 0,
                   last='avoid=payload_240,scontrol_off')

    def test_print_avoid_none(self):
        out = self.check(['--print-avoid', '--profile', 'profile_good.txt'], 0)
        self.assertEqual(out, '')

    def test_print_avoid_usage(self):
        self.check(['--print-avoid'], 2, ['usage:'])
        self.check(['--print-avoid', '--profile', 'profile_good.txt', 'good.log'], 2, ['usage:'])

    def test_print_avoid_bad_profile(self):
        self.check(['--print-avoid', '--profile', self.write('p.txt', 'avoid x\n')], 2, ['avoid x has no reason'])

    def test_avoid_lines_are_not_tests(self):
        self.check(['--profile', self.write('p.txt', TEXT), 'good.log'], 0, last='3 passed, 0 failed, 1 skipped')

    def test_known_tests(self):
        self.check(['--known-tests', 'kernel_list.log', '--profile',
                    self.write('p.txt', 'harness.gp_caught fault=none reason\n'), 'kernel_tcg.log'], 0,
                   ['KNOWN harness.gp_caught'], last='7 passed, 0 failed, 0 skipped')

    def test_unknown_test(self):
        prof = self.write('p.txt', '# c\nharness.time check=1 reason\npost.payload_241 got=0x0003 reason\n')
        self.check(['--known-tests', 'kernel_list.log', '--profile', prof, 'kernel_tcg.log'], 2,
                   ['%s:3: post.payload_241 is not a test of this kernel (kernel_list.log lists 8 test(s))' % prof],
                   ['passed,'])

    def test_known_tests_not_a_list(self):
        self.check(['--known-tests', 'good.log', '--profile', 'profile_good.txt', 'good.log'], 2,
                   ["good.log: no '# test NAME' lines: not the log of a 'list' boot"])

    def test_known_tests_with_print_avoid(self):
        prof = self.write('p.txt', TEXT)
        self.check(['--print-avoid', '--known-tests', 'kernel_list.log', '--profile', prof], 2,
                   ['post.payload_241 is not a test of this kernel'])

    def test_not_utf8(self):
        self.check(['--profile', self.write('p.txt', b'post.x caf\xe9\n'), 'good.log'], 2,
                   ['p.txt:1: profile is not UTF-8 text (byte 0xe9)'])
