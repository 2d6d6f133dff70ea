"""tools/qemu-build without a build: its argument handling, the cache key
(what makes a binary new) and the patch/undo cycle of the working copy."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import qemubuild, qemusource  # noqa: E402
from hvconform.configs import Table  # noqa: E402

DIFF = """--- a/hw/x.c
+++ b/hw/x.c
@@ -1,2 +1,2 @@
 int a;
-int b = 1;
+int b = 2;
"""


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.t = Table()
        self.d = tempfile.TemporaryDirectory()
        self.addCleanup(self.d.cleanup)
        self.patch = os.path.join(self.d.name, 'm.patch')
        open(self.patch, 'w').write(DIFF)

    def bad(self, argv, words):
        with self.assertRaises(qemubuild.Usage) as e:
            qemubuild.parse(argv, self.t)
        self.assertIn(words, str(e.exception))

    def test_defaults_to_the_first_stack_and_the_users_cache(self):
        env = {k: os.environ.pop(k) for k in ('XDG_CACHE_HOME', 'HOME') if k in os.environ}
        self.addCleanup(os.environ.update, env)
        os.environ['HOME'] = self.d.name
        o = qemubuild.parse([], self.t)
        self.assertEqual(o['stack'], 'debian12')
        # one cache per user, not per clone: another clone's build is a hit
        self.assertEqual(o['cache'], os.path.join(self.d.name, '.cache', 'hvconform', 'qemu'))
        os.environ['XDG_CACHE_HOME'] = os.path.join(self.d.name, 'xdg')
        self.assertEqual(qemubuild.parse([], self.t)['cache'],
                         os.path.join(self.d.name, 'xdg', 'hvconform', 'qemu'))
        del os.environ['XDG_CACHE_HOME']
        self.assertEqual(qemubuild.parse(['--cache', 'c'], self.t)['cache'], os.path.abspath('c'))

    def test_errors(self):
        self.bad(['--stack', 'nope'], 'not a stack')
        self.bad(['--stack', 'debian12', '--src', self.d.name], 'exclude each other')
        self.bad(['--src', self.d.name], 'not a QEMU source tree')
        self.bad(['--patch', os.path.join(self.d.name, 'missing')], 'cannot read')
        self.bad(['--jobs', '0'], 'whole number')
        self.bad(['--stack', 'debian12', '--stack', 'debian13'], 'given twice')
        self.bad(['--frobnicate'], 'unknown')
        self.bad(['--patch'], 'needs a value')

    def test_patches_repeat_in_order(self):
        o = qemubuild.parse(['--patch', self.patch, '--patch=' + self.patch], self.t)
        self.assertEqual(o['patches'], [self.patch, self.patch])


class KeyTest(unittest.TestCase):
    def test_key_follows_content_not_names(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, c = (os.path.join(d, n) for n in 'abc')
            open(a, 'w').write(DIFF)
            open(b, 'w').write(DIFF)
            open(c, 'w').write(DIFF.replace('2;', '3;'))
            flags = qemubuild.CONFIGURE
            base = qemubuild.build_key('debian12-1', flags, [])
            self.assertEqual(qemubuild.build_key('debian12-1', flags, [a]),
                             qemubuild.build_key('debian12-1', flags, [b]))
            self.assertNotEqual(base, qemubuild.build_key('debian12-1', flags, [a]))
            self.assertNotEqual(qemubuild.build_key('debian12-1', flags, [a]),
                                qemubuild.build_key('debian12-1', flags, [c]))
            self.assertNotEqual(qemubuild.build_key('debian12-1', flags, [a, c]),
                                qemubuild.build_key('debian12-1', flags, [c, a]))
            self.assertNotEqual(base, qemubuild.build_key('debian12-2', flags, []))
            self.assertNotEqual(base, qemubuild.build_key('debian12-1', flags + ['--enable-x'], []))

    def test_every_stack_build_has_its_own_identity(self):
        a = qemubuild.configure_args({'stack': 'debian12', 'src': None})
        b = qemubuild.configure_args({'stack': 'debian13', 'src': None})
        self.assertIn('--with-pkgversion=hvconform-debian12', a)
        self.assertNotEqual(a, b)


class TreeTest(unittest.TestCase):
    def test_patch_then_restore(self):
        with tempfile.TemporaryDirectory() as d:
            for top in ('pristine', 'src'):
                os.makedirs(os.path.join(d, top, 'hw'))
                open(os.path.join(d, top, 'hw', 'x.c'), 'w').write('int a;\nint b = 1;\n')
            p = os.path.join(d, 'm.patch')
            open(p, 'w').write(DIFF)
            self.assertEqual(qemusource.patch_files(p), ['hw/x.c'])
            qemusource.apply(d, [p])
            self.assertIn('b = 2', open(os.path.join(d, 'src', 'hw', 'x.c')).read())
            self.assertEqual(json.load(open(os.path.join(d, 'applied'))), ['hw/x.c'])
            qemusource.restore(d, os.path.join(d, 'pristine'))
            self.assertIn('b = 1', open(os.path.join(d, 'src', 'hw', 'x.c')).read())
            self.assertFalse(os.path.exists(os.path.join(d, 'applied')))
            open(p, 'w').write(DIFF.replace('int b = 1', 'int c = 1'))
            with self.assertRaises(qemubuild.BuildError):   # a patch that does not fit
                qemusource.apply(d, [p])
            self.assertIn('b = 1', open(os.path.join(d, 'src', 'hw', 'x.c')).read())


if __name__ == '__main__':
    unittest.main()
