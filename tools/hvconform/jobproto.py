"""The L1 job protocol, written once (docs/DESIGN.md, "The L1 job protocol";
tools/nested/init speaks L1's side, tools/nested/zygote.c the FIFO lines):
the control lines, the job header on the payload disk, the frame that ends a
job's output on its slot's port, the zygote's request and reply, and how a
job ends. Pure: no sockets, no threads (l1jobs.py drives it)."""

import enum

SLOTS = 2                       # jobs at once, one per L1 vCPU
SLOT_SIZE = 128 << 20           # a slot's part of the payload disk: header, image, saved L2
IMAGE_OFFSET = 1 << 20          # the image's place in its slot
STATE_OFFSET = 64 << 20         # a saved L2's state (warm.py), then its OVMF variables
VARS_OFFSET = 127 << 20
BLOCK = 64 << 10                # the init's unit on the payload disk (dd bs=65536)
HEADER_MAX = BLOCK              # the init reads the header as one block
CTL_PORT = 'hvconform.ctl'      # virtio-serial port names the init looks up
FRAME = b'\n@@hvconform-l2-done '
FRAME_END = b'@@\n'
JOB_MAGIC = 'hvconform-job'

# L1 -> host control words: those of one job carry its SEQ; ready and
# setup-failed are L1's own (before any job)
JOB_WORDS = ('l2cmd', 'alive', 'stderr', 'done', 'pong', 'saved')
L1_WORDS = ('ready', 'setup-failed')
# host -> L1 words and their number of arguments after the word
HOST_WORDS = {'job': 4, 'ping': 1, 'save': 2}

# L2 statuses the init makes of its own (others are L2 QEMU's exit status)
L2_TIMEOUT = 124                # L1 ended L2 at the job's timeout
BAD_JOB = 126                   # L1 could not read the job (header, job line)
L2_CRASHED = 127                # L2 QEMU died from a signal, failed with its own error, or its zygote went


class ProtocolError(ValueError):
    """A line or header that the protocol does not allow; the message names
    the line and what is wrong with it."""


class Fault(enum.Enum):
    """A job that ended without an L2 status: the host's own verdicts."""
    L1_GONE = 'l1-gone'         # L1's QEMU or its channels ended
    L1_HUNG = 'l1-hung'         # neither a control line nor L2 output for SILENCE s (l1jobs)
    L2_SILENT = 'l2-silent'     # L2 printed nothing within the job's first_output limit


def is_fault(status):
    """A job's status is either L2's exit status (an int 0..255) or a Fault."""
    return isinstance(status, Fault)


def slot_port(slot):
    """The virtio-serial port name of a slot's L2 output."""
    return 'hvconform.l2.%d' % check_slot(slot)


def check_slot(slot):
    if not isinstance(slot, int) or not 0 <= slot < SLOTS:
        raise ProtocolError('slot %r: a slot is 0..%d' % (slot, SLOTS - 1))
    return slot


def l1_path(slot, name):
    """A slot's file in L1: image (the job's image), vars.fd (OVMF's
    variables, with vars=1), l2.out (the FIFO L2's console writes, which the
    init forwards to the slot's port), zygote.req/zygote.rep (the FIFOs)."""
    return '/tmp/s%d/%s' % (check_slot(slot), name)


def job_blocks(slot):
    """(HEAD, IMAGE): where slot's header and image start on the payload
    disk, in BLOCKs (the job line carries them: the layout is here only)."""
    base = check_slot(slot) * SLOT_SIZE
    return base // BLOCK, (base + IMAGE_OFFSET) // BLOCK


def state_blocks(slot):
    """(STATE, VARS): where a saved L2's state and its OVMF variables lie in
    slot's part of the payload disk, in BLOCKs (a save job's save= and a
    restore's -incoming and varsdisk= name them)."""
    base = check_slot(slot) * SLOT_SIZE
    return (base + STATE_OFFSET) // BLOCK, (base + VARS_OFFSET) // BLOCK


def format_save(seq, slot):
    """The host's line that has save job seq's L2 saved (stopped, written to
    a file in L1, ended): sent once its output shows it ready."""
    return ('save %d %d\n' % (seq, check_slot(slot))).encode()


