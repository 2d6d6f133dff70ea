"""tools/configs.cfg's `require` lines: every item is one the kernel knows
(harness/cmdline.c require_names), and the runner's require= carries the VP
count of the run (issue 22: a configuration that lost its device, VMBus or a
VP fails the run instead of SKIPping its tests)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from hvconform import configs  # noqa: E402


def kernel_items():
    src = open(os.path.join(configs.ROOT, 'harness', 'cmdline.c')).read()
    body = re.search(r'require_names\[REQUIRE_COUNT\] = \{(.*?)\};', src, re.S).group(1)
    return set(re.findall(r'"([a-z]+)"', body))


class RequireTest(unittest.TestCase):
    def test_items_known_to_the_kernel(self):
        known, table = kernel_items(), configs.Table()
        self.assertIn('helper', known)
        for name, c in table.configs.items():
            for item in c.get('require', '').split():
                self.assertIn(item, known, '%s: require %s is not a kernel item' % (name, item))

    def test_every_hyperv_config_requires_hyperv(self):
        for name, c in configs.Table().configs.items():
            self.assertIn('hyperv', c.get('require', '').split(), name)

    def test_value_carries_the_vp_count(self):
        t = configs.Table()
        self.assertEqual(t.requires('smp2', 2), 'hyperv,hypercall,synic,post,helper,vmbus,vps=2')
        self.assertTrue(t.requires('full', t.smp('full', '3')).endswith(',vps=3'))
        self.assertIn('nopost', t.requires('enforce', 1).split(','))


if __name__ == '__main__':
    unittest.main()
