"""THE TAP 13 parser of hvconform serial logs (docs/DESIGN.md, "Serial output contract").

One boot's log is a piece; a crash-resumed run is several pieces, in order, each after the
first booted with `after=NAME` (NAME: the test that was running when the previous one died).

    piece = parse(text, label)        never raises; piece.started is False without a TAP line
    piece.complete                    the end marker was reached (not after a Bail out)
    piece.bail                        Bail(reason, where) or None
    piece.running                     Running(number, name, line) of a `# running` without result
    piece.seed, piece.cmdline         from `# seed: N` and `# command line: ...` (None if absent)
    piece.after                       NAME of the command line's `after=NAME`, or None
    piece.results                     [Result], a death (status 'died') last
    piece.errors / notes / listed     structural errors ('label:line: msg'), notes, `# test` names
    results, errors = merge(pieces)   the run's results in order, plus cross-piece errors

A result line may be followed by a TAP 13 YAML block (`---` ... `...`); its `kind`
(normative|reading) and `source` keys land on the Result (defaults: normative, None).
"""

import collections
import json
import re

from .kargs import KernelArgs


NAME_RE = re.compile(r'^[a-z0-9_]+(\.[a-z0-9_]+)+$')
ANSI_RE = re.compile(r'\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_c])')
VERSION = 'TAP version 13'
END = '# hvconform: end'
# ASCII digits only ([0-9], never \d: that takes any Unicode digit)
RESULT_RE = re.compile(r'^(ok|not ok)(?=\s|$)\s*([0-9]+)?\s*(?:-(?=\s|$))?\s*([^#]*?)\s*(?:#\s*(.*))?$')
PLAN_RE = re.compile(r'^([0-9]+)\.\.([0-9]+)\s*(?:#.*)?$')
BAIL_RE = re.compile(r'^Bail out!\s*(.*)$')
RUNNING_RE = re.compile(r'^# running ([0-9]+) (\S+)\s*$')
LISTED_RE = re.compile(r'^# test (\S+)\s*$')
SUMMARY_RE = re.compile(r'^# hvconform: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$')
SEED_RE = re.compile(r'^# seed: ([0-9]+)\b')
CMDLINE_PREFIX = '# command line: '
DIRECTIVE_RE = re.compile(r'^(SKIP|TODO)\S*(?:\s+(.*))?$', re.I)
TAPISH_RE = re.compile(r'^(ok|not ok)(\s|$)|^[0-9]+\.\.[0-9]+|^Bail out!')
YAML_KEY_RE = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*):(?:\s+(.*))?$')
KINDS = ('normative', 'reading')
MAX_DIGITS = 9                       # test numbers, plans, counts: more is not a kernel's log

Bail = collections.namedtuple('Bail', 'reason where')
Running = collections.namedtuple('Running', 'number name line')


