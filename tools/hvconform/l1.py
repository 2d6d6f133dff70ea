"""One L1 VM of the nested runner: host QEMU running the Debian L1 (kernel +
initramfs from the stack's cache, /init = tools/nested/init), whose KVM runs
each job (one L2 QEMU boot) the host hands it. Started cold or restored from a
saved state (see snapshot.py); a session serves any number of jobs.

Channels (unix sockets this process listens on; QEMU connects to them):
  ttyS1 -> l2.sock   L2's serial bytes, then a frame line per job
  ttyS2 -> ctl.sock  control lines (tools/nested/init has the protocol)
  QMP   -> qmp.sock  used to save the VM
The payload disk (virtio-blk) is a sparse file of fixed size: a saved state
only restores onto the same devices."""

import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DISK_SIZE = 128 << 20
IMAGE_OFFSET = 1 << 20
HEADER_MAX = 64 << 10
FRAME = b'\n@@hvconform-l2-done '
# where L2's console chardev writes in L1 (tools/nested/init forwards it)
L2_OUTPUT = '/tmp/l2.out'
# L1's RAM: L2's 256 MiB, QEMU, the 57 MiB initramfs and the kernel fit in
# it. No more: a restore touches all of it, and a host that hands freed
# memory back to its own hypervisor (free page reporting, as the development
# VM does) faults the pages in again; measured, a restore after 4 s idle
# took 2.7-3.1 s with 1024 MiB, 1.5 s with 512.
L1_MEMORY = '512'
KERNEL_ARGS = 'console=ttyS0 init_on_free=1 quiet loglevel=3 panic=-1 mitigations=off i8042.nokbd i8042.noaux'
# Job statuses of our own (L2 QEMU's statuses are 0..255 and pass through).
L1_GONE, L1_HUNG, L1_SETUP, L2_SILENT = 'l1-gone', 'l1-hung', 'l1-setup', 'l2-silent'


class L1Error(Exception):
    """The L1 VM could not be started, or failed outside any job."""


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


def command(cache, smp, work, incoming=None):
    """The host QEMU command line for L1. Cold boot and restore use the same
    one (a saved state needs the same devices); only the backends differ."""
    accel, cpu = l1_accel()
    cmd = ['qemu-system-x86_64', '-accel', accel, '-cpu', cpu, '-m', L1_MEMORY, '-smp', str(smp),
           '-nodefaults', '-no-reboot', '-vga', 'none', '-display', 'none', '-nic', 'none',
           '-kernel', os.path.join(cache, 'kernel', 'vmlinuz'),
           '-initrd', os.path.join(cache, 'base.cpio'), '-append', KERNEL_ARGS,
           '-serial', 'file:' + os.path.join(work, 'l1.log'),
           '-chardev', 'socket,id=l2,path=' + os.path.join(work, 'l2.sock'), '-serial', 'chardev:l2',
           '-chardev', 'socket,id=ctl,path=' + os.path.join(work, 'ctl.sock'), '-serial', 'chardev:ctl',
           '-qmp', 'unix:' + os.path.join(work, 'qmp.sock'),
           '-drive', 'if=none,id=payload,format=raw,file=' + os.path.join(work, 'payload.img'),
           '-device', 'virtio-blk-pci,drive=payload']
    if incoming:
        cmd += ['-incoming', 'exec:cat ' + incoming]
    return cmd


