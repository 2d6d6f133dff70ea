"""The nested cache's one key (tools/hvconform/cachekey.py): each input of
the cache, of a saved L1 and of the probe changes its key, and nothing else
does (the order of inputs, the cache's location, files that are not inputs).
No VM is started."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from hvconform import cachekey, l1saved  # noqa: E402

NESTED = os.path.join(os.path.dirname(HERE), 'nested')


class Key(unittest.TestCase):
    BASE = {'stack': 'debian12', 'kernel': 'linux-image-6.1/6.1.1', 'qemu': '1:7.2', 'busybox': '1:1.35',
            'scripts': 'abc'}

    def test_each_input_changes_the_key_and_order_does_not(self):
        k = cachekey.key(self.BASE)
        for name in self.BASE:
            self.assertNotEqual(cachekey.key(dict(self.BASE, **{name: self.BASE[name] + 'x'})), k, name)
            self.assertNotEqual(cachekey.key({n: v for n, v in self.BASE.items() if n != name}), k, name)
        self.assertNotEqual(cachekey.key(dict(self.BASE, ovmf='1')), k)
        self.assertEqual(cachekey.key(dict(reversed(list(self.BASE.items())))), k)

    def test_ambiguous_inputs_are_refused(self):
        for bad in ({'a=b': 'c'}, {'': 'c'}, {'a': 'b\nc=d'}, {'a': 1}):
            with self.assertRaises(cachekey.InputError):
                cachekey.key(bad)

    def test_stamp_reads_back(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'stamp')
            with open(path, 'w') as f:
                f.write(cachekey.stamp_text(self.BASE))
            self.assertEqual(cachekey.stamp_key(path), cachekey.key(self.BASE))
            with open(path, 'w') as f:
                f.write('stack=debian12 kernel=x scripts=y\n')     # an older tree's stamp
            self.assertIsNone(cachekey.stamp_key(path))
            self.assertIsNone(cachekey.stamp_key(os.path.join(d, 'none')))

    def test_the_command_line_is_the_function(self):
        tool = os.path.join(os.path.dirname(HERE), 'hvconform', 'cachekey.py')
        r = subprocess.run([sys.executable, tool, '--stack', 'debian13-backports', 'kernel=k/1', 'qemu=2',
                            '--file', 'kmods=' + os.path.join(NESTED, 'kmods.sh')],
                           stdout=subprocess.PIPE, check=True, universal_newlines=True)
        want = {'stack': 'debian13-backports', 'scripts': cachekey.cache_scripts('debian13-backports'),
                'kernel': 'k/1', 'qemu': '2', 'kmods': cachekey.file_digest(os.path.join(NESTED, 'kmods.sh'))}
        self.assertEqual(r.stdout, cachekey.stamp_text(want))
        r = subprocess.run([sys.executable, tool, 'no-equals'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'no-equals': want NAME=VALUE", r.stderr)


class Scripts(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='cachekey-test.')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.nested = os.path.join(self.dir, 'nested')
        shutil.copytree(NESTED, self.nested)

    def changed(self, stack, name):
        before = cachekey.cache_scripts(stack, self.nested)
        with open(os.path.join(self.nested, name), 'a') as f:
            f.write('\n')
        try:
            return cachekey.cache_scripts(stack, self.nested) != before
        finally:
            shutil.copy(os.path.join(NESTED, name), os.path.join(self.nested, name))

    def test_what_builds_a_stack_changes_its_key_and_nothing_else_does(self):
        for name in cachekey.CACHE_SCRIPTS + ('stack-debian13.sh',):
            self.assertTrue(self.changed('debian13', name), name)
        for name in ('README.md', 'qemu-layer.sh', 'stack-debian13-backports.sh'):
            self.assertFalse(self.changed('debian13', name), name)

    def test_a_sourced_stack_file_is_an_input(self):
        self.assertTrue(self.changed('debian13-backports', 'stack-debian13.sh'))
        self.assertTrue(self.changed('debian13-backports', 'stack-debian13-backports.sh'))


class SavedL1(unittest.TestCase):
    """l1saved.state_key: cache key, L1 command line, L0."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='cachekey-test.')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.cache = os.path.join(self.dir, 'a')
        os.makedirs(self.cache)
        self.stamp({'stack': 'debian12'})
        self.version = b'QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright\n'
        for p in (mock.patch.object(l1saved.hostqemu, 'version_output', lambda binary: self.version),
                  mock.patch.dict(os.environ, {'NESTED_L1_ACCEL': 'tcg'})):
            p.start()
            self.addCleanup(p.stop)
        os.environ.pop('HVCONFORM_L0_QEMU', None)

    def stamp(self, inputs, cache=None):
        with open(os.path.join(cache or self.cache, 'stamp'), 'w') as f:
            f.write(cachekey.stamp_text(inputs))

    def test_each_input_changes_it(self):
        k = l1saved.state_key(self.cache, 2)
        self.assertNotEqual(l1saved.state_key(self.cache, 4), k, 'L1 vCPUs')
        with mock.patch.dict(os.environ, {'HVCONFORM_L0_QEMU': '/opt/qemu/bin/qemu-system-x86_64'}):
            self.assertNotEqual(l1saved.state_key(self.cache, 2), k, 'L0 path')
        self.version = b'QEMU emulator version 7.2.20\n'
        self.assertNotEqual(l1saved.state_key(self.cache, 2), k, 'L0 version')
        self.version = b'QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright\n'
        self.assertEqual(l1saved.state_key(self.cache, 2), k)
        self.stamp({'stack': 'debian12', 'busybox': '2'})
        self.assertNotEqual(l1saved.state_key(self.cache, 2), k, 'cache key')

    def test_the_caches_location_does_not(self):
        k = l1saved.state_key(self.cache, 2)
        other = os.path.join(self.dir, 'elsewhere', 'b')
        shutil.copytree(self.cache, other)
        self.assertEqual(l1saved.state_key(other, 2), k)


class Probe(unittest.TestCase):
    def test_the_caches_inputs_change_it_and_its_saved_l1s_do_not(self):
        with tempfile.TemporaryDirectory() as d:
            k = cachekey.probe_key('debian12', d)
            with open(os.path.join(d, 'l1-smp2-0123.state'), 'w') as f:
                f.write('x')
            with open(os.path.join(d, 'probe.key'), 'w') as f:
                f.write('x')
            self.assertEqual(cachekey.probe_key('debian12', d), k)
            with open(os.path.join(d, 'stamp'), 'w') as f:
                f.write('key=1\n')
            self.assertNotEqual(cachekey.probe_key('debian12', d), k)
            self.assertNotEqual(cachekey.probe_key('debian13', d), cachekey.probe_key('debian12', d))


if __name__ == '__main__':
    unittest.main()
