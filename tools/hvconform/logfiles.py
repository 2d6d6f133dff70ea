"""A run's output files: its log path claimed (locked) for the run, what an
earlier run left there removed (pieces, host records, replays), and the
pieces of a crash-resumed run published as the log."""

import fcntl
import os

from . import chain


class Busy(Exception):
    """The log path is another run's (exit 3)."""


def claim(given, default, note):
    """Lock the log path for this run: a concurrent run with the same default
    path takes another name; with the same --log it is refused. What an
    earlier run left at a claimed path (FILE and its pieces FILE.N, FILE.bN)
    is removed: a run that fails early leaves no log, never the last one's."""
    log = os.path.abspath(given or default)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    for n in range(2, 100):
        f = open(log + '.lock', 'w')
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            f.close()
            if given:
                raise Busy('another run is writing %s' % given)
            log = '%s-%d.log' % (os.path.abspath(default)[:-4], n)
    else:
        raise Busy('too many runs at once share %s' % default)
    if log != os.path.abspath(given or default):
        note('%s is in use by another run: this run logs to %s' % (given or default, log))
    for name in os.listdir(os.path.dirname(log)):
        rest = name[len(os.path.basename(log)) + 1:]
        rest = rest[:-len(chain.HOST)] if rest.endswith(chain.HOST) else rest     # a piece's host record
        if name.startswith(os.path.basename(log) + '.') and (rest.isdigit() or
                                                            rest[:1] == 'b' and rest[1:].isdigit() or
                                                            rest[:6] == 'replay' and rest[6:].replace('.', '', 1).isdigit()):
            os.remove(os.path.join(os.path.dirname(log), name))
    remove(log)
    remove(log + chain.HOST)
    return log, f


def remove(path):
    if path:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def publish(pieces, log):
    """One piece becomes the log; several stay as FILE.N and FILE holds them in order."""
    if len(pieces) == 1:
        chain.move(pieces[0], log)
        return [log]
    tmp = log + '.tmp'
    with open(tmp, 'wb') as f:
        for p in pieces:
            f.write(open(p, 'rb').read())
    os.replace(tmp, log)
    return pieces
