"""Profiles (profiles/README.md): what one hypervisor and configuration does instead of the TLFS.

    prof = read(path)                 BadInput on anything malformed (file:line in the message)
    prof.entries                      {test name: Listing}, in file order
    prof.get(name)                    the Listing of a test, or None
    prof.avoid                        [KEY] of `avoid KEY reason` lines, in file order
    prof.avoid_reasons                {KEY: Entry(reason, where)}
    prof.check_known(names, label)    BadInput when an entry names a test not in names

A line is `NAME OUTCOME REASON`. OUTCOME pins what the log shows (compared by verdict.py):
    got=0x0003,delivery=same_port     the failing test's observed tokens (YAML `observed:`)
    died / died="TEXT"                a VM death; with TEXT, the host's record of it holds TEXT
    pass                              the test may pass (with other lines: the deviation is a race)
    rare-pass                         beside deviations (no `pass`): they are the usual outcome, a pass
                                      the rare one (excused when a replay shows one: replays.py)
A test may have several lines: each is an outcome the log may show (alternatives; fuzz.post's
classes are its tokens RULE:TOKEN, each on its line).
"""

import collections
import re

from . import BadInput
from .tap import NAME_RE, clean

AVOID_RE = re.compile(r'^[a-z0-9_]+$')
# an observed token (harness/tap.h): got=0xNNNN, fault=#XX, check=N, NAME=word (delivery=, queue=),
# each optionally after RULE: (fuzz.post's classes)
TOKEN_RE = re.compile(r'^(?:[a-z0-9_]+(?:\.[a-z0-9_]+)+:)?(?:got=0x[0-9a-f]{4}|fault=(?:#[A-Z]{2}|none)'
                      r'|check=[0-9]+|(?!got=|fault=|check=)[a-z_]+=[a-z0-9_]+)$')
DIED_RE = re.compile(r'^died(?:="([^"]+)")?(?=\s|$)')
Entry = collections.namedtuple('Entry', 'reason where')
# one line of a test: tokens (frozenset; empty for pass and died), death (None, or the
# host text a death must show, '' for any death), passes (False, True, or RARE)
Pin = collections.namedtuple('Pin', 'tokens death passes reason where')
RARE = 'rare'       # Pin.passes of a rare-pass line


def pin_text(pin):
    if pin.passes:
        return 'rare-pass' if pin.passes == RARE else 'pass'
    if pin.death is not None:
        return 'died="%s"' % pin.death if pin.death else 'died'
    return ','.join(sorted(pin.tokens))


class Listing:
    """The profile's lines for one test."""

    def __init__(self, name):
        self.name, self.pins = name, []

    @property
    def reason(self):
        return ' | '.join(p.reason for p in self.pins)

    @property
    def where(self):
        return self.pins[0].where

    @property
    def tokens(self):
        return frozenset(t for p in self.pins for t in p.tokens)

    @property
    def deaths(self):
        return [p for p in self.pins if p.death is not None]

    @property
    def may_pass(self):
        return any(p.passes for p in self.pins)

    @property
    def rare_pass(self):
        """rare-pass pinned: a pass must be followed by a replay that shows a pinned deviation."""
        return any(p.passes == RARE for p in self.pins)

    @property
    def sure_death(self):
        """Only deaths pinned (and maybe rare-pass): the VM dies in this test on every run, or
        nearly (a pass is then checked by replays)."""
        return bool(self.deaths) and all(p.death is not None or p.passes == RARE for p in self.pins)

    @property
    def intermittent_death(self):
        """A death and something else pinned: a death must not reproduce on a replay."""
        return bool(self.deaths) and not self.sure_death

    def text(self, which=None):
        return ' | '.join(pin_text(p) for p in (which if which is not None else self.pins))


class Profile:
    def __init__(self, path=None):
        self.path = path
        self.entries = {}
        self.avoid_reasons = {}

    @property
    def avoid(self):
        return list(self.avoid_reasons)

    def get(self, name):
        return self.entries.get(name)

    def __bool__(self):
        return self.path is not None

    def check_known(self, names, label):
        """BadInput for the first entry naming a test that is not in names (a `list` boot)."""
        known = set(names)
        for name, e in self.entries.items():
            if name not in known:
                raise BadInput("%s: %s is not a test of this kernel (%s lists %d test(s))"
                               % (e.where, name, label, len(known)))


