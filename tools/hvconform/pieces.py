"""Reading LOG files and merging the pieces of one crash-resumed run (one boot's log is tap.parse's)."""

import sys

from . import BadInput
from .tap import CMDLINE_PREFIX, VERSION, parse


def read_log(path):
    """(label, text) of one LOG ('-' = stdin); BadInput when missing, unreadable or empty."""
    label = '<stdin>' if path == '-' else path
    try:
        if path == '-':
            data = sys.stdin.buffer.read()
        else:
            with open(path, 'rb') as f:
                data = f.read()
    except OSError as e:
        raise BadInput('%s: cannot read: %s' % (label, e.strerror or e))
    if not data.strip():
        raise BadInput('%s: empty log' % label)
    return label, data.decode('utf-8', errors='replace').lstrip('\ufeff')


def load(path):
    """The Piece of a LOG file; BadInput when it holds no TAP at all. piece.host: the
    lines of the runner's host record beside it (LOG.host: how the boot ended, QEMU's
    stderr, the replay of a death), [] without one."""
    piece = parse(*reversed(read_log(path)))
    if not piece.started:
        raise BadInput("%s: not a TAP log: no '%s' line" % (piece.label, VERSION))
    piece.host = read_host(path)
    return piece


HOST_SUFFIX = '.host'


def read_host(path):
    """The lines of LOG.host (the runner writes it for a boot that did not end normally)."""
    if path == '-':
        return []
    try:
        with open(path + HOST_SUFFIX, 'rb') as f:
            text = f.read().decode('utf-8', errors='replace')
    except FileNotFoundError:
        return []
    except OSError as e:
        raise BadInput('%s%s: cannot read: %s' % (path, HOST_SUFFIX, e.strerror or e))
    return [l.strip() for l in text.split('\n') if l.strip()]


def merge(pieces):
    """Merged results in run order, plus cross-piece errors (resume order, duplicates)."""
    results, errors, seen, died = [], [], {}, {}
    for k, p in enumerate(pieces, 1):
        errors += resume_errors(pieces, k)
        for r in p.results:
            if r.name is not None:
                if r.name in died:
                    errors.append("%s: %s died in %s and ran again; the runner must skip it"
                                  % (r.where, r.name, died[r.name]))
                elif r.name in seen and seen[r.name][1] is not p:
                    errors.append("%s: duplicate test name '%s' (first at %s)"
                                  % (r.where, r.name, seen[r.name][0]))
                seen.setdefault(r.name, (r.where, p))
                if r.status == 'died':
                    died[r.name] = p.label
            results.append(r)
    return results, errors


def resume_errors(pieces, k):
    """Errors of piece k (1-based) as a link of the run: only piece 1 starts from the start,
    piece k > 1 resumes after the test piece k-1 died in; only such a piece (or a list boot)
    may have no test (`1..0`: nothing was left after the test that died)."""
    p, errors = pieces[k - 1], []
    if p.empty and (k == 1 or p.after is None):
        errors.append("%s:%d: plan 1..0: no test ran (an empty selection, e.g. after= the last "
                      "selected test); only a 'list' boot, or a piece resumed after the last "
                      "test died, has none" % (p.label, p.empty))
    return errors + link_errors(pieces, k)


def link_errors(pieces, k):
    p = pieces[k - 1]
    if k == 1:
        if p.after is not None and not p.bail:     # a bail says what went wrong
            return ['%s: resumes after %s (after= on its command line), but no piece before it '
                    'holds the start of the run' % (p.label, p.after)]
        return []
    prev = pieces[k - 2]
    if prev.complete or prev.bail:
        return ['%s: piece %d follows %s, which %s' % (p.label, k, prev.label,
                'bailed out' if prev.bail else 'ended normally (end marker)')]
    if p.cmdline is None and not p.bail:
        return ["%s: piece %d has no '%s' line: cannot tell where it resumes"
                % (p.label, k, CMDLINE_PREFIX.strip())]
    want = prev.died.name if prev.died else None
    if want is None:
        return ['%s: piece %d follows %s, which died outside any test: nothing to resume after'
                % (p.label, k, prev.label)]
    if p.after != want and p.cmdline is not None:
        return ['%s: piece %d resumes %s, but %s died during %s (want after=%s)'
                % (p.label, k, 'after ' + p.after if p.after else 'from the start (no after=)',
                   prev.label, want, want)]
    return []
