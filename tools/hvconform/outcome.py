"""A result against its profile listing (profiles/README.md): the observed outcome of a log's
result and whether the profile pins it.

    observed(r)            frozenset of tokens: the YAML block's `observed:` (comma-separated),
                           else read from the diagnostic ("got 0x0003" -> got=0x0003,
                           "unexpected #GP" -> fault=#GP), else empty
    judge(r, listing)      (status, detail): status pass|fail|known|skip|died|stale|
                           intermittent|status_only; detail says how the profile and the log
                           differ ("profile: got=0x0003; log: got=0x0000"), or how a death was
                           excused, or None
    host_text(r)           the host's record of a death (its `ended:`/`stderr:` lines), or ''
    reason(r, listing)     the reasons of the lines that pin what the log shows
    replay_of(r)           the runner's replays' word on r (replays.py: 'not reproduced', 'reproduced',
                           'confirmed', 'not confirmed'), from its piece's host record, or None
"""

import re

GOT_RE = re.compile(r'\bgot (?:status )?0x([0-9a-fA-F]{4})\b')
FAULT_RE = re.compile(r'\bunexpected (#[A-Z]{2})\b')


def observed(r):
    y = (r.yaml or {}).get('observed')
    if isinstance(y, str) and y.strip():
        return frozenset(t.strip() for t in y.split(',') if t.strip())
    m = FAULT_RE.search(r.diag or '')
    if m:
        return frozenset(['fault=' + m.group(1)])
    m = GOT_RE.search(r.diag or '')
    return frozenset(['got=0x' + m.group(1).lower()]) if m else frozenset()


def host_lines(r):
    return [l for l in (getattr(r, 'host', None) or []) if l.startswith(('ended:', 'stderr:'))]


def host_text(r):
    return ' '.join(l.split(':', 1)[1].strip() for l in host_lines(r))


REPLAY_OF = 'replay of %s: '     # a host record's line of the runner's replays of test %s


def replay_of(r):
    head = REPLAY_OF % r.name
    for l in getattr(r, 'host', None) or []:
        if l.startswith(head):
            return l[len(head):].split(':', 1)[0]
    return None


def status_only(r):
    why = (r.yaml or {}).get('status_only')
    return r.status == 'pass' and isinstance(why, str) and bool(why.strip())


def judge(r, listing):
    if r.status == 'skip':
        return 'skip', None
    if r.status == 'pass':
        if listing is None:
            return ('status_only' if status_only(r) else 'pass'), None
        if not listing.may_pass:
            return 'stale', None
        if not listing.rare_pass:
            return 'intermittent', None
        replay = replay_of(r)
        if replay == 'confirmed':
            return 'intermittent', None
        return 'stale', ('profile: %s (a pass is rare): %s' % (
            listing.text(), 'no replay of the runner\'s (same seed and selection) showed a pinned outcome: the '
            'deviation may be gone' if replay else 'excused only when a replay shows a pinned outcome, and this '
            'log has no replay'))
    if r.status == 'fail':
        if listing is None:
            return 'fail', None
        obs = observed(r)
        log = ','.join(sorted(obs)) or '(no observed outcome)'
        fails = [p for p in listing.pins if p.tokens]
        if not fails:
            return 'fail', 'profile: %s; log: %s' % (listing.text(), log)
        unpinned = obs - listing.tokens
        if not obs or unpinned:
            return 'fail', 'profile: %s; log: %s%s' % (
                listing.text(fails), log,
                ' (not pinned: %s)' % ','.join(sorted(unpinned)) if obs and len(obs) > 1 else '')
        return 'known', None
    # a death
    if listing is None:
        return 'died', None
    host = host_text(r)
    log = 'died' + (' (host: %s)' % host if host else ' (no host record)')
    if not listing.deaths:
        return 'died', 'profile: %s; log: %s' % (listing.text(), log)
    if not any(p.death == '' or p.death in host for p in listing.deaths):
        return 'died', 'profile: %s; log: %s' % (listing.text(listing.deaths), log)
    if listing.sure_death:
        return 'known', None
    replay = replay_of(r)
    if replay == 'not reproduced':
        return 'known', ("intermittent death: a replay of the runner's (same seed and selection) did not "
                         "reproduce it")
    if replay == 'reproduced':
        return 'died', ('profile: %s (intermittent); every replay of the runner\'s (same seed and selection) '
                        'died there again: not intermittent' % listing.text())
    return 'died', ('profile: %s (intermittent): excused only when a replay does not reproduce '
                    'it, and this log has no replay' % listing.text())


def reason(r, listing):
    if r.status == 'died':
        pins = listing.deaths
    else:
        obs = observed(r)
        pins = [p for p in listing.pins if p.tokens & obs]
    return ' | '.join(dict.fromkeys(p.reason for p in pins)) or listing.reason
