"""Every file path a comment or document of the repository names exists
(docs/DESIGN.md, "Paths named in comments and documents", has the rule):
a path whose first component is a top-level entry of the repository, a
relative one (./ ../, from the naming file's folder), and a bare file name
ending .py, .sh or .md (some file of the repository has that name). In a
path, upper-case components are placeholders, `*` a glob. URLs, absolute paths, other
projects' paths, generated files under build/ and names in quotes are not
checked."""

import glob
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP_DIRS = {'.git', 'build', '__pycache__'}
SELF = os.path.relpath(os.path.abspath(__file__), ROOT)
GENERATED = 'build'            # a top-level entry whose files the build makes
BARE_EXT = ('py', 'sh', 'md')
# a token: not inside a word, a URL (://), an absolute path, a make
# variable or a method call (t.sh(...)); quotes before it mark code strings
PATH = re.compile(r'(?<![\w/.:@~$\'"-])((?:\.\.?/)*[A-Za-z0-9_][A-Za-z0-9_.*+-]*(?:/[A-Za-z0-9_.*+-]+)+/?)'
                  r'(?![\w/(])')
BARE = re.compile(r'(?<![\w/.:@~$\'"-])([A-Za-z0-9_][A-Za-z0-9_-]*\.(?:%s))(?![\w/(.-])' % '|'.join(BARE_EXT))
# an upper-case word is a placeholder (STACK, NAME, BOOT-MODE-CONFIG)
PLACEHOLDER = re.compile(r'(?<![A-Za-z0-9])[A-Z][A-Z0-9_]*(?![a-z])')


def repo_files(root):
    """Every file of the tree (the repository's own: build output and git's excluded)."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        out += [os.path.relpath(os.path.join(d, f), root) for f in sorted(files)]
    return out


def text_of(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    if b'\0' in data:
        return None
    return data.decode('utf-8', 'replace')


def exists(pattern):
    return bool(glob.glob(PLACEHOLDER.sub('*', pattern)))


def missing(root, rel, text, top, names):
    """[(line, name)] of the paths text (the file rel) names that do not exist."""
    bad = []
    for n, line in enumerate(text.split('\n'), 1):
        for m in PATH.finditer(line):
            name = m.group(1).rstrip('.')
            first = name.lstrip('./').split('/')[0]
            if name.startswith(('./', '../')):
                target = os.path.normpath(os.path.join(root, os.path.dirname(rel), name))
            elif first in top and first != GENERATED:
                target = os.path.join(root, name)
            else:
                continue
            if not exists(target):
                bad.append((n, name))
        for m in BARE.finditer(line):
            name = m.group(1)
            if name not in names:
                bad.append((n, name))
    return bad


def stale_paths(root):
    files = repo_files(root)
    top = {f.split(os.sep)[0] for f in files}
    names = {os.path.basename(f) for f in files}
    out = []
    for rel in files:
        if rel == SELF:         # its made-up names (PathRule) are meant to be missing
            continue
        text = text_of(os.path.join(root, rel))
        if text is not None:
            out += ['%s:%d: %s' % (rel, n, name) for n, name in missing(root, rel, text, top, names)]
    return out


class PathRule(unittest.TestCase):
    """The rule itself, on made-up text: what it flags and what it leaves."""

    def flagged(self, text, rel='tools/x.py'):
        return [name for _, name in missing(ROOT, rel, text, {'tools', 'tests', 'docs', 'build'},
                                            {'l1saved.py', 'README.md'})]

    def test_stale_names_are_flagged(self):
        self.assertEqual(self.flagged('# see tools/hvconform/snapshot.py and snapshot.py\n'
                                      '# `make test` runs scripts/test.sh; tests/nope.c\n'),
                         ['tools/hvconform/snapshot.py', 'snapshot.py', 'tests/nope.c'])
        self.assertEqual(self.flagged('see ../nested/missing.sh', rel='tools/hvconform/x.py'),
                         ['../nested/missing.sh'])

    def test_what_is_not_ours_is_left(self):
        self.assertEqual(self.flagged(
            'https://github.com/qemu/qemu/blob/master/tools/foo.c hw/hyperv/hyperv.c\n'
            '/usr/share/OVMF/OVMF_CODE_4M.fd build/logs/NAME.log linux/tools/testing/x.c\n'
            "t.sh(['make']) open('matrix.md') $(BUILD)/obj/tests/x.o\n"), [])

    def test_real_names_pass(self):
        self.assertEqual(self.flagged('tools/hvconform/l1saved.py, tools/tests/*.py, '
                                      'tools/nested/STACK-NAME, ../hvconform/l1.py, l1saved.py',
                                      rel='tools/nested/README.md'), [])


class RepoPaths(unittest.TestCase):
    def test_every_named_path_exists(self):
        bad = stale_paths(ROOT)
        self.assertEqual(bad, [], 'paths named in comments or documents that do not exist '
                         '(docs/DESIGN.md has the rule):\n' + '\n'.join(bad))


if __name__ == '__main__':
    sys.exit(unittest.main())
