"""The job protocol of one L1 (tools/nested/init has its side): up to SLOTS
L2 boots at once, one per L1 vCPU. A slot has its own part of the payload
disk, its own output port (a virtio-serial port) and its own files in L1; the control
channel is shared, and each of its lines carries its job's number, so one
reader thread hands every line to the job it belongs to."""

import os
import queue
import selectors
import threading
import time

SLOTS = 2
SLOT_SIZE = 64 << 20           # of the payload disk: header, then the image
IMAGE_OFFSET = 1 << 20
BLOCK = 64 << 10               # the init's unit on the payload disk
HEADER_MAX = BLOCK             # the init reads the header as one block
OUT_PORTS = ('l2', 'l2b')      # the host sockets of the slots' output ports
FRAME = b'\n@@hvconform-l2-done '
# Job statuses of our own (L2 QEMU's statuses are 0..255 and pass through).
L1_GONE, L1_HUNG, L1_SETUP, L2_SILENT = 'l1-gone', 'l1-hung', 'l1-setup', 'l2-silent'


class JobError(Exception):
    """A job the host cannot hand to L1 (too big, a line break in a field)."""


def l1_path(slot, name):
    """A slot's file in L1 (tools/nested/init): image (the job's image),
    vars.fd (OVMF's variables, with vars=1), l2.out (L2's console, which the
    init forwards to the slot's port)."""
    return '/tmp/s%d/%s' % (slot, name)


def l2_output(slot):
    """Where L2's console chardev writes in L1 (the init forwards it)."""
    return l1_path(slot, 'l2.out')


