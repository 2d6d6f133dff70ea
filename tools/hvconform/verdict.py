"""A profile applied to the parsed pieces of one run: report lines, counts, JUnit, JSON.

    v = Verdict(pieces, prof)         pieces: [tap.Piece] in run order; prof: profile.Profile
    v.report(quiet=False)             [str]: the check-log report, last `N passed, N failed, N skipped`
    v.failed, v.exit_status           failures counted as in the report; 0 or 1
    v.write_junit(path), v.write_json(path)    BadInput when the file cannot be written
    v.to_json()                       the cell dict of docs/DESIGN.md ("Checker JSON")

`N passed, N failed` is the verdict over normative tests. Results of kind `reading` (a
sentence of the TLFS read one way) are counted apart: `readings: N agree, N differ`; a
differing reading is reported (READING) and does not fail the run. A reading's VM death, a
stale profile entry on it and structural errors still fail it. Skips of either kind count
in `N skipped`. A profile excuses only the outcome it pins (outcome.judge): a listed test that
fails or dies differently is a FAIL or DIED saying both. A pass whose YAML block says
`status_only: "why"` (delivery not checked) is listed apart (STATUS-ONLY, `status only: N`),
not counted in `N passed`.
"""

import json
import re
import xml.etree.ElementTree as ET

from . import BadInput
from . import outcome
from .profile import Profile
from .pieces import load, merge
from .tap import clean

# the prefixes of the summary's lines that count as failed (self.failed)
ERROR, BAIL, FAIL, DIED, STALE = 'ERROR ', 'BAIL  ', 'FAIL  ', 'DIED  ', 'STALE '
FAILING = (ERROR, BAIL, FAIL, DIED, STALE)
BUCKETS = ('pass', 'fail', 'skip', 'known', 'stale', 'died', 'pskip', 'quiet', 'agree', 'differ',
           'status_only')


def xml_safe(text):
    """Drop what XML 1.0 cannot carry (ElementTree escapes <&>\" but not these)."""
    return re.sub('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]',
                  lambda m: '\\x%02x' % ord(m.group()) if ord(m.group()) < 256 else '?', text)


def status_of(r, entry):
    """The result's status after the profile: pass|fail|known|skip|died|stale|intermittent|
    status_only (outcome.judge; its detail lands on r.mismatch)."""
    s, r.mismatch = outcome.judge(r, entry)
    return s


def check(logs, prof=None, junit=None, json_out=None, quiet=False, write=print, json_extra=None):
    """tools/check-log's work on logs (pieces of one run, in order): the JUnit
    and JSON files first (a write error is not printed after the verdict),
    then the report, a line at a time through write; returns the exit status.
    json_extra: more top-level keys for the JSON (a matrix cell's coordinates).
    BadInput on a log it cannot read or parse."""
    v = Verdict([load(path) for path in logs], prof)
    if junit:
        v.write_junit(junit)
    if json_out:
        v.write_json(json_out, json_extra)
    for line in v.report(quiet):
        write(line)
    return v.exit_status


