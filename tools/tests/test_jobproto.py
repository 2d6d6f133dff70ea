"""The L1 job protocol's grammar (tools/hvconform/jobproto.py): every line,
header, frame and zygote message reads back as written, what the grammar
does not allow is refused with a message that names it, and the init speaks
the words the module defines."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import jobproto as jp  # noqa: E402
from hvconform.jobproto import Line, ProtocolError  # noqa: E402

INIT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'nested', 'init')


class ControlLines(unittest.TestCase):
    def test_l1_lines_round_trip(self):
        for word, seq, rest in (('ready', None, 'l1_kernel=6.1.0 l2_start=zygote qemu=QEMU emulator version 7.2'),
                                ('setup-failed', None, 'insmod kvm.ko: no'),
                                ('l2cmd', 3, "qemu-system-x86_64 -append 'a b'"), ('alive', 3, ''),
                                ('stderr', 12, 'qemu: warning: x'), ('stderr', 12, ''), ('done', 3, '0'),
                                ('done', 4, '126 bad job header'), ('pong', 9, '')):
            text = jp.format_l1_line(word, seq, rest)
            self.assertEqual(jp.parse_l1_line(text), Line(word, seq, rest), text)
        self.assertEqual(jp.parse_l1_line('done 4 126 bad job header').status(), 126)

    def test_bad_l1_lines_are_refused_by_name(self):
        for text, says in (('hello 1', "unknown control word 'hello'"), ('done x 0', "job number 'x'"),
                           ('done 1 ok', "status 'ok'"), ('done 1', "status ''"), ('alive 1 2', 'only the job number'),
                           ('l2cmd 2', 'needs its text'), ('ready', 'needs its text'),
                           ('alive 1\nalive 2', 'line break'), ('', "unknown control word ''")):
            with self.assertRaises(ProtocolError) as e:
                jp.parse_l1_line(text)
            self.assertIn(says, str(e.exception))
            self.assertIn(repr(text), str(e.exception))
        with self.assertRaises(ProtocolError):
            jp.format_l1_line('done', 1, 'ok')     # never written

    def test_host_lines_round_trip(self):
        for slot in range(jp.SLOTS):
            line = jp.format_job(7, slot)
            self.assertTrue(line.endswith(b'\n'))
            self.assertEqual(jp.parse_host_line(line.decode()[:-1]), ('job', [7, slot, *jp.job_blocks(slot)]))
        self.assertEqual(jp.parse_host_line(jp.format_ping(5).decode()[:-1]), ('ping', [5]))

    def test_bad_host_lines_are_refused(self):
        for text, says in (('quit', 'unknown host word'), ('job 1 0 0', 'takes 4 numbers'),
                           ('job 1 2 0 16', 'slot 2'), ('ping x', "argument 'x'")):
            with self.assertRaises(ProtocolError) as e:
                jp.parse_host_line(text)
            self.assertIn(says, str(e.exception))
        with self.assertRaises(ProtocolError):
            jp.format_job(1, jp.SLOTS)

    def test_slots_do_not_overlap(self):
        spans = [(h * jp.BLOCK, (i * jp.BLOCK) + jp.SLOT_SIZE - jp.IMAGE_OFFSET)
                 for h, i in map(jp.job_blocks, range(jp.SLOTS))]
        for (a, b), (c, _) in zip(spans, spans[1:]):
            self.assertLessEqual(b, c)
        self.assertEqual(jp.l1_path(1, 'image'), '/tmp/s1/image')


class Header(unittest.TestCase):
    def test_round_trip(self):
        fields = {'timeout': 120, 'vars': 1, 'arg': ['-kernel', '/tmp/s0/image', '-append', "a=1 b='c d'", '']}
        block = jp.format_header(9, 6, fields)
        self.assertEqual(len(block), jp.HEADER_MAX)
        self.assertEqual(jp.parse_header(block), (9, 6, {'timeout': '120', 'vars': '1', 'arg': fields['arg']}))

    def test_bad_headers_are_refused(self):
        for fields, says in (({'arg': ['a\nb']}, 'line break'), ({'vars': 'x\ry'}, 'line break'),
                             ({'end': 1}, 'not a field name'), ({'arg': ['x' * jp.HEADER_MAX]}, 'over')):
            with self.assertRaises(ProtocolError) as e:
                jp.format_header(1, 1, fields)
            self.assertIn(says, str(e.exception))
        whole = jp.format_header(3, 1, {'arg': ['-kernel']})
        for block, says in ((whole.replace(b'\nend\n', b'\n'), 'no "end"'), (b'hello\nend\n', 'starts'),
                            (whole.replace(b'size=1\n', b''), 'no size='), (whole.replace(b'arg=', b'arg'), 'KEY=VALUE')):
            with self.assertRaises(ProtocolError) as e:
                jp.parse_header(block)
            self.assertIn(says, str(e.exception))


class Frame(unittest.TestCase):
    def test_round_trip_at_every_cut(self):
        stream = b'ok 1\nok 2' + jp.format_frame(5, 33) + b'late'
        for cut in range(len(stream) + 1):
            emit, held, st = jp.split_frame(stream[:cut], 5)
            emit2, held2, st2 = jp.split_frame(held + stream[cut:], 5) if st is None else (b'', held, st)
            self.assertEqual((emit + emit2, st2), (b'ok 1\nok 2', 33), cut)
            self.assertEqual(held2, b'', cut)

    def test_another_jobs_frame_is_output(self):
        emit, held, st = jp.split_frame(b'x' + jp.format_frame(4, 0) + b'ok', 5)
        self.assertIsNone(st)
        self.assertEqual(emit + held, b'x\n@@hvconform-l2-done 4 0@@\nok')


class Zygote(unittest.TestCase):
    def test_round_trip(self):
        argv = ['qemu-system-x86_64', '-append', 'a b', '']
        self.assertEqual(jp.format_zygote_request(argv).decode().split('\n')[:-1], argv)
        self.assertEqual(jp.parse_zygote_reply('123\n0\n'), (123, 0))
        self.assertEqual(jp.parse_zygote_reply('none\n126\n'), (None, 126))

    def test_bad_messages_are_refused(self):
        for argv in ([], ['qemu', 'a\nb']):
            with self.assertRaises(ProtocolError):
                jp.format_zygote_request(argv)
        for text in ('123\n', '12x\n0\n', '1\n256\n', '1\n0\n2\n'):
            with self.assertRaises(ProtocolError) as e:
                jp.parse_zygote_reply(text)
            self.assertIn(repr(text), str(e.exception))


class Statuses(unittest.TestCase):
    def test_a_fault_is_never_an_l2_status(self):
        for f in jp.Fault:
            self.assertTrue(jp.is_fault(f))
            self.assertNotIsInstance(f, int)
        for st in (0, 33, jp.L2_TIMEOUT, jp.BAD_JOB, jp.L2_CRASHED, 255):
            self.assertFalse(jp.is_fault(st))


class InitSpeaksTheGrammar(unittest.TestCase):
    """tools/nested/init is sh: its words are checked against the module's."""

    def setUp(self):
        with open(INIT) as f:
            self.text = f.read()

    def test_words(self):
        said = set(re.findall(r'\bctl "([a-z0-9-]+) ', self.text)) | set(re.findall(r'echo "(alive) ', self.text))
        self.assertEqual(said, set(jp.L1_WORDS + jp.JOB_WORDS))
        loop = self.text[self.text.index('while read -r cmd'):]
        self.assertEqual(set(re.findall(r'^\t([a-z]+)\)', loop, re.M)), set(jp.HOST_WORDS))

    def test_names_and_numbers(self):
        for name in (jp.CTL_PORT, jp.slot_port(0), jp.slot_port(1), jp.JOB_MAGIC, jp.FRAME.strip().decode(),
                     'bs=%d' % jp.BLOCK):
            self.assertIn(name, self.text)
        for st in (jp.L2_TIMEOUT, jp.BAD_JOB, jp.L2_CRASHED):
            self.assertIn('%d' % st, self.text)


if __name__ == '__main__':
    unittest.main()
