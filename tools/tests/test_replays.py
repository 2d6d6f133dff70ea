"""replays.py through chain.Chain with a fake boot (test_chain's FakeBoot):
an intermittent death replayed until a replay does not die there (at most
MAX_REPLAYS; a death on every replay fails, so does one whose replays the
--timeout cut short), and a rare pass (`rare-pass`) replayed until a replay
shows a pinned deviation (a death, or a failure with only pinned tokens).
Each replay boots the piece's arguments and seed with until= the test
replayed (the kernel then ends after it, as UNTIL_B shows)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import test_chain as tc  # noqa: E402
from test_chain import CRASH, DONE, FIRST, AFTER_B, AFTER_C, WHOLE, FakeBoot  # noqa: E402
from hvconform import chain, pieces, profile, replays, verdict  # noqa: E402
from hvconform.kargs import KernelArgs as K  # noqa: E402

# what the kernel prints for FIRST's boot with until=post.b, when post.b passes
UNTIL_B = (FIRST.replace('1..4', '1..2') + 'ok 2 - post.b\n'
           '# hvconform: 2 passed, 0 failed, 0 skipped\n# hvconform: end\n')
REPLAY = ['avoid=x', 'until=post.b', 'seed=5']      # FIRST's arguments and seed, ending after post.b


class ReplayTest(unittest.TestCase):
    setUp, run_chain, read = tc.ChainTest.setUp, tc.ChainTest.run_chain, tc.ChainTest.read

    def replayed(self, *replays):
        """The first boot dies in post.b, which the profile pins as an
        intermittent death; the replays (same arguments, the seed it printed)
        print `replays` in turn; then the verdict on the run's pieces (the fake
        pieces are no valid resume: only post.b's line is looked at)."""
        boot = FakeBoot({None: [(FIRST, CRASH)] + list(replays), 'post.b': [(AFTER_B, DONE)]})
        paths = self.run_chain(boot, ['avoid=x'], 1, replay=['post.b'])
        n = len(replays)
        self.assertEqual(boot.calls[:1 + n], [['avoid=x']] + [REPLAY] * n,
                         'each replay must be the same boot, ending after post.b')
        for k, (text, _) in enumerate(replays, 1):
            self.assertEqual(self.read('%s.replay1.%d' % (self.log, k)), text)
        self.assertFalse(boot.script[None], 'replays left unbooted: %d' % len(boot.script[None]))
        prof = profile.parse('post.b died a race\npost.b pass otherwise\n', 'p.txt')
        return verdict.Verdict([pieces.load(p) for p in paths], prof)

    def test_intermittent_death_reproduced_by_every_replay_fails(self):
        """A death that became deterministic: all MAX_REPLAYS replays die there."""
        v = self.replayed(*[(FIRST, CRASH)] * replays.MAX_REPLAYS)
        host = self.read(self.log + '.1.host')
        self.assertIn('replay of post.b: reproduced: %d of at most %d' % ((replays.MAX_REPLAYS,) * 2), host)
        self.assertTrue([l for l in v.report() if l.startswith('DIED') and 'died there again' in l], v.report())
        self.assertFalse([l for l in v.report() if l.startswith('KNOWN post.b')], v.report())

    def test_intermittent_death_not_reproduced_is_known(self):
        v = self.replayed((UNTIL_B, DONE))
        self.assertIn('replay of post.b: not reproduced: 1 of at most', self.read(self.log + '.1.host'))
        self.assertFalse([l for l in v.report() if l.startswith('DIED')], v.report())
        self.assertTrue([l for l in v.report() if l.startswith('KNOWN post.b') and 'did not reproduce' in l])

    def test_a_race_that_hits_often_is_excused_by_a_later_replay(self):
        """Replays that die there too go on until one does not (a race that hits often)."""
        k = replays.MAX_REPLAYS - 1
        v = self.replayed(*[(FIRST, CRASH)] * k, (UNTIL_B, DONE))
        self.assertIn('replay of post.b: not reproduced: %d of at most' % (k + 1), self.read(self.log + '.1.host'))
        self.assertTrue([l for l in v.report() if l.startswith('KNOWN post.b') and 'did not reproduce' in l],
                        v.report())

    def test_replays_stop_when_the_timeout_is_used_up(self):
        """No replay starts after the run's --timeout is used up; the death is then not excused."""
        end = [time.monotonic() + 3600]
        boot = FakeBoot({None: [(FIRST, CRASH)] * 3, 'post.b': [(AFTER_B, DONE)]},
                        {None: lambda: len(boot.calls) == 2 and end.__setitem__(0, 0)})   # after the first replay
        self.chain = chain.Chain(boot, K(['avoid=x']), self.log, self.notes.append, lambda r: str(r.status),
                                 1, echo=False, replay=['post.b'], deadline=lambda: end[0])
        self.chain.run(None, [])
        self.assertEqual([c for c in boot.calls if not any(w.startswith('after=') for w in c)],
                         [['avoid=x'], REPLAY], 'one replay, then the --timeout was used up')
        self.assertIn('replay of post.b: reproduced: 1 of at most', self.read(self.log + '.1.host'))

    def confirmed(self, *replays_, pins='post.b died usually\n'):
        """The first boot passes post.b, whose profile pins `pins` and rare-pass
        (they are usual); the replays print `replays_` in turn."""
        prof = profile.parse(pins + 'post.b rare-pass when the race goes the other way\n', 'p.txt')
        boot = FakeBoot({None: [(WHOLE, DONE)] + list(replays_)})
        paths = self.run_chain(boot, ['avoid=x'], 1, confirm={'post.b': prof.get('post.b')})
        self.assertEqual(boot.calls, [['avoid=x']] + [REPLAY] * len(replays_))
        return verdict.Verdict([pieces.load(p) for p in paths], prof)

    def test_a_rare_pass_is_excused_when_a_replay_dies_there(self):
        v = self.confirmed((UNTIL_B, DONE), (FIRST, CRASH))
        self.assertIn('replay of post.b: confirmed: 2 of at most', self.read(self.log + '.1.host'))
        self.assertIn('the last died there', self.read(self.log + '.1.host'))
        self.assertTrue([l for l in v.report() if l.startswith('INTERMITTENT post.b')], v.report())
        self.assertEqual(v.exit_status, 0, v.report())

    def test_a_rare_pass_that_every_replay_repeats_is_stale(self):
        """The usual death is gone (a fixed hypervisor): every replay passes too."""
        v = self.confirmed(*[(UNTIL_B, DONE)] * replays.MAX_REPLAYS)
        self.assertIn('replay of post.b: not confirmed', self.read(self.log + '.1.host'))
        self.assertTrue([l for l in v.report() if 'profile stale: post.b' in l and 'the deviation may be gone' in l],
                        v.report())
        self.assertEqual(v.exit_status, 1)

    def test_a_rare_pass_is_excused_by_a_replay_failing_as_pinned(self):
        """rare-pass beside a pinned failure: a replay whose failure shows only pinned tokens
        confirms the pass; one failing with another token does not."""
        failing = FIRST + 'not ok 2 - post.b # x\n  ---\n  observed: "%s"\n  ...\n' + WHOLE[len(FIRST) + len('ok 2 - post.b\n'):]
        v = self.confirmed((failing % 'check=3', DONE), (failing % 'check=2', DONE), pins='post.b check=2 usually\n')
        host = self.read(self.log + '.1.host')
        self.assertIn('replay of post.b: confirmed: 2 of at most', host)
        self.assertIn('the last failed as pinned', host)
        self.assertEqual(v.exit_status, 0, v.report())

    def test_a_resumed_piece_is_replayed_from_its_after_to_the_test(self):
        """A death in a piece resumed after another test: its replay keeps after=,
        ends after the test replayed, and an until= of the user's gives way to it."""
        crash_c = AFTER_B[:AFTER_B.index('ok 3')]
        until_c = crash_c + 'ok 3 - post.c\n# hvconform: 1 passed, 0 failed, 0 skipped\n# hvconform: end\n'
        boot = FakeBoot({None: [(FIRST, CRASH)], 'post.b': [(crash_c, CRASH), (until_c, DONE)],
                         'post.c': [(AFTER_C, DONE)]})
        self.run_chain(boot, ['until=post.d'], 1, replay=['post.c'])
        self.assertEqual(boot.calls[2], ['seed=5', 'after=post.b', 'until=post.c'], boot.calls)
        self.assertEqual(len(boot.calls), 4, boot.calls)
        host = self.read(self.log + '.2.host')
        self.assertIn('replay of post.c: not reproduced: 1 of at most %d replay(s) (same arguments, ending after '
                      'post.c: seed=5 after=post.b until=post.c), the last ran to its end' % replays.MAX_REPLAYS, host)


if __name__ == '__main__':
    unittest.main()
