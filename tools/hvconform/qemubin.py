"""run-qemu.sh --qemu [NAME=]PATH: a QEMU binary of the user's (tools/qemu-build
makes them) in place of the stack's. kvm and tcg run it directly; nested
puts it into a copy of the stack's L1 cache (tools/nested/qemu-layer.sh),
which gets its own saved L1. Its identity (path, version, sha256) goes into
the runner's notes and the cell JSON."""

import hashlib
import os
import re
import subprocess

from .configs import ROOT

NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$')
# where a build made by the user finds the firmware Debian packages: QEMU's
# own bundle (pc-bios) is empty in Debian's source, and QEMU searches -L
# directories before its configured ones (qemu_add_data_dir order, vl.c)
HOST_FIRMWARE = ('/usr/share/seabios', '/usr/share/qemu')


class QemuError(Exception):
    pass


def parse(spec):
    """(name or None, absolute path) of a --qemu value: PATH or NAME=PATH."""
    name, path = None, spec
    if '=' in spec and not os.path.exists(spec):
        name, path = spec.split('=', 1)
        if not NAME.match(name):
            raise QemuError("--qemu: '%s' is not a column name (letters, digits, . _ -)" % name)
    if not path:
        raise QemuError('--qemu: empty path')
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise QemuError("--qemu: '%s' is not an executable file" % path)
    return name, os.path.abspath(path)


def parse_all(specs):
    """The --qemu values as [(name, path)]: names unique (a nameless one is
    named after its path's directory when there are several)."""
    out = [parse(s) for s in specs]
    if len(out) > 1:
        out = [(n or os.path.basename(os.path.dirname(p)) or 'qemu', p) for n, p in out]
        names = [n for n, _ in out]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise QemuError('--qemu: the name %s is given twice (use NAME=PATH)' % dup[0])
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def identity(name, path):
    """{'name', 'path', 'version', 'sha256'} of a binary; its version as
    `PATH --version` prints it here (a binary that cannot run on this host
    says so: nested mode may still run it in its L1)."""
    try:
        r = subprocess.run([path, '--version'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=30)
        first = r.stdout.decode(errors='replace').strip().split('\n')[0]
        version = first.replace('QEMU emulator version ', '') if first.startswith('QEMU emulator') \
            else 'unknown (--version: %s)' % (first[:200] or 'status %d' % r.returncode)
    except (OSError, subprocess.TimeoutExpired) as e:
        version = 'unknown (%s)' % e
    d = {'path': path, 'version': version, 'sha256': sha256(path)}
    if name:
        d['name'] = name
    return d


def describe(ident):
    return '%s%s, QEMU %s, sha256 %s' % ('%s = ' % ident['name'] if ident.get('name') else '',
                                        ident['path'], ident['version'], ident['sha256'][:16])


def direct_args():
    """What a direct boot of a user's binary adds: the host's firmware dirs."""
    args = []
    for d in HOST_FIRMWARE:
        if os.path.isdir(d):
            args += ['-L', d]
    return args


def l1_cache(stack_cache, ident, note):
    """The stack's L1 cache with ident's binary as L2's QEMU (built once per
    binary, beside the stack's cache)."""
    out = os.path.join(stack_cache, 'qemu', ident['sha256'][:16])
    if not os.path.exists(os.path.join(out, 'stamp')):
        note('putting %s into a copy of the L1 cache (%s): a few seconds, then a saved L1 of its own'
             % (ident['path'], out))
    r = subprocess.run(['sh', os.path.join(ROOT, 'tools', 'nested', 'qemu-layer.sh'), stack_cache,
                        ident['path'], out], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    if r.returncode:
        raise QemuError('cannot put %s into the L1: %s' % (ident['path'],
                                                          r.stdout.decode(errors='replace').strip()[-1500:]))
    return out
