"""Saved L2s for nested UEFI ISO boots (--machine gen2): OVMF's start-up is
most of such a boot under nested TCG (tools/nested/README.md, "Where the time
goes"), so it runs once: a save job boots the warm ISO (images.warm_iso: the
run's kernel, GRUB waiting for the kernel's arguments on its serial line)
with a monitor, and when GRUB's marker comes the host says "save": L2 is
stopped and migrated to a file in L1 (HMP migrate, exec:), which the init
puts on the payload disk with OVMF's variables; the host keeps both. Each
boot then restores that L2 (-incoming from the payload disk) with those
variables, and the init types the boot's arguments once it runs.

A saved L2 belongs to the warm ISO's bytes, L2's command line (its slot's
paths left out: the state names devices, not files) and the saved L1 it was
made in (whose key covers the stack's cache, OVMF's files, L2's QEMU and
L0). Every L2 device migrates in the stacks' QEMU (7.2, 10.0, 11.1):
hyperv-testdev has no state of its own (no vmsd, no blocker:
hw/hyperv/hyperv_testdev.c) and none is set up before the kernel runs;
vmbus-bridge has vmstate_vmbus_bridge (hw/hyperv/vmbus.c); virtio-serial,
pflash, q35's AHCI, the APIC and the Hyper-V MSRs have theirs. A restore
QEMU refuses, or a save that never saw its marker, falls back to a cold
boot (and a refused saved L2 is removed). A save that failed is remembered
beside the saved L2s (l2-KEY.failed, its reason): later runs with that key
boot cold at once. HVCONFORM_WARM_L2=0: cold boots; HVCONFORM_WARM_L2=retry:
a remembered failure is tried again."""

import os
import re
import threading
import time

from . import cachekey, configs, images, jobproto

MARKER = images.WARM_MARKER.encode()
# GRUB's marker comes on COM1 and on the virtio console, both muxed onto one
# chardev (configs.console_args): the UART's bytes come one by one from the
# vCPU, the virtio console's in chunks (virtio-serial's handle_output), so
# the copies can interleave inside the marker (a debian13-backports save's
# output held "@@hvco" + "te'" + "nform-grub-reads-arguments@@" and no
# whole copy). The marker is seen when its bytes come in order within
# WINDOW bytes, others between (no '@' comes before it: OVMF's and GRUB's
# messages up to the echo hold none).
WINDOW = 8 * len(MARKER)
MONITOR = 'mon'             # the slot's FIFOs mon.in/mon.out (tools/nested/init)
SERIAL = 'l2'               # the console's FIFOs l2.in (typed) and l2.out (the init forwards)
SAVE_SILENCE = 60
# A save job's L2 that printed and then went silent before GRUB's marker for
# STALL_FACTOR times as long as its first byte took, and SAVE_STALL s at
# least, is stuck (a debian13-backports save once printed OVMF's console start
# and then nothing until the 900 s limit). The limit scales with the host's
# load as the first byte's time does: saves that reached GRUB were silent
# after their first byte for less than that time (the commit's figures).
SAVE_STALL = 120
STALL_FACTOR = 4
KEEP = 4                    # saved L2s (and warm ISOs) kept per stack


def enabled(boot, uefi):
    return boot == 'iso' and uefi and os.environ.get('HVCONFORM_WARM_L2', '1') != '0'


def monitor_args(slot):
    return ['-chardev', 'pipe,id=hvcmon,path=' + jobproto.l1_path(slot, MONITOR),
            '-mon', 'chardev=hvcmon,mode=readline']


