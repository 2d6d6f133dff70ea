"""The test command's harness (make test): a table of cases, each a function
that runs something and asserts on parsed results (the checker's cell JSON,
the TAP parser), one line per case, and the closing "N passed, N failed[, N
skipped]" line. Cases run in two lanes at once (2 cores): 'host' (builds,
unit tests, TCG boots) and 'nested' (the Hyper-V guest)."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
from hvconform import jsonfile, tap  # noqa: E402
from hvconform.verdict import FAILING  # noqa: E402

OUT = os.path.join(ROOT, 'build', 'test')
# each case's last duration: a lane runs its longest cases first, so the
# short ones are left at the end to even the lanes out (make test's wall time
# is the later lane's)
DURATIONS = os.path.join(OUT, 'durations.json')
# ./run-qemu.sh runs under this interpreter, not python3 from PATH again (a
# pyenv shim there costs ~0.4 s of CPU a start, dozens of times per make test)
os.environ.setdefault('HVCONFORM_PYTHON', sys.executable)
CASES = []


class Skip(Exception):
    pass


def case(name, lane='host', needs_nested=False, slow=False):
    """Register a case. slow: only in the slow tier (make test-slow), for
    what costs more than the fast tier's budget (make test: well under a minute warm)."""
    def reg(fn):
        CASES.append({'name': name, 'fn': fn, 'lane': lane, 'nested': needs_nested, 'slow': slow})
        return fn
    return reg


# the runner's own errors (tools/hvconform/runner.py note(): 'run-qemu: ', a
# matrix cell's '[label] ', then 'error: '): the run ended before a verdict
RUNNER_ERROR = re.compile(r'^run-qemu: (\[[^]]*\] )?error: ')


def unexpected(text, n=3):
    """A run's first n lines the checker counts as failed, or the runner's
    errors, each on an indented line of its own: a failing case says what
    failed (its transcript's tail shows only the case's last command)."""
    lines = [l[:300] for l in text.split('\n') if l.startswith(FAILING) or RUNNER_ERROR.match(l)][:n]
    return ''.join('\n    ' + l for l in lines)


class Run:
    """What one ./run-qemu.sh invocation left: status, output, the log's parsed
    pieces and the cell JSON."""

    def __init__(self, rc, out, log, cell, secs):
        self.rc, self.out, self.log, self.cell, self.secs = rc, out, log, cell, secs

    def tests(self):
        return {t['name']: t for t in (self.cell or {}).get('tests', [])}

    def status(self, name):
        t = self.tests().get(name)
        return t and t['status']

    def piece_paths(self):
        n = len(os.path.basename(self.log)) + 1     # LOG.N, not LOG.replayN.K (a replay, not a piece)
        paths = sorted((p for p in os.listdir(os.path.dirname(self.log))
                        if p.startswith(os.path.basename(self.log) + '.') and p[n:].isdigit()),
                       key=lambda p: int(p[n:]))
        return [os.path.join(os.path.dirname(self.log), p) for p in paths] or [self.log]

    def pieces(self):
        return [tap.parse(open(p, 'rb').read().decode('utf-8', 'replace'), p) for p in self.piece_paths()]

    def text(self):
        return open(self.log, 'rb').read().decode('utf-8', 'replace').replace('\r', '')


class Ctx:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(OUT, name)
        os.makedirs(self.dir, exist_ok=True)
        self.transcript = open(os.path.join(OUT, name + '.out'), 'w')
        self.failures = []

    def check(self, cond, msg):
        if not cond:
            self.failures.append(msg)
        return cond

    def sh(self, cmd, timeout=600, env=None, **kw):
        """Run a command; (status, combined output)."""
        self.transcript.write('$ %s\n' % (cmd if isinstance(cmd, str) else ' '.join(cmd)))
        e = dict(os.environ, **(env or {}))
        r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, env=e,
                           shell=isinstance(cmd, str), **kw)
        text = r.stdout.decode('utf-8', 'replace')
        self.transcript.write(text)
        self.transcript.flush()
        return r.returncode, text

    def rq(self, *args, tag=None, env=None, timeout=900):
        """./run-qemu.sh --no-deps ARGS with a log and a cell JSON of this case's own."""
        tag = tag or self.name
        log = os.path.join(self.dir, tag + '.log')
        cell = os.path.join(self.dir, tag + '.json')
        if os.path.exists(cell):
            os.remove(cell)
        t = time.monotonic()
        rc, out = self.sh(['./run-qemu.sh', '--no-deps', '--log', log, '--json', cell] + list(args),
                          timeout=timeout, env=env)
        secs = time.monotonic() - t
        data = json.load(open(cell)) if os.path.exists(cell) else None
        return Run(rc, out, log, data, secs)

    def want_rc(self, run, rc):
        return self.check(run.rc == rc, 'exit status %d, want %d%s' % (run.rc, rc, unexpected(run.out)))


