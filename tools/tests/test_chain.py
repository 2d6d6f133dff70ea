"""chain.Chain and chain.speculate: one configuration's boots as a chain of
pieces. Covers a sequential resume after a VM death (the first boot's seed
pinned), a resume boot started ahead and used, one started ahead that the
chain never reaches (deleted, named in a note), a boot rerun after an
infrastructure failure, QEMU failing to start, and which profile entries
speculate() picks. A fake boot prints scripted TAP; no VM is started."""

import io
import os
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import chain, pieces, profile, verdict  # noqa: E402
from hvconform.bootresult import BootResult, How  # noqa: E402
from hvconform.kargs import KernelArgs as K  # noqa: E402

# the first boot dies in post.b; a boot after=post.b (or post.c) prints the rest
FIRST = ('TAP version 13\n# seed: 5\n1..4\n# running 1 post.a\nok 1 - post.a\n'
         '# running 2 post.b\n')
AFTER_B = ('TAP version 13\n# seed: 5\n1..4\n# running 3 post.c\nok 3 - post.c\n'
           '# running 4 post.d\nok 4 - post.d\n'
           '# hvconform: 3 passed, 0 failed, 0 skipped\n# hvconform: end\n')
AFTER_C = ('TAP version 13\n# seed: 5\n1..4\n# running 4 post.d\nok 4 - post.d\n'
           '# hvconform: 2 passed, 0 failed, 0 skipped\n# hvconform: end\n')
WHOLE = (FIRST + 'ok 2 - post.b\n# running 3 post.c\nok 3 - post.c\n# running 4 post.d\nok 4 - post.d\n'
         '# hvconform: 4 passed, 0 failed, 0 skipped\n# hvconform: end\n')
CRASH, DONE = BootResult(How.CRASHED, 134), BootResult(How.EXITED, 0)
HUNG = BootResult.infra('L1 hung')


class Capture:
    def __init__(self):
        self.buffer = io.BytesIO()

    def flush(self):
        pass


class FakeBoot:
    """boot(args, out): prints the next (text, (status, how)) of script[after]
    (after: the args' after=NAME, None from the start), then runs hooks[after]."""

    def __init__(self, script, hooks=None):
        self.script = {k: list(v) for k, v in script.items()}
        self.hooks = hooks or {}
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, args, out):
        after = args.after
        with self.lock:
            self.calls.append(list(args.words))
            if not self.script.get(after):
                raise AssertionError('unscripted boot: %s' % args.line())
            text, result = self.script[after].pop(0)
        half = len(text) // 2           # in two writes, as serial output arrives
        out(text[:half].encode())
        out(text[half:].encode())
        if after in self.hooks:
            self.hooks[after]()
        return result

    def after(self, name):
        return [c for c in self.calls if 'after=' + name in c]


