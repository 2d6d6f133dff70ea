"""Profiles (profiles/README.md): known deviations of one hypervisor and configuration.

    prof = read(path)                 BadInput on anything malformed (file:line in the message)
    prof.entries                      {test name: Entry(reason, where)}, in file order
    prof.avoid                        [KEY] of `avoid KEY reason` lines, in file order
    prof.avoid_reasons                {KEY: Entry(reason, where)}
    prof.get(name)                    Entry or None
    prof.check_known(names, label)    BadInput when an entry names a test not in names
    marks(reason)                     the leading marks of a reason (MARKS: 'VM dies:', 'Intermittent:',
                                      'Passes otherwise:')
"""

import collections
import re

from . import BadInput
from .tap import NAME_RE, clean

AVOID_RE = re.compile(r'^[a-z0-9_]+$')
Entry = collections.namedtuple('Entry', 'reason where')

# A profile entry excuses a VM death only when its reason says so up front:
# the author must know the test kills the VM, not just that it fails.
DEATH_MARK = 'VM dies:'
# A deviation that shows only on some runs (a race in the hypervisor) says so
# up front too; a pass of such a test is reported, not counted as stale.
INTERMITTENT_MARK = 'Intermittent:'
# With `VM dies:`, the entry excuses only the death: when the VM lives the
# test must pass (a `not ok` is a failure). For a hypervisor crash that can
# hit a test whose own verdict must still count, e.g. the fuzzer's.
PASSES_MARK = 'Passes otherwise:'
MARKS = (DEATH_MARK, INTERMITTENT_MARK, PASSES_MARK)


def marks(reason):
    """The leading marks of a profile reason, e.g. {'Intermittent:', 'VM dies:'}."""
    found, rest = set(), reason
    while True:
        for m in MARKS:
            if rest.startswith(m):
                found.add(m)
                rest = rest[len(m):].lstrip()
                break
        else:
            return found


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
        _add(p.entries, name, parts, where, 'profile entry %s' % name, name)
        m = marks(p.entries[name].reason)
        if PASSES_MARK in m and DEATH_MARK not in m:
            raise BadInput("%s: %s: '%s' needs '%s' (alone the entry would excuse nothing)"
                           % (where, name, PASSES_MARK, DEATH_MARK))
    return p


def _add(table, key, parts, where, what, label):
    """One keyed line with its mandatory reason (parts[1]), each key once."""
    if len(parts) < 2 or not parts[1].strip():
        raise BadInput('%s: %s has no reason' % (where, what))
    if key in table:
        raise BadInput('%s: %s listed twice (first at %s)' % (where, label, table[key].where))
    table[key] = Entry(parts[1].strip(), where)


def _avoid(p, parts, where):
    if not parts:
        raise BadInput('%s: avoid needs a key and a reason: avoid KEY reason' % where)
    key = parts[0]
    if not AVOID_RE.match(key):
        raise BadInput("%s: bad avoid key '%s' (want [a-z0-9_]+)" % (where, clean(key, 60)))
    _add(p.avoid_reasons, key, parts, where, 'avoid %s' % key, 'avoid %s' % key)


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