def load_durations():
    d = jsonfile.read(DURATIONS)
    try:
        return {k: float(v) for k, v in d.items()}
    except (TypeError, ValueError):
        return {}


def next_case(queues, lane, lock):
    """A lane's own next case; once those are done, a host case from the back
    of the host queue (the lanes end together). Nested cases never move: two
    at once overload this 2-core machine."""
    with lock:
        if queues[lane]:
            return queues[lane].pop(0)
        if queues.get('host'):
            return queues['host'].pop()
    return None


def run_lane(queues, lane, results, lock, no_nested):
    """Run queues[lane] in order (then, as next_case says, others' host cases)."""
    for c in iter(lambda: next_case(queues, lane, lock), None):
        ctx = Ctx(c['name'])
        t = time.monotonic()
        skipped = None
        try:
            if c['nested'] and no_nested:
                raise Skip('HVCONFORM_TEST_NO_NESTED set')
            c['fn'](ctx)
        except Skip as e:
            skipped = str(e)
        except Exception as e:   # a crashing case is a failing case, with its reason
            ctx.failures.append('%s: %s' % (type(e).__name__, e))
        secs = time.monotonic() - t
        with lock:
            results['secs'][c['name']] = secs
            if ctx.failures:
                results['failed'] += 1
                print('FAIL %s: %s (%.2f s)' % (c['name'], '; '.join(ctx.failures[:3]), secs))
                ctx.transcript.flush()
                # kept beside it until the case fails again: a flaky failure
                # leaves its evidence after later passing runs
                shutil.copyfile(ctx.transcript.name, ctx.transcript.name[:-4] + '.failed.out')
                tail = open(ctx.transcript.name, errors='replace').read().split('\n')
                n = None if os.environ.get('VERBOSE') else -15
                print('\n'.join('    ' + l for l in tail[n:] if l))
            elif skipped:
                results['skipped'] += 1
                print('skip %s: %s (%.2f s)' % (c['name'], skipped, secs))
            else:
                results['passed'] += 1
                print('ok %s (%.2f s)' % (c['name'], secs))
            sys.stdout.flush()
        ctx.transcript.close()


def main(first, lanes, only=(), slow=False):
    """first: cases run alone before the lanes (deps, build); only: run just
    these cases, one after another (for debugging a case); slow: the slow
    tier's cases too."""
    os.makedirs(OUT, exist_ok=True)
    results, lock = {'passed': 0, 'failed': 0, 'skipped': 0, 'secs': {}}, threading.Lock()
    no_nested = bool(os.environ.get('HVCONFORM_TEST_NO_NESTED'))
    t0 = time.monotonic()
    by_name = {c['name']: c for c in CASES}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        print('unknown case(s): %s (cases: %s)' % (', '.join(unknown), ', '.join(by_name)))
        return 2
    if only:
        run_lane({'only': [by_name[n] for n in only]}, 'only', results, lock, no_nested)
    else:
        run_lane({'first': [by_name[n] for n in first]}, 'first', results, lock, no_nested)
        left = [c['name'] for c in CASES if c['slow'] and not slow]
        if left:
            print('# slow tier, not run here (make test-slow runs them): %s' % ', '.join(left))
        if results['failed'] == 0:
            last = load_durations()
            queues = {lane: sorted((c for c in CASES if c['lane'] == lane and c['name'] not in first
                                    and (slow or not c['slow'])), key=lambda c: -last.get(c['name'], 0))
                      for lane in lanes}
            threads = [threading.Thread(target=run_lane, args=(queues, lane, results, lock, no_nested))
                       for lane in lanes]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            print('# the build failed: the other cases did not run')
            results['failed'] += len([c for c in CASES if slow or not c['slow']]) - len(first)
    jsonfile.update(DURATIONS, results['secs'])
    print('# total %.2f s' % (time.monotonic() - t0))
    line = '%d passed, %d failed' % (results['passed'], results['failed'])
    if results['skipped']:
        line += ', %d skipped' % results['skipped']
    print(line)
    return 1 if results['failed'] else 0
