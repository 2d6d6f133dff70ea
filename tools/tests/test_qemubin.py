"""run-qemu.sh --qemu: the values it takes, and the command lines and cell
JSON that carry the binary under test."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import cli, direct, qemubin, report  # noqa: E402
from hvconform.kargs import KernelArgs  # noqa: E402
from hvconform.configs import Table  # noqa: E402


class QemuOptionTest(unittest.TestCase):
    def setUp(self):
        self.t = Table()
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.d = d.name
        self.bin = os.path.join(self.d, 'a', 'qemu-system-x86_64')
        os.makedirs(os.path.dirname(self.bin))
        open(self.bin, 'w').write('#!/bin/sh\necho "QEMU emulator version 9.9.9 (test)"\n')
        os.chmod(self.bin, 0o755)

    def test_path_and_named(self):
        o = cli.parse(['--qemu', self.bin], self.t)
        self.assertEqual(o['qemu'], [(None, self.bin)])
        o = cli.parse(['--matrix', '--qemu', 'fix=' + self.bin, '--qemu', self.bin], self.t)
        self.assertEqual(o['qemu'], [('fix', self.bin), ('a', self.bin)])

    def test_bad_values(self):
        for argv, words in ((['--qemu', os.path.join(self.d, 'none')], 'not an executable'),
                            (['--qemu', self.bin, '--qemu', self.bin], 'given once'),
                            (['--matrix', '--qemu', 'x=' + self.bin, '--qemu', 'x=' + self.bin], 'twice'),
                            (['--qemu', 'bad name=' + self.bin], 'not a column name')):
            with self.assertRaises(cli.Usage) as e:
                cli.parse(argv, self.t)
            self.assertIn(words, str(e.exception))

    def test_identity_and_direct_command(self):
        ident = qemubin.identity('fix', self.bin)
        self.assertEqual(ident['version'], '9.9.9 (test)')
        self.assertEqual(len(ident['sha256']), 64)
        cmd = direct.qemu_command('kvm', 'kernel', 'bios', 'k.elf', KernelArgs(), [], 1, self.d, qemu=self.bin)
        self.assertEqual(cmd[0], self.bin)
        self.assertIn('-L', cmd)
        self.assertEqual(direct.qemu_command('kvm', 'kernel', 'bios', 'k.elf', KernelArgs(), [], 1, self.d)[0],
                         'qemu-system-x86_64')

    def test_matrix_column_names_the_binary(self):
        cell = {'stack': 'debian12', 'config': 'full', 'qemu': {'name': 'fix'}}
        self.assertEqual(report.label(cell), 'debian12+fix/full')
        self.assertEqual(report.label({'stack': 'debian12', 'config': 'full'}), 'debian12/full')


if __name__ == '__main__':
    unittest.main()