def _number(text, what, line):
    if not text.isdigit():
        raise ProtocolError('%r: %s %r is not a number' % (line, what, text))
    return int(text)


class Line:
    """One control line: its word, its job's SEQ (None for L1's own words)
    and the rest (text after SEQ, or after the word when there is none)."""
    __slots__ = ('word', 'seq', 'rest')

    def __init__(self, word, seq, rest=''):
        self.word, self.seq, self.rest = word, seq, rest

    def __eq__(self, other):
        return isinstance(other, Line) and (self.word, self.seq, self.rest) == (other.word, other.seq, other.rest)

    def __repr__(self):
        return 'Line(%r, %r, %r)' % (self.word, self.seq, self.rest)

    def status(self):
        """A done line's status (its first word; a reason may follow)."""
        if self.word != 'done':
            raise ProtocolError('%s %s: not a done line' % (self.word, self.seq))
        return _number(self.rest.split(' ', 1)[0], 'status', self.render())

    def render(self):
        parts = [self.word] + ([str(self.seq)] if self.seq is not None else []) + ([self.rest] if self.rest else [])
        return ' '.join(parts)


def format_l1_line(word, seq=None, rest=''):
    """What L1 writes on the control port (the init's ctl), as text without its newline."""
    line = Line(word, seq, rest).render()
    parse_l1_line(line)                 # never write what the host would refuse
    return line


def parse_l1_line(text):
    """An L1 -> host control line as a Line; ProtocolError for anything else."""
    if '\n' in text:
        raise ProtocolError('%r: a control line holds no line break' % text)
    word, _, rest = text.partition(' ')
    if word in L1_WORDS:
        if not rest:
            raise ProtocolError('%r: %s needs its text' % (text, word))
        return Line(word, None, rest)
    if word not in JOB_WORDS:
        raise ProtocolError('%r: unknown control word %r (L1 says %s)'
                            % (text, word, ', '.join(L1_WORDS + JOB_WORDS)))
    seq_text, _, rest = rest.partition(' ')
    line = Line(word, _number(seq_text, 'job number', text), rest)
    if word in ('alive', 'pong') and rest:
        raise ProtocolError('%r: %s takes only the job number' % (text, word))
    if word == 'saved' and (len(rest.split(' ')) != 2 or not all(w.isdigit() for w in rest.split(' '))):
        raise ProtocolError('%r: saved takes the state\'s and the variables\' sizes' % text)
    if word == 'l2cmd' and not rest:       # (a stderr line may be empty)
        raise ProtocolError('%r: %s needs its text' % (text, word))
    if word == 'done':
        line.status()
    return line


def format_job(seq, slot):
    """The host's job line for job seq in slot (with its newline)."""
    return ('job %d %d %d %d\n' % (seq, check_slot(slot), *job_blocks(slot))).encode()


def format_ping(seq):
    return ('ping %d\n' % seq).encode()


def parse_host_line(text):
    """A host -> L1 line as (word, [numbers]): job SEQ SLOT HEAD IMAGE, ping SEQ.
    The init accepts exactly these (its case patterns)."""
    words = text.split(' ')
    if not words[0] in HOST_WORDS:
        raise ProtocolError('%r: unknown host word %r (the host says %s)' % (text, words[0], ', '.join(HOST_WORDS)))
    if len(words) != 1 + HOST_WORDS[words[0]]:
        raise ProtocolError('%r: %s takes %d numbers' % (text, words[0], HOST_WORDS[words[0]]))
    nums = [_number(w, 'argument', text) for w in words[1:]]
    if words[0] in ('job', 'save'):
        check_slot(nums[1])
    return words[0], nums


