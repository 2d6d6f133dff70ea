"""tools/qemu-build's source and build steps: a stack's QEMU source package
through a private apt state, the working copy with patches applied and
undone, configure and ninja. qemubuild.py (the command line and the cache's
layout) imports this, never the other way."""

import collections
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time

from .configs import ROOT

BINARY = 'qemu-system-x86_64'
KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
SECONDS_PER_STEP = 0.33     # 2 cores, load ~6: 1440 steps (Debian 7.2) in 465 s


class BuildError(Exception):
    pass


def say(msg):
    sys.stderr.write('qemu-build: %s\n' % msg)
    sys.stderr.flush()


def patch_files(path):
    """The files a unified diff changes (paths after -p1)."""
    files = []
    with open(path, errors='replace') as f:
        for line in f:
            m = re.match(r'^(?:\+\+\+|---) (\S+)', line)
            if m and m.group(1) != '/dev/null':
                name = m.group(1).split('/', 1)[1] if '/' in m.group(1) else m.group(1)
                if name not in files:
                    files.append(name)
    if not files:
        raise BuildError('%s is not a unified diff (no ---/+++ lines)' % path)
    return files


def timing(cache, steps=None, secs=None):
    """Seconds per ninja step measured here (recorded when steps is given)."""
    path = os.path.join(cache, 'timing.json')
    try:
        t = json.load(open(path))
    except (OSError, ValueError):
        t = {}
    if steps:
        if steps >= 100:        # a real measurement, not a relink
            t['per_step'] = secs / steps
            with open(path + '.tmp', 'w') as f:
                json.dump(t, f)
            os.replace(path + '.tmp', path)
        return None
    return t.get('per_step', SECONDS_PER_STEP)


def apt_dir(o):
    return os.path.join(o['cache'], 'apt-' + o['stack'])


@contextlib.contextmanager
def apt_lock(o):
    """One user of the stack's apt state at a time: the cache is shared by
    the user's clones, and a second apt-get update on the same lists fails
    on apt's own lock instead of waiting."""
    with open(apt_dir(o) + '.lock', 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def apt_init(o, table):
    """A private apt state whose only sources are the stack's suites (deb-src
    for QEMU's source, deb for a build tool of that release; a suite ending
    in -security is on debian-security)."""
    with apt_lock(o):
        return _apt_init(o, table)


def _apt_init(o, table):
    a = apt_dir(o)
    for d in ('etc/apt.conf.d', 'etc/preferences.d', 'etc/sources.list.d', 'etc/trusted.gpg.d',
              'lists/partial', 'cache/archives/partial'):
        os.makedirs(os.path.join(a, d), exist_ok=True)
    if not os.path.exists(os.path.join(a, 'status')):
        open(os.path.join(a, 'status'), 'w').close()
    if not os.access(KEYRING, os.R_OK):
        raise BuildError('%s missing (package debian-archive-keyring)' % KEYRING)
    lines = ['%s [signed-by=%s] http://deb.debian.org/%s %s main\n'
             % (kind, KEYRING, 'debian-security' if s.endswith('-security') else 'debian', s)
             for s in table.stacks[o['stack']]['source_suites'].split() for kind in ('deb-src', 'deb')]
    _write(os.path.join(a, 'etc', 'sources.list'), ''.join(lines))
    conf = [('Dir::Etc', 'etc'), ('Dir::Etc::SourceList', 'etc/sources.list'),
            ('Dir::Etc::SourceParts', 'etc/sources.list.d'), ('Dir::Etc::Parts', 'etc/apt.conf.d'),
            ('Dir::Etc::Preferences', 'etc/preferences'), ('Dir::Etc::PreferencesParts', 'etc/preferences.d'),
            ('Dir::Etc::Trusted', 'etc/trusted.gpg'), ('Dir::Etc::TrustedParts', 'etc/trusted.gpg.d'),
            ('Dir::State', ''), ('Dir::State::Lists', 'lists'), ('Dir::State::status', 'status'),
            ('Dir::Cache', 'cache')]
    text = ''.join('%s "%s";\n' % (k, os.path.join(a, v)) for k, v in conf)
    text += 'APT::Architecture "amd64";\nAcquire::Languages "none";\nAPT::Sandbox::User "root";\n'
    _write(os.path.join(a, 'apt.conf'), text)
    return a


def _write(path, text):
    try:
        if open(path).read() == text:
            return
    except OSError:
        pass
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


def apt(o, args, cwd=None):
    env = dict(os.environ, APT_CONFIG=os.path.join(apt_dir(o), 'apt.conf'))
    with apt_lock(o):
        return subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)


def source_versions(o):
    r = apt(o, ['apt-cache', 'showsrc', 'qemu'])
    versions, pkg = [], None
    for line in r.stdout.splitlines():
        if line.startswith('Package: '):
            pkg = line.split()[1]
        elif line.startswith('Version: ') and pkg == 'qemu':
            versions.append(line.split()[1])
    return versions


def newest(versions):
    best = versions[0]
    for v in versions[1:]:
        if subprocess.run(['dpkg', '--compare-versions', v, 'gt', best]).returncode == 0:
            best = v
    return best


