"""Nested mode: a stack's L1 (tools/nested: Debian kernel + KVM + QEMU) runs
each boot of the test kernel as L2 under KVM with Hyper-V enlightenments.

L1 boots once: the first run of a stack boots it cold up to "ready" (KVM
loaded, waiting for a job), saves it with QEMU's migration next to the cache
(l1-smpN.state, keyed by everything that shapes it), and every later run
restores that state instead of booting. One restored L1 then serves the boots
of an invocation (a stack's configurations with --matrix) and their
crash-resumes: L1's KVM outlives an L2 QEMU that aborted (measured: 9 of 9
aborts, each followed by a good boot), and the boot after one must print
within a limit, or it runs again in a fresh L1. An L1 that hung or died, an
L2 that timed out and an aborted UEFI boot (the host's TCG race) get a fresh
restore. The first restore is made ahead, in the background, while the run
prepares; later ones only when needed (each costs a host CPU-second that a
running boot would miss).
HVCONFORM_L1_CACHE=DIR uses a ready-made cache (debugging the runner)."""

import fcntl
import hashlib
import json
import os
import subprocess
import threading
import time

from . import configs
from . import l1 as l1mod
from . import l1jobs
from .configs import ROOT

NESTED_DIR = os.path.join(ROOT, 'tools', 'nested')
# Host QEMU 7.2 TCG can abort running nested SVM (tcg_handle_interrupt asserts
# the BQL), seen in many nested OVMF boots: such a boot is retried.
TCG_RACE = 'tcg_handle_interrupt: assertion failed'
# Boots that may follow an L2 crash in the same L1, and how long such a boot
# may go without printing before L1 is taken for wedged (measured first
# output: 1-4.4 s for -kernel on a loaded host, 4 s for GRUB BIOS; a limit
# passed only costs a rerun in a fresh L1, never a result).
REUSE_AFTER_CRASH = {'kernel': 20, 'iso': 45}


class NestedError(Exception):
    """The nested runner cannot work here (cache, L1 start): exit 3."""


def cache_dir(stack):
    return os.environ.get('HVCONFORM_L1_CACHE') or os.path.join(ROOT, 'build', 'nested', stack)


_checked = {}       # stack -> cache dir, checked once per process


def quick_key(d):
    """What build-cache.sh's answer depends on, read without running it (it
    takes ~0.4 s: dpkg-query, hashing): its scripts, the package databases
    it asks, and the cache's own files. Equal to the key stored after its
    last success: the cache is up to date."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(NESTED_DIR)):
        with open(os.path.join(NESTED_DIR, name), 'rb') as f:
            h.update(name.encode() + b'\0' + f.read())
    for path in ('/var/lib/dpkg/status', '/var/lib/apt/lists', os.path.join(d, 'apt', 'lists'),
                 os.path.join(d, 'stamp'), os.path.join(d, 'versions'), os.path.join(d, 'base.cpio'),
                 os.path.join(d, 'kernel', 'vmlinuz')):
        try:
            st = os.stat(path)
            h.update(('%s %d %d\n' % (path, st.st_mtime_ns, st.st_size)).encode())
        except OSError:
            h.update(('%s -\n' % path).encode())
    return h.hexdigest()


def build_cache(stack, note):
    """Build (or check) the stack's L1 cache; its messages go to stderr.
    Once per process: the mode choice and the runner both ask."""
    d = cache_dir(stack)
    if os.environ.get('HVCONFORM_L1_CACHE') or _checked.get(stack) == d:
        return d
    key_file = os.path.join(d, 'quick.key')
    try:
        if open(key_file).read() == quick_key(d):
            _checked[stack] = d
            return d
    except OSError:
        pass
    if not os.path.exists(os.path.join(d, 'stamp')):
        note('building the %s L1 cache in %s (first time: ~20 s plus a download)' % (stack, d))
    r = subprocess.run(['sh', os.path.join(NESTED_DIR, 'build-cache.sh'), '--stack', stack, d],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=1800)
    if r.returncode:
        text = r.stdout.decode(errors='replace').strip()
        raise NestedError('the %s L1 cache could not be built: %s' % (stack, text[-1500:]))
    with open(key_file + '.tmp', 'w') as f:
        f.write(quick_key(d))
    os.replace(key_file + '.tmp', key_file)
    _checked[stack] = d
    return d


def state_key(cache, smp):
    """What a saved L1 depends on: its command line, the cache's inputs and
    the host QEMU that saved it."""
    h = hashlib.sha256()
    h.update(' '.join(l1mod.command(cache, smp, '/WORK', ram='/RAM')).encode())
    try:
        h.update(open(os.path.join(cache, 'stamp'), 'rb').read())
    except OSError:         # a hand-made cache (HVCONFORM_L1_CACHE) has no stamp
        h.update(str(os.stat(os.path.join(cache, 'base.cpio')).st_mtime_ns).encode())
    h.update(subprocess.run(['qemu-system-x86_64', '--version'], stdout=subprocess.PIPE,
                            timeout=30).stdout)
    return h.hexdigest()


def ram_file(state):
    """A saved L1's RAM, beside its device state (l1.command has why)."""
    return state[:-len('.state')] + '.ram' if state.endswith('.state') else state + '.ram'


