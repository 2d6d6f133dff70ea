"""Unit tests of tools/hvconform/report.py and tools/matrix-report (stdlib unittest).

Run: python3 -m unittest discover -s tools/tests   (or this file alone)
sample_cells() is also the browser check's input (tools/tests/browser_check.py).
"""

import html.parser
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
from hvconform import report  # noqa: E402

HOSTILE = ('</td></tr></table><script>document.title="pwned"</script>'
           '<img src=x onerror=alert(1)> "quoted" \'single\' & | pipe `tick` *star* _u_ '
           '\x00nul \x07bel \x1b[31mred\x1b[0m \x7fdel \u202eRLO \ud800 [link](javascript:x)')


def t(name, status, kind='normative', detail=None, reason=None, source='TLFS 11.9.1'):
    return {'name': name, 'status': status, 'kind': kind, 'source': source, 'detail': detail,
            'profile_reason': reason}


def cell(stack, config, tests, machine='pc', smp=1, summary=None, versions=None):
    c = {'version': 1, 'log': 'build/logs/%s-%s.log' % (stack, config), 'stack': stack,
         'config': config, 'machine': machine, 'smp': smp, 'tests': tests,
         'versions': versions or {'qemu': {'debian12': '7.2.15', 'debian13': '10.0.2'}[stack],
                                  'l1_kernel': {'debian12': '6.1.0-37', 'debian13': '6.12.38'}[stack]}}
    if summary is not None:
        c['summary'] = summary
    return c


def sample_cells():
    """Two stacks x two configs, every status, readings, a test missing from some cells,
    and hostile strings in names' details, reasons and sources."""
    base = [t('harness.ud_caught', 'pass'), t('hv.detect', 'pass'), t('synic.deliver_one', 'pass'),
            t('post.success', 'pass'), t('post.bad_alignment', 'fail', detail=HOSTILE),
            t('post.rsvdz_nonzero', 'fail', kind='reading', detail='accepted; reading: refuse'),
            t('deliver.order', 'known', reason='QEMU hw/hyperv/hyperv.c:345 ' + HOSTILE),
            t('abi.fast', 'skip', detail='no SynIC'), t('abi.cpl3', 'pass', source=HOSTILE),
            t('fuzz.post', 'pass'), t('zeta.extra', 'intermittent', reason='Intermittent: race')]
    enforce = [t('harness.ud_caught', 'pass'), t('hv.detect', 'stale', reason='old entry'),
               t('synic.deliver_one', 'skip', detail='no SynIC'), t('post.success', 'skip'),
               t('post.access_denied', 'known', reason='KVM does not check the privilege'),
               t('post.bad_alignment', 'died', detail='VM died during post.bad_alignment'),
               t('post.rsvdz_nonzero', 'pass', kind='reading'), t('abi.fast', 'skip'),
               t('abi.cpl3', 'fail', detail='got #GP, want #UD'), t('smp.vp_index', 'skip')]
    return [cell('debian13', 'enforce', enforce), cell('debian12', 'full', base),
            cell('debian13', 'full', base[:4] + [t('post.bad_alignment', 'pass')] + base[5:]),
            cell('debian12', 'enforce', enforce, summary={
                'passed': 1, 'failed': 3, 'skipped': 4, 'known': 1, 'readings_agree': 1,
                'readings_differ': 0, 'died': 1, 'bailed': False, 'complete': True})]


