"""tools/matrix-diff: a changed verdict is found, noise in entries that admit
several outcomes is listed apart, and a directory that is not a run is refused."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(os.path.dirname(HERE), 'matrix-diff')


def test(name, status, entry=None, observed=None):
    return {'name': name, 'status': status, 'kind': 'normative', 'source': 'TLFS', 'detail': '',
            'where': 'x.log:1', 'observed': observed, 'host': None, 'profile_outcome': entry,
            'mismatch': None, 'profile_reason': None}


CELL = {'version': 1, 'log': 'x.log', 'pieces': ['x.log'],
        'summary': {'passed': 1, 'failed': 0, 'skipped': 0, 'known': 1, 'status_only': 0,
                    'readings_agree': 0, 'readings_differ': 0, 'died': 0, 'bailed': False, 'complete': True},
        'errors': [], 'bail': None, 'stack': 'debian12', 'config': 'full', 'machine': 'pc', 'smp': 1,
        'mode': 'nested', 'versions': {'qemu': '7.2'},
        'tests': [test('post.a', 'pass'), test('post.b', 'known', 'got=0x0005 | pass', ['got=0x0005'])]}


class MatrixDiff(unittest.TestCase):
    def run_dirs(self, *cells_per_dir):
        dirs = []
        for cells in cells_per_dir:
            d = tempfile.mkdtemp()
            self.addCleanup(subprocess.run, ['rm', '-rf', d])
            os.mkdir(os.path.join(d, 'cells'))
            for i, c in enumerate(cells):
                with open(os.path.join(d, 'cells', '%d.json' % i), 'w') as f:
                    json.dump(c, f)
            dirs.append(d)
        r = subprocess.run([sys.executable, TOOL] + dirs, capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def test_same_run_is_no_difference(self):
        rc, out = self.run_dirs([CELL], [copy.deepcopy(CELL)])
        self.assertEqual(rc, 0, out)
        self.assertIn('0 changed, 0 within', out)

    def test_a_changed_verdict_is_found(self):
        after = copy.deepcopy(CELL)
        after['tests'][0]['status'] = 'fail'
        after['summary'].update(passed=0, failed=1)
        rc, out = self.run_dirs([CELL], [after])
        self.assertEqual(rc, 1, out)
        self.assertIn('post.a: status "pass" -> "fail"', out)
        self.assertIn('passes -> fails', out)

    def test_noise_in_a_several_outcome_entry_is_apart(self):
        after = copy.deepcopy(CELL)
        after['tests'][1].update(status='pass', observed=None)
        after['summary'].update(passed=2, known=0)
        rc, out = self.run_dirs([CELL], [after])
        self.assertEqual(rc, 0, out)
        self.assertIn('0 changed, 2 within', out)       # the test and the counts it moved

    def test_a_missing_cell_is_a_change(self):
        other = dict(copy.deepcopy(CELL), config='smp2')
        rc, out = self.run_dirs([CELL, other], [CELL])
        self.assertEqual(rc, 1, out)
        self.assertIn('only in the first run', out)

    def test_not_a_run_is_refused(self):
        rc, out = self.run_dirs([{'version': 1}], [CELL])
        self.assertEqual(rc, 2, out)
        rc2 = subprocess.run([sys.executable, TOOL, '/nonexistent', '/nonexistent2'],
                             capture_output=True, text=True)
        self.assertEqual(rc2.returncode, 2)
        self.assertIn('no cells/ directory', rc2.stderr)


if __name__ == '__main__':
    unittest.main()
