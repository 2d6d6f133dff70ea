"""L0, the host QEMU under a nested L1 (tools/hvconform/l0.py): which hosts
get the patched build, that only UEFI runs under TCG wait for it, that its
answer is cached, and that L1's command line runs the binary chosen."""

import os
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import l0, l1  # noqa: E402


class L0Test(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.d = d.name
        self.fixed = os.path.join(self.d, 'qemu-system-x86_64')
        open(self.fixed, 'w').write('#!/bin/sh\n')
        os.chmod(self.fixed, 0o755)
        # a stand-in for tools/qemu-build: counts its calls, prints the binary
        self.calls = os.path.join(self.d, 'calls')
        self.builder = os.path.join(self.d, 'qemu-build')
        open(self.builder, 'w').write('#!/bin/sh\necho "$@" >>%s\necho building >&2\necho %s\n'
                                      % (self.calls, self.fixed))
        os.chmod(self.builder, 0o755)
        for name, value in (('BUILDER', self.builder), ('CACHE', os.path.join(self.d, 'l0.json')),
                            ('_path', None)):
            p = mock.patch.object(l0, name, value)
            p.start()
            self.addCleanup(p.stop)
        env = mock.patch.dict(os.environ)
        env.start()
        self.addCleanup(env.stop)
        os.environ.pop('HVCONFORM_L0_QEMU', None)
        self.notes = []

    def host(self, line):
        p = mock.patch.object(l0.hostqemu, 'version_output', lambda: line.encode() + b'\n')
        p.start()
        self.addCleanup(p.stop)

    def builds(self):
        try:
            return open(self.calls).read().count('\n')
        except OSError:
            return 0

    def test_affected_range(self):
        for line, want in (('QEMU emulator version 6.1.1 (Debian)', False),
                           ('QEMU emulator version 6.2.0', True),
                           ('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', True),
                           ('QEMU emulator version 11.1.3 (Debian 1:11.1.3+ds-2~bpo13+1)', True),
                           ('something else', True)):
            self.assertEqual(l0.affected(line), want, line)

    def test_only_uefi_under_tcg_builds(self):
        self.host('QEMU emulator version 7.2.22 (Debian)')
        l0.choose(False, 'tcg', self.notes.append)
        l0.choose(True, 'kvm', self.notes.append)
        self.assertEqual((l0.path(), self.builds()), ('qemu-system-x86_64', 0))
        l0.choose(True, 'tcg', self.notes.append)
        self.assertEqual((l0.path(), self.builds()), (self.fixed, 1))
        self.assertIn('--patch %s' % l0.PATCH, open(self.calls).read())
        self.assertTrue(any('building' in n and 'min' in n for n in self.notes), self.notes)

    def test_cached_answer_needs_no_builder(self):
        self.host('QEMU emulator version 7.2.22 (Debian)')
        l0.choose(True, 'tcg', self.notes.append)
        l0._path = None
        os.remove(self.builder)
        l0.choose(True, 'tcg', self.notes.append)
        self.assertEqual((l0.path(), self.builds()), (self.fixed, 1))

    def test_unaffected_host_and_failed_build_keep_the_host_qemu(self):
        self.host('QEMU emulator version 6.1.0')
        l0.choose(True, 'tcg', self.notes.append)
        self.assertEqual((l0.path(), self.builds()), ('qemu-system-x86_64', 0))
        self.host('QEMU emulator version 7.2.22')
        open(self.builder, 'w').write('#!/bin/sh\nexit 1\n')
        l0.choose(True, 'tcg', self.notes.append)
        self.assertEqual(l0.path(), 'qemu-system-x86_64')
        self.assertIn('failed', self.notes[-1])

    def test_l1_command_runs_the_chosen_l0(self):
        self.assertEqual(l1.command('/c', 2, '/w')[0], 'qemu-system-x86_64')
        l0._path = self.fixed
        self.assertEqual(l1.command('/c', 2, '/w')[0], self.fixed)
        os.environ['HVCONFORM_L0_QEMU'] = '/opt/q'
        l0.choose(True, 'tcg', self.notes.append)
        self.assertEqual((l1.command('/c', 2, '/w')[0], self.builds()), ('/opt/q', 0))


if __name__ == '__main__':
    unittest.main()