class Cells(html.parser.HTMLParser):
    """Collects the matrix's <td class="c ..."> cells, every element's tag, and texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.tags, self.titles, self.sources = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.sources += [k for k in a if k in ('src', 'href', 'srcset', 'background', 'action')
                         or k.startswith('on')]
        if a.get('title'):
            self.titles.append(a['title'])
        cls = (a.get('class') or '').split()
        if tag == 'td' and cls[:1] == ['c']:
            self.cells.append((cls[1], a.get('data-status')))


UNESCAPED_PIPE = re.compile(r'(?<!\\)\|')
CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]')


class TestReport(unittest.TestCase):
    def setUp(self):
        self.cells = sample_cells()
        self.cols, self.rows = report.build(self.cells)

    def test_rows_in_group_order(self):
        groups = [n.split('.')[0] for n in self.rows]
        self.assertEqual(groups, sorted(groups, key=lambda g: report._rank(g, report.GROUPS)))
        self.assertEqual(self.rows[0], 'harness.ud_caught')
        self.assertEqual(self.rows[-1], 'zeta.extra')  # unknown groups last
        self.assertLess(self.rows.index('post.success'), self.rows.index('abi.fast'))
        self.assertLess(self.rows.index('post.access_denied'), self.rows.index('post.success'))

    def test_columns_sorted_and_labelled(self):
        self.assertEqual([c['label'] for c in self.cols],
                         ['debian12/full', 'debian12/enforce', 'debian13/full', 'debian13/enforce'])
        self.assertEqual(report.label({'stack': 'debian12', 'config': 'full', 'machine': 'gen2',
                                       'smp': 2}), 'debian12/full gen2 smp2')
        self.assertEqual(report.label({'stack': 'debian12', 'config': 'nosynic'}), 'debian12/nosynic')

    def test_repeated_label_numbered(self):
        cols, _ = report.build([self.cells[1], self.cells[1]])
        self.assertEqual([c['label'] for c in cols], ['debian12/full', 'debian12/full #2'])

    def test_deterministic(self):
        shuffled = list(self.cells)
        random.Random(7).shuffle(shuffled)
        self.assertEqual(report.markdown(shuffled), report.markdown(self.cells))
        self.assertEqual(report.html_page(shuffled), report.html_page(self.cells))

    def test_looks(self):
        self.assertEqual(report.look(None), 'notrun')
        self.assertEqual(report.look(t('a.b', 'fail', kind='reading')), 'reading')
        self.assertEqual(report.look(t('a.b', 'pass', kind='reading')), 'agree')
        self.assertEqual(report.look(t('a.b', 'known', kind='reading')), 'known')
        for s in report.STATUSES:
            self.assertIn(report.look(t('a.b', s)), report.LOOKS)

    def test_summary_counted_and_from_checker(self):
        by = {c['label']: c['counts'] for c in self.cols}
        full = by['debian12/full']  # no summary in the cell: counted
        self.assertEqual((full['passed'], full['failed'], full['known'], full['skipped']), (7, 1, 1, 1))
        self.assertEqual((full['readings_agree'], full['readings_differ']), (0, 1))
        enf = by['debian12/enforce']  # the checker's own numbers
        self.assertEqual((enf['passed'], enf['failed'], enf['died'], enf['readings_agree']), (1, 3, 1, 1))
        text, extra = report.summary_text(enf)
        self.assertEqual(text, '1 passed, 3 failed, 1 known, 4 skipped')
        self.assertEqual(extra, ['readings: 1 agree, 0 differ', '1 died'])
        c = dict(self.cells[1], summary={'bailed': True, 'complete': False})
        self.assertIn('BAILED OUT', report.summary_text(report.counts(c, {}))[1])
        self.assertIn('INCOMPLETE', report.summary_text(report.counts(c, {}))[1])

    def test_markdown_table(self):
        text = report.markdown(self.cells)
        lines = text.splitlines()
        table = [ln for ln in lines if ln.startswith('|')]
        self.assertEqual(len(table), 2 + len(self.rows) + 1)  # header, rule, rows, summary
        for ln in table:  # hostile pipes are escaped: every line has 4 columns + the name
            self.assertEqual(len(UNESCAPED_PIPE.findall(ln)), len(self.cols) + 2, ln)
        row = {ln.split('|')[1].strip(): [x.strip() for x in ln.split('|')[2:-1]] for ln in table}
        self.assertEqual(row['post.bad_alignment'], ['FAIL', 'DIED', 'pass', 'DIED'])
        self.assertEqual(row['post.access_denied'], ['\u2014', 'known', '\u2014', 'known'])
        self.assertEqual(row['hv.detect'], ['pass', 'stale', 'pass', 'stale'])
        self.assertEqual(row['post.rsvdz_nonzero'], ['differs', 'agrees', 'differs', 'agrees'])
        self.assertIn('**summary**', table[-1])
        self.assertIn('- debian13: QEMU 10.0.2, L1 kernel 6.12.38', lines)

    def test_binaries_under_test_told_apart(self):
        # two builds of one source (stock and patched) print the same --version
        cells = [cell('debian12', 'full', [t('hv.detect', 'pass')]) for _ in 'ab']
        for c, name, h in zip(cells, ('stock', 'fixed'), ('16152bbd54449cec00', '85cbac5708580d7100')):
            c['qemu'] = {'name': name, 'path': '/q/%s/qemu-system-x86_64' % name, 'version': '7.2.22', 'sha256': h}
        not_run = dict(cells[1], versions=None, tests=[], not_run='exit 3: cannot boot and save the L1')
        lines = report.markdown(cells + [not_run]).splitlines()
        # once, though a cell of that column recorded no versions (it did not run)
        self.assertIn('- debian12+fixed: QEMU 7.2.15, L1 kernel 6.1.0-37, binary /q/fixed/qemu-system-x86_64 '
                      '(sha256 85cbac5708580d71)', lines)
        self.assertIn('- debian12+stock: QEMU 7.2.15, L1 kernel 6.1.0-37, binary /q/stock/qemu-system-x86_64 '
                      '(sha256 16152bbd54449cec)', lines)
        self.assertTrue(any(ln.startswith('Legend: pass = ') for ln in lines))

    def test_markdown_hostile(self):
        text = report.markdown(self.cells)
        self.assertNotIn('<script', text)
        self.assertNotIn('<img', text)
        self.assertNotRegex(text, r'(?<!\\)\]\(')  # no link syntax left
        self.assertIsNone(CONTROL.search(text))
        self.assertIn('&lt;script&gt;', text)
        self.assertIn('\\x1b\\[31m', text)  # ESC made visible, [ escaped
        self.assertIn('\\u202e', text)
        for ln in text.splitlines():
            if ln.startswith('- post.bad'):
                self.assertEqual(len(UNESCAPED_PIPE.findall(ln)), 0, ln)

    def test_html_cells(self):
        page = report.html_page(self.cells)
        p = Cells()
        p.feed(page)
        p.close()
        self.assertEqual(len(p.cells), len(self.rows) * len(self.cols))
        got = {}
        for i, (look, status) in enumerate(p.cells):
            got[(self.rows[i // len(self.cols)], self.cols[i % len(self.cols)]['label'])] = (look, status)
        self.assertEqual(got[('post.bad_alignment', 'debian12/full')], ('fail', 'fail'))
        self.assertEqual(got[('post.bad_alignment', 'debian13/enforce')], ('died', 'died'))
        self.assertEqual(got[('post.access_denied', 'debian12/full')], ('notrun', 'notrun'))
        self.assertEqual(got[('post.rsvdz_nonzero', 'debian12/full')], ('reading', 'fail'))
        self.assertEqual(got[('post.rsvdz_nonzero', 'debian12/enforce')], ('agree', 'pass'))
        self.assertEqual(got[('zeta.extra', 'debian13/full')], ('intermittent', 'intermittent'))
        self.assertEqual(got[('abi.fast', 'debian12/full')], ('skip', 'skip'))
        self.assertEqual(got[('deliver.order', 'debian12/full')], ('known', 'known'))
        self.assertIn('QEMU 10.0.2, L1 kernel 6.12.38', page)
        self.assertIn('<tfoot>', page)
        self.assertIn('7 passed, 1 failed, 1 known, 1 skipped', page)

    def test_html_hostile_and_self_contained(self):
        page = report.html_page(self.cells)
        p = Cells()
        p.feed(page)
        self.assertNotIn('script', p.tags)
        self.assertNotIn('img', p.tags)
        self.assertIsNone(CONTROL.search(page))
        self.assertEqual(p.sources, [])  # no element loads anything
        for bad in ('<script', '<img', 'http:', 'https:', '<link', 'url(', '@import'):
            self.assertFalse(bad in page.lower(), bad)
        hover = [x for x in p.titles if x.startswith('post.bad_alignment on debian12/full')]
        self.assertEqual(len(hover), 1)  # the reason is on hover, decoded back to the text
        self.assertIn('<script>document.title="pwned"</script>', hover[0])
        self.assertIn('"quoted" \'single\' & | pipe', hover[0])
        self.assertIn('\\x00nul \\x07bel \\x1b[31mred', hover[0])
        self.assertIn('source: TLFS 11.9.1', hover[0])
        known = [x for x in p.titles if x.startswith('deliver.order on debian12/full')][0]
        self.assertIn('profile: QEMU hw/hyperv/hyperv.c:345', known)
        page.encode('utf-8')  # no lone surrogates left

    def test_clean(self):
        self.assertEqual(report.visible('a\x00b\tc\nd\x9b'), 'a\\x00b\tc\nd\\x9b')
        self.assertEqual(report.visible('\u2066x\ud800'), '\\u2066x\\ud800')
        self.assertEqual(report.visible(None), '')
        self.assertEqual(len(report.visible('x' * 5000)), report.LIMIT)
        self.assertEqual(report.md('a|b\nc_ *d* <e>'), 'a\\|b c\\_ \\*d\\* &lt;e&gt;')
        self.assertEqual(report.md('post.rsvdz_nonzero'), 'post.rsvdz_nonzero')

    def test_bad_cells(self):
        good = sample_cells()[1]
        bad = [('not a dict', 'not a JSON object'), ({}, '"version"'),
               ({'version': 1}, '"tests"'), (dict(good, tests=[t('a.b', 'bogus')]), 'status'),
               (dict(good, tests=[{'status': 'pass'}]), 'no "name"'),
               (dict(good, tests=[t('a.b', 'pass'), t('a.b', 'fail')]), 'twice'),
               (dict(good, tests=[t('a.b', 'pass', kind='vibes')]), 'kind'),
               (dict(good, smp=0), '"smp"'), (dict(good, stack=3), '"stack"'),
               (dict(good, summary=[]), '"summary"'), (dict(good, tests=['x']), 'not an object'),
               (dict(good, tests=[dict(t('a.b', 'pass'), detail=5)]), '"detail"')]
        for c, why in bad:
            with self.assertRaisesRegex(report.BadCell, re.escape(why)):
                report.build([c])
        with self.assertRaisesRegex(report.BadCell, 'no cells'):
            report.build([])


class TestCli(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, os.path.join(TOOLS, 'matrix-report')] + list(args),
                              capture_output=True, text=True, timeout=60)

    def test_writes_both(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i, c in enumerate(sample_cells()):
                paths.append(os.path.join(d, 'cell%d.json' % i))
                with open(paths[-1], 'w') as f:
                    json.dump(c, f)
            r = self.run_cli('--out', os.path.join(d, 'm'), *paths)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(d, 'm', 'matrix.html'), encoding='utf-8') as f:
                self.assertEqual(f.read(), report.html_page(sample_cells()))
            with open(os.path.join(d, 'm', 'matrix.md'), encoding='utf-8') as f:
                self.assertEqual(f.read(), report.markdown(sample_cells()))

    def test_bad_input(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, 'bad.json')
            with open(p, 'w') as f:
                f.write('{"version": 1, "tests": [')
            r = self.run_cli('--out', d, p)
            self.assertEqual(r.returncode, 2)
            self.assertIn('bad.json', r.stderr)
            with open(p, 'w') as f:
                json.dump({'version': 1, 'tests': [t('a.b', 'weird')]}, f)
            r = self.run_cli('--out', d, p)
            self.assertEqual(r.returncode, 2)
            self.assertIn("status 'weird'", r.stderr)
            r = self.run_cli('--out', d, os.path.join(d, 'missing.json'))
            self.assertEqual(r.returncode, 2)
            self.assertIn('missing.json', r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, 'matrix.html')))
            self.assertEqual(self.run_cli('--out', d).returncode, 2)
            self.assertNotIn('Traceback', r.stderr)


if __name__ == '__main__':
    unittest.main()


class DeathOutsideTest(unittest.TestCase):
    def test_unnamed_death_is_a_row(self):
        died = {'name': None, 'status': 'died', 'detail': 'VM died after test 3 post.success'}
        md = report.markdown([cell('debian12', 'full', [t('post.success', 'pass'), died])])
        self.assertIn(report.OUTSIDE, md)