def clean(text, limit=None, middle=False):
    """One printable line of log text: control (newline too) and invisible characters
    become escapes (report.visible keeps line breaks). Longer than limit: cut at the
    end, or with middle=True in the middle (a reason last)."""
    text = re.sub(r'[\x00-\x08\x0a-\x1f\x7f]', lambda m: '\\x%02x' % ord(m.group()), text)
    text = ''.join(c if c.isprintable() or c == '\t' else
                   ('\\x%02x' % ord(c) if ord(c) < 256 else '\\u%04x' % ord(c) if ord(c) < 0x10000
                    else '\\U%08x' % ord(c)) for c in text)
    if limit and len(text) > limit:
        text = (text[:limit // 2] + ' ... ' + text[len(text) - limit // 2:] if middle
                else text[:limit] + '...')
    return text


def number(digits):
    """int of an ASCII digit string, None when longer than MAX_DIGITS."""
    return int(digits) if len(digits) <= MAX_DIGITS else None


class Result:
    """One test outcome: status is pass, fail, skip or died."""

    def __init__(self, name, status, diag, where, line=0, number=None):
        self.name, self.status, self.diag, self.where = name, status, diag, where
        self.line, self.number = line, number
        self.extra = []          # indented diagnostic lines around the result line
        self.kind = 'normative'  # from the YAML block
        self.source = None
        self.yaml = None         # {key: value} of the YAML block, None without one
        self.profile = None      # (reason, 'file:line') when a profile lists the test (verdict)
        self.what = self.why = None   # deaths: what happened, and why we think so


class Piece:
    """One TAP stream (one boot); see the module docstring for the attributes."""

    def __init__(self, label, text):
        self.label = label
        self.results, self.errors, self.notes, self.headers, self.listed = [], [], [], [], []
        self.started = self.complete = False
        self.bail = self.died = self.running = self.plan = None
        self.seed = self.cmdline = self.after = None
        self.cut = None          # text of a last line cut mid-write (not a result)
        self.empty = None        # line of a `1..0` plan with an end marker, not in a list boot
        self._parse(text)
        self.errors = ['%s:%d: %s' % (self.label, no, msg) for no, msg in
                       sorted(self.errors, key=lambda e: e[0])]

    def err(self, lineno, msg):
        self.errors.append((lineno, msg))

    def note(self, msg, lineno=None):
        self.notes.append('%s:%d: %s' % (self.label, lineno, msg) if lineno else
                          '%s: %s' % (self.label, msg))

    def _parse(self, text):
        lines = [l.rstrip('\r') for l in text.split('\n')]
        # the last line was cut (or is empty); one ending in CR is whole: the
        # kernel ends lines with CR LF, and only the LF was lost
        partial = not text.endswith(('\n', '\r'))
        start = next((i for i, l in enumerate(lines)
                      if ANSI_RE.sub('', l).rstrip().endswith(VERSION)), None)
        if start is None:
            return
        self.started = True
        st = self.st = {'summary': None, 'names': {}, 'pending': [], 'target': None,
                        'yaml': None}
        end_line, last_line, last_tap, stray = None, start + 1, start + 1, []
        for i in range(start + 1, len(lines)):
            no, line = i + 1, lines[i].rstrip()
            if partial and i == len(lines) - 1 and line and line != END:
                if BAIL_RE.match(line):
                    self._bail(no, BAIL_RE.match(line), ' (line cut off)')
                    end_line = no
                else:
                    self.cut = line
                    self.note('last line cut off mid-write, not a result: %s' % clean(line, 80), no)
                break
            if ANSI_RE.sub('', line).endswith(VERSION):
                self.err(no, "second '%s' line: the VM rebooted; pass each boot as its own LOG" % VERSION)
                break
            if not line:
                continue
            last_line = no
            if st['yaml'] is not None:
                if self._yaml_line(no, line):
                    last_tap = no
                    continue
            if line == END:
                end_line = no
                break
            m = BAIL_RE.match(line)
            if m:
                self._bail(no, m, '')
                end_line = no
                break
            m = RESULT_RE.match(line)
            if m:
                st['target'] = self._result(no, m)
                self.running, last_tap = None, no
                continue
            m = PLAN_RE.match(line)
            if m:
                last_tap = no
                self._plan(no, line, m)
                continue
            if line.strip() == '---':
                if st['target'] is None or st['target'].yaml is not None:
                    self.err(no, "YAML block ('---') not right after a result line")
                st['yaml'] = (no, st['target'] if st['target'] and st['target'].yaml is None else None, {})
                last_tap = no
                continue
            if line.startswith('#') or line[0].isspace():
                self._comment(no, line)
                last_tap = no
                continue
            stray.append((no, line))

        if st['yaml'] is not None:           # the VM died inside it: keep what it said
            self.note("YAML block not closed with '...'", st['yaml'][0])
            self._yaml_done(*st['yaml'])
        if end_line is None:
            self._death(last_line)
        for no, line in stray:
            if self.died and no > last_tap:
                self.note('ignored output: %s' % clean(line, 80), no)
            else:
                self.err(no, 'not a TAP line: %s' % clean(line, 80))
        if self.bail:
            return
        if end_line is not None:
            self.complete = True
            self._check_end(lines, end_line)

    def _bail(self, no, m, suffix):
        reason = (m.group(1).strip() or 'no reason given') + suffix
        if self.running:
            reason += ' (while running %s)' % self.running.name
        self.bail = Bail(reason, '%s:%d' % (self.label, no))

    def _plan(self, no, line, m):
        first, count = number(m.group(1)), number(m.group(2))
        if self.plan:
            self.err(no, 'second plan (first at line %d)' % self.plan[1])
        elif first != 1:
            self.err(no, "plan must start at 1: '%s'" % clean(line, 60))
        elif count is None:
            self.err(no, 'plan count has more than %d digits' % MAX_DIGITS)
        else:
            self.plan = (count, no)
            if self.results:
                self.note('plan after the results', no)

    def _check_end(self, lines, end_line):
        after = [i + 1 for i in range(end_line, len(lines)) if lines[i].strip()]
        for no in after:
            if TAPISH_RE.match(lines[no - 1].strip()):
                self.err(no, 'TAP line after the end marker (line %d)' % end_line)
        if after:
            self.note('%d line(s) after the end marker ignored' % len(after))
        if self.running:
            self.err(self.running.line, 'test %d %s started but has no result' % self.running[:2])
        counted, plan = self.results, self.plan
        if plan is None:
            self.err(end_line, 'no plan (1..N) before the end marker')
        elif len(counted) != plan[0]:
            self.err(plan[1], 'plan says %d test(s), log has %d result(s)' % (plan[0], len(counted)))
        elif plan[0] == 0 and not self.listed:
            self.empty = plan[1]     # an error unless it resumes after a death (pieces.merge)
        got = tuple(sum(r.status == s for r in counted) for s in ('pass', 'fail', 'skip'))
        summary = self.st['summary']
        if summary is None:
            if counted or (plan and plan[0]):
                self.err(end_line, "no '# hvconform: N passed, N failed, N skipped' line")
        elif summary[0] != got:
            self.err(summary[1], 'summary says %d passed, %d failed, %d skipped; '
                     'results say %d passed, %d failed, %d skipped' % (summary[0] + got))

    def _result(self, no, m):
        word, num, name, directive = m.groups()
        st, expect = self.st, len(self.results) + 1
        if st['summary']:
            self.err(no, 'result after the summary line (line %d)' % st['summary'][1])
        if self.plan and self.results and self.plan[1] > self.results[-1].line:
            self.err(no, 'result after a trailing plan (line %d)' % self.plan[1])
        n = number(num) if num else None
        if num is None:
            self.err(no, 'result without a test number (expected %d)' % expect)
        elif n is None:
            self.err(no, 'test number has more than %d digits (expected %d)' % (MAX_DIGITS, expect))
        elif n != expect:
            self.err(no, '%s: test %d, expected %d'
                     % ('duplicate number' if n < expect else 'gap in numbering', n, expect))
        if not name:
            self.err(no, 'result without a test name')
            name = '(unnamed %d)' % expect
        elif not NAME_RE.match(name):
            self.err(no, "bad test name '%s' (want group.name, [a-z0-9_])" % clean(name, 60))
        if self.running and name != self.running.name:
            self.err(no, "result for '%s' but line %d said '# running %d %s'"
                     % (clean(name, 60), self.running.line, self.running.number, self.running.name))
        self._name(no, name)
        status, diag = ('pass' if word == 'ok' else 'fail'), (directive or '').strip()
        d = DIRECTIVE_RE.match(diag)
        if d:
            if d.group(1).upper() == 'TODO':
                self.err(no, 'TODO directive is not part of the hvconform contract')
            elif word != 'ok':
                self.err(no, "SKIP on a 'not ok' line")
            else:
                status, diag = 'skip', (d.group(2) or '').strip()
                if not diag:
                    self.err(no, 'SKIP without a reason')
        elif status == 'fail' and not diag:
            self.err(no, "'not ok' without a diagnostic (got/want)")
        r = Result(name, status, diag, '%s:%d' % (self.label, no), no, n)
        r.extra, st['pending'] = st['pending'], []
        self.results.append(r)
        return r

    def _yaml_line(self, no, line):
        """A line inside a YAML block; False when the block ended without '...' (line not eaten)."""
        start, target, data = self.st['yaml']
        if line.strip() == '...':
            self.st['yaml'] = None
            self._yaml_done(start, target, data)
            return True
        if not (line[0].isspace() or YAML_KEY_RE.match(line)):
            self.err(start, "YAML block not closed with '...' before line %d" % no)
            self.st['yaml'] = None
            self._yaml_done(start, target, data)
            return False
        m = YAML_KEY_RE.match(line.strip())
        if not m:
            self.err(no, 'YAML block: not a key: value line: %s' % clean(line.strip(), 80))
            return True
        key, value = m.group(1), (m.group(2) or '').strip()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                self.err(no, 'YAML block: bad quoted value for %s: %s' % (key, clean(value, 80)))
        elif value.startswith("'") and value.endswith("'") and len(value) > 1:
            value = value[1:-1].replace("''", "'")
        if key in data:
            self.err(no, 'YAML block: key %s given twice' % key)
        data[key] = value
        return True

    def _yaml_done(self, start, r, data):
        if r is None:
            return
        r.yaml = data
        kind = data.get('kind', 'normative')
        if kind not in KINDS:
            self.err(start, "YAML block: kind '%s' is not normative or reading" % clean(str(kind), 40))
        else:
            r.kind = kind
        src = data.get('source')
        if isinstance(src, str) and src.strip():
            r.source = src.strip()
        elif 'source' in data:
            self.err(start, 'YAML block: empty source for %s' % r.name)

    def _comment(self, no, line):
        st = self.st
        if line[0].isspace() or line.startswith('#  '):
            if self.running:          # the kernel may print them before the result
                st['pending'].append(line.strip())
            elif st['target'] is not None:
                st['target'].extra.append(line.strip())
            return
        st['target'] = None
        m = RUNNING_RE.match(line)
        if m:
            n, name, expect = number(m.group(1)), m.group(2), len(self.results) + 1
            if self.running:
                self.err(no, 'test %d %s started at line %d has no result' % self.running)
            if n != expect:
                self.err(no, "'# running %s %s' but the next test number is %d"
                         % (clean(m.group(1), 20), name, expect))
            if not NAME_RE.match(name):
                self.err(no, "bad test name '%s' (want group.name, [a-z0-9_])" % clean(name, 60))
            self.running = Running(n if n is not None else expect, name, no)
            return
        m = LISTED_RE.match(line)
        if m:
            if not NAME_RE.match(m.group(1)):
                self.err(no, "bad test name '%s' (want group.name, [a-z0-9_])" % clean(m.group(1), 60))
            self._name(no, m.group(1))
            self.listed.append(m.group(1))
            return
        m = SUMMARY_RE.match(line)
        if m:
            if st['summary']:
                self.err(no, 'second summary line (first at line %d)' % st['summary'][1])
            else:
                counts = tuple(number(x) for x in m.groups())
                st['summary'] = (tuple(-1 if c is None else c for c in counts), no)
            return
        m = SEED_RE.match(line)
        if m and self.seed is None and len(m.group(1)) <= 20:     # a u64
            self.seed = int(m.group(1))
        if line.startswith(CMDLINE_PREFIX) and self.cmdline is None:
            self.cmdline = line[len(CMDLINE_PREFIX):].strip()
            self.after = KernelArgs.read(self.cmdline).after
        if self.plan is None and not self.results:
            self.headers.append(line)

    def _name(self, no, name):
        names = self.st['names']
        if name in names:
            self.err(no, "duplicate test name '%s' (first at line %d)" % (name, names[name]))
        else:
            names[name] = no

    def _death(self, last_line):
        done, running, plan = self.results, self.running, self.plan
        if running:
            name, what = running.name, 'VM died during %s' % running.name
            where = '%s:%d' % (self.label, running.line)
        elif not done:
            name, what, where = None, 'VM died before the first test', self.label
        elif plan and len(done) >= plan[0]:
            name, what, where = None, 'VM died after the last test', self.label
        else:
            name, where = None, done[-1].where
            what = 'VM died after test %d %s' % (len(done), done[-1].name)
        if len(done) > (plan[0] if plan else len(done)):
            self.err(plan[1], 'plan says %d test(s), log has %d result(s)' % (plan[0], len(done)))
        d = self.died = Result(name, 'died', what, where)
        d.what, d.why = what, 'no end marker, log ends at line %d' % last_line
        d.extra = self.st['pending'] + [d.why]
        self.results.append(d)


def parse(text, label='<log>'):
    """The Piece of one boot's serial output (never raises; .started False without TAP)."""
    return Piece(label, text)
