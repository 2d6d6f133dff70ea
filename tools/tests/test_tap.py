"""tools/hvconform/tap.py as the runner uses it: what a boot's output says after it ends
(complete, bail, running test, seed, command line), and the YAML blocks after result lines."""

import unittest

import support  # noqa: F401 (sys.path)
from hvconform import pieces, tap

START = ('TAP version 13\n# hvconform 0.1.0 multiboot1\n# command line: tests=post.* seed=12\n'
         '# seed: 12 (replay with seed=12)\n1..3\n# running 1 post.success\nok 1 - post.success\n')
END = '# hvconform: 2 passed, 0 failed, 0 skipped\n# hvconform: end\n'


class RunnerApi(unittest.TestCase):
    def test_complete(self):
        p = tap.parse(START.replace('1..3', '1..2') + '# running 2 post.b\nok 2 - post.b\n' + END, 'x')
        self.assertTrue(p.started)
        self.assertTrue(p.complete)
        self.assertIsNone(p.bail)
        self.assertIsNone(p.running)
        self.assertIsNone(p.died)
        self.assertEqual(p.seed, 12)
        self.assertEqual(p.cmdline, 'tests=post.* seed=12')
        self.assertIsNone(p.after)
        self.assertEqual([(r.name, r.status, r.number) for r in p.results],
                         [('post.success', 'pass', 1), ('post.b', 'pass', 2)])
        self.assertEqual(p.errors, [])

    def test_died_running(self):
        p = tap.parse(START + '# running 2 post.cross_page\n#   diag before death\n', 'x')
        self.assertFalse(p.complete)
        self.assertEqual(p.running, (2, 'post.cross_page', 8))
        self.assertEqual(p.running.name, 'post.cross_page')
        self.assertEqual(p.died.name, 'post.cross_page')
        self.assertEqual(p.died.status, 'died')
        self.assertEqual(p.results[-1], p.died)

    def test_died_mid_write(self):
        p = tap.parse(START + '# running 2 post.cross_page\nnot ok 2 - post.cr', 'x')
        self.assertEqual(p.running.name, 'post.cross_page')
        self.assertEqual(p.cut, 'not ok 2 - post.cr')
        self.assertEqual([r.status for r in p.results], ['pass', 'died'])

    def test_died_before_any_test(self):
        p = tap.parse('TAP version 13\n# hvconform 0.1.0 efi\n', 'x')
        self.assertTrue(p.started)
        self.assertIsNone(p.running)
        self.assertIsNone(p.seed)
        self.assertEqual(p.died.what, 'VM died before the first test')

    def test_bail(self):
        p = tap.parse('TAP version 13\n# hvconform 0.1.0 multiboot1\n'
                      "Bail out! unknown kernel argument 'x'\n# hvconform: end\n", 'x')
        self.assertFalse(p.complete)
        self.assertEqual(p.bail.reason, "unknown kernel argument 'x'")
        self.assertEqual(p.bail.where, 'x:3')
        self.assertIsNone(p.died)

    def test_bail_while_running(self):
        p = tap.parse(START + '# running 2 post.b\nBail out! page gone\n# hvconform: end\n', 'x')
        self.assertEqual(p.bail.reason, 'page gone (while running post.b)')

    def test_no_tap(self):
        p = tap.parse('qemu-system-x86_64: could not load kernel\n', 'x')
        self.assertFalse(p.started)
        self.assertFalse(p.complete)

    def test_resumed(self):
        p = tap.parse(START.replace('seed=12\n', 'seed=12 after=post.a\n', 1), 'x')
        self.assertEqual(p.after, 'post.a')

    def test_ansi_and_crlf(self):
        p = tap.parse('\x1b[2J\x1b[HTAP version 13\r\n1..1\r\nok 1 - a.b\r\n'
                      '# hvconform: 1 passed, 0 failed, 0 skipped\r\n# hvconform: end\r\n', 'x')
        self.assertTrue(p.complete)
        self.assertEqual(p.errors, [])

    def test_merge(self):
        p1 = tap.parse(START + '# running 2 post.dies\n', 'run.log.1')
        p2 = tap.parse(START.replace('seed=12\n', 'seed=12 after=post.dies\n', 1).replace('1..3', '1..1')
                       .replace('post.success', 'post.c') + '# hvconform: 1 passed, 0 failed, 0 skipped\n'
                       '# hvconform: end\n', 'run.log.2')
        results, errors = pieces.merge([p1, p2])
        self.assertEqual(errors, [])
        self.assertEqual([(r.name, r.status) for r in results],
                         [('post.success', 'pass'), ('post.dies', 'died'), ('post.c', 'pass')])


