"""The host side of L1's job protocol (tools/hvconform/l1jobs.py): control
lines reach the job they name, L1's end reaches every job, each slot's job
lands in its own part of the payload disk, and a job's output ends at its
own frame line only. No VM is started."""

import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import jobproto, l1, l1jobs  # noqa: E402
from hvconform.jobproto import Line  # noqa: E402


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
        self.assertEqual(self.lines(one, 3), [Line('alive', 1), Line('stderr', 1, 'boom'), Line('done', 1, '127')])
        self.assertEqual(self.lines(two, 2), [Line('l2cmd', 2, 'qemu-system-x86_64 -kernel /tmp/s1/image'),
                                              Line('done', 2, '0')])
        self.assertTrue(one.empty() and two.empty(), 'a line for job 11 reached job 1')

    def test_l1_gone_reaches_every_job(self):
        one, two = self.ctl.box(1), self.ctl.box(2)
        self.ctl.start()
        self.l1.close()
        self.assertIsNone(one.get(timeout=5))
        self.assertIsNone(two.get(timeout=5))
        self.ctl.join(5)
        self.assertIsNone(self.ctl.box(3).get(timeout=1), 'a job started after the end waits forever')


class OwnLinesTest(unittest.TestCase):
    def test_ready_and_setup_failed_reach_the_owner_then_the_end(self):
        l1, host = socket.socketpair()
        host.setblocking(False)
        self.addCleanup(host.close)
        chan = l1jobs.JobChannel(host, [], '/nonexistent', alive=lambda: True)
        self.addCleanup(chan.close)
        box = chan.control.box(1)
        self.assertIsNone(chan.l1_line(0.05), 'a line before L1 said one')
        l1.sendall(b'alive 1\nready l1_kernel=6.1 qemu=QEMU emulator version 7.2\nsetup-failed no kvm\n')
        self.assertEqual(chan.l1_line(5), Line('ready', None, 'l1_kernel=6.1 qemu=QEMU emulator version 7.2'))
        self.assertEqual(chan.l1_line(5), Line('setup-failed', None, 'no kvm'))
        self.assertEqual(box.get(timeout=5), Line('alive', 1))
        l1.close()
        for _ in range(2):      # the end stays
            with self.assertRaises(ConnectionError):
                chan.l1_line(5)


class WaitReadyTest(unittest.TestCase):
    """A cold L1's "ready" (l1.L1.wait_ready) comes through its JobChannel."""

    def vm(self, *lines, close=False):
        l1side, host = socket.socketpair()
        host.setblocking(False)
        self.addCleanup(host.close)
        vm = l1.L1.__new__(l1.L1)
        vm.work = tempfile.mkdtemp(prefix='hvc-test.')
        self.addCleanup(os.rmdir, vm.work)
        vm.proc = type('Proc', (), {'poll': lambda self: None})()
        vm.jobs = l1jobs.JobChannel(host, [], '/nonexistent', alive=lambda: True)
        self.addCleanup(vm.jobs.close)
        l1side.sendall(b''.join(l.encode() + b'\n' for l in lines))
        if close:
            l1side.close()
        else:
            self.addCleanup(l1side.close)
        return vm

    def test_ready_setup_failed_and_the_end(self):
        self.assertEqual(self.vm('alive 3', 'ready l1_kernel=6.1').wait_ready(time.monotonic() + 5), 'l1_kernel=6.1')
        with self.assertRaisesRegex(l1.L1Error, 'L1 setup failed: no kvm'):
            self.vm('setup-failed no kvm', 'ready x').wait_ready(time.monotonic() + 5)
        with self.assertRaisesRegex(l1.L1Error, 'closed its control channel'):
            self.vm(close=True).wait_ready(time.monotonic() + 5)
        with self.assertRaisesRegex(l1.L1Error, 'timed out waiting for L1 to boot'):
            self.vm().wait_ready(time.monotonic() + 0.3)


