"""report: the conformance matrix, as Markdown and as a self-contained HTML page.

Pure functions over a list of cells: the checker's JSON (one per run, see
docs/DESIGN.md "Checker JSON") with the runner's stack/config/machine/smp/versions
at top level. Tests are rows, cells are columns labelled `stack/config` (plus the machine
and the VP count when they are not the defaults). Test names, details, reasons and
sources come from a guest's serial log: untrusted; every string is cleaned of control
characters and escaped for its output. Output is deterministic: rows in group order
(GROUPS, then other groups alphabetically), by name inside; columns by stack, config,
machine, smp. Bad input raises BadCell with the reason.
Python 3.9+, standard library only.
"""

import html
import re

GROUPS = ('harness', 'hv', 'synic', 'post', 'deliver', 'abi', 'smp', 'fuzz')
STATUSES = ('pass', 'fail', 'known', 'skip', 'died', 'stale', 'intermittent', 'status_only')
CONFIGS = ('full', 'enforce', 'nosynic')
MACHINES = ('pc', 'gen1', 'gen2')
DEFAULT_MACHINE = 'pc'
DEFAULT_SMP = 1
NOT_RUN = '\u2014'  # em dash
LIMIT = 600  # characters kept of one untrusted string

# look class -> (cell text, background, text colour, legend meaning)
LOOKS = {
    'pass': ('pass', '#c8e6c9', '#1b5e20', 'passed (TLFS rule holds)'),
    'fail': ('FAIL', '#ef9a9a', '#b71c1c', 'unexpected failure of a TLFS rule'),
    'known': ('known', '#ffe082', '#5d4037', 'known deviation: failed as the stack\'s profile says'),
    'skip': ('skip', '#e0e0e0', '#424242', 'skipped (the partition lacks what the test needs)'),
    'died': ('DIED', '#6a1b9a', '#ffffff', 'the VM died during this test'),
    'stale': ('stale', '#ffab91', '#bf360c', 'passed, but the profile lists it (stale entry: a failure)'),
    'intermittent': ('intermittent', '#fff59d', '#5d4037',
                     'passed; the profile pins a race that did not show: reported, not a failure'),
    'status_only': ('status only', '#dcedc8', '#33691e',
                    'passed on the status alone: no echo connection, delivery not checked'),
    'reading': ('differs', '#90caf9', '#0d47a1',
                'reading: the hypervisor differs from this reading of text the TLFS leaves open'),
    'agree': ('agrees', '#b2dfdb', '#004d40', 'reading: the hypervisor agrees with the reading'),
    'notrun': (NOT_RUN, '#ffffff', '#9e9e9e', 'not run in this cell (not in its selection)'),
}
LEGEND_ORDER = ('pass', 'status_only', 'fail', 'known', 'skip', 'died', 'stale', 'intermittent', 'reading',
                'agree', 'notrun')
SUM_KEYS = ('passed', 'failed', 'known', 'skipped', 'readings_agree', 'readings_differ', 'died',
            'status_only')

_BAD_CHARS = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e'
                        '\u2066-\u2069\ufeff\ud800-\udfff]')
# Markdown syntax inside a table cell (nothing here starts a line): these characters, and
# `_` at a word's edge (GFM ignores intraword underscores, so test names stay readable)
_MD_SPECIAL = re.compile(r'([\\`*\[\]|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))')


class BadCell(ValueError):
    """A cell that is not the checker's JSON."""


def visible(text, limit=LIMIT):
    """Untrusted text made printable for the report, line breaks kept (tap.clean makes
    one line of log text): control, bidi and surrogate characters become visible
    \\xNN / \\uNNNN escapes (tab and newline kept), at most `limit` characters."""
    if text is None:
        return ''
    s = _BAD_CHARS.sub(lambda m: ('\\x%02x' if ord(m.group()) < 0x100 else '\\u%04x')
                       % ord(m.group()), str(text))
    return s if len(s) <= limit else s[:limit - 1] + '\u2026'


def md(text, limit=LIMIT):
    """Text for a Markdown table cell: one line, HTML and Markdown syntax inert."""
    s = ' '.join(visible(text, limit).split())
    return _MD_SPECIAL.sub(lambda m: '\\' + m.group(), html.escape(s, quote=False))


def attr(text):
    """Text for an HTML attribute or element body (quotes escaped too)."""
    return html.escape(visible(text), quote=True).replace('\n', '&#10;').replace('\t', '&#9;')


