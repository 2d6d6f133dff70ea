"""run-qemu.sh --matrix's scheduling, without VMs: cells side by side, the
longest first, each labelled, every result kept, the worst exit status wins."""

import os
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import matrix  # noqa: E402
from hvconform.configs import Table  # noqa: E402


class MatrixTest(unittest.TestCase):
    def run_matrix(self, jobs, rcs):
        table, calls, cond = Table(), [], threading.Condition()
        running, most, finished, total = [0], [0], [0], 4

        def run_cell(o, table, stack, config, machine, mode, runner_nested, tmp, **kw):
            with cond:
                calls.append((config, kw.get('label'), os.path.basename(tmp)))
                running[0] += 1
                cond.notify_all()
                # side by side: a cell ends only once the jobs' other place is
                # taken too (or no cell is left), however the host's load delays
                # a thread; a plain sleep raced with that
                cond.wait_for(lambda: running[0] >= jobs or running[0] + finished[0] == total, 5)
                most[0] = max(most[0], running[0])
            time.sleep(0.01)
            with cond:
                running[0] -= 1
                finished[0] += 1
                cond.notify_all()
            return rcs.get(config, 0)

        notes = []
        with tempfile.TemporaryDirectory() as d:
            o = {'stack': ['debian12'], 'config': ['nosynic', 'full', 'smp2', 'enforce'], 'machine': None,
                 'out': d, 'jobs': jobs, 'smp': None}
            rc = matrix.run(o, table, d, run_cell, lambda *a: 'tcg', notes.append)
        return rc, calls, most[0], notes

    def test_longest_first_side_by_side(self):
        rc, calls, most, _ = self.run_matrix(2, {})
        self.assertEqual(rc, 0)
        # the two longest start first (2 VPs and a test device; a test device);
        # which of the two records its call first is up to the threads
        self.assertEqual({c[0] for c in calls[:2]}, {'smp2', 'full'})
        self.assertEqual(sorted(c[0] for c in calls), ['enforce', 'full', 'nosynic', 'smp2'])
        self.assertEqual(most, 2)
        self.assertTrue(all(label == tmp == 'debian12-' + c for c, label, tmp in calls))

    def test_one_at_a_time_streams_and_the_worst_status_wins(self):
        rc, calls, most, notes = self.run_matrix(1, {'enforce': 1, 'nosynic': 3})
        self.assertEqual(rc, 3)
        self.assertEqual(most, 1)
        self.assertEqual(calls[0][0], 'smp2')          # one at a time: the longest first, exactly
        self.assertTrue(all(label is None for _, label, _ in calls))    # one at a time: streamed
        self.assertTrue(any('nosynic  exit 3' in n for n in notes))


if __name__ == '__main__':
    unittest.main()
