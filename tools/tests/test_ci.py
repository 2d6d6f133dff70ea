"""The users' CI examples (tools/ci/*.yml): valid YAML, the shape the README describes, and
every project command in them verbatim in the README's CI section (tools/ci/README.md, and
README.md once the lead has copied it there).

YAML is loaded with PyYAML (Debian's python3-yaml, installed with tools/ci/install-pkgs.sh
when missing; the tests skip with the reason when it cannot be).
"""

import importlib
import os
import re
import subprocess
import sys
import unittest

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TOOLS)
CI = os.path.join(TOOLS, 'ci')
DEBIAN_PY = '/usr/lib/python3/dist-packages'
sys.path.insert(0, TOOLS)
from hvconform.configs import Table  # noqa: E402

# the examples' matrix is the table's (tools/readme-update writes it there)
STACKS = Table().matrix['stacks']
CONFIGS = Table().matrix['configs']
RUN = ('./run-qemu.sh --stack "$STACK" --config "$CONFIG" --junit junit.xml '
       '--json "cells/$STACK-$CONFIG.json"')
REPORT = 'tools/matrix-report --out matrix cells/*.json'
PROJECT_CMD = re.compile(r'^(\./|tools/|sh |mkdir )')


def load_yaml_module():
    try:
        return importlib.import_module('yaml'), None
    except ImportError:
        pass
    try:
        r = subprocess.run(['sh', os.path.join(CI, 'install-pkgs.sh'), 'python3-yaml'],
                           capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, 'installing python3-yaml took over 1200 s'
    importlib.invalidate_caches()
    if os.path.isdir(os.path.join(DEBIAN_PY, 'yaml')) and DEBIAN_PY not in sys.path:
        sys.path.append(DEBIAN_PY)  # a python3 that is not Debian's: Debian's copy works (pure Python)
    try:
        return importlib.import_module('yaml'), None
    except ImportError:
        return None, 'PyYAML missing, install failed: %s' % (r.stderr.strip().splitlines() or ['?'])[-1]


yaml, WHY = load_yaml_module()


def ci_section(text):
    """The README text from a '## ...CI / Continuous integration...' heading to the next '## '."""
    m = re.search(r'^## [^\n]*\b(CI|[Cc]ontinuous integration)\b[^\n]*\n(.*?)(?=^## |\Z)', text,
                  re.M | re.S)
    return m.group(2) if m else None


def commands(lines):
    """The project's commands among CI script lines (CI plumbing like `cat` left out)."""
    out = []
    for block in lines:
        for ln in str(block).splitlines():
            ln = ln.strip()
            if PROJECT_CMD.match(ln):
                out.append(ln)
    return out


@unittest.skipIf(yaml is None, WHY)
class TestCiFiles(unittest.TestCase):
    def load(self, name):
        with open(os.path.join(CI, name), encoding='utf-8') as f:
            text = f.read()
        self.assertNotIn('\t', text, '%s: a tab' % name)
        return yaml.safe_load(text)

    def github(self):
        return self.load('github-actions.yml')

    def gitlab(self):
        return self.load('gitlab-ci.yml')

    def gh_cmds(self):
        return commands(s['run'] for j in self.github()['jobs'].values() for s in j['steps']
                        if 'run' in s)

    def gl_cmds(self):
        return commands(ln for j in self.gitlab().values() if isinstance(j, dict)
                        for ln in j.get('script', []))

    def test_github_shape(self):
        d = self.github()
        self.assertIn('pull_request', d.get('on', d.get(True)))  # PyYAML reads `on` as True
        cell, rep = d['jobs']['cell'], d['jobs']['report']
        self.assertEqual(cell['strategy']['matrix'], {'stack': STACKS, 'config': CONFIGS})
        self.assertIs(cell['strategy']['fail-fast'], False)
        self.assertEqual(cell['env'], {'STACK': '${{ matrix.stack }}', 'CONFIG': '${{ matrix.config }}'})
        self.assertIn('/dev/kvm', cell['container']['options'])
        self.assertIn(RUN, self.gh_cmds())
        uploads = [s for s in cell['steps'] if str(s.get('uses', '')).startswith('actions/upload-artifact')]
        paths = ' '.join(s['with']['path'] for s in uploads)
        self.assertIn('junit.xml', paths)
        self.assertIn('cells/', paths)
        self.assertTrue(all(s.get('if') == 'always()' for s in uploads))
        self.assertEqual((rep['needs'], rep['if']), ('cell', 'always()'))
        dl = [s for s in rep['steps'] if str(s.get('uses', '')).startswith('actions/download-artifact')]
        self.assertEqual((dl[0]['with']['path'], dl[0]['with']['merge-multiple']), ('cells', True))
        self.assertIn(REPORT, self.gh_cmds())
        self.assertEqual(rep['steps'][-1]['with']['path'], 'matrix/')
        for j in d['jobs'].values():
            self.assertIsInstance(j['timeout-minutes'], int)

    def test_gitlab_shape(self):
        d = self.gitlab()
        cell, rep = d['cell'], d['report']
        self.assertEqual(d['stages'], ['test', 'report'])
        self.assertEqual(cell['parallel']['matrix'], [{'STACK': STACKS, 'CONFIG': CONFIGS}])
        self.assertEqual(cell['artifacts']['reports']['junit'], 'junit.xml')
        self.assertEqual(cell['artifacts']['when'], 'always')
        self.assertIn('cells/', cell['artifacts']['paths'])
        self.assertIn('kvm', cell['tags'])
        self.assertIn(RUN, cell['script'])
        self.assertEqual((rep['stage'], rep['when']), ('report', 'always'))
        self.assertIn(REPORT, rep['script'])
        self.assertIn('matrix/matrix.html', rep['artifacts']['paths'])

    def test_same_commands(self):
        self.assertEqual(self.gh_cmds(), self.gl_cmds())

    def check_readme(self, path):
        with open(path, encoding='utf-8') as f:
            section = ci_section(f.read())
        if section is None:
            return None
        missing = [c for c in self.gh_cmds() + self.gl_cmds() if c not in section.splitlines()]
        self.assertEqual(missing, [], '%s: CI commands not in its CI section' % path)
        return section

    def test_commands_in_ci_readme(self):
        self.assertIsNotNone(self.check_readme(os.path.join(CI, 'README.md')),
                             'tools/ci/README.md has no CI section')

    def test_commands_in_readme(self):
        if self.check_readme(os.path.join(ROOT, 'README.md')) is None:
            self.skipTest('README.md has no "## ... CI" section yet (copy it from tools/ci/README.md)')

    def test_referenced_files_exist(self):
        for c in self.gh_cmds():
            word = c.split()[1] if c.startswith('sh ') else c.split()[0]
            if '/' in word:
                self.assertTrue(os.path.isfile(os.path.join(ROOT, word)), word)


if __name__ == '__main__':
    unittest.main()
