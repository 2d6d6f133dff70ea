"""Readings (kind: reading) counted apart from the normative verdict; the JUnit properties
and the --json cell of docs/DESIGN.md."""

import json
import os
import xml.etree.ElementTree as ET

from support import CheckerCase


def block(kind, source):
    return '  ---\n  kind: %s\n  source: "%s"\n  ...\n' % (kind, source)


LOG = ('TAP version 13\n# hvconform 0.1.0 multiboot1\n# command line: (none)\n1..4\n'
       '# running 1 post.success\nok 1 - post.success\n' + block('normative', 'TLFS 11.9.3') +
       '# running 2 post.rsvdz\nnot ok 2 - post.rsvdz # got 0x0000, want 0x0005\n'
       + block('reading', 'reading: offset 4 is RsvdZ') +
       '# running 3 post.padding\nok 3 - post.padding\n' + block('reading', 'reading: padding ignored') +
       '# running 4 post.skipped\nok 4 - post.skipped # SKIP no SynIC\n' +
       '# hvconform: 2 passed, 1 failed, 1 skipped\n# hvconform: end\n')


class Readings(CheckerCase):
    def test_differing_reading_does_not_fail(self):
        log = self.write('r.log', LOG)
        out = self.check([log], 0, ['READING post.rsvdz - got 0x0000, want 0x0005 (%s:12); source: '
                                    'reading: offset 4 is RsvdZ' % log, 'readings: 1 agree, 1 differ'],
                         ['FAIL'], '1 passed, 0 failed, 1 skipped')
        lines = out.split('\n')
        self.assertLess(lines.index('readings: 1 agree, 1 differ'), lines.index('1 passed, 0 failed, 1 skipped'))

    def test_reading_never_hides_a_failure(self):
        log = self.write('r.log', LOG.replace('ok 1 - post.success', 'not ok 1 - post.success # got 1, want 0')
                         .replace('2 passed, 1 failed', '1 passed, 2 failed'))
        self.check([log], 1, ['FAIL  post.success - got 1, want 0', 'READING post.rsvdz'],
                   last='0 passed, 1 failed, 1 skipped')

    def test_reading_death_fails(self):
        log = self.write('r.log', LOG.split('# running 3')[0] + '# running 3 post.padding\n')
        self.check([log], 1, ['DIED  VM died during post.padding'])

    def test_stale_profile_on_reading_fails(self):
        prof = self.write('p.txt', 'post.padding got=0x0000 QEMU ignores it (hw/hyperv/hyperv.c)\n')
        self.check(['--profile', prof, self.write('r.log', LOG)], 1, ['STALE profile stale: post.padding'])

    def test_no_readings_no_line(self):
        self.check(['good.log'], 0, lacks=['readings:'])

    def test_junit(self):
        xml = os.path.join(self.tmp, 'r.xml')
        self.check(['--junit', xml, self.write('r.log', LOG)], 0)
        root = ET.parse(xml).getroot()
        main, readings = root.findall('testsuite')
        self.assertEqual((main.get('name'), readings.get('name')), ('hvconform', 'hvconform.readings'))
        self.assertEqual([c.get('name') for c in main], ['post.success', 'post.skipped'])
        self.assertEqual([c.get('name') for c in readings], ['post.rsvdz', 'post.padding'])
        self.assertEqual((readings.get('tests'), readings.get('failures'), readings.get('skipped')), ('2', '0', '1'))
        props = {p.get('name'): p.get('value') for p in main.find('testcase').find('properties')}
        self.assertEqual(props, {'kind': 'normative', 'source': 'TLFS 11.9.3'})
        props = {p.get('name'): p.get('value') for p in main.findall('testcase')[1].find('properties')}
        self.assertEqual(props, {'kind': 'normative', 'source': 'unknown'})
        rs = readings.find('testcase')
        self.assertEqual(rs.find('skipped').get('message'), 'reading differs: got 0x0000, want 0x0005')


class Json(CheckerCase):
    def load(self, args, rc):
        path = os.path.join(self.tmp, 'cell.json')
        self.check(['--json', path] + args, rc)
        with open(path, encoding='utf-8') as f:
            return json.load(f)

    def test_readings_cell(self):
        log = self.write('r.log', LOG)
        cell = self.load([log], 0)
        self.assertEqual(cell['version'], 1)
        self.assertEqual(cell['log'], log)
        self.assertEqual(cell['summary'], {'passed': 1, 'failed': 0, 'skipped': 1, 'known': 0,
                                           'readings_agree': 1, 'readings_differ': 1, 'died': 0,
                                           'status_only': 0, 'bailed': False, 'complete': True})
        t = {x['name']: x for x in cell['tests']}
        self.assertEqual(t['post.rsvdz'], {'name': 'post.rsvdz', 'status': 'fail', 'kind': 'reading',
                                           'source': 'reading: offset 4 is RsvdZ',
                                           'detail': 'got 0x0000, want 0x0005', 'where': log + ':12',
                                           'observed': ['got=0x0000'], 'host': None,
                                           'profile_outcome': None, 'mismatch': None,
                                           'profile_reason': None})
        self.assertEqual(t['post.skipped']['detail'], 'no SynIC')
        self.assertIsNone(t['post.skipped']['source'])

    def test_profile_and_death(self):
        cell = self.load(['--profile', 'profile_stale.txt', 'piece1.log', 'piece2.log'], 1)
        s = cell['summary']
        self.assertEqual((s['passed'], s['failed'], s['died'], s['complete']), (1, 2, 1, True))
        st = {x['name']: x['status'] for x in cell['tests']}
        self.assertEqual(st, {'hv.detect': 'stale', 'post.cross_page': 'died', 'post.payload_240': 'pass',
                              'post.access_denied': 'skip'})
        self.assertEqual(cell['pieces'], ['piece1.log', 'piece2.log'])

    def test_known_and_intermittent(self):
        cell = self.load(['--profile', 'profile_dies.txt', 'truncated.log'], 0)
        t = {x['name']: x for x in cell['tests']}
        self.assertEqual(t['post.cross_page']['status'], 'known')
        self.assertTrue(t['post.cross_page']['profile_reason'].startswith('illustrative fixture'))
        self.assertEqual(t['post.cross_page']['profile_outcome'], 'died')
        self.assertFalse(cell['summary']['complete'])
        cell = self.load(['--profile', 'profile_intermittent.txt', 'good.log'], 0)
        self.assertIn('intermittent', [x['status'] for x in cell['tests']])

    def test_bail(self):
        cell = self.load(['bailout.log'], 1)
        self.assertTrue(cell['summary']['bailed'])
        self.assertFalse(cell['summary']['complete'])
        self.assertTrue(cell['bail'].startswith('hypercall page not mapped'))

    def test_pieces_name_the_log(self):
        with open(os.path.join(os.path.dirname(__file__), 'checker', 'logs', 'piece1.log')) as f:
            p1 = self.write('run.log.1', f.read())
        with open(os.path.join(os.path.dirname(__file__), 'checker', 'logs', 'piece2.log')) as f:
            p2 = self.write('run.log.2', f.read())
        self.assertEqual(self.load([p1, p2], 1)['log'], os.path.join(self.tmp, 'run.log'))

    def test_unwritable(self):
        self.check(['--json', self.tmp, 'good.log'], 2, ['cannot write JSON file'], ['passed,'])