# --- input ----------------------------------------------------------------------
def _str(cell, key, where, default=None):
    v = cell.get(key, default)
    if v is not None and not isinstance(v, str):
        raise BadCell('%s: "%s" is %s, want a string' % (where, key, type(v).__name__))
    return v


def check_cell(cell, where='cell'):
    """Validate one cell; returns {test name: test dict}. Raises BadCell."""
    if not isinstance(cell, dict):
        raise BadCell('%s: not a JSON object' % where)
    if cell.get('version') != 1:
        raise BadCell('%s: "version" is %r, want 1' % (where, cell.get('version')))
    for key in ('stack', 'config', 'machine', 'log', 'not_run'):
        _str(cell, key, where)
    smp = cell.get('smp', DEFAULT_SMP)
    if smp is not None and (not isinstance(smp, int) or isinstance(smp, bool) or smp < 1):
        raise BadCell('%s: "smp" is %r, want a positive integer' % (where, smp))
    for key in ('versions', 'summary', 'qemu'):
        if cell.get(key) is not None and not isinstance(cell[key], dict):
            raise BadCell('%s: "%s" is not an object' % (where, key))
    tests = cell.get('tests')
    if not isinstance(tests, list):
        raise BadCell('%s: "tests" is missing or not a list' % where)
    out = {}
    for i, t in enumerate(tests):
        w = '%s: tests[%d]' % (where, i)
        if not isinstance(t, dict):
            raise BadCell('%s: not an object' % w)
        name = _str(t, 'name', w)
        if name is None and t.get('status') == 'died':
            name = OUTSIDE          # the checker's death outside any test
        if not name:
            raise BadCell('%s: no "name"' % w)
        if t.get('status') not in STATUSES:
            raise BadCell('%s: status %r, want one of %s'
                          % (w, visible(t.get('status'), 40), ', '.join(STATUSES)))
        if t.get('kind', 'normative') not in ('normative', 'reading', None):
            raise BadCell('%s: kind %r, want normative or reading' % (w, visible(t.get('kind'), 40)))
        for key in ('source', 'detail', 'profile_reason'):
            _str(t, key, w)
        if name in out:
            raise BadCell('%s: test %r appears twice' % (where, visible(name, 80)))
        out[name] = t
    return out


def stack_of(cell):
    """The cell's stack, with the name of the QEMU binary under test when a
    matrix compares several (run-qemu.sh --qemu NAME=PATH): stack+NAME."""
    q = cell.get('qemu') if isinstance(cell.get('qemu'), dict) else {}
    return '%s+%s' % (cell.get('stack') or '', q['name']) if q.get('name') else cell.get('stack')


def label(cell):
    """Column label: stack/config, plus machine and smp when not the defaults."""
    s = '%s/%s' % (stack_of(cell) or '?', cell.get('config') or '?')
    machine = cell.get('machine') or DEFAULT_MACHINE
    if machine != DEFAULT_MACHINE:
        s += ' ' + machine
    smp = cell.get('smp') or DEFAULT_SMP
    if smp != DEFAULT_SMP:
        s += ' smp%d' % smp
    return s


def _rank(value, order):
    return (order.index(value), '') if value in order else (len(order), value or '')


def column_key(cell):
    return (stack_of(cell) or '', _rank(cell.get('config'), CONFIGS),
            _rank(cell.get('machine') or DEFAULT_MACHINE, MACHINES), cell.get('smp') or DEFAULT_SMP)


# the row of a VM death between tests (the checker gives it no test name)
OUTSIDE = '(VM died outside a test)'


def row_key(name):
    group = name.split('.', 1)[0]
    return (_rank(group, GROUPS), name)


def look(test):
    """The display class of a test result (a key of LOOKS); None = not run."""
    if test is None:
        return 'notrun'
    st = test['status']
    if test.get('kind') == 'reading' and st in ('pass', 'fail'):
        return 'agree' if st == 'pass' else 'reading'
    return st


def counts(cell, tests):
    """The summary numbers: the checker's own summary when present, else counted."""
    summ = cell.get('summary') or {}
    c = {k: 0 for k in SUM_KEYS}
    for t in tests.values():
        k = look(t)
        key = {'pass': 'passed', 'fail': 'failed', 'stale': 'failed', 'died': 'failed',
               'known': 'known', 'skip': 'skipped', 'agree': 'readings_agree',
               'reading': 'readings_differ', 'intermittent': 'passed', 'status_only': 'status_only'}[k]
        c[key] += 1
        if k == 'died':
            c['died'] += 1
    for k in SUM_KEYS:
        v = summ.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            c[k] = v
    c['bailed'] = summ.get('bailed') is True
    c['complete'] = summ.get('complete') is not False
    c['not_run'] = cell.get('not_run')      # the runner's reason (matrix.py write_not_run)
    return c


