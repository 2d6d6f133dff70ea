"""tools/matrix-diff: what changed between two matrix runs (the cell JSON of
two `run-qemu.sh --matrix --out DIR` runs: before and after a QEMU patch, a
runner change or a new stack). Times and file paths are not compared; what a
cell claims is: its summary, its errors and bail-out, and for every test its
status, kind, observed outcome and the profile entry that judged it.

A test whose profile entry admits several outcomes (`A | B`, an intermittent
entry) can differ between two runs of the same tree; such a difference is
listed apart, so a reader sees at once whether anything else moved."""

import json
import os

from . import report

TEST_FIELDS = ('status', 'kind', 'observed', 'profile_outcome', 'mismatch')
CELL_FIELDS = ('summary', 'errors', 'bail')


class BadRun(ValueError):
    pass


def cell_key(cell):
    return '%s/%s/%s/smp%s/%s' % (cell.get('stack'), cell.get('config'), cell.get('machine'),
                                 cell.get('smp'), (cell.get('qemu') or {}).get('name', 'stack'))


def load(out_dir):
    """{cell key: cell} of a matrix output directory (DIR/cells/*.json)."""
    cells_dir = os.path.join(out_dir, 'cells')
    if not os.path.isdir(cells_dir):
        raise BadRun('%s: no cells/ directory (not a --matrix --out directory)' % out_dir)
    cells = {}
    for name in sorted(os.listdir(cells_dir)):
        if not name.endswith('.json'):
            continue
        path = os.path.join(cells_dir, name)
        try:
            with open(path, encoding='utf-8') as f:
                cell = json.load(f)
            report.check_cell(cell, path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise BadRun('%s: %s' % (path, e))
        key = cell_key(cell)
        if key in cells:
            raise BadRun('%s: a second cell %s' % (path, key))
        cells[key] = cell
    if not cells:
        raise BadRun('%s: cells/ holds no cell JSON' % out_dir)
    return cells


def admits_several(test):
    entry = test.get('profile_outcome') or ''
    return '|' in entry or test.get('status') == 'intermittent'


def diff(before, after):
    """(changed, varying): lists of lines. `varying` holds differences of tests
    whose profile entry admits several outcomes (in either run)."""
    changed, varying = [], []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            changed.append('%s: only in the first run' % key)
            continue
        if key not in before:
            changed.append('%s: only in the second run' % key)
            continue
        a, b = before[key], after[key]
        cell_changed, cell_varying = [], []
        ta = {t['name']: t for t in a.get('tests', [])}
        tb = {t['name']: t for t in b.get('tests', [])}
        for name in sorted(set(ta) | set(tb)):
            x, y = ta.get(name), tb.get(name)
            if x is None or y is None:
                changed.append('%s: %s only in the %s run' % (key, name, 'second' if x is None else 'first'))
                continue
            fields = [f for f in TEST_FIELDS if x.get(f) != y.get(f)]
            if not fields:
                continue
            line = '%s: %s: %s' % (key, name, '; '.join(
                '%s %s -> %s' % (f, json.dumps(x.get(f)), json.dumps(y.get(f))) for f in fields))
            (cell_varying if admits_several(x) or admits_several(y) else cell_changed).append(line)
        # counts move with the tests: they count as varying when only varying tests moved
        counts = [('%s: %s %s -> %s' % (key, f, json.dumps(a.get(f)), json.dumps(b.get(f))))
                  for f in CELL_FIELDS if a.get(f) != b.get(f)]
        summary_only = all(f == 'summary' for f in CELL_FIELDS if a.get(f) != b.get(f))
        (cell_varying if summary_only and cell_varying and not cell_changed else cell_changed)[:0] = counts
        changed += cell_changed
        varying += cell_varying
    return changed, varying


def failing(cell):
    s = cell.get('summary') or {}
    return bool(s.get('failed') or s.get('bailed') or not s.get('complete', True) or cell.get('errors'))


def verdict_flips(before, after):
    """Cells present in both runs whose verdict (failing or not) differs."""
    return ['%s: %s -> %s' % (k, *('fails' if failing(c[k]) else 'passes' for c in (before, after)))
            for k in sorted(set(before) & set(after)) if failing(before[k]) != failing(after[k])]
