"""A stack's L1 cache (tools/nested/build-cache.sh) and its saved, booted
L1s: the first run of a stack boots L1 cold up to "ready" (KVM loaded,
waiting for a job) and saves it with QEMU's migration beside the cache
(l1-smpN-KEY.state and .ram, keyed by everything that shapes it:
cachekey.state_key); every later run restores it (a Standby: in the
background, paused until taken)."""

import fcntl
import json
import os
import shlex
import subprocess
import threading
import time

from . import cachekey, hostqemu, l0
from . import l1 as l1mod
from .configs import ROOT

BUILD_TIMEOUT = 1800        # a first build downloads a kernel (debian13: ~60 packages)


class NestedError(Exception):
    """The nested runner cannot work here (cache, L1 start): exit 3."""


def cache_dir(stack):
    """HVCONFORM_NESTED_DIR=DIR: where the stacks' caches and saved L1s are
    built (DIR/STACK; default build/nested)."""
    return os.environ.get('HVCONFORM_L1_CACHE') or os.path.join(
        os.environ.get('HVCONFORM_NESTED_DIR') or os.path.join(ROOT, 'build', 'nested'), stack)


def tail(text, n=12):
    """A command's last n lines, indented under the message that names it."""
    lines = [l.rstrip() for l in text.strip().split('\n') if l.strip()][-n:]
    return ''.join('\n    ' + l[:300] for l in lines)


_checked = {}       # stack -> cache dir, checked once per process


def build_cache(stack, note):
    """Build (or check) the stack's L1 cache; its messages go to stderr.
    Once per process: the mode choice and the runner both ask. Skipped when
    the probe key (cachekey.probe_key) is the one stored after the last
    success: nothing build-cache.sh reads has changed since."""
    d = cache_dir(stack)
    if os.environ.get('HVCONFORM_L1_CACHE') or _checked.get(stack) == d:
        return d
    key_file = os.path.join(d, 'probe.key')
    try:
        if open(key_file).read() == cachekey.probe_key(stack, d):
            _checked[stack] = d
            return d
    except OSError:
        pass
    if not os.path.exists(os.path.join(d, 'stamp')):
        note('building the %s L1 cache in %s (first time: ~20 s plus a download)' % (stack, d))
    cmd = ['sh', os.path.join(cachekey.NESTED_DIR, 'build-cache.sh'), '--stack', stack, d]
    # the failing command and its last lines: the reason, never an empty one
    what = 'the %s L1 cache could not be built: `%s`' % (stack, ' '.join(shlex.quote(c) for c in cmd))
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise NestedError('%s took over %d s; its last lines:%s'
                          % (what, BUILD_TIMEOUT, tail((e.stdout or b'').decode(errors='replace'))))
    if r.returncode:
        text = tail(r.stdout.decode(errors='replace'))
        raise NestedError('%s ended with status %d%s' % (what, r.returncode,
                                                         '; its last lines:' + text if text else
                                                         ' and printed nothing'))
    with open(key_file + '.tmp', 'w') as f:
        f.write(cachekey.probe_key(stack, d))
    os.replace(key_file + '.tmp', key_file)
    _checked[stack] = d
    return d


def state_key(cache, smp):
    """A saved L1's key (cachekey.state_key): the cache's key, L1's command
    line with placeholder paths (a copy of a cache, its saved L1 included,
    restores as it is) and L0's version."""
    built = cachekey.stamp_key(os.path.join(cache, 'stamp'))
    if built is None:       # a hand-made cache (HVCONFORM_L1_CACHE) has no stamp
        built = 'base.cpio mtime %d' % os.stat(os.path.join(cache, 'base.cpio')).st_mtime_ns
    return cachekey.state_key(built, l1mod.command('/CACHE', smp, '/WORK', ram='/RAM'),
                              hostqemu.version_output(l0.path()).decode('latin-1').split('\n')[0])


def ram_file(state):
    """A saved L1's RAM, beside its device state (l1.command has why)."""
    return state[:-len('.state')] + '.ram' if state.endswith('.state') else state + '.ram'


