"""The host's end of one L1's job protocol (jobproto.py has the grammar,
docs/DESIGN.md "The L1 job protocol" the whole): up to SLOTS L2 boots at once,
one per L1 vCPU. A slot has its own part of the payload disk, its own output
port (a virtio-serial port) and its own files in L1; the control port is
shared, and each of its job lines carries its job's number, so one reader
thread hands every line to the job it belongs to."""

import os
import queue
import selectors
import threading
import time

from . import jobproto
from .jobproto import Fault, SLOTS, SLOT_SIZE, IMAGE_OFFSET  # noqa: F401 (the L1's names)

DISK_SIZE = SLOTS * SLOT_SIZE
# L1 answers a job at once, then beats every second while L2 runs, and L2's
# forwarded output also shows it alive: this long with neither is a hung L1
# (docs/DESIGN.md, "Measured facts": the longest gap measured)
SILENCE = 3
# split_frame holds back a trailing newline (a frame starts with one). The
# init writes a frame whole in one write, so a newline alone for this long
# is the end of an L2 line: it is shown now, not with the next line.
HOLD_NEWLINE = 0.05


class JobError(Exception):
    """A job the host cannot hand to L1 (too big, a line break in a field)."""


class Control(threading.Thread):
    """Reads L1's control lines; a job's line (a jobproto.Line) goes to its
    SEQ's box, L1's own lines (ready, setup-failed) to the box own. At EOF
    (L1 gone) every box gets None. Lines the grammar refuses go to no box:
    a job that gets no answer is found hung by its silence."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.boxes, self.lock = sock, {}, threading.Lock()
        self.own = queue.Queue()
        self.boxes[None] = self.own
        self.stop, self.eof = False, False

    def box(self, seq):
        q = queue.Queue()
        with self.lock:
            self.boxes[seq] = q
            if self.eof:
                q.put(None)
        return q

    def drop(self, seq):
        with self.lock:
            self.boxes.pop(seq, None)

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
                    raw, buf = buf.split(b'\n', 1)
                    try:
                        line = jobproto.parse_l1_line(raw.decode('utf-8', 'replace').rstrip('\r'))
                    except jobproto.ProtocolError:
                        continue
                    with self.lock:
                        q = self.boxes.get(line.seq)
                    if q:
                        q.put(line)
        finally:
            sel.close()
            with self.lock:
                self.eof = True
                for q in self.boxes.values():
                    q.put(None)


def write_job(path, slot, seq, image, fields, files=()):
    """The job's header and image into slot's part of the payload disk at
    path. fields: timeout, vars, arg (a list: L2's command line, a word a line).
    files: (offset in the slot, path) of more files to put there (a saved L2's
    state and variables, warm.py)."""
    size = os.path.getsize(image)
    if size > jobproto.STATE_OFFSET - IMAGE_OFFSET:
        raise JobError('%s is %d bytes: a payload slot holds at most %d'
                       % (image, size, jobproto.STATE_OFFSET - IMAGE_OFFSET))
    try:
        head = jobproto.format_header(seq, size, fields)
    except jobproto.ProtocolError as e:
        raise JobError(str(e))
    base = slot * SLOT_SIZE
    with open(path, 'r+b') as d, open(image, 'rb') as src:
        d.seek(base)
        d.write(head)
        for offset, f in [(IMAGE_OFFSET, src)] + [(o, open(p, 'rb')) for o, p in files]:
            d.seek(base + offset)
            with f:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    d.write(chunk)
        d.flush()
        os.fsync(d.fileno())


class JobChannel:
    """The host's end of an L1's job protocol: its control port (ctl, a
    connected socket) and the reader of it, the slots' output ports (ports,
    a socket per slot), the payload disk (a file path) and the job numbers.
    alive(): whether L1's QEMU still runs. The sockets stay their owner's
    (l1.L1 closes them); close() stops the reader."""

    def __init__(self, ctl, ports, payload, alive):
        self.ctl, self.ports, self.payload, self.alive = ctl, list(ports), payload, alive
        self.seq = 0
        self.lock = threading.Lock()        # the job numbers and the control port's writes
        self.control = Control(ctl)
        self.control.start()

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def send(self, data):
        with self.lock:
            self.ctl.sendall(data)

    def l1_line(self, timeout):
        """L1's next own line (ready, setup-failed) as a Line; None if none
        came within timeout. ConnectionError once the control port closed."""
        try:
            line = self.control.own.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self.control.own.put(None)      # and for every later call
            raise ConnectionError('L1 closed its control port')
        return line

    def ping(self, timeout):
        """"ping SEQ" answered by "pong SEQ" within timeout: True; False if
        the control port closed first; TimeoutError if it stayed silent.
        OSError when the ping cannot be sent."""
        seq = self.next_seq()
        box = self.control.box(seq)
        try:
            self.send(jobproto.format_ping(seq))
            while True:
                try:
                    line = box.get(timeout=timeout)
                except queue.Empty:
                    raise TimeoutError('no pong %d in %s s' % (seq, timeout))
                if line is None or line.word == 'pong':
                    return line is not None
        finally:
            self.control.drop(seq)

    def close(self):
        self.control.stop = True
        self.control.join(2)

    def read_back(self, slot, offset, size, dest):
        """size bytes L1 wrote at offset in slot's part of the payload disk
        (a save job's state or variables) into the file dest."""
        with open(self.payload, 'rb') as d, open(dest, 'wb') as f:
            d.seek(slot * SLOT_SIZE + offset)
            left = size
            while left:
                chunk = d.read(min(left, 1 << 20))
                if not chunk:
                    raise JobError('the payload disk ends before %d bytes of slot %d at %d' % (size, slot, offset))
                f.write(chunk)
                left -= len(chunk)

    def run_job(self, slot, image, fields, timeout, out, margin=30, silence=SILENCE, first_output=None,
                files=(), started=None, stalled=None):
        """Boot L2 once in slot: fields are arg (L2's command line) and vars;
        timeout is the L2 limit, enforced in L1. out(bytes) gets L2's serial
        output as it comes. Returns (status, info): status is L2's exit
        status as the init reports it (jobproto's L2_TIMEOUT, L2_CRASHED,
        BAD_JOB among them), or a jobproto.Fault: L1_GONE, L1_HUNG, or
        L2_SILENT when first_output seconds passed without an L2 byte.
        files: more files onto the slot (write_job); started(seq): called
        with the job's number before L1 gets it (a save job's "save" names it);
        stalled(): asked on each pass, a number (the seconds L2 has been
        silent) ends the job as L2_SILENT (warm.Watch: a save stuck)."""
        seq = self.next_seq()
        write_job(self.payload, slot, seq, image, dict(fields, timeout=timeout), files)
        if started:
            started(seq)
        return _Job(self, slot, seq, out).run(timeout + margin, silence, first_output, stalled)


class _Job:
    """One job's wait: its control lines from the box, its output from the
    slot's port, until both the frame and "done" came (or a Fault)."""

    def __init__(self, chan, slot, seq, out):
        self.chan, self.slot, self.seq, self.out = chan, slot, seq, out
        self.info = {'l2cmd': None, 'stderr': [], 'printed': False}
        self.pending = b''

    def flush(self):
        if self.pending:
            self.out(self.pending)
            self.pending = b''

    def gone(self):
        self.flush()
        return Fault.L1_GONE, self.info

    def run(self, limit, silence, first_output, stalled=None):
        chan, info, seq = self.chan, self.info, self.seq
        box = chan.control.box(seq)
        frame_status = done_status = None
        sel = selectors.DefaultSelector()
        start = last_word = last_data = time.monotonic()
        deadline = start + limit
        try:
            # L1's sockets close under a job when another thread stops this L1
            # (another boot in it failed): L1 is gone for this job too
            try:
                port = chan.ports[self.slot]
                sel.register(port, selectors.EVENT_READ)
                chan.send(jobproto.format_job(seq, self.slot))
            except (IndexError, ValueError, OSError):
                return Fault.L1_GONE, info
            while frame_status is None or done_status is None:
                now = time.monotonic()
                left = deadline - now
                if left <= 0 or now - last_word > silence:
                    info['hung_after'] = now - last_word
                    return Fault.L1_HUNG, info
                if first_output and not info['printed'] and now - start > first_output:
                    info['silent_for'] = now - start
                    return Fault.L2_SILENT, info
                quiet = stalled() if stalled else None
                if quiet is not None:
                    info['silent_for'] = quiet
                    return Fault.L2_SILENT, info
                gone = not chan.alive()
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
                    if line.word == 'l2cmd':
                        info['l2cmd'] = line.rest
                        info['t_l2'] = last_word - start     # L1 read the job
                    elif line.word == 'stderr':
                        info['stderr'].append(line.rest)
                    elif line.word == 'saved':
                        info['saved'] = tuple(int(w) for w in line.rest.split(' '))
                    elif line.word == 'done':
                        done_status = line.status()
                if gone:
                    return self.gone()
                try:
                    ready = sel.select(min(left, 0.1)) if frame_status is None else ()
                except (ValueError, OSError):       # the socket closed under us
                    return self.gone()
                if not ready and self.pending == b'\n' and time.monotonic() - last_data > HOLD_NEWLINE:
                    self.flush()    # a line's end, held as a frame's possible start
                for key, _ in ready:
                    try:
                        data = port.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:         # EBADF: closed by another thread's L1.close()
                        return self.gone()
                    if not data:
                        sel.unregister(port)
                        continue
                    last_word = last_data = time.monotonic()
                    emit, self.pending, frame_status = jobproto.split_frame(self.pending + data, seq)
                    if emit:
                        if not info['printed']:
                            info['t_out'] = time.monotonic() - start    # L2's first byte
                        info['printed'] = True
                        self.out(emit)
            return frame_status, info
        finally:
            sel.close()
            chan.control.drop(seq)