class ChainTest(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.dir, self.log, self.notes = d.name, os.path.join(d.name, 'log'), []
        old, sys.stdout = sys.stdout, Capture()
        self.addCleanup(setattr, sys, 'stdout', old)

    def run_chain(self, boot, base, workers, ahead=(), replay=(), confirm=()):
        self.chain = chain.Chain(boot, K(base), self.log, self.notes.append,
                                 lambda r: '%s %s' % (r.how.value, r.status), workers, echo=False, replay=replay,
                                 confirm=confirm)
        return self.chain.run(None, list(ahead))

    def read(self, path):
        with open(path) as f:
            return f.read()

    def files(self):
        return sorted(os.listdir(self.dir))

    def noted(self, *words):
        return [n for n in self.notes if all(w in n for w in words)]

    def test_sequential_resume_pins_the_first_boots_seed(self):
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(AFTER_B, DONE)]})
        paths = self.run_chain(boot, ['avoid=x'], 1)
        self.assertEqual(paths, [self.log + '.1', self.log + '.2'])
        self.assertEqual([self.read(p) for p in paths], [FIRST, AFTER_B])
        self.assertEqual(boot.calls, [['avoid=x'], ['avoid=x', 'seed=5', 'after=post.b']],
                         'the resume boot must have the seed the first boot printed')
        self.assertEqual(list(self.chain.deaths), ['post.b'])
        self.assertEqual(self.files(), ['log.1', 'log.2'])
        self.assertTrue(self.noted('during post.b', 'booting again with after=post.b'), self.notes)

    def test_resume_boot_started_ahead_is_used(self):
        started, seen = threading.Event(), {}
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(AFTER_B, DONE)]},
                        {None: lambda: seen.setdefault('ahead', started.wait(2)),
                         'post.b': started.set})
        paths = self.run_chain(boot, ['avoid=x', 'seed=5'], 2, ahead=['post.b'])
        self.assertTrue(seen['ahead'], 'the boot after=post.b did not start before the first ended')
        self.assertEqual(paths, [self.log + '.1', self.log + '.2'])
        self.assertEqual([self.read(p) for p in paths], [FIRST, AFTER_B])
        self.assertEqual(boot.after('post.b'), [['avoid=x', 'seed=5', 'after=post.b']],
                         'the boot after=post.b must run once, with the run\'s arguments')
        self.assertEqual(len(boot.calls), 2)
        self.assertEqual(list(self.chain.deaths), ['post.b'])
        self.assertTrue(self.noted('boot 2 (after=post.b) starts ahead'), self.notes)
        self.assertTrue(self.noted('boot 2, started ahead, resumes after it'), self.notes)
        self.assertEqual(self.files(), ['log.1', 'log.2'])

    def test_boot_started_ahead_and_not_reached_is_deleted(self):
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(AFTER_B, DONE)],
                         'post.c': [(AFTER_C, DONE)]})
        paths = self.run_chain(boot, ['seed=5'], 2, ahead=['post.c'])
        self.assertEqual(len(boot.after('post.c')), 1, 'the boot after=post.c was not started ahead')
        self.assertEqual(boot.after('post.b'), [['seed=5', 'after=post.b']],
                         'no boot after=post.b where the VM died')
        self.assertEqual(paths, [self.log + '.1', self.log + '.2'])
        self.assertEqual([self.read(p) for p in paths], [FIRST, AFTER_B])
        self.assertEqual(self.files(), ['log.1', 'log.2'], 'the unused piece log.b2 was kept')
        self.assertTrue(self.noted('boot 2 (after=post.c)', 'not part of the run'), self.notes)
        # started as the first boot died (its own thread), or by the chain right after
        self.assertTrue(self.noted('booting again with after=post.b') or
                        self.noted('(after=post.b) starts now: boot 1 died in post.b'), self.notes)
        self.assertEqual(list(self.chain.deaths), ['post.b'])

    def test_boots_ahead_are_numbered_before_the_first_can_die(self):
        """The first boot dies at once while run() is still starting the
        boots ahead (a loaded host): the boot after=post.c is still boot 2,
        and started once (CI saw the death's resume take number 2)."""
        class SlowStart(chain.Chain):
            def start(self, after, ahead=False, died_in=None):
                p = super().start(after, ahead, died_in)
                if after is None:
                    time.sleep(0.05)
                return p
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(AFTER_B, DONE)],
                         'post.c': [(AFTER_C, DONE)]})
        self.chain = SlowStart(boot, K(['seed=5']), self.log, self.notes.append,
                               lambda r: '%s %s' % (r.how.value, r.status), 2, echo=False)
        self.chain.run(None, ['post.c'])
        self.assertEqual(len(boot.after('post.c')), 1, boot.calls)
        self.assertTrue(self.noted('boot 2 (after=post.c) starts ahead'), self.notes)
        self.assertTrue(self.noted('boot 2 (after=post.c)', 'not part of the run'), self.notes)

    def test_unexpected_death_in_a_boot_ahead_resumes_at_once(self):
        """The boot started ahead after post.b dies in post.c, which the
        profile did not predict, while the first boot still runs: the boot
        after post.c starts then, not once the chain reaches boot 2."""
        b_dies_in_c = 'TAP version 13\n# seed: 5\n1..4\n# running 3 post.c\n'
        resumed = threading.Event()
        seen = {}
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(b_dies_in_c, CRASH)],
                         'post.c': [(AFTER_C, DONE)]},
                        hooks={None: lambda: seen.setdefault('early', resumed.wait(3)),
                               'post.c': resumed.set})
        paths = self.run_chain(boot, ['seed=5'], 2, ahead=['post.b'])
        self.assertTrue(seen['early'], 'the boot after=post.c waited for the chain to reach boot 2')
        self.assertEqual([self.read(p) for p in paths], [FIRST, b_dies_in_c, AFTER_C])
        self.assertEqual(boot.after('post.c'), [['seed=5', 'after=post.c']])
        self.assertTrue(self.noted('boot 3 (after=post.c) starts now: boot 2 died in post.c'), self.notes)
        self.assertTrue(self.noted('boot 3, started ahead, resumes after it'), self.notes)
        self.assertEqual(list(self.chain.deaths), ['post.b', 'post.c'])

    def test_infra_failure_reruns_the_boot_with_its_seed(self):
        whole = FIRST.replace('seed: 5', 'seed: 7') + (
            'ok 2 - post.b\n# running 3 post.c\nok 3 - post.c\n# running 4 post.d\n'
            'ok 4 - post.d\n# hvconform: 4 passed, 0 failed, 0 skipped\n# hvconform: end\n')
        cut = 'TAP version 13\n# seed: 7\n1..4\n# running 1 post.a\n'
        boot = FakeBoot({None: [(cut, HUNG), (whole, DONE)]})
        paths = self.run_chain(boot, ['avoid=x'], 1)
        self.assertEqual(boot.calls, [['avoid=x'], ['avoid=x', 'seed=7']],
                         'the rerun must have the same arguments and the seed the boot printed')
        self.assertEqual(paths, [self.log + '.1'])
        self.assertEqual(self.read(paths[0]), whole, 'the piece must hold the rerun only')
        self.assertTrue(self.noted('L1 hung', 'runs again'), self.notes)
        self.assertEqual(self.chain.deaths, {})
        self.assertEqual(self.files(), ['log.1'])

    def test_infra_failing_every_time_gives_up(self):
        cut = 'TAP version 13\n# seed: 7\n1..4\n'
        n = chain.MAX_RERUNS + 1
        boot = FakeBoot({None: [(cut, HUNG)] * n})
        with self.assertRaises(chain.ChainError):
            self.run_chain(boot, [], 1)
        self.assertEqual(len(boot.calls), n)

    def test_qemu_failing_to_start_raises(self):
        for workers in (1, 2):
            with self.subTest(workers=workers):
                boot = FakeBoot({None: [('', BootResult(How.FAILED, 1))]})
                with self.assertRaises(chain.ChainError):
                    self.run_chain(boot, [], workers)
                self.assertEqual(len(boot.calls), 1)

    def test_a_boot_dying_before_its_first_byte_runs_again(self):
        """An L2 QEMU that crashed before printing anything: nothing ran, so
        the boot runs again (an empty log was checked: exit 2, "empty log");
        twice, it is QEMU that cannot run the VM (ChainError, exit 3); killed
        from outside, no rerun."""
        whole = FIRST.split('# running 2')[0] + '# hvconform: 1 passed, 0 failed, 0 skipped\n# hvconform: end\n'
        for workers in (1, 2):
            with self.subTest(workers=workers):
                self.notes.clear()
                boot = FakeBoot({None: [('', BootResult(How.CRASHED, 127)), (whole, DONE)]})
                paths = self.run_chain(boot, [], workers)
                self.assertEqual([self.read(p) for p in paths], [whole])
                self.assertEqual(len(boot.calls), 2)
                self.assertTrue(self.noted('boot 1', 'before printing anything: booting it again'), self.notes)
                self.assertEqual(self.files(), ['log.1'])
                os.remove(self.log + '.1')
                boot = FakeBoot({None: [('', BootResult(How.CRASHED, 127))] * 2})
                with self.assertRaisesRegex(chain.ChainError, 'before printing anything, in two boots'):
                    self.run_chain(boot, [], workers)
                self.assertEqual(len(boot.calls), 2)
                self.assertEqual(self.files(), [], 'empty boots left their files')
                boot = FakeBoot({None: [('', BootResult(How.SIGNAL, -9))]})
                with self.assertRaisesRegex(chain.ChainError, 'signal -9 before printing anything'):
                    self.run_chain(boot, [], workers)
                self.assertEqual(len(boot.calls), 1)
                for f in self.files():
                    os.remove(os.path.join(self.dir, f))

    def test_timeout_bounds_the_whole_run(self):
        """--timeout is the run's limit: reruns of a failing L1 and resumes
        after deaths stop when it is used up (a damaged L1 hung through 12
        restores for 173 s with --timeout 10)."""
        cut = 'TAP version 13\n# seed: 7\n1..4\n'
        slow = {None: lambda: time.sleep(0.2)}
        boot = FakeBoot({None: [(cut, HUNG)] * (chain.MAX_RERUNS + 1)}, slow)
        self.chain = chain.Chain(boot, K(), self.log, self.notes.append, lambda r: r.how.value, 1, echo=False,
                                 deadline=lambda end=time.monotonic() + 0.3: end)
        with self.assertRaisesRegex(chain.ChainError, '--timeout is used up'):
            self.chain.run(None, [])
        self.assertEqual(len(boot.calls), 2)
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(AFTER_B, DONE)]}, slow)
        self.chain = chain.Chain(boot, K(), self.log, self.notes.append, lambda r: r.how.value, 1, echo=False,
                                 deadline=lambda end=time.monotonic() + 0.1: end)
        paths = self.chain.run(None, [])
        self.assertEqual(([self.read(p) for p in paths], len(boot.calls)), ([FIRST], 1))
        self.assertTrue(self.noted('--timeout is used up: not resuming'), self.notes)

    def test_death_in_a_resumed_boot_resumes_again(self):
        after_b = AFTER_B.split('ok 3')[0]          # dies in post.c
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(after_b, CRASH)],
                         'post.c': [(AFTER_C, DONE)]})
        paths = self.run_chain(boot, ['seed=5'], 1)
        self.assertEqual([self.read(p) for p in paths], [FIRST, after_b, AFTER_C])
        self.assertEqual(list(self.chain.deaths), ['post.b', 'post.c'])

    def test_same_death_again_gets_a_piece_of_its_own(self):
        # a kernel that ignored after= would die in post.b every time: each
        # boot keeps its own file and place (they shared one: FileNotFoundError)
        dies = FIRST.replace('# running 1 post.a\nok 1 - post.a\n', '')
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(dies, CRASH), (dies, CRASH), (AFTER_C, DONE)]})
        paths = self.run_chain(boot, ['seed=5'], 1)
        self.assertEqual([self.read(p) for p in paths], [FIRST, dies, dies, AFTER_C])