class WriteJobTest(unittest.TestCase):
    def test_each_slot_has_its_own_part_of_the_disk(self):
        with tempfile.TemporaryDirectory() as d:
            disk, image = os.path.join(d, 'payload.img'), os.path.join(d, 'image')
            with open(disk, 'wb') as f:
                f.truncate(l1jobs.SLOTS * l1jobs.SLOT_SIZE)
            with open(image, 'wb') as f:
                f.write(b'KERNEL')
            # L2's command line, a word a line: spaces and an empty word kept
            args = {0: ['-kernel', '/tmp/s0/image', '-append', 'a=1 b=\'c d\'', ''],
                    1: ['-cdrom', '/tmp/s1/image', '-boot', 'd']}
            l1jobs.write_job(disk, 0, 7, image, {'vars': 0, 'arg': args[0]})
            l1jobs.write_job(disk, 1, 8, image, {'vars': 1, 'arg': args[1]})
            with open(disk, 'rb') as f:
                for slot, seq, uefi in ((0, 7, 0), (1, 8, 1)):
                    # where the job line tells the init to read them
                    head_block, image_block = jobproto.job_blocks(slot)
                    f.seek(head_block * jobproto.BLOCK)
                    head = f.read(jobproto.BLOCK).rstrip(b'\0').decode().split('\n')
                    self.assertEqual(head[:3], ['hvconform-job %d' % seq, 'size=6', 'vars=%d' % uefi])
                    self.assertEqual(head[3:3 + len(args[slot])], ['arg=' + a for a in args[slot]])
                    self.assertIn('end', head)
                    f.seek(image_block * jobproto.BLOCK)
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
            with self.assertRaises(l1jobs.JobError):
                l1jobs.write_job(disk, 0, 1, image, {'arg': ['-append', 'a\rb']})


class FakeL1:
    """A JobChannel over socket pairs (the control port, slot 0's output
    port) and a payload disk file, with an L1 that stays alive."""

    def __init__(self, d):
        self.payload = os.path.join(d, 'payload.img')
        with open(self.payload, 'wb') as f:
            f.truncate(l1jobs.SLOTS * l1jobs.SLOT_SIZE)
        self.image = os.path.join(d, 'image')
        with open(self.image, 'wb') as f:
            f.write(b'KERNEL')
        self.ctl_l1, ctl = socket.socketpair()
        self.port_l1, port = socket.socketpair()
        ctl.setblocking(False)
        port.setblocking(False)
        self.socks = (ctl, port)
        self.chan = l1jobs.JobChannel(ctl, [port], self.payload, alive=lambda: True)

    def close(self):
        self.chan.close()
        for s in (self.ctl_l1, self.port_l1, *self.socks):
            s.close()


