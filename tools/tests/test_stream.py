"""The runner's serial streamer: a rerun boot hides the lines stdout already
showed (the nested infrastructure retry must not stream them twice)."""

import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import chain  # noqa: E402


class Capture:
    def __init__(self):
        self.buffer = io.BytesIO()

    def flush(self):
        pass


class StreamerTest(unittest.TestCase):
    def stream(self, chunks, hide):
        old, sys.stdout = sys.stdout, Capture()
        try:
            with tempfile.TemporaryDirectory() as d:
                s = chain.Streamer(os.path.join(d, 'p'), hide, echo=True)
                for c in chunks:
                    s(c)
                s.close()
                with open(os.path.join(d, 'p'), 'rb') as f:
                    logged = f.read()
            return sys.stdout.buffer.getvalue(), logged, s.shown
        finally:
            sys.stdout = old

    def test_no_hiding(self):
        shown, logged, n = self.stream([b'a\r\nb', b'\r\nc'], 0)
        self.assertEqual(shown, b'a\r\nb\r\nc')
        self.assertEqual(logged, shown)
        self.assertEqual(n, 2)

    def test_hidden_lines_reach_the_log_only(self):
        shown, logged, n = self.stream([b'TAP\r\n# x', b'\r\nok 1\r\nok 2\r\n'], 2)
        self.assertEqual(shown, b'ok 1\r\nok 2\r\n')
        self.assertEqual(logged, b'TAP\r\n# x\r\nok 1\r\nok 2\r\n')
        self.assertEqual(n, 4)

    def test_hiding_more_than_arrives(self):
        shown, logged, _ = self.stream([b'one\n', b'tw'], 5)
        self.assertEqual(shown, b'')
        self.assertEqual(logged, b'one\ntw')


class QuietStreamerTest(StreamerTest):
    def test_a_side_by_side_cell_writes_its_log_only(self):
        old, sys.stdout = sys.stdout, Capture()
        try:
            with tempfile.TemporaryDirectory() as d:
                s = chain.Streamer(os.path.join(d, 'p'), 0, echo=False)
                s(b'ok 1 - a\nok 2')
                s(b' - b\n')
                s.close()
                with open(os.path.join(d, 'p'), 'rb') as f:
                    logged = f.read()
            self.assertEqual(sys.stdout.buffer.getvalue(), b'')
            self.assertEqual(logged, b'ok 1 - a\nok 2 - b\n')
        finally:
            sys.stdout = old

    def test_a_boot_started_ahead_is_shown_when_it_becomes_the_head(self):
        old, sys.stdout = sys.stdout, Capture()
        try:
            with tempfile.TemporaryDirectory() as d:
                s = chain.Streamer(os.path.join(d, 'p'), 1)
                s(b'TAP\nok 1 - a\n')
                self.assertEqual(sys.stdout.buffer.getvalue(), b'', 'shown before its turn')
                s.show()
                s(b'ok 2 - b\n')
                s.close()
            self.assertEqual(sys.stdout.buffer.getvalue(), b'ok 1 - a\nok 2 - b\n')
        finally:
            sys.stdout = old


if __name__ == '__main__':
    unittest.main()
