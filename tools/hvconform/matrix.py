"""run-qemu.sh --matrix: every stack x configuration (the table's [matrix], or
the --stack/--config values given), each a crash-resumed run with its own log,
JUnit and cell JSON, then the Markdown and HTML matrix (report.py). One L1 per
stack serves all of that stack's configurations."""

import os
import subprocess
import sys

from . import nested
from .configs import ROOT


def run(o, table, tmp, run_cell, choose_mode, note):
    stacks = o['stack'] or table.matrix.get('stacks', ['debian12'])
    configs = o['config'] or table.matrix.get('configs', ['full'])
    machine = o['machine'] or 'pc'
    out = os.path.abspath(o['out'] or os.path.join(ROOT, 'build', 'matrix'))
    for sub in ('cells', 'junit', 'logs'):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    results, cells = [], []
    for stack in stacks:
        try:
            mode = choose_mode(o, table, stack, tmp)
        except nested.NestedError as e:
            note('error: stack %s: %s' % (stack, e))
            results.append((stack, '*', 3))
            continue
        runner_nested = nested.Nested(stack, note) if mode == 'nested' else None
        try:
            for config in configs:
                label = '%s-%s%s' % (stack, config, '' if machine == 'pc' else '-' + machine)
                note('matrix cell %s (%s)' % (label, mode))
                cell = os.path.join(out, 'cells', label + '.json')
                try:
                    rc = run_cell(o, table, stack, config, machine, mode, runner_nested, tmp,
                                  log=os.path.join(out, 'logs', label + '.log'),
                                  junit=os.path.join(out, 'junit', label + '.xml'), json_out=cell)
                except nested.NestedError as e:
                    note('error: %s: %s' % (label, e))
                    rc = 3
                results.append((stack, config, rc))
                if os.path.exists(cell):
                    cells.append(cell)
        finally:
            if runner_nested:
                runner_nested.close()
    rc = 0
    note('matrix:')
    for stack, config, r in results:
        note('  %-10s %-8s exit %d' % (stack, config, r))
        rc = max(rc, r)
    if cells:
        r = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'matrix-report'), '--out', out]
                           + cells, stdin=subprocess.DEVNULL)
        if r.returncode:
            note('tools/matrix-report failed (status %d)' % r.returncode)
            rc = max(rc, 2)
        else:
            note('matrix written: %s/matrix.md, %s/matrix.html' % (out, out))
    return rc
