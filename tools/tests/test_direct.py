"""direct.run: a QEMU's output is read to the end, also when the process
ends between a select() that found nothing and the check for its exit."""

import os
import selectors
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import direct  # noqa: E402
from hvconform.bootresult import BootResult, How  # noqa: E402


class LateSelector(selectors.DefaultSelector):
    """The first select() sleeps until the child has written and ended, then
    says nothing was ready: the host was slow to run the reader just then."""
    first = True

    def select(self, timeout=None):
        if LateSelector.first:
            LateSelector.first = False
            time.sleep(0.5)
            return []
        return super().select(timeout)


class RunTest(unittest.TestCase):
    def test_output_written_just_before_the_end_is_kept(self):
        old = direct.selectors.DefaultSelector
        direct.selectors.DefaultSelector = LateSelector
        self.addCleanup(setattr, direct.selectors, 'DefaultSelector', old)
        LateSelector.first = True
        out = []
        with tempfile.TemporaryDirectory() as d:
            r = direct.run(['sh', '-c', 'echo "ok 1 - all"; exit 33'], 30, out.append,
                           os.path.join(d, 'err'))
        self.assertEqual(r, BootResult(How.EXITED, 33))
        self.assertEqual(b''.join(out), b'ok 1 - all\n')


if __name__ == '__main__':
    unittest.main()
