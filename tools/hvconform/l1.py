"""One L1 VM of the nested runner: host QEMU running the Debian L1 (kernel +
initramfs from the stack's cache, /init = tools/nested/init), whose KVM runs
each job (one L2 QEMU boot) the host hands it. Started cold or restored from a
saved state (see l1saved.py); a session serves any number of jobs.

Channels (unix sockets this process listens on; QEMU connects to them), each
a virtio-serial port L1 finds by its name (PORTS; the job protocol over them:
docs/DESIGN.md "The L1 job protocol", jobproto.py, l1jobs.JobChannel):
  l2.sock   slot 0's L2 serial bytes, then a frame line per job
  ctl.sock  control lines
  l2b.sock  slot 1's, the same
  qmp.sock  QMP, used to save and restore the VM
The payload disk (virtio-blk) is a sparse file of fixed size: a saved state
only restores onto the same devices."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import jobproto, l0, l1jobs

# L1's RAM: L2's 256 MiB, QEMU, the initramfs and the kernel fit in it; every
# MiB more is a MiB more of each saved L1's RAM file (command(): ram) for a
# restore to page in.
L1_MEMORY = '512'
# norandmaps: every L2 QEMU maps its code where the last one did, so the host
# TCG finds its translations of it again (tb_lookup by guest address).
# softlockup_panic, watchdog_thresh: a CPU stuck in L1's kernel while the
# other vCPU keeps the heartbeat going panics L1 after 6 s (the soft-lockup
# detector, linux/kernel/watchdog.c); the host sees L1 gone and reruns the boot
# instead of waiting out the job's timeout.
KERNEL_ARGS = ('console=ttyS0 init_on_free=1 norandmaps softlockup_panic=1 watchdog_thresh=3 '
               'quiet loglevel=3 panic=-1 mitigations=off i8042.nokbd i8042.noaux')
# host socket name, L1 port name; in this order on the virtio-serial bus
PORTS = (('l2', jobproto.slot_port(0)), ('ctl', jobproto.CTL_PORT), ('l2b', jobproto.slot_port(1)))
OUT_SOCKS = ('l2', 'l2b')       # the slots' output ports, slot 0 first
# a restored L1 answers its liveness check (L1.ping) within this (docs/DESIGN.md,
# "Measured facts"); a damaged saved RAM file never answers
LIVENESS = 10


class L1Error(Exception):
    """The L1 VM could not be started, or failed outside any job. damaged:
    the saved L1 it was restored from is suspect (nested.py discards it and
    l1saved.saved saves it again)."""
    damaged = False


def l1_accel():
    """('kvm', cpu) when host KVM can nest, else ('tcg', 'qemu64,+svm')."""
    forced = os.environ.get('NESTED_L1_ACCEL')
    if forced in ('kvm', 'tcg'):
        return forced, os.environ.get('NESTED_L1_CPU') or ('host' if forced == 'kvm' else 'qemu64,+svm')
    nested = False
    for p in ('/sys/module/kvm_intel/parameters/nested', '/sys/module/kvm_amd/parameters/nested'):
        try:
            nested = nested or open(p).read().strip() in ('Y', '1')
        except OSError:
            pass
    try:
        flags = open('/proc/cpuinfo').read()
    except OSError:
        flags = ''
    if nested and os.access('/dev/kvm', os.W_OK) and (' vmx' in flags or ' svm' in flags):
        return 'kvm', 'host'
    return 'tcg', 'qemu64,+svm'


def command(cache, smp, work, incoming=None, ram=None, share=False):
    """The host QEMU command line for L1. Cold boot and restore use the same
    one (a saved state needs the same devices); only the backends differ.
    ram: L1's RAM is this file, not anonymous memory. The L1 that is saved
    writes it (share) and its migration leaves RAM out (x-ignore-shared:
    ramblock_is_ignored in QEMU's migration/ram.c); a restore maps it
    copy-on-write (share=off: MAP_PRIVATE), so its pages come from the host's
    page cache as L1 touches them instead of being copied from the migration
    stream."""
    accel, cpu = l1_accel()
    mem = ['-m', L1_MEMORY]
    if ram:
        mem += ['-object', 'memory-backend-file,id=l1ram,size=%sM,mem-path=%s,share=%s'
                % (L1_MEMORY, ram, 'on' if share else 'off'),
                '-machine', 'memory-backend=l1ram']
    cmd = [l0.path(), '-accel', accel, '-cpu', cpu] + mem + ['-smp', str(smp),
           '-nodefaults', '-no-reboot', '-vga', 'none', '-display', 'none', '-nic', 'none',
           '-kernel', os.path.join(cache, 'kernel', 'vmlinuz'),
           '-initrd', os.path.join(cache, 'base.cpio'), '-append', KERNEL_ARGS,
           '-serial', 'file:' + os.path.join(work, 'l1.log'),
           '-device', 'virtio-serial-pci,max_ports=4'] + [
               w for sock, name in PORTS for w in (
                   '-chardev', 'socket,id=%s,path=%s' % (sock, os.path.join(work, sock + '.sock')),
                   '-device', 'virtserialport,chardev=%s,name=%s' % (sock, name))] + [
           '-qmp', 'unix:' + os.path.join(work, 'qmp.sock'),
           '-drive', 'if=none,id=payload,format=raw,file=' + os.path.join(work, 'payload.img'),
           '-device', 'virtio-blk-pci,drive=payload']
    if incoming:       # started over QMP, once x-ignore-shared is set (L1.start)
        cmd += ['-incoming', 'defer' if ram else 'exec:cat ' + incoming]
    return cmd


class L1:
    """A running L1. It outlives any one block (a saved L1 serves many runs):
    its owner calls close(), which always stops QEMU."""

    def __init__(self, cache, smp):
        self.cache, self.smp = cache, smp
        # short path: unix socket names are limited to 107 bytes
        self.work = tempfile.mkdtemp(prefix='hvc-l1.', dir='/tmp')
        self.proc = None
        self.conns = {}
        self.ready = None        # the "ready ..." line's text: versions
        self.restored_from = None   # the saved L1's state file (warm.key names it)
        self.cmdline = None
        self.payload = os.path.join(self.work, 'payload.img')
        self.ram = None
        self.jobs = None         # the job channel, once L1 is ready for jobs

    def start(self, restore=None, timeout=60, run=True, ram=None, share=False, ready=None):
        """Start L1 cold, or restore the saved state at `restore`; wait until it
        is ready for jobs (cold) or connected (restored). run=False leaves a
        restored L1 paused (a standby: cont() lets it run). ram, share: see
        command(). ready: a restored L1's "ready" text, as its save recorded it."""
        self.restored_from = restore
        with open(self.payload, 'wb') as f:
            f.truncate(l1jobs.DISK_SIZE)
        listeners = {}
        for name in [sock for sock, _ in PORTS] + ['qmp']:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(self.work, name + '.sock'))
            s.listen(1)
            listeners[name] = s
        self.cmdline = command(self.cache, self.smp, self.work, restore, ram, share)
        self.ram = ram
        self.proc = subprocess.Popen(self.cmdline, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.work, 'host.err'), 'wb'),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        for name, s in listeners.items():
            s.settimeout(0.2)
            while name not in self.conns:
                try:
                    self.conns[name], _ = s.accept()
                except socket.timeout:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise L1Error('host QEMU did not start L1 (status %s): %s'
                                      % (self.proc.poll(), self.host_err()))
            s.close()
        for c in self.conns.values():
            c.setblocking(False)
        self.jobs = l1jobs.JobChannel(self.conns['ctl'], [self.conns[s] for s in OUT_SOCKS], self.payload,
                                      alive=lambda: self.proc.poll() is None)
        if restore is None:
            self.ready = self.wait_ready(deadline)
        else:
            self.ready = ready
            try:
                if ram:
                    self.qmp()
                    self.ignore_shared()
                    self.qmp_call('migrate-incoming', uri='exec:cat ' + restore)
                self.resume(deadline, run)
            except (L1Error, OSError, ValueError) as e:
                # QEMU refused the saved files and ended: its own message says why
                # ("backing store size ... does not match", "load of migration failed")
                raise self.failed('restoring L1 from %s' % restore, e)

    def versions(self):
        """{name: version} of what its "ready" text names (`NAME=VERSION ...`,
        then ` qemu=` and the rest of the line: L2's QEMU version)."""
        words, qemu_given, qemu = (self.ready or '').partition(' qemu=')
        out = dict(w.split('=', 1) for w in words.split() if '=' in w)
        if qemu_given:
            out['qemu'] = qemu.replace('QEMU emulator version ', '')
        return out

    def ended(self):
        """Host QEMU has ended."""
        return self.proc.poll() is not None

    def exit_words(self, wait):
        """How host QEMU ended ('exit status N', 'killed by signal N'), after
        waiting up to wait s for it; None while it runs."""
        try:
            st = self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            return None
        return 'killed by signal %d' % -st if st < 0 else 'exit status %d' % st

    def failed(self, what, e, wait=2):
        """An L1Error for what that failed with e, naming host QEMU's status and
        its last words when it ended (they say why; e is often only a closed
        socket). damaged: QEMU ended by itself (not killed from outside)."""
        how = self.exit_words(wait)
        if how is None:
            err = L1Error('%s failed: %s' % (what, e))
        else:
            err = L1Error('%s failed: host QEMU ended (%s): %s' % (
                what, how, self.host_err()[-600:] or 'no message'))
        err.damaged = how is not None and self.proc.returncode >= 0
        return err

    def resume(self, deadline, run=True):
        """A state saved while stopped restores stopped: wait for the
        incoming migration to finish, then let L1 run (run=False: not yet)."""
        self.qmp()
        while True:
            st = self.qmp_call('query-status')['return']['status']
            if st in ('paused', 'postmigrate', 'prelaunch'):
                if run:
                    self.qmp_call('cont')
                return
            if st == 'running':
                return
            if st not in ('inmigrate',) or time.monotonic() > deadline:
                raise L1Error('restoring L1 ended in state %s: %s' % (st, self.host_err()))
            time.sleep(0.02)

    def cont(self):
        """Let a standby (restored, paused) L1 run."""
        if self.qmp_call('query-status')['return']['status'] != 'running':
            self.qmp_call('cont')

    def ping(self, timeout=LIVENESS):
        """A restored L1 answers "ping SEQ" with "pong SEQ": its kernel and
        init run. A saved RAM file that is damaged restores without an error
        into an L1 that never answers."""
        try:
            answered = self.jobs.ping(timeout)
        except TimeoutError:
            err = L1Error('the restored L1 did not answer for %d s (%s)' % (timeout, self.where()))
            err.damaged = True
            raise err
        except OSError as e:
            raise self.failed('the restored L1\'s liveness check', e)
        if not answered:
            raise self.failed('the restored L1\'s liveness check', 'its control channel closed')

    def host_err(self):
        try:
            with open(os.path.join(self.work, 'host.err'), errors='replace') as f:
                return f.read().strip()[-2000:]
        except OSError:
            return ''

    def l1_log(self):
        try:
            return open(os.path.join(self.work, 'l1.log'), errors='replace').read()
        except OSError:
            return ''

    def wait_ready(self, deadline):
        """The text of L1's "ready" line (a cold boot); L1Error when L1 says
        setup-failed, closes its control port, or host QEMU ends, or at the
        deadline."""
        what = 'L1 to boot'
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise L1Error('timed out waiting for %s; L1 console tail:\n%s' % (what, self.l1_log()[-1500:]))
            if self.proc.poll() is not None:
                raise L1Error('host QEMU ended (status %d) while waiting for %s: %s'
                              % (self.proc.returncode, what, self.host_err()))
            try:
                line = self.jobs.l1_line(min(left, 0.5))
            except ConnectionError:     # L1 died (a panic ends it: panic=-1 with -no-reboot)
                end = time.monotonic() + 1      # host QEMU ends a moment after
                while self.proc.poll() is None and time.monotonic() < end:
                    time.sleep(0.05)
                host = 'still running' if self.proc.poll() is None else 'status %d' % self.proc.returncode
                raise L1Error('L1 closed its control channel while waiting for %s (host QEMU %s: %s); L1 console '
                              'tail:\n%s' % (what, host, self.host_err()[-300:] or 'no message', self.l1_log()[-1500:]))
            if line is not None and line.word == 'setup-failed':
                raise L1Error('L1 setup failed: ' + line.rest)
            if line is not None and line.word == 'ready':
                return line.rest

    def _qmp_conn(self):
        c = self.conns.get('qmp')
        if c is None:       # close() ran: another boot in this L1 stopped it
            raise L1Error('L1 already stopped')
        return c

    def qmp(self, timeout=30):
        """Open the QMP session (once)."""
        if getattr(self, '_qmp_file', None):
            return
        c = self._qmp_conn()
        c.setblocking(True)
        c.settimeout(timeout)
        self._qmp_file = c.makefile('rwb')
        greeting = self._qmp_file.readline()
        if not greeting:
            raise L1Error('QMP closed before its greeting')
        json.loads(greeting)
        self.qmp_call('qmp_capabilities')

    def qmp_call(self, name, **args):
        """One QMP command; its reply (events in between are skipped)."""
        f = self._qmp_file
        f.write(json.dumps({'execute': name, 'arguments': args}).encode() + b'\n')
        f.flush()
        while True:
            line = f.readline()
            if not line:
                raise L1Error('QMP closed during %s: %s' % (name, self.host_err()))
            reply = json.loads(line)
            if 'return' in reply:
                return reply
            if 'error' in reply:
                raise L1Error('QMP %s: %s' % (name, reply['error'].get('desc')))

    def where(self, timeout=5):
        """Where a silent L1's vCPUs are, as host QEMU sees them (QMP's
        query-status and `info registers -a`), for the note on a hung L1."""
        try:
            self.qmp(timeout)
            self._qmp_conn().settimeout(timeout)
            st = self.qmp_call('query-status')['return']['status']
            regs = self.qmp_call('human-monitor-command', **{'command-line': 'info registers -a'})['return']
        except (L1Error, OSError, ValueError) as e:
            return 'host QEMU did not answer on QMP (%s)' % e
        cpus = ['RIP %s CPL %s HLT %s' % m for m in re.findall(r'RIP=([0-9a-f]+).*?CPL=(\d).*?HLT=(\d)', regs, re.S)]
        return 'host QEMU says L1 is %s, vCPUs: %s' % (st, '; '.join(cpus) or 'no registers')

    def ignore_shared(self):
        """Migration leaves out RAM that is a shared file (command(): ram)."""
        self.qmp_call('migrate-set-capabilities',
                      capabilities=[{'capability': 'x-ignore-shared', 'state': True}])

    def save(self, path, timeout=120):
        """Save the (ready, idle) VM to path with QEMU's migration, then stop it."""
        self.qmp()
        self.qmp_call('stop')
        if self.ram:
            self.ignore_shared()
        self.qmp_call('migrate', uri='exec:cat > ' + path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.qmp_call('query-migrate')
            st = r['return'].get('status')
            if st == 'completed':
                return
            if st in ('failed', 'cancelled'):
                raise L1Error('saving L1 failed: %s' % r['return'].get('error-desc', st))
            time.sleep(0.05)
        raise L1Error('saving L1 did not finish in %d s' % timeout)

    def run_job(self, slot, image, fields, timeout, out, **kw):
        """One L2 boot in a free slot (l1jobs.JobChannel.run_job has the contract)."""
        return self.jobs.run_job(slot, image, fields, timeout, out, **kw)

    def close(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                os.killpg(self.proc.pid, signal.SIGCONT)    # a stopped QEMU takes it now
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait()
        if self.jobs:
            self.jobs.close()
        for c in self.conns.values():
            c.close()
        self.conns = {}
        shutil.rmtree(self.work, ignore_errors=True)