class L1:
    """A running L1. Use as a context manager: close() always stops QEMU."""

    def __init__(self, cache, smp):
        self.cache, self.smp = cache, smp
        # short path: unix socket names are limited to 107 bytes
        self.work = tempfile.mkdtemp(prefix='hvc-l1.', dir='/tmp')
        self.proc = None
        self.conns = {}
        self.ctl_buf = b''
        self.ready = None        # the "ready ..." line: versions
        self.seq = 0
        self.cmdline = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self, restore=None, timeout=60, run=True):
        """Start L1 cold, or restore the saved state at `restore`; wait until it
        is ready for jobs (cold) or connected (restored). run=False leaves a
        restored L1 paused (a standby: cont() lets it run)."""
        with open(os.path.join(self.work, 'payload.img'), 'wb') as f:
            f.truncate(DISK_SIZE)
        listeners = {}
        for name in ('l2', 'ctl', 'qmp'):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(self.work, name + '.sock'))
            s.listen(1)
            listeners[name] = s
        self.cmdline = command(self.cache, self.smp, self.work, restore)
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
        if restore is None:
            self.ready = self.wait_line('ready ', deadline, what='L1 to boot')
        else:
            self.resume(deadline, run)

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

    def host_err(self):
        try:
            return open(os.path.join(self.work, 'host.err'), errors='replace').read().strip()[-2000:]
        except OSError:
            return ''

    def l1_log(self):
        try:
            return open(os.path.join(self.work, 'l1.log'), errors='replace').read()
        except OSError:
            return ''

    def _ctl_lines(self):
        while b'\n' in self.ctl_buf:
            line, self.ctl_buf = self.ctl_buf.split(b'\n', 1)
            yield line.decode('utf-8', 'replace').rstrip('\r')

    def wait_line(self, prefix, deadline, what):
        """Read control lines until one starts with prefix; drain L2 output."""
        sel = selectors.DefaultSelector()
        sel.register(self.conns['ctl'], selectors.EVENT_READ)
        try:
            while True:
                for line in self._ctl_lines():
                    if line.startswith('setup-failed '):
                        raise L1Error('L1 setup failed: ' + line[13:])
                    if line.startswith(prefix):
                        return line[len(prefix):]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise L1Error('timed out waiting for %s; L1 console tail:\n%s'
                                  % (what, self.l1_log()[-1500:]))
                if self.proc.poll() is not None:
                    raise L1Error('host QEMU ended (status %d) while waiting for %s: %s'
                                  % (self.proc.returncode, what, self.host_err()))
                for key, _ in sel.select(min(left, 0.5)):
                    data = key.fileobj.recv(65536)
                    if not data:
                        raise L1Error('L1 closed its control channel while waiting for %s' % what)
                    self.ctl_buf += data
        finally:
            sel.close()

    def qmp(self, timeout=30):
        """Open the QMP session (once)."""
        if getattr(self, '_qmp_file', None):
            return
        c = self.conns['qmp']
        c.setblocking(True)
        c.settimeout(timeout)
        self._qmp_file = c.makefile('rwb')
        json.loads(self._qmp_file.readline())             # greeting
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
        """Where a silent L1's vCPUs are, as host QEMU sees them (for the
        hang note: a later look at why restored L1s sometimes stop)."""
        try:
            self.qmp(timeout)
            self.conns['qmp'].settimeout(timeout)
            st = self.qmp_call('query-status')['return']['status']
            regs = self.qmp_call('human-monitor-command', **{'command-line': 'info registers -a'})['return']
        except (L1Error, OSError, ValueError) as e:
            return 'host QEMU did not answer on QMP (%s)' % e
        cpus = ['RIP %s CPL %s HLT %s' % m for m in re.findall(r'RIP=([0-9a-f]+).*?CPL=(\d).*?HLT=(\d)', regs, re.S)]
        return 'host QEMU says L1 is %s, vCPUs: %s' % (st, '; '.join(cpus) or 'no registers')

    def save(self, path, timeout=120):
        """Save the (ready, idle) VM to path with QEMU's migration, then stop it."""
        self.qmp()
        self.qmp_call('stop')
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

    def write_job(self, seq, image, fields):
        size = os.path.getsize(image)
        if size > DISK_SIZE - IMAGE_OFFSET:
            raise L1Error('%s is %d bytes: the payload disk holds at most %d'
                          % (image, size, DISK_SIZE - IMAGE_OFFSET))
        head = ['hvconform-job %d' % seq, 'size=%d' % size]
        for k, v in fields.items():
            if '\n' in str(v) or '\r' in str(v):
                raise L1Error('job field %s holds a line break' % k)
            head.append('%s=%s' % (k, v))
        text = ('\n'.join(head + ['end']) + '\n').encode()
        if len(text) > HEADER_MAX:
            raise L1Error('job header over %d bytes' % HEADER_MAX)
        with open(os.path.join(self.work, 'payload.img'), 'r+b') as d, open(image, 'rb') as src:
            d.write(text + b'\0' * (HEADER_MAX - len(text)))
            d.seek(IMAGE_OFFSET)
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                d.write(chunk)
            d.flush()
            os.fsync(d.fileno())

    def run_job(self, image, fields, timeout, out, margin=30, silence=6, first_output=None):
        """Boot L2 once: fields are mode, append, l2args, timeout (the L2
        limit, enforced in L1). out(bytes) gets L2's serial output as it comes.
        Returns (status, info): status is L2 QEMU's exit status, 124 for an L2
        timeout, 127 for an L2 QEMU crash, or L1_GONE / L1_HUNG, or
        L2_SILENT when first_output seconds passed without an L2 byte."""
        self.seq += 1
        seq = self.seq
        self.write_job(seq, image, dict(fields, timeout=timeout))
        self.conns['ctl'].sendall(b'job %d\n' % seq)
        info = {'l2cmd': None, 'stderr': [], 'printed': False}
        pending, frame_status, done_status = b'', None, None
        sel = selectors.DefaultSelector()
        sel.register(self.conns['l2'], selectors.EVENT_READ, 'l2')
        sel.register(self.conns['ctl'], selectors.EVENT_READ, 'ctl')
        start = last_word = time.monotonic()
        deadline = start + timeout + margin
        try:
            while frame_status is None or done_status is None:
                now = time.monotonic()
                left = deadline - now
                # L1 answers a job at once, then beats every second while L2 runs;
                # L2's output forwarded also shows it alive (6 s of neither: hung)
                if left <= 0 or now - last_word > silence:
                    info['hung_after'] = now - last_word
                    return L1_HUNG, info
                if first_output and not info['printed'] and now - start > first_output:
                    info['silent_for'] = now - start
                    return L2_SILENT, info
                if self.proc.poll() is not None:
                    if pending:
                        out(pending)
                    return L1_GONE, info
                for key, _ in sel.select(min(left, 0.25)):
                    data = key.fileobj.recv(65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        continue
                    if key.data == 'ctl':
                        last_word = time.monotonic()
                        self.ctl_buf += data
                        for line in self._ctl_lines():
                            word, _, rest = line.partition(' ')
                            s, _, rest = rest.partition(' ')
                            if s != str(seq):
                                continue
                            if word == 'l2cmd':
                                info['l2cmd'] = rest
                                info['t_l2'] = time.monotonic() - start     # L1 read the job
                            elif word == 'stderr':
                                info['stderr'].append(rest)
                            elif word == 'done':
                                done_status = int(rest.split()[0])
                        continue
                    last_word = time.monotonic()
                    pending += data
                    emit, pending, frame_status = split_frame(pending, seq)
                    if emit:
                        if not info['printed']:
                            info['t_out'] = time.monotonic() - start    # L2's first byte
                        info['printed'] = True
                        out(emit)
            return frame_status, info
        finally:
            sel.close()

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
        for c in self.conns.values():
            c.close()
        self.conns = {}
        shutil.rmtree(self.work, ignore_errors=True)


def split_frame(buf, seq):
    """(bytes safe to emit, bytes held back, status or None) for L2's stream:
    the frame "\\n@@hvconform-l2-done SEQ STATUS@@\\n" ends a job's output and
    is never emitted; held back is only what could still become a frame."""
    i = buf.find(FRAME)
    if i >= 0:
        end = buf.find(b'@@\n', i + len(FRAME))
        if end < 0:
            return buf[:i], buf[i:], None
        words = buf[i + len(FRAME):end].split()
        if len(words) == 2 and words[0] == str(seq).encode() and words[1].isdigit():
            return buf[:i], b'', int(words[1])
        return buf[:end + 3], buf[end + 3:], None   # not ours: plain output
    j = buf.rfind(b'\n')
    while j >= 0:
        if FRAME.startswith(buf[j:]):
            return buf[:j], buf[j:], None
        j = buf.rfind(b'\n', 0, j)
    return buf, b'', None