def format_header(seq, size, fields):
    """The job header the init reads from block HEAD: "hvconform-job SEQ",
    size=BYTES, KEY=VALUE lines (a list value: a line per item, in order),
    "end"; NUL-padded to HEADER_MAX. fields: timeout, vars, arg (L2's
    command line, a word a line); for a saved L2 (warm.py) mon=1 (L2 has a
    monitor on FIFOs), save="STATE VARS" (a save job: the blocks its state
    and variables go to), varsdisk="BLOCK SIZE" (the variables to restore)
    and wake=ARGS (typed on L2's serial line once the restored L2 runs)."""
    head = ['%s %d' % (JOB_MAGIC, seq), 'size=%d' % size]
    for k, v in fields.items():
        if not k.isidentifier() or k in ('size', 'end'):
            raise ProtocolError('job field %r: not a field name' % k)
        for one in v if isinstance(v, list) else [v]:
            if '\n' in str(one) or '\r' in str(one) or '\0' in str(one):
                raise ProtocolError('job field %s holds a line break or NUL' % k)
            head.append('%s=%s' % (k, one))
    text = ('\n'.join(head + ['end']) + '\n').encode()
    if len(text) > HEADER_MAX:
        raise ProtocolError('job header over %d bytes' % HEADER_MAX)
    return text + b'\0' * (HEADER_MAX - len(text))


def parse_header(block):
    """(seq, size, fields) of a header block, as the init reads it (fields:
    KEY -> str, arg -> a list); ProtocolError when it is not whole."""
    lines = block.rstrip(b'\0').decode('utf-8', 'replace').split('\n')
    if len(lines) > 1 and lines[-1] == '':
        lines.pop()             # the last line's newline
    first = lines[0].split(' ')
    if len(first) != 2 or first[0] != JOB_MAGIC:
        raise ProtocolError('job header starts %r, not "%s SEQ"' % (lines[0], JOB_MAGIC))
    seq, size, fields = _number(first[1], 'job number', lines[0]), None, {'arg': []}
    for line in lines[1:]:
        if line == 'end':
            if size is None:
                raise ProtocolError('job header %d has no size=' % seq)
            return seq, size, fields
        k, eq, v = line.partition('=')
        if not eq:
            raise ProtocolError('job header %d: %r is not KEY=VALUE' % (seq, line))
        if k == 'size':
            size = _number(v, 'size', line)
        elif k == 'arg':
            fields['arg'].append(v)
        else:
            fields[k] = v
    raise ProtocolError('job header %d has no "end" line (cut short)' % seq)


def format_frame(seq, status):
    """The line that ends job seq's output on its slot's port (the init
    writes it whole, in one write)."""
    return FRAME + b'%d %d' % (seq, status) + FRAME_END


def split_frame(buf, seq):
    """(bytes safe to emit, bytes held back, status or None) for L2's stream:
    job seq's frame ends its output and is never emitted; held back is only
    what could still become a frame (from its leading newline on)."""
    i = buf.find(FRAME)
    if i >= 0:
        end = buf.find(FRAME_END, i + len(FRAME))
        if end < 0:
            return buf[:i], buf[i:], None
        words = buf[i + len(FRAME):end].split()
        if len(words) == 2 and words[0] == str(seq).encode() and words[1].isdigit():
            return buf[:i], b'', int(words[1])
        return buf[:end + len(FRAME_END)], buf[end + len(FRAME_END):], None   # not ours: plain output
    j = buf.rfind(b'\n')
    while j >= 0:
        if FRAME.startswith(buf[j:]):
            return buf[:j], buf[j:], None
        j = buf.rfind(b'\n', 0, j)
    return buf, b'', None


def format_zygote_request(argv):
    """What the init writes into a slot's zygote.req, in one open/close:
    argv[0] first, one argument a line (an argument holds no newline)."""
    if not argv:
        raise ProtocolError('a zygote request needs argv[0]')
    for a in argv:
        if '\n' in a or '\0' in a:
            raise ProtocolError('zygote argument %r holds a newline or NUL' % a)
    return ''.join(a + '\n' for a in argv).encode()


def parse_zygote_reply(text):
    """(pid or None, status) from zygote.rep's two lines: the child's pid
    ("none" when fork failed), then its status (the exit code, or 128 + the
    signal that ended it)."""
    lines = text.split('\n')
    if len(lines) < 2 or lines[2:] not in ([], ['']):
        raise ProtocolError('zygote reply %r: want a pid line and a status line' % text)
    pid = None if lines[0] == 'none' else _number(lines[0], 'pid', text)
    status = _number(lines[1], 'status', text)
    if status > 255:
        raise ProtocolError('zygote reply %r: status over 255' % text)
    return pid, status
