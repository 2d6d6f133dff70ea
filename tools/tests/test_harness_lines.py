"""make test's harness names what made a run fail (tools/tests/harness.py
unexpected()): the checker's failed lines and the runner's own errors."""

import sys
import unittest

import harness


class Unexpected(unittest.TestCase):
    def test_runner_errors_and_failures_are_named(self):
        out = ('run-qemu: mode nested\n'
               'run-qemu: error: /x/build/hvconform.elf is missing: build it with make all\n'
               'run-qemu: [debian12/full] error: QEMU could not start\n'
               'FAIL  post.success - got 0x0005\n'
               'ok    hv.detect\n')
        self.assertEqual(harness.unexpected(out, n=5).split('\n    ')[1:],
                         ['run-qemu: error: /x/build/hvconform.elf is missing: build it with make all',
                          'run-qemu: [debian12/full] error: QEMU could not start',
                          'FAIL  post.success - got 0x0005'])

    def test_other_lines_are_not(self):
        self.assertEqual(harness.unexpected('run-qemu: mode nested\nrun-qemu: note: error: no\nok    x\n'), '')


if __name__ == '__main__':
    sys.exit(unittest.main())
