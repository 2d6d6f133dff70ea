"""The nested runner keeps L1 after an L2 crash and watches the next boot:
one that prints nothing within the limit runs again in a fresh L1, and never
becomes a result; boots waiting for a slot take it longest first. Fake L1s
stand in for QEMU."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import jobproto, nested  # noqa: E402
from hvconform.bootresult import How  # noqa: E402


class FakeL1:
    """Answers run_job from a script of (status, printed) pairs."""
    made = []

    def __init__(self, script):
        self.script, self.calls, self.closed, self.smp = list(script), [], False, 2
        self.died = False           # host QEMU ended by itself
        FakeL1.made.append(self)

    def ended(self):
        return self.closed or self.died

    def run_job(self, slot, image, fields, timeout, out, first_output=None):
        self.calls.append(first_output)
        status, printed = self.script.pop(0)
        if printed:
            out(b'TAP version 13\n')
        return status, {'printed': printed, 'stderr': [], 'silent_for': first_output or 0}

    def host_err(self):
        return ''

    def where(self):
        return 'fake'

    def l1_log(self):
        return ''

    def close(self):
        self.closed = True


class Runner(nested.Nested):
    """Nested without a cache: a restore makes the next fake L1."""

    def __init__(self, scripts):
        os.environ['HVCONFORM_L1_CACHE'] = '/nonexistent'     # no cache is built
        os.environ['HVCONFORM_WARM_L2'] = '0'       # gen2 boots cold: no saved L2 (test_warm.py)
        nested.Nested.__init__(self, 'fake', lambda m: None, prefetch=0)
        self.scripts = list(scripts)

    def _restore(self, want):
        return FakeL1(self.scripts.pop(0))


def boot(r, path='kernel', uefi=False):
    return r.boot(path, '/nonexistent', '', [], 1, 60, lambda b: None, uefi=uefi)


class ReuseAfterCrash(unittest.TestCase):
    def setUp(self):
        FakeL1.made = []

    def test_crash_keeps_l1_and_watches_next_boot(self):
        r = Runner([[(127, True), (33, True), (33, True)]])
        self.assertEqual(boot(r).how, How.CRASHED)
        self.assertEqual(boot(r).how, How.EXITED)
        self.assertEqual(boot(r).how, How.EXITED)
        self.assertEqual(len(FakeL1.made), 1, 'a crash must not cost an L1 restore')
        vm = FakeL1.made[0]
        self.assertEqual(vm.calls, [None, nested.REUSE_AFTER_CRASH['kernel'], None])

    def test_silent_boot_after_crash_reruns_in_fresh_l1(self):
        r = Runner([[(127, True), (jobproto.Fault.L2_SILENT, False)], [(33, True)]])
        boot(r)
        r = boot(r)
        self.assertEqual((r.status, r.how), (33, How.EXITED), 'the silent boot was not rerun')
        self.assertTrue(FakeL1.made[0].closed, 'the wedged L1 was kept')
        self.assertEqual(FakeL1.made[1].calls, [None], 'the fresh L1 was watched as if after a crash')

    def test_timeout_and_uefi_crash_take_fresh_l1(self):
        for status, path, uefi in ((124, 'kernel', False), (127, 'efi', True), (127, 'iso', True)):
            FakeL1.made = []
            r = Runner([[(status, True)], [(33, True)]])
            boot(r, path, uefi)
            boot(r, path, uefi)
            self.assertEqual(len(FakeL1.made), 2, '%s (uefi %s) after status %d kept its L1' % (path, uefi, status))


class GateL1(FakeL1):
    """Each boot (named by its kernel arguments) holds its slot until released."""

    def __init__(self):
        FakeL1.__init__(self, [])
        self.order, self.gates = [], {}

    def run_job(self, slot, image, fields, timeout, out, first_output=None):
        name = fields['arg'][fields['arg'].index('-append') + 1]
        gate = self.gates.setdefault(name, threading.Event())
        self.order.append(name)
        gate.wait(10)
        return 33, {'printed': True, 'stderr': []}


class SlotOrder(unittest.TestCase):
    def test_waiting_boots_take_slots_longest_first(self):
        vm = GateL1()
        r = Runner([])
        r._restore = lambda want: vm
        threads = []

        def start(name, longest):
            t = threading.Thread(target=r.boot, args=('kernel', '/nonexistent', name, [], 1, 60,
                                                      lambda b: None, longest))
            t.start()
            threads.append(t)

        def until(cond):
            for _ in range(500):
                if cond():
                    return
                time.sleep(0.01)
            self.fail('timed out: order %s, waiting %s' % (vm.order, r.waiting))

        start('a', 0)
        start('b', 0)
        until(lambda: len(vm.order) == 2)              # both slots taken
        for name, longest in (('short', 1.0), ('long', 5.0), ('mid', 3.0)):
            start(name, longest)
            until(lambda: len(r.waiting) == len(threads) - 2)
        for done in ('a', 'b', 'long', 'mid', 'short'):
            vm.gates.setdefault(done, threading.Event()).set()
            until(lambda: len(vm.order) == min(5, 3 + ('a', 'b', 'long', 'mid', 'short').index(done)))
        for t in threads:
            t.join(5)
        self.assertEqual(vm.order, ['a', 'b', 'long', 'mid', 'short'],
                         'waiting boots must take free slots longest first')


class HeldL1(FakeL1):
    """Each boot (named by its kernel arguments) ends as results says, once
    its gate is set (at once: those named in go); firsts: each boot's
    first-output limit (its crash watch)."""

    def __init__(self, results, go=()):
        FakeL1.__init__(self, [])
        self.results, self.firsts = results, {}
        self.gates = {name: threading.Event() for name in go}
        for gate in self.gates.values():
            gate.set()

    def release(self, name):
        self.gates.setdefault(name, threading.Event()).set()

    def run_job(self, slot, image, fields, timeout, out, first_output=None):
        name = fields['arg'][fields['arg'].index('-append') + 1]
        self.firsts[name] = first_output
        self.gates.setdefault(name, threading.Event()).wait(10)
        status, printed = self.results.get(name, (33, True))
        return status, {'printed': printed, 'stderr': [], 'silent_for': 0}


class TwoBootsInOneL1(unittest.TestCase):
    """What one boot's end does to the L1 the other boot still runs in."""

    def run_two(self, first, vms):
        made = list(vms)
        r = Runner([])
        r._restore = lambda want: made.pop(0)
        results = {}

        def start(name):
            t = threading.Thread(target=lambda: results.setdefault(name, r.boot(
                'kernel', '/nonexistent', name, [], 1, 60, lambda b: None)))
            t.start()
            return t

        def until(cond, what):
            for _ in range(500):
                if cond():
                    return
                time.sleep(0.01)
            self.fail('timed out waiting until ' + what)
        held = vms[0]
        threads = [start(first), start('other')]
        until(lambda: len(held.firsts) == 2, 'both boots run')
        held.release(first)
        return r, threads, results, until

    def test_retired_l1_closes_when_its_last_boot_ends(self):
        held, fresh = HeldL1({'hung': (124, True)}), HeldL1({}, go=[''])
        r, threads, results, until = self.run_two('hung', [held, fresh])
        threads[0].join(5)
        self.assertEqual(results['hung'].how, How.TIMEOUT)
        self.assertFalse(held.closed, 'a retired L1 was closed under a running boot')
        threads.append(threading.Thread(target=boot, args=(r,)))
        threads[-1].start()
        until(lambda: fresh.firsts, 'a later boot runs in a fresh L1')
        held.release('other')
        threads[1].join(5)
        self.assertTrue(held.closed, 'the retired L1 outlived its last boot')
        threads[-1].join(5)
        self.assertFalse(fresh.closed)

    def test_failed_l1_is_stopped_at_once_and_the_boot_reruns(self):
        held, fresh = HeldL1({'lost': (jobproto.Fault.L1_HUNG, False)}), HeldL1({}, go=['lost'])
        r, threads, results, until = self.run_two('lost', [held, fresh])
        threads[0].join(5)
        self.assertTrue(held.closed, 'a failed L1 was kept running')
        self.assertEqual((results['lost'].how, fresh.firsts), (How.EXITED, {'lost': None}))
        held.release('other')
        threads[1].join(5)

    def test_l1_found_dead_is_stopped_at_once(self):
        held, fresh = HeldL1({}), HeldL1({}, go=[''])
        r, threads, results, until = self.run_two('done', [held, fresh])
        threads[0].join(5)
        held.died = True
        self.assertEqual(boot(r).how, How.EXITED)
        self.assertTrue(held.closed, 'an L1 whose QEMU ended waited for its last boot')
        self.assertEqual(fresh.firsts, {'': None})
        held.release('other')
        threads[1].join(5)

    def test_after_a_crash_only_the_next_boot_is_watched(self):
        held = HeldL1({'crash': (127, True)}, go=['x', 'y'])
        r, threads, results, until = self.run_two('crash', [held])
        threads[0].join(5)
        self.assertEqual(results['crash'].how, How.CRASHED)
        more = [threading.Thread(target=r.boot, args=('kernel', '/nonexistent', n, [], 1, 60, lambda b: None))
                for n in ('x', 'y')]
        for t in more:
            t.start()
        held.release('other')
        for t in more + threads[1:]:
            t.join(5)
        self.assertFalse(held.closed, 'a crash cost the L1')
        watched = [n for n in ('x', 'y') if held.firsts[n]]
        self.assertEqual(len(watched), 1, 'crash watch went to %s' % watched)
        self.assertEqual(held.firsts[watched[0]], nested.REUSE_AFTER_CRASH['kernel'])


if __name__ == '__main__':
    unittest.main()
