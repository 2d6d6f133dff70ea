"""run-qemu.sh --matrix: every stack x configuration (the table's [matrix], or
the --stack/--config values given; with --qemu, every stack x binary x
configuration, the stack's own binary then not run), each a crash-resumed run with its own log,
JUnit and cell JSON, then the Markdown and HTML matrix (report.py).

Cells run side by side, --jobs at a time (default: nested, one per L1 slot;
else one per two CPUs). In nested mode all cells of a stack share one L1, and
their boots take its slots in turn. A cell's serial output goes to its log
only; its report is printed in one piece when it ends."""

import concurrent.futures
import json
import os
import subprocess
import sys
import threading

from . import cellrun, modes, nested
from .cell import Cell
from .configs import ROOT
from .notes import note


def default_jobs(mode_of, per_stack):
    # nested: all of a stack's cells at once; they share its L1, whose slots
    # bound the boots at once, in the order they come (two L1s side by side
    # on 2 CPUs were slower than one: 45.5 s for the four configurations
    # against 33.9 s, guests spinning while descheduled, so stacks take
    # turns); direct QEMU: one per two CPUs
    if 'nested' in mode_of.values():
        return max(per_stack.values() or [1])
    return max(1, (os.cpu_count() or 1) // 2)


def run(o, table, tmp):
    stacks = o['stack'] or table.matrix.get('stacks', ['debian12'])
    configs = o['config'] or table.matrix.get('configs', ['full'])
    machine = o['machine'] or 'pc'
    out = os.path.abspath(o['out'] or os.path.join(ROOT, 'build', 'matrix'))
    for sub in ('cells', 'junit', 'logs'):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    # the binaries under test (--qemu), else the stacks' own (None)
    qemus = {q['name'] if q.get('name') else None: q for q in o.get('qemu_ids') or []} or {None: None}

    def label_of(stack, config, q=None):
        return '%s%s-%s%s' % (stack, '+' + q if q else '', config, '' if machine == 'pc' else '-' + machine)

    # what an earlier run left goes first: a cell that does not run now must
    # never show that run's results (its JSON is written below, as not run)
    for name in ('matrix.md', 'matrix.html'):
        remove(os.path.join(out, name))
    for stack in stacks:
        for config, q in ((c, q) for c in configs for q in qemus):
            label = label_of(stack, config, q)
            for sub, ext in (('cells', '.json'), ('junit', '.xml'), ('logs', '.log')):
                remove(os.path.join(out, sub, label + ext))
    results, todo, mode_of, why = {}, [], {}, {}
    for stack in stacks:
        try:
            mode_of[stack] = modes.choose(o, table, stack, tmp)
        except nested.NestedError as e:
            note('error: stack %s: %s' % (stack, e))
            for config, q in ((c, q) for c in configs for q in qemus):
                results[(stack, config, q)], why[(stack, config, q)] = 3, 'stack %s: %s' % (stack, e)
            continue
        # the longest cells first (more VPs, a test device: more crash-resumes),
        # so that side-by-side workers end together; stack by stack (and binary)
        for q in qemus:
            todo += sorted(((stack, c, q) for c in configs),
                           key=lambda sc: (-table.smp(sc[1], None),
                                           -len(table.configs[sc[1]].get('devices', '').split())))
    l1s, left, lock = {}, {}, threading.Lock()    # per stack and binary: its L1, cells to go
    for stack, _, q in todo:
        left[(stack, q)] = left.get((stack, q), 0) + 1
    jobs = max(1, min(o['jobs'] or default_jobs(mode_of, left), len(todo) or 1))
    note('matrix: %d cell(s), %d at a time' % (len(todo), jobs))
    # a stack's cells start once the stack before it is done (one L1 at a time)
    order = list(left)
    done = {sq: threading.Event() for sq in order}

    def run_cell(stack, config, q):
        cell = Cell.of(o, table, stack, config, mode_of[stack], qemus[q])
        label = label_of(stack, config, q)
        l1 = None
        for before in order[:order.index((stack, q))]:
            done[before].wait()
        try:
            if cell.mode == 'nested':
                with lock:
                    if (stack, q) not in l1s:
                        l1s[(stack, q)] = nested.Nested(stack, note, qemu=cell.qemu, uefi=cell.uefi)
                l1 = l1s[(stack, q)]
            note('matrix cell %s (%s)' % (label, cell.mode))
            own_tmp = os.path.join(tmp, label)
            os.makedirs(own_tmp, exist_ok=True)
            return cellrun.run(o, table, cell, own_tmp, l1=l1,
                               log=os.path.join(out, 'logs', label + '.log'),
                               junit=os.path.join(out, 'junit', label + '.xml'),
                               json_out=os.path.join(out, 'cells', label + '.json'),
                               label=label if jobs > 1 else None)
        except Exception as e:      # the cell's own failure, never the matrix's
            why[(stack, config, q)] = '%s: %s' % (type(e).__name__, e) if isinstance(e, OSError) else str(e)
            note('error: %s: %s' % (label, why[(stack, config, q)]))
            return 2 if type(e).__name__ == 'Usage' else 3
        finally:
            with lock:
                left[(stack, q)] -= 1
                last = left[(stack, q)] == 0
            if last:            # the stack's last cell: its L1 goes
                if l1:
                    l1.close(final=True)
                done[(stack, q)].set()

    ex = concurrent.futures.ThreadPoolExecutor(jobs)
    try:
        futures = {c: ex.submit(run_cell, *c) for c in todo}
        for c, f in futures.items():
            results[c] = f.result()
    finally:
        # stop the L1s first, so that workers still running (Ctrl-C) end at once
        with lock:
            started = list(l1s.values())
        for n in started:
            n.close(final=True)
        ex.shutdown(wait=False, cancel_futures=True)
    rc = 0
    note('matrix:')
    for (stack, config, q), r in results.items():
        note('  %-10s %-8s exit %d' % (stack + ('+' + q if q else ''), config, r))
        rc = max(rc, r)
    cells = []
    for (stack, config, q), r in sorted(results.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or '')):
        path = os.path.join(out, 'cells', label_of(stack, config, q) + '.json')
        if not os.path.exists(path):
            write_not_run(path, stack, config, machine, mode_of.get(stack), r,
                          why.get((stack, config, q)) or 'ended with exit status %d before the checker ran' % r,
                          qemus[q])
        cells.append(path)
    if cells:
        r = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'matrix-report'), '--out', out]
                           + cells, stdin=subprocess.DEVNULL)
        if r.returncode:
            note('tools/matrix-report failed (status %d)' % r.returncode)
            rc = max(rc, 2)
        else:
            note('matrix written: %s/matrix.md, %s/matrix.html' % (out, out))
    return rc


def remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def write_not_run(path, stack, config, machine, mode, rc, why, qemu=None):
    """The cell JSON of a cell that did not run to the checker: no results,
    one failure, the reason (docs/DESIGN.md, "Checker JSON")."""
    cell = {'version': 1, 'log': None, 'pieces': [], 'stack': stack, 'config': config,
            'machine': machine, 'mode': mode, 'not_run': 'exit %d: %s' % (rc, why),
            'summary': {'passed': 0, 'failed': 1, 'skipped': 0, 'known': 0, 'readings_agree': 0,
                        'readings_differ': 0, 'died': 0, 'bailed': False, 'complete': False},
            'errors': ['not run: exit %d: %s' % (rc, why)], 'bail': None, 'tests': []}
    if qemu:
        cell['qemu'] = qemu
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(cell, f, indent=1)
        f.write('\n')
    os.replace(path + '.tmp', path)