def build(cells):
    """The matrix: (columns, rows). columns: list of dicts (label, cell, tests, counts),
    sorted; rows: sorted test names. Raises BadCell."""
    if not cells:
        raise BadCell('no cells')
    cols = []
    for i, cell in enumerate(cells):
        tests = check_cell(cell, 'cell %d (%s)' % (i + 1, visible(label(cell) if isinstance(cell, dict)
                                                               else '?', 80)))
        cols.append({'cell': cell, 'tests': tests, 'label': label(cell), 'counts': counts(cell, tests)})
    cols.sort(key=lambda c: column_key(c['cell']))
    seen = {}
    for c in cols:  # the same label twice (repeated runs): number them
        n = seen[c['label']] = seen.get(c['label'], 0) + 1
        if n > 1:
            c['label'] += ' #%d' % n
    rows = sorted({n for c in cols for n in c['tests']}, key=row_key)
    return cols, rows


def versions(cols):
    """[(stack, text)] naming each stack's QEMU and L1 kernel versions, sorted;
    a binary under test (--qemu) also by path and hash: two builds of one
    source print the same --version. A cell that recorded none (not run)
    adds nothing where another cell of its stack did."""
    found = {}
    for c in cols:
        v = c['cell'].get('versions') or {}
        texts, binaries = found.setdefault(stack_of(c['cell']) or '?', (set(), set()))
        parts = ['%s %s' % (name, visible(v[key], 80))
                 for key, name in (('qemu', 'QEMU'), ('l1_kernel', 'L1 kernel')) if v.get(key)]
        if parts:
            texts.add(', '.join(parts))
        q = c['cell'].get('qemu') or {}
        if q.get('path') or q.get('sha256'):
            binaries.add('binary %s (sha256 %s)' % (visible(q.get('path') or '?', 200),
                                                   visible(str(q.get('sha256') or '?')[:16])))
    return [(s, ', '.join(['; '.join(sorted(t)) or 'versions not recorded'] + sorted(b)))
            for s, (t, b) in sorted(found.items())]


def summary_text(c):
    s = '%d passed, %d failed, %d known, %d skipped' % (
        c['passed'], c['failed'], c['known'], c['skipped'])
    extra = []
    if c['readings_agree'] or c['readings_differ']:
        extra.append('readings: %d agree, %d differ' % (c['readings_agree'], c['readings_differ']))
    if c['died']:
        extra.append('%d died' % c['died'])
    if c['bailed']:
        extra.append('BAILED OUT')
    if c['not_run']:
        extra.append('NOT RUN: ' + visible(c['not_run'], 300))
    elif not c['complete']:
        extra.append('INCOMPLETE')
    return s, extra


def reason(test):
    """Hover/notes text of one result: detail, profile reason, source."""
    lines = []
    if test.get('detail'):
        lines.append('detail: ' + visible(test['detail']))
    if test.get('profile_reason'):
        lines.append('profile: ' + visible(test['profile_reason']))
    if test.get('source'):
        lines.append('source: ' + visible(test['source']))
    return '\n'.join(lines)


# --- Markdown -------------------------------------------------------------------
def markdown(cells, title='hvconform conformance matrix'):
    cols, rows = build(cells)
    out = ['# ' + md(title), '']
    for stack, text in versions(cols):
        out.append('- %s: %s' % (md(stack), md(text)))
    out += ['', '| test | ' + ' | '.join(md(c['label']) for c in cols) + ' |',
            '|---|' + '---|' * len(cols)]
    for name in rows:
        out.append('| %s | %s |' % (md(name), ' | '.join(
            LOOKS[look(c['tests'].get(name))][0] for c in cols)))
    sums = []
    for c in cols:
        s, extra = summary_text(c['counts'])
        sums.append(md(s) + ''.join('<br>' + md(e) for e in extra))
    out.append('| **summary** | ' + ' | '.join(sums) + ' |')
    out += ['', 'Legend: ' + '; '.join('%s = %s' % (md(LOOKS[k][0]), md(LOOKS[k][3]))
                                       for k in LEGEND_ORDER) + '.', '']
    notes = _notes(cols, rows)
    if notes:
        out += ['Reasons (failures, deviations, deaths, readings that differ):', '']
        out += notes + ['']
    return '\n'.join(out)


