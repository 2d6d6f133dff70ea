"""tools/nested/zygote.c, built and run here against the host's QEMU: the
protocol L1's init speaks to it (arguments a line each in, pid and status out),
the child's stderr and status, and that the library does nothing without
HVC_ZYGOTE. Skipped without gcc or QEMU."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from hvconform import jobproto  # noqa: E402

BUILD = os.path.join(os.path.dirname(HERE), 'nested', 'build-zygote.sh')
QEMU = 'qemu-system-x86_64'


@unittest.skipUnless(shutil.which('gcc') and shutil.which(QEMU), 'needs gcc and QEMU')
class ZygoteTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='zygote-test.')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.lib = os.path.join(self.dir, 'z.so')
        subprocess.run([BUILD, self.lib], check=True)
        env = dict(os.environ, LD_PRELOAD=self.lib, HVC_ZYGOTE=self.dir)
        self.z = subprocess.Popen([QEMU], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(self.z.wait, 10)
        self.addCleanup(self.z.kill)
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(self.dir, 'zygote.req')):
            self.assertIsNone(self.z.poll(), 'the zygote ended before it was ready')
            self.assertLess(time.monotonic(), deadline, 'no zygote.req within 10 s')
            time.sleep(0.02)

    def job(self, args, kill=False):
        """Send one job the way the init does; (pid, status) as jobproto reads them."""
        with open(os.path.join(self.dir, 'zygote.req'), 'wb') as f:
            f.write(jobproto.format_zygote_request([QEMU] + args))
        with open(os.path.join(self.dir, 'zygote.rep')) as f:
            pid = f.readline()
            if kill:
                os.kill(int(pid), signal.SIGKILL)
            return jobproto.parse_zygote_reply(pid + f.read())

    def err(self):
        with open(os.path.join(self.dir, 'l2.err')) as f:
            return f.read()

    def test_jobs_run_one_after_another(self):
        for _ in range(2):
            pid, st = self.job(['-version'])
            self.assertTrue(pid not in (None, 0, self.z.pid), pid)
            self.assertEqual(st, 0)

    def test_a_refused_argument_is_the_childs_status_and_stderr(self):
        pid, st = self.job(['-no-such-option'])
        self.assertEqual(st, 1)
        self.assertIn('no-such-option', self.err())

    def test_a_killed_child_is_128_plus_its_signal(self):
        pid, st = self.job(['-machine', 'none', '-nodefaults', '-display', 'none', '-S'], kill=True)
        self.assertEqual(st, 128 + signal.SIGKILL)
        self.assertIsNone(self.z.poll(), 'the zygote went with its child')

    def test_a_job_that_stops_reading_leaves_the_zygote_serving(self):
        with open(os.path.join(self.dir, 'zygote.req'), 'w') as f:
            f.write('%s\n-machine\nnone\n-nodefaults\n-display\nnone\n-S\n' % QEMU)
        with open(os.path.join(self.dir, 'zygote.rep')) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)        # its status goes to a FIFO nobody reads
        time.sleep(0.2)
        self.assertIsNone(self.z.poll(), 'the zygote died writing to a gone reader')
        self.assertEqual(self.job(['-version'])[1], 0)

    def test_without_hvc_zygote_qemu_runs_as_usual(self):
        r = subprocess.run([QEMU, '-version'], env=dict(os.environ, LD_PRELOAD=self.lib),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b'QEMU emulator version', r.stdout)


if __name__ == '__main__':
    unittest.main()