def parse_outcome(text, where):
    """(Pin fields without reason/where, rest of the line) of `OUTCOME REASON`."""
    m = DIED_RE.match(text)
    if m:
        return (frozenset(), m.group(1) or '', False), text[m.end():].strip()
    if text.startswith('died='):
        raise BadInput('%s: bad death pin (want died or died="TEXT"): %s' % (where, clean(text, 60)))
    word, _, rest = text.partition(' ')
    rest = rest.strip()
    if word == 'pass':
        return (frozenset(), None, True), rest
    if word == 'rare-pass':
        return (frozenset(), None, RARE), rest
    tokens = word.split(',')
    bad = [t for t in tokens if not TOKEN_RE.match(t)]
    if bad:
        raise BadInput("%s: '%s' is not an outcome: want got=0xNNNN, fault=#XX, delivery=NAME, "
                       'check=N, RULE:TOKEN (comma-joined), died, died="TEXT", pass or rare-pass, then the '
                       'reason (profiles/README.md)' % (where, clean(bad[0], 60)))
    return (frozenset(tokens), None, False), rest


def parse(text, path):
    """The Profile in text (read from path, for messages)."""
    p = Profile(path)
    if text.startswith('\ufeff'):     # a UTF-8 byte-order mark (Windows editors)
        text = text[1:]
    for no, line in enumerate(text.split('\n'), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        where = '%s:%d' % (path, no)
        parts = line.split(None, 1)
        if parts[0] == 'avoid':
            _avoid(p, (parts[1] if len(parts) > 1 else '').split(None, 1), where)
            continue
        name = parts[0]
        if not NAME_RE.match(name):
            raise BadInput("%s: bad test name '%s' in profile" % (where, clean(name, 60)))
        if len(parts) < 2:
            raise BadInput('%s: profile entry %s has no outcome and no reason' % (where, name))
        fields, reason = parse_outcome(parts[1].strip(), where)
        if not reason:
            raise BadInput('%s: profile entry %s has no reason' % (where, name))
        listing = p.entries.setdefault(name, Listing(name))
        pin = Pin(*fields, reason=reason, where=where)
        for q in listing.pins:
            if pin_text(q) == pin_text(pin):
                raise BadInput('%s: %s %s listed twice (first at %s)' % (where, name, pin_text(pin), q.where))
        listing.pins.append(pin)
    for name, listing in p.entries.items():
        if listing.rare_pass and any(q.passes is True for q in listing.pins):
            raise BadInput("%s: %s pins both pass and rare-pass: rare-pass says the other lines are the "
                           'usual outcome, pass that they are not (profiles/README.md)' % (listing.where, name))
        if all(q.passes for q in listing.pins):
            raise BadInput("%s: %s pins only 'pass': that excuses nothing (a test that always "
                           'passes needs no entry)' % (listing.where, name))
    return p


def _avoid(p, parts, where):
    if not parts:
        raise BadInput('%s: avoid needs a key and a reason: avoid KEY reason' % where)
    key = parts[0]
    if not AVOID_RE.match(key):
        raise BadInput("%s: bad avoid key '%s' (want [a-z0-9_]+)" % (where, clean(key, 60)))
    if len(parts) < 2 or not parts[1].strip():
        raise BadInput('%s: avoid %s has no reason' % (where, key))
    if key in p.avoid_reasons:
        raise BadInput('%s: avoid %s listed twice (first at %s)' % (where, key, p.avoid_reasons[key].where))
    p.avoid_reasons[key] = Entry(parts[1].strip(), where)


def read(path):
    """The Profile in the file at path; BadInput when unreadable, not UTF-8 or malformed."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise BadInput('%s: cannot read profile: %s' % (path, e.strerror or e))
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise BadInput('%s:%d: profile is not UTF-8 text (byte 0x%02x)' % (path, line, data[e.start]))
    return parse(text, path)
