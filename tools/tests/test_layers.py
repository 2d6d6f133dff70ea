"""The kernel's folders include one way (docs/DESIGN.md, "Dependencies point
one way"): tests -> harness -> hv -> kernel. A file of a folder includes
only headers of its own folder or of a folder below it; boot/ is the entry
and may include any; tests/host/ (host unit tests) is checked like tests/."""

import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORDER = ['kernel', 'hv', 'harness', 'tests']       # each may include those before it
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    first = rel.split('/')[0]
    return ORDER.index(first) if first in ORDER else None


def wrong_includes(root, rel, text):
    """[(included path, why)] of the includes of `rel` that point upward."""
    mine = layer_of(rel)
    bad = []
    for name in INCLUDE.findall(text):
        target = os.path.normpath(os.path.join(os.path.dirname(rel), name))
        theirs = layer_of(target)
        if mine is not None and theirs is not None and theirs > mine:
            bad.append((target, '%s/ may not include %s/' % (ORDER[mine], ORDER[theirs])))
    return bad


def repo_wrong_includes(root):
    out = []
    for top in ORDER:
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(('.c', '.h')):
                    rel = os.path.relpath(os.path.join(d, f), root)
                    with open(os.path.join(root, rel), errors='replace') as fh:
                        out += ['%s: %s (%s)' % (rel, t, why) for t, why in wrong_includes(root, rel, fh.read())]
    return out


class LayerRule(unittest.TestCase):
    def test_upward_include_is_flagged(self):
        self.assertEqual(wrong_includes(ROOT, 'harness/runner.c', '#include "../tests/rules.h"\n'),
                         [('tests/rules.h', 'harness/ may not include tests/')])
        self.assertEqual(wrong_includes(ROOT, 'hv/synic.c', '#include "../harness/test.h"\n'),
                         [('harness/test.h', 'hv/ may not include harness/')])

    def test_downward_and_own_includes_pass(self):
        self.assertEqual(wrong_includes(ROOT, 'tests/host/unit.c',
                                        '#include "check.h"\n#include "../../harness/tap.h"\n'
                                        '#include <stdio.h>\n'), [])
        self.assertEqual(wrong_includes(ROOT, 'harness/suite.c', '#include "../hv/synic.h"\n'), [])


class RepoLayers(unittest.TestCase):
    def test_includes_point_down(self):
        bad = repo_wrong_includes(ROOT)
        self.assertEqual(bad, [], 'includes against docs/DESIGN.md\'s dependency rule:\n' + '\n'.join(bad))


if __name__ == '__main__':
    sys.exit(unittest.main())