def _notes(cols, rows):
    """One line per (test, reason) for results a reader wants explained, columns grouped."""
    out = []
    for name in rows:
        by_reason = {}
        for c in cols:
            t = c['tests'].get(name)
            if look(t) in ('fail', 'known', 'died', 'stale', 'intermittent', 'reading'):
                key = (LOOKS[look(t)][0], ' '.join(reason(t).split()) or 'no reason given')
                by_reason.setdefault(key, []).append(c['label'])
        for (text, why), labels in sorted(by_reason.items()):
            out.append('- %s %s on %s: %s' % (md(name), md(text), md(', '.join(labels)),
                                              md(why, 300)))
    return out


# --- HTML -----------------------------------------------------------------------
def _css():
    rules = ['body{font:14px/1.35 sans-serif;margin:16px;color:#212121;background:#fff}',
             'table{border-collapse:collapse}',
             'th,td{border:1px solid #9e9e9e;padding:3px 8px;text-align:center;white-space:nowrap}',
             'th.t{text-align:left;font-family:monospace;font-weight:normal}',
             'thead th{background:#eceff1}',
             'tfoot td,tfoot th{background:#eceff1;font-size:12px;white-space:normal}',
             'td.c{min-width:5.5em}', '.legend td{text-align:left}',
             'p.stacks{margin:4px 0 12px 0}']
    for k in LEGEND_ORDER:
        rules.append('.%s{background:%s;color:%s}' % (k, LOOKS[k][1], LOOKS[k][2]))
    return '\n'.join(rules)


def html_page(cells, title='hvconform conformance matrix'):
    cols, rows = build(cells)
    t = attr(title)
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<title>%s</title>' % t, '<style>', _css(), '</style></head><body>',
           '<h1>%s</h1>' % t, '<p class="stacks">']
    out.append('<br>'.join('<b>%s</b>: %s' % (attr(s), attr(v)) for s, v in versions(cols)))
    out += ['</p>', '<table class="matrix" id="matrix">', '<thead><tr><th>test</th>']
    for c in cols:
        cell = c['cell']
        v = cell.get('versions') or {}
        tip = ['stack: %s' % visible(cell.get('stack')), 'config: %s' % visible(cell.get('config')),
               'machine: %s' % visible(cell.get('machine') or DEFAULT_MACHINE),
               'smp: %s' % (cell.get('smp') or DEFAULT_SMP)]
        tip += ['%s: %s' % (k, visible(v[k], 80)) for k in sorted(v)]
        if cell.get('log'):
            tip.append('log: %s' % visible(cell['log']))
        out.append('<th class="col" title="%s">%s</th>' % (attr('\n'.join(tip)), attr(c['label'])))
    out.append('</tr></thead><tbody>')
    for name in rows:
        tds = []
        for c in cols:
            test = c['tests'].get(name)
            k = look(test)
            if test is None:
                tip = '%s: not run on %s' % (name, c['label'])
                st = 'notrun'
            else:
                st = test['status']
                tip = '%s on %s: %s (%s)' % (name, c['label'], LOOKS[k][0],
                                             test.get('kind') or 'normative')
                if reason(test):
                    tip += '\n' + reason(test)
            tds.append('<td class="c %s" data-status="%s" title="%s">%s</td>'
                       % (k, st, attr(tip), attr(LOOKS[k][0])))
        out.append('<tr><th class="t">%s</th>%s</tr>' % (attr(name), ''.join(tds)))
    out.append('</tbody><tfoot><tr><th>summary</th>')
    for c in cols:
        s, extra = summary_text(c['counts'])
        out.append('<td class="sum">%s</td>' % '<br>'.join(attr(x) for x in [s] + extra))
    out += ['</tr></tfoot></table>', '<h2>Legend</h2>', '<table class="legend">']
    for k in LEGEND_ORDER:
        out.append('<tr><td class="%s">%s</td><td>%s</td></tr>'
                   % (k, attr(LOOKS[k][0]), attr(LOOKS[k][3])))
    out += ['</table>', '<p>Hover over a cell for its detail, the profile\'s reason and the '
            'rule\'s source.</p>', '</body></html>', '']
    return '\n'.join(out)
