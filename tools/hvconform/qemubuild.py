"""tools/qemu-build: qemu-system-x86_64 built from a stack's Debian source
package (Debian's patches applied) or from a source tree, configured for what
tools/configs.cfg and the runner use, optionally with patches. See USAGE.

Cache (DEFAULT_CACHE, or --cache DIR): one per user, shared by all clones
(every entry is keyed by content and each tree is built under a lock, so a
second clone gets the binaries and objects of the first):
  apt-STACK/         a private apt state with deb-src lines (the host's
                     sources are never read or changed)
  tree/ID/pristine/  the unpacked source (a stack's; absent with --src,
                     whose tree is the user's and never written)
  tree/ID/src/       the working copy, built in src/build (QEMU's in-tree
                     build directory: meson's paths there are relative, so
                     a patched file rebuilds only its objects)
  tree/ID/applied    the files the last patched build changed: restored
                     from the pristine copy before the next build
  bin/KEY/           a finished binary and what it was built from (info);
                     KEY hashes the source, the configure flags and the
                     patches, so a build asked for again is not rebuilt
  timing.json        seconds per ninja step measured here (the estimate)"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

from .configs import ROOT, Table
from .qemusource import BINARY, BuildError, say
from . import argscan, qemusource

USAGE = """usage: tools/qemu-build [--stack NAME | --src DIR] [--patch FILE]... [OPTIONS]

