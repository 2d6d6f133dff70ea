"""One configuration's run as a chain of boots ("pieces"): each boot after
the first resumes after the test its predecessor died in.

Boots ahead: where the profile says a test kills the VM (it pins only
deaths), the boot that resumes after that test is started at once,
beside the others (nested mode: one per L1 slot), instead of after the death.
Each such boot is the one a sequential run would make after the death: same
arguments, same seed (chosen before the first boot). Only pieces that link
up are the run: one the chain does not reach (the VM did not die where the
profile said) is named in a note and deleted.

Replays (replays.py): where the profile pins a death beside other
outcomes, the boot that died, or the boot that passed a test whose death
is its usual outcome, runs again with the same arguments and seed, ending
after that test (until=); the verdict reads the result from the piece's
host record."""


import concurrent.futures
import os
import signal
import sys
import threading
import time

from . import replays, tapstate
from .bootresult import How

MAX_RESTARTS = 20
MAX_AT_ONCE = 16        # boot threads of one chain (they wait for the runner's slots)
MAX_RERUNS = 3          # of one boot after its L1 failed (not the hypervisor's doing)
# signals that stop a QEMU from outside (a user, a CI job's end), not a crash
STOPPED = (signal.SIGHUP, signal.SIGINT, signal.SIGKILL, signal.SIGTERM)


class ChainError(Exception):
    """The run cannot go on (QEMU could not start, L1 kept failing)."""


class Streamer:
    """A boot's serial bytes, into its piece file as they arrive, and to
    stdout once the piece is the chain's head (shown()): the first `hide`
    lines are not shown (a rerun's lines already on stdout)."""

    def __init__(self, path, hide=0, echo=False):
        self.path = path
        self.f = open(path, 'wb')
        if os.path.exists(path + HOST):         # a rerun's: this boot writes its own
            os.remove(path + HOST)
        self.lock = threading.Lock()
        self.n, self.hide, self.echo = 0, hide, False
        self.held = bytearray()     # what came before the piece was shown
        self.shown = 0              # lines written to stdout
        self.first = None           # when the first byte came (a boot may wait for a slot)
        if echo:
            self.show()

    def __call__(self, data):
        with self.lock:
            if self.first is None:
                self.first = time.monotonic()
            self.f.write(data)
            self.f.flush()
            self.n += len(data)
            if self.echo:
                self._emit(data)
            else:
                self.held += data

    def show(self):
        with self.lock:
            self.echo = True
            data, self.held = bytes(self.held), bytearray()
            self._emit(data)

    def _emit(self, data):
        while self.hide and data:
            i = data.find(b'\n')
            if i < 0:
                return
            data, self.hide, self.shown = data[i + 1:], self.hide - 1, self.shown + 1
        if data:
            self.shown += data.count(b'\n')
            sys.stdout.buffer.write(data)
            sys.stdout.flush()

    def close(self):
        with self.lock:
            self.f.close()

    def host(self, lines):
        """The host's record of this boot (how it ended, QEMU's stderr), beside the piece."""
        add_host(self.path, lines)


HOST = '.host'


def add_host(path, lines):
    with open(path + HOST, 'a', encoding='utf-8', errors='replace') as f:
        f.write(''.join(l.replace('\n', ' ') + '\n' for l in lines))


def move(src, dst):
    """A piece and its host record."""
    os.replace(src, dst)
    if os.path.exists(src + HOST):
        os.replace(src + HOST, dst + HOST)


def read_state(path):
    with open(path, 'rb') as f:
        return tapstate.state(f.read().decode('utf-8', 'replace'))


class Piece:
    def __init__(self, n, after, path):
        self.n, self.after, self.path = n, after, path
        self.done = threading.Event()
        self.head = False           # shown on stdout as it comes
        self.out = None
        self.result = self.state = None     # its BootResult; its log's TAP state
        self.error = None


def speculate(kargs, profile, workers, seen=None):
    """The tests to start resume boots after, ahead: the profile's sure VM
    deaths (seen: of those, the ones the last whole run of this configuration
    died in, when there was one: a profile may cover configurations where a
    test skips), when boots can run side by side and the user's arguments
    (KernelArgs) select the whole suite (tests= or after= could leave them out)."""
    if workers < 2 or profile is None or not kargs.selects_all:
        return []
    names = [name for name, e in profile.entries.items()
             if e.sure_death and (seen is None or name in seen)]
    # the longest first, so that the boots side by side end together
    return sorted(names, key=lambda n: -(seen or {}).get(n, 0))


