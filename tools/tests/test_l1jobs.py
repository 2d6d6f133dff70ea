"""The host side of L1's job protocol (tools/hvconform/l1jobs.py): control
lines reach the job they name, L1's end reaches every job, each slot's job
lands in its own part of the payload disk, and a job's output ends at its
own frame line only. No VM is started."""

import os
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import l1jobs  # noqa: E402


class ControlTest(unittest.TestCase):
    def setUp(self):
        self.l1, host = socket.socketpair()
        host.setblocking(False)
        self.ctl = l1jobs.Control(host)
        self.addCleanup(self.l1.close)
        self.addCleanup(host.close)

    def lines(self, box, n):
        return [box.get(timeout=5) for _ in range(n)]

    def test_lines_go_to_their_jobs(self):
        one, two = self.ctl.box(1), self.ctl.box(2)
        self.ctl.start()
        # interleaved as two jobs in two slots write them, one cut mid-line
        self.l1.sendall(b'alive 1\nl2cmd 2 qemu-system-x86_64 -kernel /tmp/s1/image\nstder')
        self.l1.sendall(b'r 1 boom\ndone 2 0\nalive 11\ndone 1 127\n')
        self.assertEqual(self.lines(one, 3), ['alive 1', 'stderr 1 boom', 'done 1 127'])
        self.assertEqual(self.lines(two, 2), ['l2cmd 2 qemu-system-x86_64 -kernel /tmp/s1/image',
                                              'done 2 0'])
        self.assertTrue(one.empty() and two.empty(), 'a line for job 11 reached job 1')

    def test_l1_gone_reaches_every_job(self):
        one, two = self.ctl.box(1), self.ctl.box(2)
        self.ctl.start()
        self.l1.close()
        self.assertIsNone(one.get(timeout=5))
        self.assertIsNone(two.get(timeout=5))
        self.ctl.join(5)
        self.assertIsNone(self.ctl.box(3).get(timeout=1), 'a job started after the end waits forever')


class WriteJobTest(unittest.TestCase):
    def test_each_slot_has_its_own_part_of_the_disk(self):
        with tempfile.TemporaryDirectory() as d:
            disk, image = os.path.join(d, 'payload.img'), os.path.join(d, 'image')
            with open(disk, 'wb') as f:
                f.truncate(l1jobs.SLOTS * l1jobs.SLOT_SIZE)
            with open(image, 'wb') as f:
                f.write(b'KERNEL')
            l1jobs.write_job(disk, 0, 7, image, {'mode': 'kernel', 'append': 'a=1'})
            l1jobs.write_job(disk, 1, 8, image, {'mode': 'iso', 'append': ''})
            with open(disk, 'rb') as f:
                for slot, seq, mode in ((0, 7, 'kernel'), (1, 8, 'iso')):
                    f.seek(slot * l1jobs.SLOT_SIZE)
                    head = f.read(l1jobs.HEADER_MAX).rstrip(b'\0').decode().split('\n')
                    self.assertEqual(head[:3], ['hvconform-job %d' % seq, 'size=6', 'mode=' + mode])
                    self.assertIn('end', head)
                    f.seek(slot * l1jobs.SLOT_SIZE + l1jobs.IMAGE_OFFSET)
                    self.assertEqual(f.read(6), b'KERNEL')

    def test_refused_jobs(self):
        with tempfile.TemporaryDirectory() as d:
            disk, image = os.path.join(d, 'payload.img'), os.path.join(d, 'image')
            open(disk, 'wb').close()
            with open(image, 'wb') as f:
                f.truncate(l1jobs.SLOT_SIZE)        # no room for it beside the header
            with self.assertRaises(l1jobs.JobError):
                l1jobs.write_job(disk, 0, 1, image, {})
            with open(image, 'wb') as f:
                f.write(b'x')
            with self.assertRaises(l1jobs.JobError):
                l1jobs.write_job(disk, 0, 1, image, {'append': 'a\nb'})


class SplitFrameTest(unittest.TestCase):
    def test_own_frame_ends_the_output(self):
        self.assertEqual(l1jobs.split_frame(b'ok 1\n\n@@hvconform-l2-done 5 33@@\n', 5),
                         (b'ok 1\n', b'', 33))

    def test_another_jobs_frame_is_output(self):
        emit, held, st = l1jobs.split_frame(b'x\n@@hvconform-l2-done 4 0@@\nok', 5)
        self.assertIsNone(st)
        self.assertEqual(emit + held, b'x\n@@hvconform-l2-done 4 0@@\nok')

    def test_a_frame_cut_in_two_is_held(self):
        emit, held, st = l1jobs.split_frame(b'ok 1\n\n@@hvconform-l2-do', 5)
        self.assertEqual((emit, st), (b'ok 1\n', None))
        self.assertEqual(l1jobs.split_frame(held + b'ne 5 1@@\n', 5), (b'', b'', 1))


if __name__ == '__main__':
    unittest.main()