Builds qemu-system-x86_64 for x86_64-softmmu with what hvconform's
configurations use (KVM, TCG, Hyper-V with hyperv-testdev and vmbus-bridge,
pc and q35, virtio-serial, virtio-blk, migration for the saved L1) and
prints the binary's path as its last line. Cached: the same source, flags
and patches give the same binary without a build; a patched build reuses the
unpatched one's objects (only what a patch touches is recompiled).

  --stack NAME   the stack's Debian source package of QEMU (default debian12),
                 fetched with apt-get source through a private apt state
                 (its version: the one the stack's L1 runs, else the newest)
  --src DIR      a QEMU source tree instead (copied; edits are picked up by
                 the next build, deleted files are not)
  --patch FILE   apply FILE (patch -p1) to the copy; repeatable, in order
  --cache DIR    where sources, objects and binaries are kept (default
                 ${XDG_CACHE_HOME:-~/.cache}/hvconform/qemu, shared by this
                 user's clones: a clone's first build is another's cache hit)
  --jobs N       ninja's parallel jobs (default: the CPU count); ninja runs
                 under nice -n 19
  --key          print the cache key of the request and exit (no build)
  -h, --help     this text

A first build takes minutes (measured here: see the estimate it prints);
a rebuild for a patch to one file, seconds.
Exit status: 0 built (the path is the last line), 1 build failure, 2 usage."""

CONFIGURE = [
    '--target-list=x86_64-softmmu',
    # the runner gives -L where it must (the nested L1's /fw); elsewhere the
    # binary finds the host's firmware packages at their absolute paths, as
    # Debian's own build does (a prefix that is not theirs keeps
    # get_relocated_path from moving them next to the binary)
    '--prefix=/opt/hvconform-qemu',
    '--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu',
    # every optional feature off, then what the runs need: KVM (L2, direct
    # kvm mode), TCG (direct tcg mode, and the host QEMU running a nested L1)
    '--without-default-features', '--enable-kvm', '--enable-tcg',
    '--disable-docs', '--disable-tools', '--disable-user', '--disable-werror',
    '--disable-debug-info', '--disable-install-blobs',
]
NEED = ['meson', 'ninja-build', 'pkg-config', 'libglib2.0-dev', 'libpixman-1-dev', 'zlib1g-dev',
        'python3-venv', 'dpkg-dev', 'patch', 'xz-utils', 'debian-archive-keyring', 'gcc', 'make']
TOOL_SALT = 'qemu-build 1'  # changes when a change here must give new binaries


def default_cache():
    """The user's cache, not the clone's build/: a first build takes 8-16 min
    here and its result does not depend on which clone asked for it."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'hvconform', 'qemu')


class Usage(Exception):
    pass


def parse(argv, table):
    try:
        got = argscan.scan(argv, ('--stack', '--src', '--patch', '--cache', '--jobs'), flags=('--key',),
                           repeat=('--patch',))
        jobs = argscan.whole(got['jobs'], '--jobs', 64, 'a whole number from 1 to %d') if 'jobs' in got else None
    except argscan.ArgError as e:
        raise Usage(str(e))
    o = {'stack': got.get('stack'), 'src': got.get('src'), 'patches': [], 'cache': got.get('cache'),
         'jobs': jobs, 'key': got.get('key', False), 'help': got.get('help', False)}
    if o['help']:
        return o
    for v in got.get('patch', []):
        if not os.path.isfile(v):
            raise Usage("--patch: cannot read '%s'" % v)
        o['patches'].append(os.path.abspath(v))
    if o['stack'] and o['src']:
        raise Usage('--stack and --src exclude each other')
    if o['src'] is not None:
        if not os.path.isfile(os.path.join(o['src'], 'configure')) or \
                not os.path.isfile(os.path.join(o['src'], 'VERSION')):
            raise Usage("--src: '%s' is not a QEMU source tree (no configure, VERSION)" % o['src'])
        o['src'] = os.path.realpath(o['src'])
    else:
        o['stack'] = o['stack'] or 'debian12'
        if o['stack'] not in table.stacks:
            raise Usage("--stack: '%s' is not a stack of tools/configs.cfg (%s)"
                        % (o['stack'], ', '.join(table.stacks)))
        if not table.stacks[o['stack']].get('source_suites'):
            raise Usage("--stack: '%s' names no source_suites in tools/configs.cfg" % o['stack'])
    o['cache'] = os.path.abspath(o['cache'] or default_cache())
    return o


def tree_id(o, version=None):
    """The working tree's name: one per stack and source version, or per --src path."""
    if o['src']:
        return 'src-' + hashlib.sha256(o['src'].encode()).hexdigest()[:12]
    return '%s-%s' % (o['stack'], re.sub(r'[^A-Za-z0-9.+~-]', '_', version))


def pkgversion(o):
    return 'hvconform-' + (o['stack'] or 'src')


def configure_args(o):
    return CONFIGURE + ['--with-pkgversion=' + pkgversion(o)]


def build_key(tree, configure, patches):
    """The cache key: the source tree, the configure flags and each patch's
    bytes, in order (a patch's name does not matter, its content does)."""
    h = hashlib.sha256()
    h.update(('%s\0%s\0%s\0' % (TOOL_SALT, tree, ' '.join(configure))).encode())
    for p in patches:
        with open(p, 'rb') as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def need_packages():
    """Install what the build needs and the host lacks, through the project's
    one install mechanism (tools/ci/install-pkgs.sh: it names a package it
    cannot install, with apt's reason)."""
    r = subprocess.run(['sh', os.path.join(ROOT, 'tools', 'ci', 'install-pkgs.sh')] + NEED,
                       stdin=subprocess.DEVNULL, stdout=sys.stderr)
    if r.returncode:
        raise BuildError('the packages the build needs could not be installed (the install-pkgs lines above say why)')


def main(argv):
    table = Table()
    try:
        o = parse(argv, table)
    except Usage as e:
        say(str(e))
        say('see tools/qemu-build --help')
        return 2
    if o['help']:
        print(USAGE)
        return 0
    try:
        os.makedirs(o['cache'], exist_ok=True)
        version = None if o['src'] else qemusource.stack_version(o, table, quiet=o['key'])
        key = build_key(tree_id(o, version), configure_args(o), o['patches'])
        if o['key']:
            print(key)
            return 0
        out = os.path.join(o['cache'], 'bin', key, BINARY)
        if not o['src'] and os.access(out, os.X_OK):
            say('cached: %s' % out)
            print(out)
            return 0
        need_packages()
        tdir = os.path.join(o['cache'], 'tree', tree_id(o, version))
        os.makedirs(tdir, exist_ok=True)
        with open(os.path.join(tdir, '.lock'), 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)    # one build per tree at a time
            if not o['src'] and os.access(out, os.X_OK):     # built while we waited
                print(out)
                return 0
            qemusource.prepare(o, table, tdir, version)
            binary = qemusource.build(o, tdir, configure_args(o), o['patches'])
            publish(binary, out, {'source': o['src'] or '%s %s' % (o['stack'], version),
                                  'configure': configure_args(o),
                                  'patches': o['patches']})
        print(out)
        return 0
    except (BuildError, OSError) as e:
        say('error: %s' % e)
        return 1


def publish(binary, out, info):
    """Copy the built binary out of the tree (the next patched build
    replaces the tree's), atomically, with its info beside it."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(binary, 'rb') as f:
        info['sha256'] = hashlib.sha256(f.read()).hexdigest()
    shutil.copy2(binary, out + '.tmp')
    with open(os.path.join(os.path.dirname(out), 'info.json'), 'w') as f:
        json.dump(info, f, indent=1)
    os.replace(out + '.tmp', out)
    say('built %s (sha256 %s)' % (out, info['sha256'][:16]))
