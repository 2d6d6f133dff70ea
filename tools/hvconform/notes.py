"""The runner's notes on stderr ("run-qemu: ..."), each tagged with its
matrix cell's label when cells run side by side, and the lock that keeps a
note or a cell's report in one piece."""

import contextlib
import sys
import threading

_cell = threading.local()       # the label of the cell this thread works for
OUT_LOCK = threading.Lock()     # one writer at a time on stdout and stderr


def note(msg):
    label = getattr(_cell, 'label', None)
    with OUT_LOCK:
        sys.stderr.write('run-qemu: %s%s\n' % ('[%s] ' % label if label else '', msg))
        sys.stderr.flush()


def set_label(label):
    """This thread's notes are the cell's (None: untagged)."""
    _cell.label = label


@contextlib.contextmanager
def labelled(label):
    set_label(label)
    try:
        yield
    finally:
        set_label(None)


def report(text):
    """A report, whole, on stdout."""
    with OUT_LOCK:
        sys.stdout.buffer.write(text.encode(errors='replace'))
        sys.stdout.flush()
