"""Nested mode: a stack's L1 (tools/nested: Debian kernel + KVM + QEMU) runs
each boot of the test kernel as L2 under KVM with Hyper-V enlightenments.

L1 boots once (l1saved.py: the cache, the saved L1s, restores made ahead).
One restored L1 then serves the boots of an invocation (a stack's
configurations with --matrix) and their crash-resumes, two at a time. An L2
QEMU that aborted leaves L1's KVM serving (its VM is torn down with the
process: kvm_vm_release), so L1 is kept, but the boot after one must print
within a limit, or it runs again in a fresh L1. An L1 that hung or died, an
L2 that timed out and an aborted UEFI boot (the host's TCG race) get a fresh
restore. The first restore is made ahead, in the background, while the run
prepares; later ones only when needed (a restore takes host CPU from the
running boots).
HVCONFORM_L1_CACHE=DIR uses a ready-made cache (debugging the runner)."""

import os
import threading
import time

from . import configs, images, l0, qemubin, warm
from . import l1 as l1mod
from . import jobproto, l1jobs
from .l1slots import L1Slots
from .bootresult import BootResult, How
from .jobproto import Fault
from .l1saved import NestedError, Standby, build_cache, cache_dir, discard, saved  # noqa: F401 (the runner's names)

# Host QEMU's TCG can abort running nested SVM when L2 writes CR8
# (helper_write_crN calls cpu_interrupt without the BQL, which
# tcg_handle_interrupt asserts; tools/nested/README.md "Nested UEFI"): such a
# boot is retried.
TCG_RACE = 'tcg_handle_interrupt: assertion failed'
# Boots that may follow an L2 crash in the same L1, and how long such a boot
# may go without printing before L1 is taken for wedged (several times the
# first output measured: docs/DESIGN.md "Measured facts"; a limit passed only
# costs a rerun in a fresh L1, never a result).
REUSE_AFTER_CRASH = {'kernel': 20, 'iso': 45}
# A save job's limit (OVMF up to GRUB: 165-519 s measured under load), and
# how long a restored L2 may stay silent (GRUB echoes the arguments typed)
WARM_SAVE_TIMEOUT = 900
WARM_FIRST_OUTPUT = 120
# L1's firmware files (the cache puts QEMU's, qboot and OVMF there)
L1_FIRMWARE = '/fw'


def boot_timeout(firmware):
    """An L2 boot's default wall-clock limit (L1's own hangs are found by its
    heartbeat, l1jobs.SILENCE; this one only ends an L2 that runs on and on):
    above the longest whole boots measured under load (docs/DESIGN.md
    "Measured facts")."""
    return 600 if firmware == 'uefi' else 120


def host_ended(vm, err):
    """Why an L1 is gone: host QEMU's exit status (or signal; its control
    channel can end a moment before it) and its last words."""
    return 'host QEMU ended (%s): %s' % (vm.exit_words(2) or 'status unknown: still running',
                                         err[-300:] or 'no message')


def l2_how(status, info):
    """How an L2 boot ended (the init's status): FAILED is an L2 QEMU that
    gave up with its own error before printing anything (the init makes that
    127, as a crash; it names a signal in a stderr line of its own), as
    direct.run's caller says of a QEMU that could not start."""
    if status == jobproto.L2_TIMEOUT:
        return How.TIMEOUT
    if status != jobproto.L2_CRASHED:
        return How.EXITED
    if not info.get('printed') and info.get('stderr') and \
            not any('ended by signal' in line for line in info['stderr']):
        return How.FAILED
    return How.CRASHED