def incoming_args(slot, size):
    blk = jobproto.state_blocks(slot)[0]
    return ['-incoming', 'exec:dd if=/dev/vda bs=%d skip=%d count=%d iflag=direct 2>/dev/null'
            % (jobproto.BLOCK, blk, (size + jobproto.BLOCK - 1) // jobproto.BLOCK)]


def key(iso, args, l1_state):
    """A saved L2's key: the warm ISO's bytes, L2's arguments with the
    slot's paths made neutral, the saved L1 (its file's name is its key)."""
    return cachekey.key({'iso': cachekey.file_digest(iso),
                         'l2': ' '.join(re.sub(r'/tmp/s[0-9]/', '/tmp/sS/', a) for a in args),
                         'l1': os.path.basename(l1_state or '')})[:16]


def prune(d, prefix, keep):
    """Remove all but the newest `keep` keys' files prefix-KEY.* in d (each
    kernel build makes a new warm ISO and a new saved L2, 21 and 43 MB)."""
    try:
        names = [n for n in os.listdir(d) if n.startswith(prefix) and '.tmp' not in n]
    except OSError:
        return
    keys = {}
    for n in names:
        k = n[len(prefix):].split('.')[0]
        keys[k] = max(keys.get(k, 0), os.path.getmtime(os.path.join(d, n)))
    for k in sorted(keys, key=keys.get, reverse=True)[keep:]:
        for n in names:
            if n.startswith(prefix + k + '.'):
                try:
                    os.remove(os.path.join(d, n))
                except OSError:
                    pass


def has_marker(text):
    """Whether MARKER's bytes come in order in text (others between:
    WINDOW): one copy whole, however the other copies cut into it."""
    i = text.find(MARKER[:1])
    while i >= 0:
        rest = iter(text[i:i + WINDOW])
        if all(b in rest for b in MARKER):
            return True
        i = text.find(MARKER[:1], i + 1)
    return False


class Watch:
    """A save job's output: kept in a log; on GRUB's marker, "save" is sent.
    stalled(): whether its L2 is stuck (SAVE_STALL, STALL_FACTOR)."""

    def __init__(self, log, send, clock=time.monotonic):
        self.log, self.send, self.seq, self.slot, self.clock = log, send, None, None, clock
        self.tail, self.seen, self.t0 = b'', None, clock()
        self.first = None                       # seconds to L2's first byte
        self.last, self.gap = self.t0, 0.0      # the last byte's time, the longest silence after the first
        self.bytes = 0

    def started(self, seq):
        self.seq = seq

    def __call__(self, data):
        now = self.clock()
        if self.first is None:
            self.first = now - self.t0
        else:
            self.gap = max(self.gap, now - self.last)
        self.last = now
        self.bytes += len(data)
        self.log.write(data)
        self.log.flush()
        if self.seen is None and has_marker(self.tail + data):
            self.seen = now - self.t0
            self.send(jobproto.format_save(self.seq, self.slot))
        self.tail = (self.tail + data)[-WINDOW:]

    def limit(self):
        """How long L2 may be silent after its first byte, before the marker."""
        return max(SAVE_STALL, STALL_FACTOR * self.first)

    def stalled(self):
        """The seconds L2 has been silent since its last byte when that is
        over limit() and GRUB's marker has not come, else None. Not before
        the first byte (the job's own limit) nor after the marker (L2 is
        stopped and saved then, silent by design)."""
        if self.first is None or self.seen is not None:
            return None
        quiet = self.clock() - self.last
        return quiet if quiet > self.limit() else None


class Warm:
    """The saved L2s of one stack's cache directory (build/nested/STACK/l2warm)."""

    def __init__(self, cache, note):
        self.dir = os.path.join(cache, 'l2warm')
        self.note = note
        self.lock = threading.Lock()        # one save at a time; the other boots wait for it
        self.failed = set()                 # keys whose save failed in this run: cold boots
        self.saving = 0.0

    def files(self, k):
        return tuple(os.path.join(self.dir, 'l2-%s.%s' % (k, ext)) for ext in ('state', 'vars'))

    def failed_file(self, k):
        return os.path.join(self.dir, 'l2-%s.failed' % k)

    def remembered(self, k):
        """Why saving L2 k failed in an earlier run (l2-KEY.failed), or None."""
        try:
            with open(self.failed_file(k)) as f:
                return f.read().strip() or 'no reason recorded'
        except OSError:
            return None

    def remember(self, k, why):
        path = self.failed_file(k)
        try:
            with open(path + '.%d.tmp' % os.getpid(), 'w') as f:
                f.write('%s: %s\n' % (time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()), why))
            os.replace(path + '.%d.tmp' % os.getpid(), path)
        except OSError as e:
            self.note('warning: the failed save could not be remembered in %s (%s)' % (path, e))

    def saved(self, k):
        state, vars_ = self.files(k)
        return os.path.exists(state) and os.path.exists(vars_)

    def discard(self, k, why):
        self.note('the saved L2 %s is removed (%s): this boot runs cold' % (k, why))
        self.failed.add(k)
        for f in self.files(k):
            try:
                os.remove(f)
            except OSError:
                pass

    def ensure(self, vm, slot, k, iso, base_args, timeout):
        """The saved L2 of key k, made now in (vm, slot) when there is none:
        True when it is there, False when not, or the Fault that ended the
        save job (the slot's L1 is not to be trusted then)."""
        with self.lock:
            if self.saved(k):
                return True
            if k in self.failed:
                return False
            why = self.remembered(k)
            if why is not None and os.environ.get('HVCONFORM_WARM_L2') != 'retry':
                self.failed.add(k)
                self.note('no saved L2 for this gen2 boot (key %s): saving it failed before (%s): this run '
                          'boots cold; to try again, remove %s or set HVCONFORM_WARM_L2=retry'
                          % (k, why, self.failed_file(k)))
                return False
            os.makedirs(self.dir, exist_ok=True)
            state, vars_ = self.files(k)
            t = time.monotonic()
            self.note('no saved L2 for this gen2 boot (key %s): booting OVMF once to save it at GRUB '
                      '(minutes under nested TCG; %s)' % (k, state))
            fields = {'vars': 1, 'mon': 1, 'save': '%d %d' % jobproto.state_blocks(slot),
                      'arg': base_args + monitor_args(slot)}
            with open(os.path.join(self.dir, 'l2-%s.log' % k), 'wb') as log:
                watch = Watch(log, vm.jobs.send)
                watch.slot = slot
                # silence: while L2 is stopped and migrated into L1's tmpfs, L1's
                # heartbeat lagged past l1jobs.SILENCE (once: 163 s into a save)
                status, info = vm.run_job(slot, iso, fields, timeout, watch, started=watch.started,
                                          silence=SAVE_SILENCE, stalled=watch.stalled)
            secs = time.monotonic() - t
            if info.get('l2cmd'):
                self.note('L2 save job (slot %d): %s' % (slot, info['l2cmd']))
            self.saving += secs
            sizes = info.get('saved')
            if jobproto.is_fault(status) or not sizes or status != 0:
                stuck = status is jobproto.Fault.L2_SILENT
                why = '%s after %.0f s, GRUB %s, %d bytes of output, %s' % (
                    'stuck (L2 silent for %.0f s)' % info.get('silent_for', 0) if stuck else
                    'status %s' % status, secs,
                    'ready at %.0f s' % watch.seen if watch.seen else 'never ready', watch.bytes,
                    '; '.join(info.get('stderr', [])) or 'no stderr')
                # an L1 that died or hung under the save says nothing about the
                # save itself: only this run forgets it
                kept = stuck or not jobproto.is_fault(status)
                if kept:
                    self.remember(k, why)
                    prune(self.dir, 'l2-', KEEP)
                self.note('saving the L2 failed (%s): this run boots cold%s' % (why, (
                    ', and later ones: remembered in %s (remove it, or set HVCONFORM_WARM_L2=retry, '
                    'to try again)' % self.failed_file(k)) if kept else ''))
                self.failed.add(k)
                return status if jobproto.is_fault(status) else False
            # under names of this process's own (a run beside this one may
            # save the same L2), then in place: the variables first, as saved()
            # takes the state for the pair
            tmp = '.%d.tmp' % os.getpid()
            vm.jobs.read_back(slot, jobproto.STATE_OFFSET, sizes[0], state + tmp)
            vm.jobs.read_back(slot, jobproto.VARS_OFFSET, sizes[1], vars_ + tmp)
            os.replace(vars_ + tmp, vars_)
            os.replace(state + tmp, state)
            try:
                os.remove(self.failed_file(k))      # a retry (HVCONFORM_WARM_L2=retry) that worked
            except OSError:
                pass
            prune(self.dir, 'l2-', KEEP)
            self.note('saved the L2 in %.0f s (first byte %.0f s and GRUB ready %.0f s into its boot, L2 '
                      'silent at most %.0f s between; state %d bytes)'
                      % (secs, watch.first or 0, watch.seen or 0, watch.gap, sizes[0]))
            return True

    def restore_job(self, slot, k, base_args, append):
        """(image, fields, files) of a boot that restores saved L2 k."""
        state, vars_ = self.files(k)
        size, vsize = os.path.getsize(state), os.path.getsize(vars_)
        fields = {'vars': 0, 'mon': 1, 'wake': append,
                  'varsdisk': '%d %d' % (jobproto.state_blocks(slot)[1], vsize),
                  'arg': base_args + monitor_args(slot) + incoming_args(slot, size)}
        return fields, [(jobproto.STATE_OFFSET, state), (jobproto.VARS_OFFSET, vars_)]


class ArgsCheck:
    """A restored boot's output, passed on; the kernel's "# command line:"
    line is compared with the arguments typed (GRUB's read and its
    expansion of $hvc_args stand between them): a difference is noted."""
    PREFIX = b'# command line: '

    def __init__(self, out, want, note):
        self.out, self.want, self.note, self.buf = out, want.encode(), note, b''

    def __getattr__(self, name):        # the run's log object: its other methods
        return getattr(self.out, name)

    def __call__(self, data):
        self.out(data)
        if self.buf is None:
            return
        self.buf += data
        i = self.buf.find(self.PREFIX)
        if i >= 0 and b'\n' in self.buf[i:]:
            got = self.buf[i + len(self.PREFIX):].split(b'\n', 1)[0].rstrip(b'\r')
            if got != self.want:
                self.note('error: the restored L2\'s kernel got the arguments %r, not the %r typed'
                          % (got.decode(errors='replace'), self.want.decode()))
            self.buf = None
        elif len(self.buf) > 65536:
            self.buf = self.buf[-4096:]


def console(slot):
    """L2's console for a warm boot: FIFOs in both directions (the pipe
    chardev: SERIAL.in is typed into, SERIAL.out forwarded)."""
    return configs.console_args('pipe,path=' + jobproto.l1_path(slot, SERIAL))
