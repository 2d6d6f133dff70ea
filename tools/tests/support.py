"""Shared helpers of the host-side tests (python3 -m unittest discover -s tools/tests).

CHECK_LOG=PATH in the environment runs the CLI tests against another checker (e.g. an old
tools/check-log, to show a test fails on it)."""

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
LOGS = os.path.join(HERE, 'checker', 'logs')
CHECKER = os.environ.get('CHECK_LOG') or os.path.join(TOOLS, 'check-log')
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)


_module = None


def _checker_module():
    global _module
    if _module is None:
        import importlib.machinery
        import importlib.util
        loader = importlib.machinery.SourceFileLoader('check_log', CHECKER)
        spec = importlib.util.spec_from_loader('check_log', loader)
        _module = importlib.util.module_from_spec(spec)
        loader.exec_module(_module)
    return _module


def run_checker(args, stdin=None, cwd=LOGS):
    """(exit status, stdout+stderr) of check-log ARGS run in cwd; stdin: bytes or None.
    In-process (fast) unless stdin is given or CHECK_LOG names another checker."""
    if stdin is None and not os.environ.get('CHECK_LOG'):
        buf, old = io.StringIO(), os.getcwd()
        try:
            os.chdir(cwd)
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                rc = _checker_module().run(list(args))
        finally:
            os.chdir(old)
        return rc, buf.getvalue()
    p = subprocess.run([sys.executable, CHECKER] + list(args), cwd=cwd, input=stdin or b'',
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, p.stdout.decode('utf-8', errors='replace')


class CheckerCase(unittest.TestCase):
    """A test case with a temporary directory and assertions on the checker's output."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix='hvconform-test-')
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, content):
        """A file in the temporary directory (str: UTF-8, bytes: as is); its path."""
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(content.encode('utf-8') if isinstance(content, str) else content)
        return path

    def check(self, args, rc, has=(), lacks=(), last=None, stdin=None, cwd=LOGS):
        """Run the checker; assert its exit status, output lines and last line. Returns output."""
        got, out = run_checker(args, stdin, cwd)
        ctx = '\n--- check-log %s (exit %d):\n%s' % (' '.join(args), got, out)
        self.assertEqual(got, rc, 'exit status' + ctx)
        self.assertNotIn('Traceback', out, ctx)
        self.assertNotIn('check-log: internal error', out, ctx)
        for text in has:
            self.assertIn(text, out, ctx)
        for text in lacks:
            self.assertNotIn(text, out, ctx)
        if last is not None:
            lines = out.rstrip('\n').split('\n')
            self.assertEqual(lines[-1], last, 'last line' + ctx)
        return out