class Standby:
    """An L1 restored in a background thread and left paused until taken."""

    def __init__(self, cache, smp, path, meta):
        self.smp, self.meta, self.error, self.path = smp, meta, None, path
        self.t0 = time.monotonic()
        self.vm = l1mod.L1(cache, smp)
        self.thread = threading.Thread(target=self._restore, args=(path,), daemon=True)
        self.thread.start()

    def _restore(self, path):
        try:
            self.vm.start(restore=path, run=False, ram=ram_file(path), ready=self.meta.get('ready'))
        except Exception as e:      # reported when taken; close() may cut it short
            self.error = e
        self.secs = time.monotonic() - self.t0

    def take(self):
        """The running L1 (waits for its restore to end), checked alive."""
        self.thread.join()
        if self.error is None:
            try:
                self.vm.cont()
                self.vm.ping()
            except l1mod.L1Error as e:
                self.error = e
            except (OSError, ValueError) as e:
                self.error = self.vm.failed('starting the restored L1', e)
        if self.error is not None:
            self.vm.close()
            if isinstance(self.error, l1mod.L1Error):
                raise self.error
            raise l1mod.L1Error(str(self.error))
        return self.vm

    def close(self):
        self.vm.close()              # stops a restore under way
        self.thread.join(30)
        self.vm.close()              # and whatever it started meanwhile


def saved(cache, stack, smp, keys, note):
    """(path, meta) of a current saved L1 of the stack for smp vCPUs, making
    it if needed (keys: smp -> state_key, kept by the caller). Its
    name carries its key, so a restore always opens a state and a RAM
    file of the same save (a save by another tree's code replaces
    neither under it)."""
    base = os.path.join(cache, 'l1-smp%d' % smp)
    if smp not in keys:                 # the same for every restore of this run
        keys[smp] = state_key(cache, smp)
    key = keys[smp]
    state = '%s-%s.state' % (base, key[:16])
    with open(base + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)    # parallel runs: one saves, the others wait
        try:
            meta = json.load(open(state[:-len('.state')] + '.meta'))
        except (OSError, ValueError):
            meta = {}
        if meta.get('key') == key:
            if whole(state, meta):
                return state, meta
            if os.path.exists(state):
                note('the saved L1 %s is not whole (its files are not the sizes saved, %s): saving it '
                     'again' % (state, meta.get('sizes')))
        note('saving a booted %s L1 (%d vCPUs) for later runs: one cold boot, ~10-20 s'
                  % (stack, smp))
        t = time.monotonic()
        for attempt in (1, 2):      # an L1 that dies booting costs a second boot, not the run
            vm = l1mod.L1(cache, smp)
            try:
                if os.path.exists(ram_file(state + '.tmp')):    # an earlier save's, cut short
                    os.remove(ram_file(state + '.tmp'))
                vm.start(timeout=240, ram=ram_file(state + '.tmp'), share=True)
                vm.save(state + '.tmp')
                break
            except l1mod.L1Error as e:
                if attempt == 2:
                    raise NestedError('cannot boot and save the %s L1 (in two cold boots): %s' % (stack, e))
                note('the cold boot of the %s L1 failed; booting it once more:%s' % (stack, tail(str(e), 6)))
            finally:
                vm.close()
        os.replace(ram_file(state + '.tmp'), ram_file(state))
        os.replace(state + '.tmp', state)
        meta = {'key': key, 'ready': vm.ready, 'sizes': [os.path.getsize(state), os.path.getsize(ram_file(state))]}
        with open(state[:-len('.state')] + '.meta.tmp', 'w') as f:
            json.dump(meta, f)
        os.replace(state[:-len('.state')] + '.meta.tmp', state[:-len('.state')] + '.meta')
        remove_older(cache, smp, state, note)
        note('saved %s (%.1f s)' % (state, time.monotonic() - t))
        return state, meta


def whole(state, meta):
    """The saved files are there at the sizes they were saved with (a file
    cut short is a damaged save; a save without sizes is an older tree's)."""
    try:
        sizes = [os.path.getsize(state), os.path.getsize(ram_file(state))]
    except OSError:
        return False
    return meta.get('sizes', sizes) == sizes


def discard(state, note, why):
    """A saved L1 that failed to restore or to answer goes: the next
    saved() makes it again (restores running from it keep their open files)."""
    note('the saved L1 %s is damaged (%s): removing it, a new one is saved' % (state, why))
    for path in (state, ram_file(state), state[:-len('.state')] + '.meta'):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise NestedError('cannot remove the damaged saved L1 %s: %s' % (path, e.strerror or e))


def remove_older(cache, smp, state, note):
    """Older saves go (a restore still reading one keeps its open files); one
    that cannot be removed is named and left: it costs disk, never a result."""
    for name in sorted(os.listdir(cache)):
        path = os.path.join(cache, name)
        if name.startswith('l1-smp%d-' % smp) and not path.startswith(state[:-len('.state')]) \
                and name.endswith(('.state', '.ram', '.meta')):
            try:
                os.remove(path)
            except OSError as e:
                note('cannot remove an older saved L1 (%s): %s' % (path, e.strerror or e))

