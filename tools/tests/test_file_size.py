"""No source or document file of the repository is over 400 lines (the
project's rule: small files with one job each). Data the project records or
copies is excepted, by the folder or ending listed in DATA with the reason."""

import os
import sys
import unittest

from test_paths import ROOT, repo_files, text_of

LIMIT = 400
# what is data, not source or documentation: where it lives, and why it may be long
DATA = {
    'tools/tests/data/': 'recorded serial logs, JSON and fixtures the tests replay',
    '.patch': "changes to other projects' code (QEMU), in their diff form",
    '.log': 'recorded serial logs',
    '.json': 'recorded checker output',
}


def is_data(rel):
    rel = rel.replace(os.sep, '/')
    return any(rel.startswith(k) if k.endswith('/') else rel.endswith(k) for k in DATA)


def long_files(root, limit=LIMIT):
    """['path: N lines'] of the text files over limit lines, data excepted."""
    out = []
    for rel in repo_files(root):
        if is_data(rel):
            continue
        text = text_of(os.path.join(root, rel))
        if text is not None:
            n = text.count('\n') + (0 if text.endswith('\n') or not text else 1)
            if n > limit:
                out.append('%s: %d lines' % (rel, n))
    return out


class FileSize(unittest.TestCase):
    def test_rule_flags_long_files(self):
        """The rule itself, on this repository with a tiny limit: sources are
        flagged, data is not."""
        flagged = long_files(ROOT, limit=3)
        self.assertTrue(any(f.startswith('README.md:') for f in flagged), flagged[:5])
        self.assertFalse([f for f in flagged if is_data(f.split(':')[0])])

    def test_no_file_over_limit(self):
        bad = long_files(ROOT)
        self.assertEqual(bad, [], 'files over %d lines (split them; data goes in DATA with its reason):\n%s'
                         % (LIMIT, '\n'.join(bad)))


if __name__ == '__main__':
    sys.exit(unittest.main())
