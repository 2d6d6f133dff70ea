"""make test cases of the verdict against a real Hyper-V-enlightened guest
(nested runner): fuzz.post is normative, and an intermittent death the
runner's replay reproduces fails the run (issue 22); a replay ends after the
test it replays (until=)."""

import glob
import os
import re

from harness import case
from hvconform import tap


def replay_pieces(r):
    """The parsed replay logs (LOG.replayN.K) of run r, in replay order."""
    paths = sorted((p for p in glob.glob(glob.escape(r.log) + '.replay*.*')
                    if re.fullmatch(r'\.replay\d+\.\d+', p[len(r.log):])),     # not LOG.replayN.K.host
                   key=lambda p: [int(x) for x in re.findall(r'\d+', p[len(r.log):])])
    return [tap.parse(open(p, 'rb').read().decode('utf-8', 'replace'), p) for p in paths]


@case('nested-replay', lane='nested', needs_nested=True)
def nested_replay(t):
    """An intermittent death the runner's replay reproduces fails the run (issue 22):
    a profile pins post.simp_disabled's death (QEMU's test device asserts, every time)
    beside a pass, as if it were a race; the runner replays the boot that died with the
    same arguments and seed, the replay dies there again, and the death is a DIED that
    says so. With the death pinned alone it is known, and no replay runs."""
    prof = os.path.join(t.dir, 'intermittent.txt')
    with open(prof, 'w') as f:
        f.write('post.simp_disabled died="msg_cb: Assertion" illustrative: pinned as a race\n'
                'post.simp_disabled pass illustrative: as if it passed on some runs\n')
    args = ('--mode', 'nested', '--config', 'full', '--args', 'tests=post.simp_disabled,post.success')
    r = t.rq(*args, '--profile', prof, tag='replay')
    t.want_rc(r, 1)
    t.check(re.search(r'^DIED  VM died during post\.simp_disabled .*died there again', r.out, re.M),
            'no DIED line saying the replay reproduced the death')
    host = r.piece_paths()[0] + '.host'
    text = open(host).read() if os.path.exists(host) else ''
    t.check('replay of post.simp_disabled: reproduced' in text and 'msg_cb: Assertion' in text,
            'the host record %s lacks the replay or QEMU\'s assertion: %r' % (host, text[:300]))
    # each replay was told to end after the test it replays (until=; here the selection's
    # last, post.success runs before it), and the L2 kernel took it: no bail, a death there
    reps = replay_pieces(r)
    t.check(len(reps) == 8 and all(p.cmdline and 'until=post.simp_disabled' in p.cmdline.split() and not p.bail
                                   and p.running and p.running.name == 'post.simp_disabled' for p in reps),
            'replays without until=post.simp_disabled, or not dying there: %s'
            % [(p.label, p.cmdline, p.bail, p.running) for p in reps][:2])
    with open(prof, 'w') as f:
        f.write('post.simp_disabled died="msg_cb: Assertion" illustrative: a sure death\n')
    r = t.rq(*args, '--profile', prof, tag='sure')
    t.want_rc(r, 0)
    t.check(r.status('post.simp_disabled') == 'known' and 'replaying' not in r.out,
            'a sure death: %s, replayed: %s' % (r.status('post.simp_disabled'), 'replaying' in r.out))


@case('nested-fuzz-normative', lane='nested', needs_nested=True)
def nested_fuzz_normative(t):
    """fuzz.post is normative (issue 22): against QEMU, which breaks rows of the
    rule table, a run whose profile pins none of fuzz.post's classes fails, and
    the cell names each class as (row, observed status)."""
    args = ('--mode', 'nested', '--config', 'full', '--profile', 'none', '--args',
            'tests=fuzz.post fuzz=300 seed=22 avoid=payload_240,simp_off')
    r = t.rq(*args, tag='fuzz-normative')
    fz = r.tests().get('fuzz.post') or {}
    if fz.get('status') == 'died':
        # L2's QEMU can die under the fuzzer, rarely and not with this seed every time:
        # a finding of its own, not what this case checks, so one more run decides
        t.transcript.write('# fuzz.post died in the first run (%s); running it again\n' % (fz.get('detail') or '')[:200])
        r = t.rq(*args, tag='fuzz-normative-again')
        fz = r.tests().get('fuzz.post') or {}
    t.want_rc(r, 1)
    t.check(fz.get('kind') == 'normative' and fz.get('status') == 'fail',
            'fuzz.post is %s/%s, want normative/fail' % (fz.get('kind'), fz.get('status')))
    t.check(re.search(r'^FAIL  fuzz\.post - ', r.out, re.M), 'no "FAIL  fuzz.post" line')
    classes = fz.get('observed') or []
    t.check(classes and all(re.match(r'^[a-z0-9_.]+:(got|fault|delivery)=', c) for c in classes),
            'fuzz.post observed %s, want RULE:TOKEN classes' % classes)


