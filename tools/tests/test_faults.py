"""Faults outside the hypervisor under test end in a clear answer: a host
QEMU that ended names its exit status, an older saved L1 that cannot be
removed costs a note, never the run. No VM is started."""

import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import l1saved, nested  # noqa: E402


class HostEndedTest(unittest.TestCase):
    def vm(self, script):
        p = subprocess.Popen(['sh', '-c', script])
        p.wait()
        return type('VM', (), {'proc': p})()

    def test_the_exit_status_is_named_with_or_without_a_message(self):
        self.assertEqual(nested.host_ended(self.vm('kill -9 $$'), ''),
                         'host QEMU ended (killed by signal 9): no message')
        self.assertEqual(nested.host_ended(self.vm('exit 1'), 'qemu: could not load kernel'),
                         'host QEMU ended (exit status 1): qemu: could not load kernel')


class L2HowTest(unittest.TestCase):
    def test_an_l2_qemu_that_gave_up_before_printing_failed_to_start(self):
        err = ['qemu-system-x86_64: -device nope: Device \'nope\' not found']
        self.assertEqual(nested.l2_how(127, {'printed': False, 'stderr': err}), 'failed')
        self.assertEqual(nested.l2_how(127, {'printed': True, 'stderr': err}), 'crashed')
        self.assertEqual(nested.l2_how(127, {'printed': False, 'stderr': [
            '(qemu-system-x86_64 ended by signal 6)']}), 'crashed')
        self.assertEqual(nested.l2_how(124, {}), 'timeout')
        self.assertEqual(nested.l2_how(33, {}), 'exited')


class RemoveOlderTest(unittest.TestCase):
    def test_an_older_save_that_cannot_go_is_a_note(self):
        with tempfile.TemporaryDirectory() as d:
            keep = os.path.join(d, 'l1-smp2-new.state')
            for name in ('l1-smp2-new.state', 'l1-smp2-old.state', 'l1-smp2-old.ram', 'l1-smp4-x.state'):
                open(os.path.join(d, name), 'w').close()
            notes = []
            with mock.patch('os.remove', side_effect=PermissionError(13, 'Permission denied')):
                l1saved.remove_older(d, 2, keep, notes.append)
            self.assertEqual(len(notes), 2, notes)
            self.assertTrue(all('Permission denied' in n for n in notes), notes)
            l1saved.remove_older(d, 2, keep, notes.append)
            self.assertEqual(sorted(os.listdir(d)), ['l1-smp2-new.state', 'l1-smp4-x.state'])


if __name__ == '__main__':
    unittest.main()
