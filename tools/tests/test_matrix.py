"""run-qemu.sh --matrix's scheduling, without VMs: cells side by side, the
longest first, each labelled, every result kept, the worst exit status wins."""

import os
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import matrix  # noqa: E402
from hvconform.configs import Table  # noqa: E402


def run(o, table, tmp, run_cell, choose, note=lambda m: None):
    """matrix.run with each cell's run and each stack's mode choice faked."""
    with mock.patch.object(matrix.cellrun, 'run', run_cell), mock.patch.object(matrix.modes, 'choose', choose), \
            mock.patch.object(matrix, 'note', note):
        return matrix.run(o, table, tmp)


class MatrixTest(unittest.TestCase):
    def run_matrix(self, jobs, rcs):
        table, calls, cond = Table(), [], threading.Condition()
        running, most, finished, total = [0], [0], [0], 4

        def run_cell(o, table, cell, tmp, **kw):
            config = cell.config
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
                 'out': d, 'jobs': jobs, 'smp': None, 'boot': 'kernel', 'firmware': 'bios'}
            rc = run(o, table, d, run_cell, lambda *a: 'tcg', notes.append)
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


class StaleCellsTest(unittest.TestCase):
    """A cell that did not run this time shows as not run, never with an
    earlier run's results (its JSON, JUnit and log are an earlier run's)."""

    def test_a_failed_rerun_never_shows_the_last_results(self):
        import json
        from hvconform import nested
        table = Table()
        configs = ['full', 'enforce']

        def passing(o, table, c, tmp, **kw):
            cell = {'version': 1, 'log': kw['log'], 'stack': c.stack, 'config': c.config, 'machine': c.machine,
                    'summary': {'passed': 45, 'failed': 0, 'skipped': 0, 'complete': True},
                    'tests': [{'name': 'hv.detect', 'status': 'pass', 'kind': 'normative'}]}
            for path, text in ((kw['json_out'], json.dumps(cell)), (kw['log'], 'ok 1 - hv.detect\n'),
                               (kw['junit'], '<testsuites/>')):
                with open(path, 'w') as f:
                    f.write(text)
            return 0

        def failing(o, table, cell, tmp, **kw):
            raise nested.NestedError('cannot restore the saved debian12 L1: backing store size 0x1 does not match')

        with tempfile.TemporaryDirectory() as d:
            o = {'stack': ['debian12'], 'config': configs, 'machine': None, 'out': d, 'jobs': 2, 'smp': None,
                 'boot': 'kernel', 'firmware': 'bios'}
            self.assertEqual(run(o, table, d, passing, lambda *a: 'tcg'), 0)
            self.assertIn('45 passed, 0 failed', open(os.path.join(d, 'matrix.md')).read())
            self.assertEqual(run(o, table, d, failing, lambda *a: 'tcg'), 3)
            md = open(os.path.join(d, 'matrix.md')).read()
            self.assertNotIn('45 passed', md)
            self.assertEqual(md.count('NOT RUN: exit 3: cannot restore the saved debian12 L1: backing store'), 2, md)
            self.assertNotIn('45 passed', open(os.path.join(d, 'matrix.html')).read())
            for c in configs:
                cell = json.load(open(os.path.join(d, 'cells', 'debian12-%s.json' % c)))
                self.assertEqual((cell['summary']['failed'], cell['tests']), (1, []))
                for stale in ('logs/debian12-%s.log' % c, 'junit/debian12-%s.xml' % c):
                    self.assertFalse(os.path.exists(os.path.join(d, stale)), stale)
            # a stack whose mode could not be chosen: its cells are not run either
            def no_stack(*a):
                raise nested.NestedError('the debian12 L1 cache could not be built: kmod missing')
            self.assertEqual(run(o, table, d, passing, no_stack), 3)
            self.assertEqual(open(os.path.join(d, 'matrix.md')).read().count('NOT RUN: exit 3: stack debian12'), 2)


if __name__ == '__main__':
    unittest.main()