@case('nested-rare-pass', lane='nested', needs_nested=True, slow=True)
def nested_rare_pass(t):
    """A rare pass no replay confirms is stale (replays.confirm_pass): a profile pins
    post.success's death as its usual outcome beside rare-pass, as if QEMU had died there;
    post.success passes, the runner replays that boot up to MAX_REPLAYS times, none dies
    there, and the entry is stale: a deviation that went away is caught."""
    prof = os.path.join(t.dir, 'rare.txt')
    with open(prof, 'w') as f:
        f.write('post.success died illustrative: as if QEMU died here on most runs\n'
                'post.success rare-pass illustrative: and passed on a few\n')
    r = t.rq('--mode', 'nested', '--config', 'full', '--args', 'tests=post.success', '--profile', prof, tag='rare')
    t.want_rc(r, 1)
    t.check(re.search(r'^STALE .*profile stale: post\.success now passes.*the deviation may be gone', r.out, re.M),
            'no STALE line saying no replay showed the pinned deviation')
    host = r.piece_paths()[0] + '.host'
    text = open(host).read() if os.path.exists(host) else ''
    t.check(re.search(r'^replay of post\.success: not confirmed: (\d+) of at most \1 ', text, re.M),
            'the host record %s lacks every replay not confirming the pass: %r' % (host, text[:300]))


@case('replay-ends-after')
def replay_ends_after(t):
    """A replay ends after the test it replays (until=NAME): a profile pins
    harness.no_fault's death as its usual outcome beside rare-pass; under TCG it passes,
    the runner replays that boot (up to MAX_REPLAYS times, each passing again), and each
    replay's log ends after harness.no_fault, as a complete run (plan 1..1, end marker),
    without the selection's later tests. The verdict is as before: no replay showed the
    pinned death, so the entry is stale."""
    prof = os.path.join(t.dir, 'rare.txt')
    with open(prof, 'w') as f:
        f.write('harness.no_fault died illustrative: as if the VM died here on most runs\n'
                'harness.no_fault rare-pass illustrative: and passed on a few\n')
    r = t.rq('--mode', 'tcg', '--profile', prof, '--args', 'tests=harness.no_fault,harness.user_mode,harness.time')
    t.want_rc(r, 1)
    t.check(r.status('harness.user_mode') == 'pass' and r.status('harness.time') == 'pass',
            'the run itself did not run the tests after harness.no_fault')
    t.check(re.search(r'^STALE .*profile stale: harness\.no_fault now passes', r.out, re.M),
            'no STALE line for the rare pass no replay confirmed')
    reps = replay_pieces(r)
    t.check(len(reps) == 8, '%d replay logs, want 8 (each passes, none confirms)' % len(reps))
    for p in reps:
        names = [x.name for x in p.results]
        t.check(names == ['harness.no_fault'] and p.results[0].status == 'pass' and p.complete
                and p.plan and p.plan[0] == 1 and not p.errors,
                '%s: results %s, complete %s, plan %s, errors %s: want a complete run of harness.no_fault '
                'alone' % (p.label, names, p.complete, p.plan, p.errors[:2]))
        untils = [w for w in (p.cmdline or '').split() if w.startswith('until=')]
        t.check(untils == ['until=harness.no_fault'],
                '%s: command line %r, want one until=harness.no_fault' % (p.label, p.cmdline))
    host = r.piece_paths()[0] + '.host'
    text = open(host).read() if os.path.exists(host) else ''
    t.check(re.search(r'^replay of harness\.no_fault: not confirmed: 8 of at most 8 replay\(s\) \(same arguments, '
                      r'ending after harness\.no_fault: [^)]*until=harness\.no_fault', text, re.M),
            'the host record %s lacks the replays with their arguments: %r' % (host, text[:300]))