class RunJobTest(unittest.TestCase):
    def test_done_after_the_frame_is_taken_at_once(self):
        """L1 writes the frame on the slot's port, then "done" on the control
        port: the job ends when "done" comes, not at the output poll's next
        round (it waited up to 0.1 s there, on every boot)."""
        with tempfile.TemporaryDirectory() as d:
            vm = FakeL1(d)
            self.addCleanup(vm.close)
            late = []
            for seq in range(1, 6):
                def l1_side():
                    self.assertEqual(vm.ctl_l1.recv(100), b'job %d 0 0 16\n' % seq)
                    vm.port_l1.sendall(b'ok 1\n\n@@hvconform-l2-done %d 33@@\n' % seq)
                    time.sleep(0.03)
                    sent.append(time.monotonic())
                    vm.ctl_l1.sendall(b'done %d 33\n' % seq)
                sent = []
                t = threading.Thread(target=l1_side)
                t.start()
                out = []
                st, info = vm.chan.run_job(0, vm.image, {'arg': ['-kernel']}, 10, out.append)
                late.append(time.monotonic() - sent[0])
                t.join()
                self.assertEqual((st, b''.join(out)), (33, b'ok 1\n'))
            # the median: one late thread switch on a loaded host is not the poll
            self.assertLess(sorted(late)[2], 0.04, 'run_job returned %s s after "done"'
                            % ['%.3f' % x for x in late])


    def test_a_line_is_shown_while_the_next_one_is_awaited(self):
        """A complete line is passed on while L2 is quiet, not held until the
        next bytes (its newline could start the frame): a long test's
        "# running" line showed only when the test ended."""
        with tempfile.TemporaryDirectory() as d:
            vm = FakeL1(d)
            self.addCleanup(vm.close)
            shown = []

            def l1_side():
                vm.ctl_l1.recv(100)
                vm.port_l1.sendall(b'# running 1 slow\n')
                time.sleep(0.5)
                shown.append(b''.join(out))         # what the user saw by then
                vm.port_l1.sendall(b'ok 1 - slow\n\n@@hvconform-l2-done 1 33@@\n')
                vm.ctl_l1.sendall(b'done 1 33\n')
            out = []
            t = threading.Thread(target=l1_side)
            t.start()
            st, info = vm.chan.run_job(0, vm.image, {'arg': ['-kernel']}, 10, out.append)
            t.join()
            self.assertEqual(shown, [b'# running 1 slow\n'])
            self.assertEqual((st, b''.join(out)), (33, b'# running 1 slow\nok 1 - slow\n'))

    def test_a_stalled_job_ends_as_l2_silent(self):
        """stalled() (a save job's warm.Watch) ends the wait when it says L2
        has been silent too long, long before the job's limit."""
        with tempfile.TemporaryDirectory() as d:
            vm = FakeL1(d)
            self.addCleanup(vm.close)
            out = []
            t0 = time.monotonic()

            def stalled():
                return 151.0 if out else None
            vm.port_l1.sendall(b'OVMF\n')
            st, info = vm.chan.run_job(0, vm.image, {'arg': ['-kernel']}, 60, out.append, stalled=stalled)
            self.assertEqual((st, info['silent_for'], b''.join(out)), (l1jobs.Fault.L2_SILENT, 151.0, b'OVMF'))
            self.assertLess(time.monotonic() - t0, 5)

    def test_a_port_closed_by_another_thread_is_l1_gone(self):
        """Another boot's failure stops this L1 (vm.close() from its thread):
        the port's recv fails with EBADF; the job ends as L1 gone (a rerun),
        never with the error (the runner crashed with it and exited 1)."""
        import errno
        with tempfile.TemporaryDirectory() as d:
            vm = FakeL1(d)
            self.addCleanup(vm.close)
            real = vm.socks[1]

            class Closed:
                def fileno(self):
                    return real.fileno()

                def recv(self, n):
                    raise OSError(errno.EBADF, 'Bad file descriptor')
            vm.chan.ports[0] = Closed()

            def l1_side():
                vm.ctl_l1.recv(100)
                vm.port_l1.sendall(b'ok 1 - a\n')      # ready to read: recv runs
            t = threading.Thread(target=l1_side)
            t.start()
            st, info = vm.chan.run_job(0, vm.image, {'arg': ['-kernel']}, 10, lambda b: None)
            t.join()
            self.assertIs(st, jobproto.Fault.L1_GONE)
            real.close()                        # closed before the job began
            st, info = vm.chan.run_job(0, vm.image, {'arg': ['-kernel']}, 10, lambda b: None)
            self.assertIs(st, jobproto.Fault.L1_GONE)


class SplitFrameTest(unittest.TestCase):
    def test_own_frame_ends_the_output(self):
        self.assertEqual(jobproto.split_frame(b'ok 1\n\n@@hvconform-l2-done 5 33@@\n', 5),
                         (b'ok 1\n', b'', 33))

    def test_another_jobs_frame_is_output(self):
        emit, held, st = jobproto.split_frame(b'x\n@@hvconform-l2-done 4 0@@\nok', 5)
        self.assertIsNone(st)
        self.assertEqual(emit + held, b'x\n@@hvconform-l2-done 4 0@@\nok')

    def test_a_frame_cut_in_two_is_held(self):
        emit, held, st = jobproto.split_frame(b'ok 1\n\n@@hvconform-l2-do', 5)
        self.assertEqual((emit, st), (b'ok 1\n', None))
        self.assertEqual(jobproto.split_frame(held + b'ne 5 1@@\n', 5), (b'', b'', 1))


if __name__ == '__main__':
    unittest.main()