class Standby:
    """An L1 restored in a background thread and left paused until taken."""

    def __init__(self, cache, smp, path, meta):
        self.smp, self.meta, self.error = smp, meta, None
        self.t0 = time.monotonic()
        self.vm = l1mod.L1(cache, smp)
        self.thread = threading.Thread(target=self._restore, args=(path,), daemon=True)
        self.thread.start()

    def _restore(self, path):
        try:
            self.vm.start(restore=path, run=False, ram=ram_file(path))
        except Exception as e:      # reported when taken; close() may cut it short
            self.error = e
        self.secs = time.monotonic() - self.t0

    def take(self):
        """The running L1 (waits for its restore to end)."""
        self.thread.join()
        if self.error is None:
            try:
                self.vm.cont()
            except (l1mod.L1Error, OSError, ValueError) as e:
                self.error = e
        if self.error is not None:
            self.vm.close()
            raise l1mod.L1Error(str(self.error))
        return self.vm

    def close(self):
        self.vm.close()              # stops a restore under way
        self.thread.join(30)
        self.vm.close()              # and whatever it started meanwhile


class Nested:
    """The L1 sessions of one invocation, one per stack (reused across boots).
    Boots from several threads share the running L1, one per slot
    (l1jobs.SLOTS): a boot waits for a free slot."""

    def __init__(self, stack, note, prefetch=2):
        self.stack, self.note = stack, note
        self.cache = build_cache(stack, note)
        self.vm = None              # the L1 new boots go to
        self.live = set()           # every L1 not yet closed (a retired one may still run a boot)
        self.spare = None
        self.restoring = False      # one thread restores; the others wait
        self.waiting = []           # boots waiting for a slot, by arrival
        self.arrivals = 0
        self.keys = {}
        self.versions = {}
        self.closed = False
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        if prefetch:            # the first restore overlaps the run's preparation
            self._standby(self.l1_smp(prefetch))

    def l1_smp(self, smp):
        # one saved L1 serves 1 and 2 VPs (measured: a 2-vCPU L1 boots a
        # 1-VP L2 no slower under TCG); more VPs get their own saved L1
        return max(2, smp)

    def _saved(self, smp):
        """Path of a current saved L1 for smp vCPUs, making it if needed. Its
        name carries its key, so a restore always opens a state and a RAM
        file of the same save (a save by another tree's code replaces
        neither under it)."""
        base = os.path.join(self.cache, 'l1-smp%d' % smp)
        if smp not in self.keys:                 # the same for every restore of this run
            self.keys[smp] = state_key(self.cache, smp)
        key = self.keys[smp]
        state = '%s-%s.state' % (base, key[:16])
        with open(base + '.lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)    # parallel runs: one saves, the others wait
            try:
                meta = json.load(open(state[:-len('.state')] + '.meta'))
            except (OSError, ValueError):
                meta = {}
            if meta.get('key') == key and os.path.exists(state) and os.path.exists(ram_file(state)):
                return state, meta
            self.note('saving a booted %s L1 (%d vCPUs) for later runs: one cold boot, ~10-20 s'
                      % (self.stack, smp))
            t = time.monotonic()
            vm = l1mod.L1(self.cache, smp)
            try:
                if os.path.exists(ram_file(state + '.tmp')):    # an earlier save's, cut short
                    os.remove(ram_file(state + '.tmp'))
                vm.start(timeout=240, ram=ram_file(state + '.tmp'), share=True)
                vm.save(state + '.tmp')
            except l1mod.L1Error as e:
                raise NestedError('cannot boot and save the %s L1: %s' % (self.stack, e))
            finally:
                vm.close()
            os.replace(ram_file(state + '.tmp'), ram_file(state))
            os.replace(state + '.tmp', state)
            meta = {'key': key, 'ready': vm.ready}
            with open(state[:-len('.state')] + '.meta.tmp', 'w') as f:
                json.dump(meta, f)
            os.replace(state[:-len('.state')] + '.meta.tmp', state[:-len('.state')] + '.meta')
            # older saves go (a restore still reading one keeps its open files)
            for name in os.listdir(self.cache):
                path = os.path.join(self.cache, name)
                if name.startswith('l1-smp%d' % smp) and not path.startswith(state[:-len('.state')]) \
                        and name.endswith(('.state', '.ram', '.meta')):
                    os.remove(path)
            self.note('saved %s (%.1f s)' % (state, time.monotonic() - t))
            return state, meta

    def _standby(self, smp):
        if self.closed:
            return
        path, meta = self._saved(smp)
        spare = Standby(self.cache, smp, path, meta)
        with self.lock:             # close(final) from another thread wins
            if not self.closed:
                self.spare, spare = spare, None
        if spare:
            spare.close()

    def _restore(self, want):
        """A freshly restored, running L1 with want vCPUs (the standby made
        ahead, else one restored now)."""
        t = time.monotonic()
        ahead = self.spare is not None and self.spare.smp == want
        for attempt in (1, 2):
            # the standby; if it died while it waited (killed, host trouble),
            # one more restored now, in the foreground, before giving up
            if self.spare is None or self.spare.smp != want:
                self.close_spare()
                self._standby(want)
            with self.lock:
                spare, self.spare = self.spare, None
            if spare is None:            # closed for good (_standby made none)
                raise NestedError('the run is ending (its L1s were stopped)')
            try:
                vm = spare.take()
                break
            except l1mod.L1Error as e:
                if attempt == 2:
                    raise NestedError('cannot restore the saved %s L1 (%s): %s' % (self.stack, self.cache, e))
                self.note('the standby L1 failed (%s): restoring another' % e)
        waited = time.monotonic() - t
        meta = spare.meta
        vm.ready = meta.get('ready')
        self.versions = dict(w.split('=', 1) for w in (vm.ready or '').split(' qemu=')[0].split()
                             if '=' in w)
        if vm.ready and ' qemu=' in vm.ready:
            self.versions['qemu'] = vm.ready.split(' qemu=', 1)[1].replace('QEMU emulator version ', '')
        self.note('L1 (%s) restored in %.2f s (%.2f s of it waited for; %s): %s'
                  % (self.stack, spare.secs, waited, 'restored ahead' if ahead else 'restored now',
                     ', '.join('%s %s' % kv for kv in sorted(self.versions.items()))))
        self.note('L1: ' + ' '.join(vm.cmdline))
        return vm

    def _take(self, smp):
        """(L1, slot) for one boot: a free slot of the running L1, or of one
        restored now; waits while every slot is busy."""
        want = self.l1_smp(smp)
        with self.cond:
            self.arrivals += 1
            me = self.arrivals
            self.waiting.append(me)
            try:
                return self._take_locked(smp, want, me)
            finally:
                self.waiting.remove(me)
                self.cond.notify_all()

    def _take_locked(self, smp, want, me):
        while True:
            if self.closed:
                raise NestedError('the run is ending (its L1s were stopped)')
            vm = self.vm
            if vm is not None and (vm.smp != want or vm.proc.poll() is not None):
                self._drop(vm, kill=vm.proc.poll() is not None)
                vm = None
            if vm is not None and self._fits(vm, me):
                return vm, vm.free.pop(0)
            if vm is None and not self.restoring:
                self.restoring = True
                self.cond.release()         # the restore runs unlocked
                vm = None
                try:
                    vm = self._restore(want)
                finally:
                    self.cond.acquire()
                    self.restoring = False
                    self.cond.notify_all()
                    if vm is not None:
                        vm.free, vm.retired, vm.after_crash = list(range(l1jobs.SLOTS)), False, False
                        if self.closed:
                            vm.close()
                        else:
                            self.vm = vm
                            self.live.add(vm)
                continue
            self.cond.wait(1)

    def _fits(self, vm, me):
        """Whether boot `me` may start now: waiting boots get free slots in
        the order they came. Measured on the four configurations (2-vCPU L1,
        three runs each): in that order 16-24 s; longest first, at most one
        2-VP boot at a time, 21-27 s; a 2-VP boot alone in L1, 29-37 s."""
        return bool(vm.free) and sorted(self.waiting).index(me) < len(vm.free)

    def _drop(self, vm, kill):
        """No new boots go to vm; kill: stop it now (its other boot, if any,
        sees L1 gone and runs again), else when its last boot ends."""
        with self.cond:
            if self.vm is vm:
                self.vm = None
            vm.retired = True
            if kill or len(vm.free) == l1jobs.SLOTS:
                vm.close()
                self.live.discard(vm)
            self.cond.notify_all()

    def _give(self, vm, slot, outcome):
        """A boot is done with its slot: outcome 'keep' (the L1 serves on),
        'retire' (a fresh L1 for later boots) or 'kill' (L1 failed)."""
        with self.cond:
            vm.free.append(slot)
            if outcome != 'keep' or vm.retired:
                self._drop(vm, kill=outcome == 'kill')
            self.cond.notify_all()

    def boot(self, mode, image, args_line, l2args, smp, timeout, out):
        """One L2 boot. Returns (status, how, stderr lines): how is 'exited',
        'timeout' (L2 limit), 'crashed' (L2 QEMU died or failed), or 'infra'
        (L1 itself failed; status None). Safe to call from several threads."""
        tries = 1 + int(os.environ.get('NESTED_RETRIES', '2'))   # reruns of an L1 failure
        for attempt in range(tries):
            vm, slot = self._take(smp)
            outcome = 'kill'
            try:
                # L2's COM1 and virtio console go to the file the init forwards
                fields = {'mode': mode, 'append': args_line, 'l2args': ' '.join(
                    configs.machine_args(smp) + configs.console_args('file,path=' + l1jobs.l2_output(slot)) +
                    list(l2args))}
                watch = REUSE_AFTER_CRASH.get(mode) if vm.after_crash else None
                vm.after_crash = False
                try:
                    status, info = vm.run_job(slot, image, fields, timeout, out, first_output=watch)
                except l1jobs.JobError as e:
                    outcome = 'keep'
                    raise NestedError(str(e))
                if info.get('l2cmd'):
                    self.note('L2 (slot %d): %s' % (slot, info['l2cmd']))
                    self.note('L2 started %.2f s into the boot, first output at %s' % (
                        info.get('t_l2', 0), '%.2f s' % info['t_out'] if 't_out' in info else 'none'))
                if status in (l1mod.L1_GONE, l1mod.L1_HUNG, l1mod.L2_SILENT):
                    err = vm.host_err()
                    why = ('host QEMU hit its TCG nested-SVM race' if TCG_RACE in err else
                           'L1 hung (no answer for %.0f s; %s)' % (info.get('hung_after', 0), vm.where())
                           if status == l1mod.L1_HUNG else
                           'L2 printed nothing for %.0f s in the L1 its crashed predecessor ran in'
                           % info.get('silent_for', 0) if status == l1mod.L2_SILENT else
                           'host QEMU ended: %s' % (err[-300:] or 'no message'))
                    if status != l1mod.L1_GONE or not vm.retired:    # not stopped by us
                        tail = [ln for ln in vm.l1_log().replace('\r', '').split('\n') if ln.strip()][-8:]
                        self.note('%s; L1 console tail:\n    %s' % (why, '\n    '.join(tail) or '(empty)'))
                    else:
                        why = 'its L1 was stopped (another boot in it failed)'
                    if not info['printed'] and attempt < tries - 1:
                        self.note('%s before L2 printed anything: retrying this boot' % why)
                        continue
                    return None, 'infra: ' + why, info['stderr']   # the runner reruns it
                how = 'timeout' if status == 124 else 'crashed' if status == 127 else 'exited'
                if how == 'crashed' and mode in REUSE_AFTER_CRASH:
                    vm.after_crash = True   # L1 stays; the next boot is watched
                    outcome = 'keep'
                elif how == 'exited':
                    outcome = 'keep'
                else:
                    # a hung L2, or an aborted UEFI boot (the host's TCG race may
                    # have hit L1 too): later boots get a fresh L1
                    outcome = 'retire'
                return status, how, info['stderr']
            finally:
                self._give(vm, slot, outcome)
        return None, 'infra: L1 failed %d time(s)' % tries, []

    def close_vm(self):
        """Stop every L1 (boots still running in one see it gone)."""
        with self.cond:
            vms, self.vm, self.live = self.live | ({self.vm} if self.vm else set()), None, set()
        for vm in vms:
            vm.close()

    def close_spare(self):
        with self.lock:
            spare, self.spare = self.spare, None
        if spare:
            spare.close()

    def close(self, final=False):
        """Stop the L1s; final: and never start another (the run is ending)."""
        with self.lock:
            self.closed = self.closed or final
        self.close_vm()
        self.close_spare()
