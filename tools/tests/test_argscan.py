"""argscan: the one reader of run-qemu.sh's and tools/qemu-build's long
options, and both programs' use of it (the same words mean the same thing)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import argscan, cli, qemubuild  # noqa: E402
from hvconform.configs import Table  # noqa: E402

VALUES = ('--stack', '--patch', '--jobs')


class ScanTest(unittest.TestCase):
    def scan(self, argv, **kw):
        return argscan.scan(argv, VALUES, flags=('--key',), repeat=('--patch',), **kw)

    def bad(self, argv, words, **kw):
        with self.assertRaises(argscan.ArgError) as e:
            self.scan(argv, **kw)
        self.assertIn(words, str(e.exception))

    def test_both_spellings_flags_and_repeats(self):
        self.assertEqual(self.scan(['--stack', 'a', '--patch=p', '--key', '--patch', 'q=r']),
                         {'stack': 'a', 'patch': ['p', 'q=r'], 'key': True})
        self.assertEqual(self.scan(['--stack=']), {'stack': ''})       # empty is the program's to refuse
        self.assertEqual(self.scan(['--stack', '--key']), {'stack': '--key'})
        self.assertEqual(self.scan([]), {})

    def test_help_wins(self):
        self.assertEqual(self.scan(['--stack', 'a', '-h', '--bogus']), {'help': True})

    def test_rest(self):
        self.assertEqual(self.scan(['--key', '--', '--stack', 'x'], rest=True),
                         {'key': True, '--': ['--stack', 'x']})
        self.bad(['--'], "unknown option '--'")

    def test_errors(self):
        self.bad(['--stack', 'a', '--stack=b'], '--stack given twice')
        self.bad(['--jobs'], '--jobs needs a value')
        self.bad(['--key=1'], "unknown option '--key=1'")
        self.bad(['--bogus'], "unknown option '--bogus' (see --help)", hint=' (see --help)')
        self.bad(['stray'], "unknown option 'stray'")

    def test_whole(self):
        self.assertEqual(argscan.whole('12', '--jobs', 64, 'a whole number from 1 to %d'), 12)
        for v in ('0', '65', '-1', '1.5', '', '\u0661'):
            with self.assertRaises(argscan.ArgError) as e:
                argscan.whole(v, '--jobs', 64, 'a whole number from 1 to %d')
            self.assertEqual(str(e.exception), "--jobs: '%s' is not a whole number from 1 to 64" % v)


class ProgramsTest(unittest.TestCase):
    def test_run_qemu_words(self):
        o = cli.parse(['--args', 'seed=1 verbose', '--config=full', '--no-build', '--matrix', '--jobs', '2',
                       '--', 'tests=hv.*'], Table())
        self.assertEqual(o['kargs'].words, ('seed=1', 'verbose', 'tests=hv.*'))
        self.assertEqual((o['config'], o['no_build'], o['jobs']), (['full'], True, 2))
        for argv, words in ((['--smp', '2', '--smp', '2'], '--smp given twice'),
                            (['--bogus'], "unknown option '--bogus' (kernel arguments go after -- or in --args)"),
                            (['--timeout', 'x'], "--timeout: 'x' is not a whole number of seconds")):
            with self.assertRaises(cli.Usage) as e:
                cli.parse(argv, Table())
            self.assertIn(words, str(e.exception))

    def test_qemu_build_words(self):
        o = qemubuild.parse(['--jobs=3', '--key', '--cache', '/tmp/c'], Table())
        self.assertEqual((o['jobs'], o['key'], o['cache']), (3, True, '/tmp/c'))
        for argv, words in ((['--jobs='], "--jobs: '' is not a whole number"), (['--key=1'], 'unknown option')):
            with self.assertRaises(qemubuild.Usage) as e:
                qemubuild.parse(argv, Table())
            self.assertIn(words, str(e.exception))


if __name__ == '__main__':
    unittest.main()