class Nested:
    """The L1 sessions of one invocation, one per stack (reused across boots).
    Boots from several threads share the running L1, one per slot
    (jobproto.SLOTS): a boot waits for a free slot."""

    def __init__(self, stack, note, prefetch=2, qemu=None, uefi=False):
        self.stack, self.note = stack, note
        l0.choose(uefi, l1mod.l1_accel()[0], note)     # before any L1 starts
        self.cache = build_cache(stack, note)
        if qemu:        # a user's binary (--qemu): the stack's L1 with it as L2's QEMU
            try:
                self.cache = qemubin.l1_cache(self.cache, qemu, note)
            except qemubin.QemuError as e:
                raise NestedError(str(e))
        self.cur = None             # the L1Slots of the L1 new boots go to
        self.live = set()           # the L1Slots of every L1 not yet closed (a retired one may still run a boot)
        self.spare = None
        self.restoring = False      # one thread restores; the others wait
        self.waiting = []           # boots waiting for a slot, in the order they came
        self.arrivals = 0
        self.keys = {}
        self.versions = {}
        self.closed = False
        self.rebuilt = False        # a damaged saved L1 is saved again once
        self.saving = 0.0           # seconds that took (setup: no boot's time)
        self.warm = warm.Warm(self.cache, note)     # saved L2s (gen2)
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        if prefetch:            # the first restore overlaps the run's preparation
            self._standby(self.l1_smp(prefetch))

    def l1_smp(self, smp):
        # one saved L1 serves 1 and 2 VPs (a 2-vCPU L1 boots a 1-VP L2 no
        # slower: docs/DESIGN.md "Measured facts"); more VPs get their own
        return max(2, smp)

    def _standby(self, smp):
        if self.closed:
            return
        path, meta = saved(self.cache, self.stack, smp, self.keys, self.note)
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
        retried = False
        while True:
            # the standby; if it died while it waited (killed, host trouble),
            # one more restored now, in the foreground; if QEMU refused the
            # saved files or the restored L1 did not answer, the saved L1 is
            # damaged: it is saved again, once per run
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
                if e.damaged and not self.rebuilt:
                    self.rebuilt = True
                    discard(spare.path, self.note, e)
                    t0 = time.monotonic()
                    self._standby(want)     # saved again, now
                    self.saving += time.monotonic() - t0
                elif not e.damaged and not retried:
                    retried = True
                    self.note('the standby L1 failed (%s): restoring another' % e)
                else:
                    raise NestedError('cannot restore the saved %s L1 (%s)%s: %s' % (
                        self.stack, self.cache, ', saved again' if self.rebuilt else '', e))
        waited = time.monotonic() - t
        self.versions = vm.versions()
        self.note('L1 (%s) restored in %.2f s (%.2f s of it waited for; %s): %s'
                  % (self.stack, spare.secs, waited, 'restored ahead' if ahead else 'restored now',
                     ', '.join('%s %s' % kv for kv in sorted(self.versions.items()))))
        self.note('L1: ' + ' '.join(vm.cmdline))
        return vm

    def _take(self, smp, longest=0):
        """(L1Slots, slot) for one boot: a free slot of the running L1, or of one
        restored now; waits while every slot is busy. longest: the boot's
        expected seconds (the run's history), so that waiting boots take
        slots longest first, else in the order they came."""
        want = self.l1_smp(smp)
        with self.cond:
            self.arrivals += 1
            me = (-longest, self.arrivals)
            self.waiting.append(me)
            try:
                return self._take_locked(want, me)
            finally:
                self.waiting.remove(me)
                self.cond.notify_all()

    def _take_locked(self, want, me):
        while True:
            if self.closed:
                raise NestedError('the run is ending (its L1s were stopped)')
            cur = self.cur
            if cur is not None and (cur.vm.smp != want or cur.vm.ended()):
                self._drop(cur, kill=cur.vm.ended())
                cur = None
            if cur is not None and self._fits(cur, me):
                return cur, cur.take()
            if cur is None and not self.restoring:
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
                        if self.closed:
                            vm.close()
                        else:
                            self.cur = L1Slots(vm)
                            self.live.add(self.cur)
                continue
            self.cond.wait(1)

    def _fits(self, cur, me):
        """Whether boot `me` may start now: waiting boots get free slots
        longest first (by the run's history; unknown ones last), else in the
        order they came (the fastest order measured: docs/DESIGN.md
        "Measured facts")."""
        return sorted(self.waiting).index(me) < cur.free()

    def _drop(self, l1s, kill):
        """No new boots go to l1s's L1; kill: stop it now (its other boot, if
        any, sees L1 gone and runs again), else when its last boot ends."""
        with self.cond:
            if self.cur is l1s:
                self.cur = None
            l1s.retire()
            if kill or l1s.idle():
                l1s.vm.close()
                self.live.discard(l1s)
            self.cond.notify_all()

    def _give(self, l1s, slot, outcome, watch=False):
        """A boot is done with its slot: outcome 'keep' (the L1 serves on),
        'retire' (a fresh L1 for later boots) or 'kill' (L1 failed); watch:
        its L2 crashed, the next boot in this L1 is watched."""
        with self.cond:
            if watch:
                l1s.watch_next()
            l1s.give(slot)
            if outcome != 'keep' or l1s.retired():
                self._drop(l1s, kill=outcome == 'kill')
            self.cond.notify_all()

    def boot(self, boot, image, append, l2args, smp, timeout, out, longest=0, deadline=None, uefi=False):
        """One L2 boot of image by boot path `boot` (kernel, iso, efi; uefi:
        under OVMF; append: -kernel's arguments), each try at most timeout s,
        and none past deadline(), the run's --timeout. Returns a BootResult
        (INFRA: L1 itself failed). Safe to call from several threads."""
        tries = 1 + int(os.environ.get('NESTED_RETRIES', '2'))   # reruns of an L1 failure
        cold = False            # a saved L2 failed this boot: it boots OVMF
        for attempt in range(tries):
            l1s, slot = self._take(smp, longest)
            vm = l1s.vm
            end = deadline() if deadline else None
            left = timeout if end is None else min(timeout, int(end - time.monotonic() + 0.999))
            if left < 1:        # the run's --timeout went on reruns of failed L1s
                self._give(l1s, slot, 'keep')
                return BootResult.infra('L1 failed; the run\'s --timeout is used up')
            outcome, watch_next = 'kill', False
            try:
                def l2_args(console):
                    return configs.accel_args('kvm', L1_FIRMWARE) + configs.boot_args(
                        boot, uefi, jobproto.l1_path(slot, 'image'), append, L1_FIRMWARE + '/OVMF_CODE.fd',
                        jobproto.l1_path(slot, 'vars.fd')) + configs.machine_args(smp) + console + list(l2args)
                # L2's COM1 and virtio console go to the file the init forwards
                fields = {'vars': int(uefi), 'arg': l2_args(configs.console_args(
                    'file,path=' + jobproto.l1_path(slot, 'l2.out')))}
                reuse = None if uefi else REUSE_AFTER_CRASH.get(boot)
                with self.cond:
                    watch = reuse if l1s.take_watch() else None
                files, wkey = (), None
                try:
                    if warm.enabled(boot, uefi) and not cold:
                        iso, base = images.warm_iso(), l2_args(warm.console(slot))
                        wkey = warm.key(iso, base, vm.restored_from)
                        before = self.warm.saving
                        ok = self.warm.ensure(vm, slot, wkey, iso, base, WARM_SAVE_TIMEOUT)
                        with self.lock:
                            self.saving += self.warm.saving - before     # setup, not the run's time
                        if jobproto.is_fault(ok):
                            cold = True         # L1 failed under the save: a fresh one, cold
                            continue
                        if ok:
                            image = iso
                            fields, files = self.warm.restore_job(slot, wkey, base, append)
                            watch = WARM_FIRST_OUTPUT
                            out = warm.ArgsCheck(out, append, self.note)
                            self.note('L2 (slot %d) restored from the saved L2 %s (OVMF started and GRUB '
                                      'waiting, saved once; the arguments typed on its serial line)' % (slot, wkey))
                        else:
                            wkey = None
                    status, info = vm.run_job(slot, image, fields, left, out, first_output=watch,
                                              **({'files': files} if files else {}))
                except (l1jobs.JobError, images.ImageError) as e:
                    outcome = 'keep'
                    raise NestedError(str(e))
                if wkey and not info['printed'] and (status is Fault.L2_SILENT or status in (
                        jobproto.L2_CRASHED, 1)):
                    # the restore itself failed (QEMU refused the state, or the
                    # restored L2 never printed): never again, this boot runs cold
                    self.warm.discard(wkey, '; '.join(info['stderr'][-3:]) or str(status))
                    cold = True
                    if status is not Fault.L2_SILENT:
                        outcome = 'keep'
                        continue
                if info.get('l2cmd'):
                    self.note('L2 (slot %d): %s' % (slot, info['l2cmd']))
                    self.note('L2 started %.2f s into the boot, first output at %s' % (
                        info.get('t_l2', 0), '%.2f s' % info['t_out'] if 't_out' in info else 'none'))
                if jobproto.is_fault(status):
                    err = vm.host_err()
                    why = ('host QEMU hit its TCG nested-SVM race' if TCG_RACE in err else
                           'L1 hung (no answer for %.0f s; %s)' % (info.get('hung_after', 0), vm.where())
                           if status is Fault.L1_HUNG else
                           'L2 printed nothing for %.0f s in the L1 its crashed predecessor ran in'
                           % info.get('silent_for', 0) if status is Fault.L2_SILENT else
                           host_ended(vm, err))
                    if status is not Fault.L1_GONE or not l1s.retired():    # not stopped by us
                        tail = [ln for ln in vm.l1_log().replace('\r', '').split('\n') if ln.strip()][-8:]
                        self.note('%s; L1 console tail:\n    %s' % (why, '\n    '.join(tail) or '(empty)'))
                    else:
                        why = 'its L1 was stopped (another boot in it failed)'
                    if not info['printed'] and attempt < tries - 1:
                        self.note('%s before L2 printed anything: retrying this boot' % why)
                        continue
                    return BootResult(How.INFRA, None, why, tuple(info['stderr']))   # the runner reruns it
                how = l2_how(status, info)
                if how is How.FAILED:
                    outcome = 'keep'
                elif how is How.CRASHED and reuse:
                    outcome, watch_next = 'keep', True     # L1 stays; the next boot is watched
                elif how is How.EXITED:
                    outcome = 'keep'
                else:
                    # a hung L2, or an aborted UEFI boot (the host's TCG race may
                    # have hit L1 too): later boots get a fresh L1
                    outcome = 'retire'
                return BootResult(how, status, stderr=tuple(info['stderr']))
            finally:
                self._give(l1s, slot, outcome, watch_next)
        return BootResult.infra('L1 failed %d time(s)' % tries)

    def close_vm(self):
        """Stop every L1 (boots still running in one see it gone)."""
        with self.cond:
            gone, self.cur, self.live = self.live | ({self.cur} if self.cur else set()), None, set()
        for l1s in gone:
            l1s.vm.close()

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