PROFILE = """\
# known deviations
post.a died triple fault
post.b died hangs
post.c died="signal 6" resets
post.d died sometimes
post.d pass otherwise
post.e died="signal 11" sometimes
post.e got=0x0003 otherwise
post.f got=0x0005 wrong status, the VM dies: not up front
post.g got=0x0005 wrong status
avoid big_mem the host cannot
"""


class SpeculateTest(unittest.TestCase):
    def setUp(self):
        with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
            f.write(PROFILE)
        self.addCleanup(os.remove, f.name)
        self.prof = profile.read(f.name)

    def test_sure_deaths_in_file_order(self):
        self.assertEqual(chain.speculate(K(['avoid=x']), self.prof, 2),
                         ['post.a', 'post.b', 'post.c'])

    def test_nothing_ahead(self):
        self.assertEqual(chain.speculate(K([]), self.prof, 1), [], 'one worker')
        self.assertEqual(chain.speculate(K([]), None, 2), [], 'no profile')
        for kargs in (['tests=post.a'], ['after=post.a'], ['list'], ['seed=3', 'tests=post']):
            self.assertEqual(chain.speculate(K(kargs), self.prof, 2), [], kargs)

    def test_seen_deaths_only_longest_first(self):
        self.assertEqual(chain.speculate(K([]), self.prof, 2, {'post.b': 1.0, 'post.c': 3.0}),
                         ['post.c', 'post.b'])
        self.assertEqual(chain.speculate(K([]), self.prof, 2, {'post.d': 9.0, 'post.g': 5.0}), [],
                         'only sure deaths, even when seen')
        self.assertEqual(chain.speculate(K([]), self.prof, 2, {}), [], 'a whole run with no death')

    def test_constructed_profile(self):
        p = profile.parse('post.x died boom\npost.y died boom\npost.y pass else\n', 'mem')
        self.assertEqual(chain.speculate(K([]), p, 3), ['post.x'])


if __name__ == '__main__':
    unittest.main()
