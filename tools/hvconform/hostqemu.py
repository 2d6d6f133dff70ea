"""The host's QEMU: its version line, asked once per binary (the runner prints
it and a saved L1's key hashes it). `--version` costs ~0.08 s, on the path
to every nested run's L1 restore, so its answer is kept in build/ under the
binary's identity (path, inode, size, times): a QEMU upgraded or rebuilt in
place is a new binary and is asked again."""

import functools
import os
import shutil
import subprocess

from . import jsonfile
from .configs import ROOT

CACHE = os.path.join(ROOT, 'build', 'host-qemu.json')


def identity(path):
    st = os.stat(path)
    return '%s %d:%d %d %d %d' % (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size,
                                  st.st_mtime_ns, st.st_ctime_ns)


@functools.lru_cache(maxsize=None)
def version_output(binary='qemu-system-x86_64'):
    """`BINARY --version`'s stdout (a name on PATH or a path; the host's QEMU
    by default); FileNotFoundError without it."""
    path = shutil.which(binary)
    if not path:
        raise FileNotFoundError(binary)
    key = identity(path)
    known = jsonfile.read(CACHE).get(key)
    if isinstance(known, str) and known.startswith('QEMU emulator version'):
        return known.encode('latin-1')
    out = subprocess.run([path, '--version'], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=30).stdout
    if out.startswith(b'QEMU emulator version') and identity(path) == key:
        try:
            jsonfile.update(CACHE, {key: out.decode('latin-1')})
        except OSError:         # a read-only tree: ask again next time
            pass
    return out