def stack_version(o, table, quiet=False):
    """The source version to build: the one the stack's L1 runs (its cache's
    versions file, a binNMU suffix dropped), else the newest in its suites."""
    apt_init(o, table)
    versions = source_versions(o)
    if not versions:
        if not quiet:
            say('apt-get update of the private deb-src lists (%s)' % apt_dir(o))
        r = apt(o, ['apt-get', 'update', '-q'])
        if r.returncode or re.search(r'^(W|E): ', r.stdout, re.M):
            raise BuildError('apt-get update of %s failed:\n%s' % (apt_dir(o), r.stdout[-1500:]))
        versions = source_versions(o)
        if not versions:
            raise BuildError('no source package qemu in %s' % table.stacks[o['stack']]['source_suites'])
    want = None
    try:
        for line in open(os.path.join(ROOT, 'build', 'nested', o['stack'], 'versions')):
            if line.startswith('qemu_pkg='):
                want = re.sub(r'\+b[0-9]+$', '', line.strip().split('=', 1)[1])
    except OSError:
        pass
    if want in versions:
        return want
    if want and not quiet:
        say('the stack runs QEMU %s, whose source is gone from the archive: building the newest' % want)
    return newest(versions)


def prepare(o, table, tdir, version):
    """The working copy tdir/src, as pristine as its source, with o's patches applied."""
    src = os.path.join(tdir, 'src')
    if o['src']:
        base = o['src']
        sync_user_tree(o['src'], tdir)
    else:
        base = os.path.join(tdir, 'pristine')
        if not os.path.isdir(base):
            fetch_source(o, tdir, version)
        if not os.path.isdir(src):
            say('copying the source to its working tree')
            shutil.rmtree(src + '.tmp', ignore_errors=True)
            subprocess.run(['cp', '-a', base, src + '.tmp'], check=True)
            os.rename(src + '.tmp', src)
    restore(tdir, base)
    apply(tdir, o['patches'])


def fetch_source(o, tdir, version):
    dl = os.path.join(tdir, 'dl')
    shutil.rmtree(dl, ignore_errors=True)
    os.makedirs(dl)
    say('apt-get source qemu=%s (Debian\'s patches applied by dpkg-source)' % version)
    r = apt(o, ['apt-get', 'source', '-q', 'qemu=' + version], cwd=dl)
    dirs = [d for d in os.listdir(dl) if os.path.isdir(os.path.join(dl, d))]
    if r.returncode or len(dirs) != 1:
        raise BuildError('apt-get source qemu=%s failed:\n%s' % (version, r.stdout[-1500:]))
    os.rename(os.path.join(dl, dirs[0]), os.path.join(tdir, 'pristine'))
    shutil.rmtree(dl, ignore_errors=True)


def sync_user_tree(user, tdir):
    """Copy --src's tree (without its build and .git) into tdir/src; later,
    only the files changed since the last copy."""
    src, mark = os.path.join(tdir, 'src'), os.path.join(tdir, 'synced')
    t = time.time()
    if not os.path.isdir(src):
        say('copying %s to %s' % (user, src))
        shutil.rmtree(src + '.tmp', ignore_errors=True)
        os.makedirs(src + '.tmp')
        tar = subprocess.Popen(['tar', '-C', user, '--exclude=./build', '--exclude=./.git', '-cf', '-', '.'],
                               stdout=subprocess.PIPE)
        ok = subprocess.run(['tar', '-C', src + '.tmp', '-xf', '-'], stdin=tar.stdout).returncode
        if tar.wait() or ok:
            raise BuildError('cannot copy %s' % user)
        os.rename(src + '.tmp', src)
    else:
        since = os.stat(mark).st_mtime
        for dirpath, dirs, files in os.walk(user):
            if dirpath == user:
                dirs[:] = [d for d in dirs if d not in ('build', '.git')]
            for f in files:
                p = os.path.join(dirpath, f)
                if os.path.isfile(p) and os.stat(p).st_mtime >= since:
                    dst = os.path.join(src, os.path.relpath(p, user))
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copyfile(p, dst)
    open(mark, 'w').close()
    os.utime(mark, (t, t))


def restore(tdir, base):
    """Undo the last patched build: the files it changed come back from base
    with a new time stamp, so ninja rebuilds what they feed."""
    path = os.path.join(tdir, 'applied')
    try:
        files = json.load(open(path))
    except (OSError, ValueError):
        return
    for name in files:
        dst = os.path.join(tdir, 'src', name)
        if os.path.isfile(os.path.join(base, name)):
            shutil.copyfile(os.path.join(base, name), dst)
        elif os.path.exists(dst):
            os.remove(dst)
    os.remove(path)


def apply(tdir, patches):
    if not patches:
        return
    files = []
    for p in patches:
        files += [f for f in patch_files(p) if f not in files]
    with open(os.path.join(tdir, 'applied'), 'w') as f:     # first: an interrupted apply is undone too
        json.dump(files, f)
    for p in patches:
        for dry in (['--dry-run'], []):
            r = subprocess.run(['patch', '-p1', '--batch', '--forward', '-d', os.path.join(tdir, 'src'),
                                '-i', p] + dry, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode:
                raise BuildError('%s does not apply to the source:\n%s' % (p, r.stdout[-1500:]))
        say('applied ' + p)


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r'\d+', v)[:3])