def with_yaml(block, result='ok 1 - post.success'):
    return ('TAP version 13\n1..1\n# running 1 post.success\n' + result + '\n' + block +
            '# hvconform: %d passed, %d failed, 0 skipped\n# hvconform: end\n'
            % ((1, 0) if result.startswith('ok') else (0, 1)))


class Yaml(unittest.TestCase):
    def one(self, text):
        p = tap.parse(text, 'y')
        return p, p.results[0]

    def test_absent(self):
        p, r = self.one(with_yaml(''))
        self.assertEqual((r.kind, r.source, r.yaml), ('normative', None, None))

    def test_normative(self):
        p, r = self.one(with_yaml('  ---\n  kind: normative\n  source: "TLFS 6.0b 11.9.3 \\"PostMessage\\""\n'
                                  '  ...\n'))
        self.assertEqual(p.errors, [])
        self.assertEqual(r.kind, 'normative')
        self.assertEqual(r.source, 'TLFS 6.0b 11.9.3 "PostMessage"')

    def test_reading_after_failure(self):
        p, r = self.one(with_yaml("  ---\n  kind: reading\n  source: 'reading: padding is ignored'\n"
                                  '  extra: 1\n  ...\n', 'not ok 1 - post.success # got 0, want 5'))
        self.assertEqual(p.errors, [])
        self.assertEqual((r.status, r.kind, r.source), ('fail', 'reading', 'reading: padding is ignored'))
        self.assertEqual(r.yaml['extra'], '1')
        self.assertEqual(r.extra, [])

    def test_bad_kind(self):
        p, r = self.one(with_yaml('  ---\n  kind: maybe\n  ...\n'))
        self.assertIn("kind 'maybe' is not normative or reading", p.errors[0])
        self.assertEqual(r.kind, 'normative')

    def test_not_closed(self):
        p, r = self.one(with_yaml('  ---\n  kind: reading\n'))
        self.assertIn("y:5: YAML block not closed with '...' before line 7", p.errors)
        self.assertEqual(r.kind, 'reading')

    def test_bad_line_and_quote(self):
        p, r = self.one(with_yaml('  ---\n  just text\n  source: "unterminated\n  ...\n'))
        self.assertEqual(len(p.errors), 2, p.errors)

    def test_block_without_result(self):
        p = tap.parse('TAP version 13\n1..0\n  ---\n  kind: reading\n  ...\n# hvconform: end\n', 'y')
        self.assertIn("y:3: YAML block ('---') not right after a result line", p.errors)

    def test_second_block(self):
        p, r = self.one(with_yaml('  ---\n  kind: reading\n  ...\n  ---\n  kind: normative\n  ...\n'))
        self.assertIn("y:8: YAML block ('---') not right after a result line", p.errors)
        self.assertEqual(r.kind, 'reading')

    def test_death_inside_block(self):
        p = tap.parse('TAP version 13\n1..2\n# running 1 a.b\nok 1 - a.b\n  ---\n  kind: reading\n', 'y')
        self.assertEqual(p.results[0].kind, 'reading')
        self.assertEqual(p.died.what, 'VM died after test 1 a.b')
        self.assertIn("y:5: YAML block not closed with '...'", p.notes)

    def test_diagnostics_before_block(self):
        p, r = self.one(with_yaml('#   more detail\n  ---\n  kind: reading\n  ...\n'))
        self.assertEqual(p.errors, [])
        self.assertEqual((r.kind, r.extra), ('reading', ['#   more detail']))


class Clean(unittest.TestCase):
    def test_escapes(self):
        self.assertEqual(tap.clean('a\x1bb\ufeffc\u200bd\n'), 'a\\x1bb\\ufeffc\\u200bd\\x0a')
        self.assertEqual(tap.clean('x' * 10, 4), 'xxxx...')
        self.assertEqual(tap.clean('a' * 10 + 'why', 6, middle=True), 'aaa ... why')