class Control(threading.Thread):
    """Reads L1's control lines; a line "WORD SEQ ..." goes to job SEQ's box.
    At EOF (L1 gone) every box gets None."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.boxes, self.lock = sock, {}, threading.Lock()
        self.stop, self.eof = False, False

    def box(self, seq):
        q = queue.Queue()
        with self.lock:
            self.boxes[str(seq)] = q
            if self.eof:
                q.put(None)
        return q

    def drop(self, seq):
        with self.lock:
            self.boxes.pop(str(seq), None)

    def run(self):
        buf, sel = b'', selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        try:
            while not self.stop:
                if not sel.select(0.5):
                    continue
                try:
                    data = self.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b''
                if not data:
                    break
                buf += data
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    line = line.decode('utf-8', 'replace').rstrip('\r')
                    with self.lock:
                        q = self.boxes.get(line.split(' ', 2)[1] if line.count(' ') else '')
                    if q:
                        q.put(line)
        finally:
            sel.close()
            with self.lock:
                self.eof = True
                for q in self.boxes.values():
                    q.put(None)


def job_blocks(slot):
    """Where slot's header and image start on the payload disk, in the 64 KiB
    blocks the init reads (its job line carries them: the layout is here only)."""
    return slot * SLOT_SIZE // BLOCK, (slot * SLOT_SIZE + IMAGE_OFFSET) // BLOCK


def write_job(path, slot, seq, image, fields):
    """The job's header and image into slot's part of the payload disk.
    fields: timeout, vars, arg (a list: L2's command line, a word a line)."""
    size = os.path.getsize(image)
    if size > SLOT_SIZE - IMAGE_OFFSET:
        raise JobError('%s is %d bytes: a payload slot holds at most %d'
                       % (image, size, SLOT_SIZE - IMAGE_OFFSET))
    head = ['hvconform-job %d' % seq, 'size=%d' % size]
    for k, v in fields.items():
        for one in v if isinstance(v, list) else [v]:     # a list: a line per item
            if '\n' in str(one) or '\r' in str(one):
                raise JobError('job field %s holds a line break' % k)
            head.append('%s=%s' % (k, one))
    text = ('\n'.join(head + ['end']) + '\n').encode()
    if len(text) > HEADER_MAX:
        raise JobError('job header over %d bytes' % HEADER_MAX)
    base = slot * SLOT_SIZE
    with open(path, 'r+b') as d, open(image, 'rb') as src:
        d.seek(base)
        d.write(text + b'\0' * (HEADER_MAX - len(text)))
        d.seek(base + IMAGE_OFFSET)
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            d.write(chunk)
        d.flush()
        os.fsync(d.fileno())


# L1 answers a job at once, then beats every second while L2 runs, and L2's
# forwarded output also shows it alive: this long with neither is a hung L1
# (the longest gap measured, over 36 boots of the four configurations two at
# a time: 1.21 s)
SILENCE = 3


# split_frame holds back a trailing newline: the frame starts with one. The
# init writes the frame whole in one write, so a newline alone for this long
# is the end of an L2 line, shown now (a long test's "# running" line waited
# for the test's end before).
HOLD_NEWLINE = 0.05


def run_job(vm, slot, seq, image, fields, timeout, out, margin=30, silence=SILENCE, first_output=None):
    """Boot L2 once in slot of vm (an l1.L1): fields are arg (L2's command
    line), vars, timeout (the L2 limit, enforced in L1). out(bytes) gets L2's serial output
    as it comes. Returns (status, info): status is L2 QEMU's exit status, 124
    for an L2 timeout, 127 for an L2 QEMU crash, or L1_GONE / L1_HUNG, or
    L2_SILENT when first_output seconds passed without an L2 byte."""
    write_job(vm.payload, slot, seq, image, dict(fields, timeout=timeout))
    box = vm.control.box(seq)
    info = {'l2cmd': None, 'stderr': [], 'printed': False}
    pending, frame_status, done_status = b'', None, None
    sel = selectors.DefaultSelector()
    start = last_word = last_data = time.monotonic()
    deadline = start + timeout + margin
    try:
        # L1's sockets close under a job when another thread stops this L1
        # (another boot in it failed): L1 is gone for this job too
        try:
            port = vm.conns[OUT_PORTS[slot]]
            sel.register(port, selectors.EVENT_READ)
            with vm.send_lock:
                vm.conns['ctl'].sendall(b'job %d %d %d %d\n' % (seq, slot, *job_blocks(slot)))
        except (KeyError, ValueError, OSError):
            return L1_GONE, info
        while frame_status is None or done_status is None:
            now = time.monotonic()
            left = deadline - now
            if left <= 0 or now - last_word > silence:
                info['hung_after'] = now - last_word
                return L1_HUNG, info
            if first_output and not info['printed'] and now - start > first_output:
                info['silent_for'] = now - start
                return L2_SILENT, info
            gone = vm.proc.poll() is not None
            # after the frame only the control line "done" is to come: wait
            # for it on the box (on the port, it came up to 0.1 s late)
            wait = min(left, 0.1) if frame_status is not None else 0
            while True:
                try:
                    line = box.get(timeout=wait) if wait else box.get_nowait()
                except queue.Empty:
                    break
                wait = 0
                if line is None:
                    gone = True
                    break
                last_word = time.monotonic()
                word, _, rest = line.partition(' ')
                rest = rest.partition(' ')[2]
                if word == 'l2cmd':
                    info['l2cmd'] = rest
                    info['t_l2'] = last_word - start     # L1 read the job
                elif word == 'stderr':
                    info['stderr'].append(rest)
                elif word == 'done':
                    done_status = int(rest.split()[0])
            if gone:
                if pending:
                    out(pending)
                return L1_GONE, info
            try:
                ready = sel.select(min(left, 0.1)) if frame_status is None else ()
            except (ValueError, OSError):       # the socket closed under us
                ready = None
            if ready is None:
                if pending:
                    out(pending)
                return L1_GONE, info
            if not ready and pending == b'\n' and time.monotonic() - last_data > HOLD_NEWLINE:
                out(pending)    # a line's end, held as a frame's possible start
                pending = b''
            for key, _ in ready:
                try:
                    data = port.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:         # EBADF: closed by another thread's vm.close()
                    if pending:
                        out(pending)
                    return L1_GONE, info
                if not data:
                    sel.unregister(port)
                    continue
                last_word = last_data = time.monotonic()
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
        vm.control.drop(seq)


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
