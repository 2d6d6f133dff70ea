"""tools/mutants.d: every mutant names its rule, group and configurations,
is a diff of QEMU's Hyper-V code that tools/qemu-build can apply, and the
set covers the three groups with at least 20 mutants (issue 22 item 8).
Running them is tools/mutants' job, never make test's."""

import importlib.machinery
import importlib.util
import os
import sys
import unittest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
from hvconform import qemusource  # noqa: E402
from hvconform.configs import Table  # noqa: E402


def load_tool():
    loader = importlib.machinery.SourceFileLoader('mutants_tool', os.path.join(TOOLS, 'mutants'))
    spec = importlib.util.spec_from_loader('mutants_tool', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class MutantsTest(unittest.TestCase):
    def test_every_mutant_is_well_formed(self):
        tool = load_tool()
        mutants = tool.read_mutants()
        self.assertGreaterEqual(len(mutants), 20)
        groups = {m['group'] for m in mutants}
        self.assertEqual(groups, {'status', 'delivery', 'queueing'})
        configs = Table().configs
        for m in mutants:
            for c in m['configs']:
                self.assertIn(c, configs, m['name'])
            for f in qemusource.patch_files(m['path']):
                self.assertTrue(f.startswith(('hw/hyperv/', 'target/i386/kvm/hyperv')), (m['name'], f))

    def test_caught_by_reads_the_checkers_failing_lines(self):
        tool = load_tool()
        self.assertEqual(tool.caught_by(['FAIL  post.conn_unknown - got 0x0000, want 0x0003 (log:3)',
                                         'DIED  post.payload_241 - VM died during post.payload_241',
                                         'FAIL  post.conn_unknown - again']),
                         ['post.conn_unknown', 'died in post.payload_241'])


if __name__ == '__main__':
    unittest.main()