class Verdict:
    def __init__(self, pieces, prof=None):
        self.pieces, self.profile = pieces, prof if prof is not None else Profile()
        self.results, cross = merge(pieces)
        self.errors = [e for p in pieces for e in p.errors] + cross
        self.bails = [p.bail for p in pieces if p.bail]
        for p in pieces:                         # a death's host record (the runner's)
            for r in p.results:
                r.host = getattr(p, 'host', None) or []
        b = self.b = {k: [] for k in BUCKETS}
        for r in self.results:
            r.profile = self.profile.get(r.name) if r.name else None
            r.verdict = s = status_of(r, r.profile)
            reading = r.kind == 'reading' and r.status in ('pass', 'fail')
            if s in ('pass', 'intermittent'):
                b['agree' if reading else 'pass'].append(r)
                if s == 'intermittent':
                    b['quiet'].append(r)         # the race did not show this time
            elif s == 'fail':
                b['differ' if reading else 'fail'].append(r)
            else:
                b[s].append(r)
                if s == 'skip' and r.profile:
                    b['pskip'].append(r)
        self.failed = (len(b['fail']) + len(b['stale']) + len(b['died']) + len(self.bails)
                       + (1 if self.errors else 0))
        self.exit_status = 1 if self.failed else 0

    def report(self, quiet=False):
        b, out = self.b, []
        if not quiet:
            for p in self.pieces:
                out += ['%s: %s' % (p.label, clean(h, 200)) for h in p.headers]
                if p.listed:
                    out.append('%s: lists %d test(s)' % (p.label, len(p.listed)))
                out += ['note: ' + clean(n, 300) for n in p.notes]
            out += ['SKIP  %s - %s' % (r.name, clean(r.diag, 300) or '(no reason)') for r in b['skip']]
            out += ['profile: %s skipped (listed: %s)' % (r.name, clean(r.profile.reason, 200))
                    for r in b['pskip']]
            seen = {r.name for r in self.results}
            unused = [n for n in self.profile.entries if n not in seen]
            if unused:
                out.append('profile: %d entr%s not in this log'
                           % (len(unused), 'y' if len(unused) == 1 else 'ies'))
        out += [ERROR + clean(e, 300) for e in self.errors]
        out += [BAIL + 'Bail out! %s (%s)' % (clean(reason, 300, middle=True), where) for reason, where in self.bails]
        for r in b['fail']:
            out.append(FAIL + '%s - %s (%s)%s' % (r.name, clean(r.diag, 300), r.where,
                       '; ' + clean(r.mismatch, 300) if r.mismatch else ''))
            out += ['      ' + clean(e, 300) for e in r.extra]
        out += ['KNOWN %s - %s (%s) known deviation: %s%s' % (
            r.name, clean(r.diag, 300), r.where,
            clean(outcome.host_text(r), 200) + ': ' if r.status == 'died' and outcome.host_text(r) else '',
            clean(r.mismatch + '; ' if r.mismatch else '', 200) + clean(outcome.reason(r, r.profile), 300))
            for r in b['known']]
        out += ['INTERMITTENT %s passed this run (%s: %s)'
                % (r.name, r.profile.where, clean(r.profile.reason, 200)) for r in b['quiet']]
        out += [STALE + 'profile stale: %s now passes (%s: %s)%s'
                % (r.name, r.profile.where, clean(r.profile.reason, 200),
                   '; ' + clean(r.mismatch, 300) if r.mismatch else '') for r in b['stale']]
        for r in b['died']:
            line = DIED + '%s (%s; %s)' % (r.what, r.where, r.why)
            if outcome.host_text(r):
                line += '; host: ' + clean(outcome.host_text(r), 300)
            if r.mismatch:
                line += '; ' + clean(r.mismatch, 300)
            out.append(line)
            out += ['      ' + clean(e, 300) for e in r.extra[:-1]]
        for r in b['differ']:
            out.append('READING %s - %s (%s)%s' % (r.name, clean(r.diag, 300), r.where,
                       '; source: ' + clean(r.source, 200) if r.source else ''))
            out += ['      ' + clean(e, 300) for e in r.extra]
        out += ['STATUS-ONLY %s - passed on the status alone: %s (%s)' % (r.name, clean(r.yaml['status_only'], 200), r.where)
                for r in b['status_only']]
        if b['status_only']:
            out.append('status only: %d (passes that checked the status, not the delivery)'
                       % len(b['status_only']))
        if b['known'] or self.profile:
            out.append('known deviations: %d' % len(b['known']))
        if b['agree'] or b['differ']:
            out.append('readings: %d agree, %d differ' % (len(b['agree']), len(b['differ'])))
        out.append('%d passed, %d failed, %d skipped' % (len(b['pass']), self.failed, len(b['skip'])))
        return out

    # --- JUnit ---------------------------------------------------------------------------
    def junit(self):
        x = xml_safe
        suites = ET.Element('testsuites')
        main = ET.SubElement(suites, 'testsuite', name='hvconform')
        readings = None
        count = {}                               # suite -> [failures, skipped]

        def case(suite, name, classname, r=None):
            tc = ET.SubElement(suite, 'testcase', name=x(name), classname=x(classname))
            if r is not None and r.name is not None:
                props = ET.SubElement(tc, 'properties')
                ET.SubElement(props, 'property', name='kind', value=r.kind)
                ET.SubElement(props, 'property', name='source', value=x(r.source or 'unknown'))
            return tc

        def mark(suite, tc, tag, message, text=None):
            count.setdefault(id(suite), [0, 0])[tag == 'skipped'] += 1
            el = ET.SubElement(tc, tag, message=x(message))
            if text is not None:
                el.text = x(text)

        for r in self.results:
            suite = main
            if r.kind == 'reading' and r.status != 'died':
                if readings is None:
                    readings = ET.SubElement(suites, 'testsuite', name='hvconform.readings')
                suite = readings
            tc = case(suite, r.name or 'vm death', r.name.split('.', 1)[0] if r.name else 'check-log', r)
            body = '\n'.join([r.diag] + r.extra + [r.where] + ([r.mismatch] if r.mismatch else []))
            s = r.verdict
            if s == 'known':
                mark(suite, tc, 'skipped', 'known deviation: ' + r.profile.reason, body)
            elif s == 'fail' and r.kind == 'reading':
                mark(suite, tc, 'skipped', 'reading differs: ' + r.diag, body)
            elif s == 'fail':
                mark(suite, tc, 'failure', r.diag, body)
            elif s == 'stale':
                mark(suite, tc, 'failure', 'profile stale: %s now passes' % r.name,
                     'profile entry %s: %s' % (r.profile.where, r.profile.reason))
            elif s == 'skip':
                mark(suite, tc, 'skipped', r.diag)
            elif s == 'died':
                mark(suite, tc, 'failure', r.what, body)
        for reason, where in self.bails:
            mark(main, case(main, 'bail out', 'check-log'), 'failure', 'Bail out! ' + reason, where)
        if self.errors:
            mark(main, case(main, 'log structure', 'check-log'), 'failure',
                 '%d structural error(s) in the log' % len(self.errors), '\n'.join(self.errors))
        for suite in suites:
            nfail, nskip = count.get(id(suite), [0, 0])
            suite.set('tests', str(len(suite)))
            suite.set('failures', str(nfail))
            suite.set('errors', '0')
            suite.set('skipped', str(nskip))
        return ET.ElementTree(suites)

    def write_junit(self, path):
        try:
            self.junit().write(path, encoding='utf-8', xml_declaration=True)
        except OSError as e:
            raise BadInput('%s: cannot write JUnit file: %s' % (path, e.strerror or e))

    # --- JSON ----------------------------------------------------------------------------
    def log_name(self):
        """The run's log: one piece's label, or FILE when the pieces are FILE.1, FILE.2, ..."""
        labels = [p.label for p in self.pieces]
        if len(labels) == 1:
            return labels[0]
        stems = {re.sub(r'\.[0-9]+$', '', l) for l in labels}
        return stems.pop() if len(stems) == 1 and stems != set(labels) else ' '.join(labels)

    def to_json(self):
        b = self.b
        tests = [{'name': r.name, 'status': r.verdict, 'kind': r.kind, 'source': r.source,
                  'detail': r.diag, 'where': r.where,
                  'observed': sorted(outcome.observed(r)) if r.status == 'fail' else None,
                  'host': outcome.host_text(r) or None if r.status == 'died' else None,
                  'profile_outcome': r.profile.text() if r.profile else None,
                  'mismatch': r.mismatch,
                  'profile_reason': r.profile.reason if r.profile else None} for r in self.results]
        last = self.pieces[-1] if self.pieces else None
        return {'version': 1, 'log': self.log_name(), 'pieces': [p.label for p in self.pieces],
                'summary': {'passed': len(b['pass']), 'failed': self.failed, 'skipped': len(b['skip']),
                            'known': len(b['known']), 'status_only': len(b['status_only']),
                            'readings_agree': len(b['agree']),
                            'readings_differ': len(b['differ']), 'died': len(b['died']),
                            'bailed': bool(self.bails), 'complete': bool(last and last.complete)},
                'errors': self.errors,
                'bail': self.bails[0].reason if self.bails else None,
                'tests': tests}

    def write_json(self, path, extra=None):
        try:
            with open(path, 'w', encoding='utf-8') as f:
                json.dump(dict(self.to_json(), **(extra or {})), f, indent=1)
                f.write('\n')
        except OSError as e:
            raise BadInput('%s: cannot write JSON file: %s' % (path, e.strerror or e))