class Chain:
    """boot(args, out) -> BootResult boots once with args (KernelArgs: its
    after= says where it resumes); an INFRA result means the boot must run
    again (not the hypervisor's doing). describe(result) says how a boot
    ended. enter() runs first in every worker thread (the runner's note
    labels). base: the KernelArgs of every boot, less after=."""

    def __init__(self, boot, base, log, note, describe, workers=1, echo=True, enter=None, deadline=None,
                 replay=(), confirm=()):
        self.boot, self.base, self.log, self.note = boot, base, log, note
        self.deadline = deadline    # () -> time.monotonic() the run must end by (--timeout), or None
        self.replay_in = set(replay)    # tests whose deaths are replayed (intermittent)
        self.confirm_in = dict(confirm)     # {test: Listing} whose passes are replayed (rare-pass)
        self.describe, self.echo = describe, echo
        self.enter = enter or (lambda: None)
        self.pieces = {}            # after (None: from the start) -> its latest Piece
        self.started = []           # every Piece, in the order started
        self.took = {}              # after ('' the start) -> seconds the boot ran (the run's history)
        self.lock = threading.RLock()  # run() holds it while it starts the first boots
        self.ending = False         # run() is done: nothing more starts
        # one at a time: each boot runs in the caller's thread when it is waited
        # for (Ctrl-C reaches it there); else a thread per boot started, which
        # waits in boot() for a free place (the nested runner's slots, taken
        # longest boot first)
        self.pool = concurrent.futures.ThreadPoolExecutor(MAX_AT_ONCE) if workers > 1 else None

    @property
    def deaths(self):
        """The tests the VM died in, in run order, with how long the boot
        after each ran."""
        return {k: v for k, v in self.took.items() if k}

    def pin_seed(self, seed):
        """Every later boot gets this seed: the pieces make one reproducible run."""
        if seed is not None:
            self.base = self.base.plus_missing('seed', seed)

    def start(self, after, ahead=False, died_in=None):
        """A boot resuming after `after` (None: the start). died_in: started
        because that boot died in `after`, unless one is already there."""
        with self.lock:
            if died_in is not None and (after in self.pieces or self.ending):
                return None
            n = len(self.started) + 1
            p = Piece(n, after, '%s.b%d' % (self.log, n))
            self.pieces[after] = p
            self.started.append(p)
            p.args = self.base.resumed(after)
            if self.pool:
                self.pool.submit(self._run, p, p.args)
        if ahead:
            self.note('boot %d (after=%s) starts ahead: the profile says the VM dies in %s'
                      % (p.n, after, after))
        elif died_in is not None:
            self.note('boot %d (after=%s) starts now: boot %d died in %s (the chain gets there '
                      'later)' % (p.n, after, died_in.n, after))
        return p

    def _run(self, p, args):
        self.enter()
        try:
            self._boot(p, args)
            self._follow(p)
        except BaseException as e:      # reported by the chain's owner
            p.error = e
        finally:
            p.done.set()

    def _follow(self, p):
        """A boot that died in a test no boot resumes after yet: the boot
        the chain will want there starts now, not when the chain reaches p
        (a death the profile does not predict, in a boot started ahead).
        Only with the run's seed fixed up front: it must be that boot."""
        s = p.state
        if (s is not None and s.has_tap and s.running and not s.complete and not s.bail
                and p.result.how is not How.FAILED
                and self.base.seed_given):
            self.start(s.running, died_in=p)

    def _boot(self, p, args):
        hide, reruns = 0, 0
        while True:
            with self.lock:     # wait() may show p.out meanwhile: its lines count
                if p.out is not None:
                    hide = max(hide, p.out.shown)
                p.out = Streamer(p.path, hide, echo=p.head and self.echo)
            tb = time.monotonic()
            r = self.boot(args, p.out)
            p.out.close()
            self.note('boot %d%s ended after %.2f s (%s)' % (
                p.n, ' (after=%s)' % p.after if p.after else '', time.monotonic() - tb,
                self.describe(r)))
            if not r.is_infra:
                break
            # L1 itself failed after L2 began: not the hypervisor under test. The
            # boot runs again from its start in a fresh L1 with the same arguments
            # and seed; what stdout already showed is not shown again.
            if reruns >= MAX_RERUNS:
                raise ChainError('nested runner failed (%s): not the hypervisor under test; rerun'
                                 % r.why)
            if self.used_up():
                raise ChainError('the run\'s --timeout is used up (the last boot: %s): not the hypervisor '
                                 'under test; rerun' % r.why)
            reruns += 1
            s = read_state(p.path)
            if s.seed is not None:
                args = args.plus_missing('seed', s.seed)
            self.note('%s after L2 began printing (not the hypervisor under test): this boot runs '
                      'again from its start in a fresh L1 with the same arguments; its first %d '
                      'line(s), shown above, are not shown again (the log holds the rerun)'
                      % (r.why, p.out.shown))
        # how long it ran: from its first output (not its wait for a slot)
        p.result, p.secs = r, time.monotonic() - (p.out.first or tb)
        p.state = read_state(p.path)

    def spare(self, p, path):
        """A piece booting p's arguments again, not part of the run (a replay)."""
        return Piece(p.n, p.after, path)

    def record(self, p, line):
        """A line of p's host record, noted."""
        add_host(p.path, [line])
        self.note(line)

    def used_up(self):
        end = self.deadline() if self.deadline else None
        return end is not None and time.monotonic() >= end

    def wait(self, p):
        """p's result, its output shown from now on (it is the chain's head)."""
        with self.lock:
            p.head = True
            if p.out is not None and self.echo:
                p.out.show()
        if not self.pool:
            self._boot(p, p.args)
            p.done.set()
        p.done.wait()
        if p.error is not None:
            raise p.error
        return p

    def run(self, first_after, ahead):
        """The chain from first_after (None: the start); ahead: tests whose
        resume boots start now. Returns the pieces' files, in chain order."""
        t0, ok = time.monotonic(), False
        try:
            with self.lock:     # numbered in this order, before any can die and start another
                p = self.start(first_after)
                for name in ahead:
                    self.start(name, ahead=True)
            order, silent = [], []
            while True:
                self.wait(p)
                if p.result.how is How.FAILED and not order:
                    raise ChainError('QEMU could not start the VM (status %s, see above)' % p.result.status)
                if p.out.n == 0 and p.result.how is not How.TIMEOUT:
                    # it died before its first byte (an L2 QEMU that crashed at
                    # start): nothing ran, so nothing is a result; once more,
                    # then it is QEMU that cannot run the VM
                    silent.append(p)
                    why = self.describe(p.result)
                    if p.result.how is How.SIGNAL and -(p.result.status or 0) in STOPPED:
                        raise ChainError('the VM was %s before printing anything' % why)
                    if len(silent) > 1:
                        raise ChainError('the VM %s before printing anything, in two boots: QEMU could '
                                         'not run it (see above)' % why)
                    if self.used_up():
                        raise ChainError('the VM %s before printing anything; the run\'s --timeout is '
                                         'used up' % why)
                    self.note('boot %d %s before printing anything: booting it again' % (p.n, why))
                    with self.lock:
                        p = self.start(p.after)
                    continue
                order.append(p)
                s = p.state
                if len(order) == 1:
                    self.pin_seed(s.seed)
                for name in sorted(set(self.confirm_in) & s.passed):
                    if not self.used_up():
                        replays.confirm_pass(self, p, self.confirm_in[name])
                if s.complete or s.bail:
                    break
                why = self.describe(p.result)
                if not s.has_tap:
                    self.note('the VM printed no TAP (%s): not resuming' % why)
                    break
                if not s.running:
                    self.note('the VM ended outside a test (%s): not resuming' % why)
                    break
                if self.used_up():
                    self.note('the VM %s during %s; the run\'s --timeout is used up: not resuming'
                              % (why, s.running))
                    break
                if s.running in self.replay_in:
                    replays.replay_death(self, p)
                if len(order) > MAX_RESTARTS:
                    self.note('the VM %s during %s; %d restarts used up: not resuming'
                              % (why, s.running, MAX_RESTARTS))
                    break
                with self.lock:
                    nxt = self.pieces.get(s.running)
                if nxt is None or nxt in order:
                    self.note('the VM %s during %s: booting again with after=%s' % (why, s.running, s.running))
                    nxt = self.start(s.running)
                else:
                    self.note('the VM %s during %s: boot %d, started ahead, resumes after it'
                              % (why, s.running, nxt.n))
                p = nxt
            ok = True
        finally:
            # boots started ahead and not needed end on their own (bounded by the
            # timeout); on an error the caller stops the L1s, which ends them
            with self.lock:
                self.ending = True
            if self.pool:
                self.pool.shutdown(wait=ok, cancel_futures=not ok)
            if not ok:      # a boot that ended without a byte leaves no file
                for q in self.started:
                    if q.done.is_set() and q.out is not None and q.out.n == 0 and os.path.exists(q.path):
                        os.remove(q.path)
        self.took = {q.after or '': round(q.secs, 2) for q in order}
        for q in silent:
            if os.path.exists(q.path):
                os.remove(q.path)
        unused = [q for q in self.started if q not in order and q not in silent]
        for q in unused:
            self.note('boot %d (after=%s) was started ahead, but the VM did not die in %s: '
                      'not part of the run, deleted%s' % (q.n, q.after, q.after,
                                                          ' (it failed: %s)' % q.error if q.error else ''))
            for f in (q.path, q.path + HOST):
                if os.path.exists(f):
                    os.remove(f)
        paths = []
        for k, q in enumerate(order, 1):
            path = '%s.%d' % (self.log, k)
            move(q.path, path)
            paths.append(path)
        self.note('%.2f s, %d boot(s)%s; log %s' % (
            time.monotonic() - t0, len(order), ' (and %d unused)' % len(unused) if unused else '',
            self.log))
        return paths