def meson_for(o, src):
    """PYTHONPATH that gives configure the meson the source asks for
    (pythondeps.toml; QEMU 10 wants 1.5, bookworm has 1.0) when the host's is
    older: the stack's own release's meson package (Debian's +ds source drops
    the bundled wheel), unpacked into the cache. None: the host's will do."""
    try:
        m = re.search(r'^meson\s*=\s*\{[^}]*accepted\s*=\s*">=([0-9.]+)"',
                      open(os.path.join(src, 'pythondeps.toml')).read(), re.M)
    except OSError:
        return None
    if not m:
        return None
    r = subprocess.run(['meson', '--version'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if r.returncode == 0 and version_tuple(r.stdout) >= version_tuple(m.group(1)):
        return None
    if o['src']:
        raise BuildError('the source wants meson >= %s and this host has %s: install a newer one (pip install meson)'
                         % (m.group(1), r.stdout.strip() or 'none'))
    d = os.path.join(o['cache'], 'meson-' + o['stack'])
    path = os.path.join(d, 'usr', 'lib', 'python3', 'dist-packages')
    if not os.path.isdir(os.path.join(path, 'mesonbuild')):
        say('the source wants meson >= %s, the host has %s: using %s\'s meson package'
            % (m.group(1), r.stdout.strip() or 'none', o['stack']))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, 'dl'))
        got = apt(o, ['apt-get', 'download', '-q', 'meson'], cwd=os.path.join(d, 'dl'))
        if got.returncode:      # lists of an older cache: deb-src only
            apt(o, ['apt-get', 'update', '-q'])
            got = apt(o, ['apt-get', 'download', '-q', 'meson'], cwd=os.path.join(d, 'dl'))
        debs = [f for f in os.listdir(os.path.join(d, 'dl')) if f.endswith('.deb')]
        if got.returncode or len(debs) != 1 or subprocess.run(
                ['dpkg-deb', '-x', os.path.join(d, 'dl', debs[0]), d]).returncode:
            raise BuildError('cannot fetch package meson of %s:\n%s' % (o['stack'], got.stdout[-1000:]))
    return path


def build(o, tdir, configure, patches):
    """Configure (once per flag set) and ninja; returns the binary's path."""
    bdir = os.path.join(tdir, 'src', 'build')
    pythonpath = meson_for(o, os.path.join(tdir, 'src'))
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
    stamp = os.path.join(tdir, 'configured')
    want = json.dumps(configure)
    have = open(stamp).read() if os.path.exists(stamp) else None
    if have != want or not os.path.exists(os.path.join(bdir, 'build.ninja')):
        shutil.rmtree(bdir, ignore_errors=True)
        os.makedirs(bdir)
        say('configuring (about 30 s): ../configure ' + ' '.join(configure))
        with open(os.path.join(tdir, 'configure.log'), 'w') as log:
            r = subprocess.run(['../configure'] + configure, cwd=bdir, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env)
        if r.returncode:
            tail = open(os.path.join(tdir, 'configure.log'), errors='replace').read()[-2000:]
            raise BuildError('configure failed (%s):\n%s' % (os.path.join(tdir, 'configure.log'), tail))
        _write(stamp, want)
    ninja(o, bdir, env)
    return os.path.join(bdir, BINARY)


def ninja(o, bdir, env=None):
    target = BINARY
    dry = subprocess.run(['ninja', '-n', '-C', bdir, target], stdout=subprocess.PIPE, text=True)
    m = re.findall(r'^\[\d+/(\d+)\]', dry.stdout, re.M)
    steps = int(m[-1]) if m else 0
    jobs = o['jobs'] or os.cpu_count() or 1
    per = timing(o['cache'])
    if steps > 50:
        say('building %d steps with ninja -j%d under nice -n 19: about %d min here '
            '(%.2f s per step measured on this machine; a rebuild after a patch takes seconds)'
            % (steps, jobs, max(1, round(steps * per / 60)), per))
    t0, last, tail = time.monotonic(), time.monotonic(), collections.deque(maxlen=40)
    p = subprocess.Popen(['nice', '-n', '19', 'ninja', '-C', bdir, '-j', str(jobs), target], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors='replace')
    for line in p.stdout:
        tail.append(line.rstrip('\n'))
        m = re.match(r'^\[(\d+)/(\d+)\]', line)
        if m and steps > 50 and time.monotonic() - last >= 60:
            last = time.monotonic()
            done, total = int(m.group(1)), int(m.group(2))
            left = (time.monotonic() - t0) / done * (total - done)
            say('%d/%d steps after %d s, about %d s to go' % (done, total, time.monotonic() - t0, left))
    if p.wait():
        raise BuildError('ninja failed in %s:\n%s' % (bdir, '\n'.join(tail)))
    secs = time.monotonic() - t0
    if steps:
        say('ninja: %d steps in %.1f s' % (steps, secs))
        timing(o['cache'], steps, secs)
