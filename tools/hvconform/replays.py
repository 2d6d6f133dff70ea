"""A race's outcome checked by booting the same boot again (chain.Chain's
piece: same arguments, same seed, plus `until=NAME`), recorded as a `replay
of NAME:` line in the piece's host record (LOG.N.host), the replays' output
in LOG.replayN.K. Only NAME's outcome is read, so a replay ends after NAME
(until=, harness/select.c): the tests before NAME, and so what NAME finds
when it starts, are those of the boot replayed; none after it runs.

replay_death(chain, p)       p died in NAME, whose profile listing pins a death
                             beside other outcomes (an intermittent death):
                             replays until one does not die in NAME, at most
                             MAX_REPLAYS. `not reproduced` excuses the death;
                             `reproduced` (every replay died there) fails it.
confirm_pass(chain, p, listing)
                             p passed the test of listing, which pins
                             `rare-pass` (its deviation is the usual outcome):
                             replays until one shows a pinned outcome (a death
                             there, or a failure whose observed tokens are
                             pinned), at most MAX_REPLAYS. `confirmed`
                             excuses the pass; `not confirmed` makes the
                             entry stale.

MAX_REPLAYS: a race whose rare outcome has probability q per boot (replays
taken as independent) gets a false alarm with probability (1 - q)^K when
none of K replays shows the other outcome; docs/DESIGN.md has the measured
rates and the chance this K gives. A behaviour that became deterministic
shows the same outcome on every replay and is caught every time. Each
replay is a boot bounded by the runner's per-boot timeout; none starts once
the run's --timeout is used up (then the outcome is not excused)."""

from .outcome import REPLAY_OF, observed

MAX_REPLAYS = 8


def prefix(name):
    return REPLAY_OF % name


def _replays(chain, p, name, done):
    """Boots p's arguments and seed, ending after name, until done(state) or
    MAX_REPLAYS; (hit, k, last state, logs)."""
    args = p.args.ending(name)
    if p.state.seed is not None:
        args = args.plus_missing('seed', p.state.seed)
    logs = []
    for k in range(1, MAX_REPLAYS + 1):
        p.replays = getattr(p, 'replays', 0) + 1
        q = chain.spare(p, '%s.replay%d.%d' % (chain.log, p.n, p.replays))
        chain._boot(q, args)
        logs.append(q.path)
        if done(q.state) or chain.used_up():
            break
    hit = done(q.state)
    timed = '' if hit or k == MAX_REPLAYS else ' (the run\'s --timeout used up)'
    return hit, '%d of at most %d replay(s)%s (same arguments, ending after %s: %s)' % (
        k, MAX_REPLAYS, timed, name, args.line()), \
        q.state, logs


def died_in(state, name):
    return state.has_tap and not state.complete and not state.bail and state.running == name


def ended(state):
    return ('ran to its end' if state.complete else 'bailed out' if state.bail else
            'died in %s' % state.running if state.running else 'ended outside a test')


def replay_death(chain, p):
    name = p.state.running
    chain.note('boot %d died in %s, whose death the profile pins beside other outcomes (intermittent): '
               'replaying it with the same arguments until a replay does not die there (at most %d)'
               % (p.n, name, MAX_REPLAYS))
    hit, tried, last, logs = _replays(chain, p, name, lambda s: not died_in(s, name))
    chain.record(p, prefix(name) + ('not reproduced: %s, the last %s; logs %s' % (tried, ended(last), ' '.join(logs))
                                     if hit else 'reproduced: %s, each died there; logs %s' % (tried, ' '.join(logs))))


def shows_pinned(state, listing):
    """The boot shows a deviation listing pins: a death in its test, or its failure with pinned tokens."""
    if died_in(state, listing.name):
        return bool(listing.deaths)
    r = state.results.get(listing.name)
    return r is not None and r.status == 'fail' and bool(observed(r)) and observed(r) <= listing.tokens


def confirm_pass(chain, p, listing):
    name = listing.name
    chain.note('boot %d passed %s, whose usual outcome the profile says is a deviation (rare-pass): replaying '
               'it with the same arguments until a replay shows one it pins (at most %d)' % (p.n, name, MAX_REPLAYS))
    hit, tried, last, logs = _replays(chain, p, name, lambda s: shows_pinned(s, listing))
    last_did = 'died there' if died_in(last, name) else 'failed as pinned' if hit else (
        'passed' if name in last.passed else ended(last))
    chain.record(p, prefix(name) + '%s: %s, the last %s; logs %s' % (
        'confirmed' if hit else 'not confirmed', tried, last_did, ' '.join(logs)))
