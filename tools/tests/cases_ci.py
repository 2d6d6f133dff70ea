"""make test-slow cases that run the users' CI examples for real (tools/ci): the GitLab
example under gitlab-ci-local (shell executor) in a copy of this checkout, and the GitHub
workflow against the workflow schema (action-validator, offline). Their tools come from
tools/ci/package.json (tools/ci/local-tools.sh installs them when missing)."""

import json
import os
import shutil
import subprocess
import sys

from harness import ROOT, case

sys.path.insert(0, os.path.join(ROOT, 'tools'))
from hvconform.configs import Table  # noqa: E402


def tools(t):
    rc, out = t.sh(['sh', 'tools/ci/local-tools.sh'], timeout=1500)
    if not t.check(rc == 0, 'tools/ci/local-tools.sh failed: ' + out.strip().split('\n')[-1]):
        return None
    return out.strip().split('\n')[-1]


def offline(cmd):
    """cmd without a network (a network namespace of its own), where this host can make one."""
    if shutil.which('unshare') and subprocess.run(['unshare', '-n', 'true'], capture_output=True).returncode == 0:
        return ['unshare', '-n'] + cmd
    return cmd


@case('ci-github-schema', slow=True)
def github_schema(t):
    """tools/ci/github-actions.yml is a valid workflow; a broken copy is not (the check can fail)."""
    bin_dir = tools(t)
    if not bin_dir:
        return
    check = [os.path.join(bin_dir, 'action-validator')]
    rc, out = t.sh(offline(check + ['tools/ci/github-actions.yml']))
    t.check(rc == 0, 'github-actions.yml does not pass the workflow schema: ' + out.strip()[-300:])
    bad = os.path.join(t.dir, 'broken.yml')
    with open(bad, 'w') as f:
        f.write(open(os.path.join(ROOT, 'tools', 'ci', 'github-actions.yml')).read()
                .replace('timeout-minutes: 60', 'timeout-minutes: an hour', 1))
    rc, out = t.sh(offline(check + [bad]))
    t.check(rc != 0 and 'timeout-minutes' in out, 'the validator took a workflow with a bad timeout-minutes')


def project(t):
    """This checkout's files (tracked and new, not ignored: no build/) in a git repository of
    their own, with tools/ci/gitlab-ci.yml as its .gitlab-ci.yml, as a user would have it."""
    p = os.path.join(t.dir, 'project')
    shutil.rmtree(p, ignore_errors=True)
    os.makedirs(p)
    files = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'], cwd=ROOT,
                           capture_output=True, check=True).stdout.split(b'\0')
    for f in filter(None, files):
        src = os.path.join(ROOT, f.decode())
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(p, f.decode())), exist_ok=True)
            shutil.copy2(src, os.path.join(p, f.decode()))
    shutil.copy2(os.path.join(ROOT, 'tools', 'ci', 'gitlab-ci.yml'), os.path.join(p, '.gitlab-ci.yml'))
    git = ['git', '-C', p, '-c', 'user.name=hvconform', '-c', 'user.email=hvconform@localhost']
    for cmd in (['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'ci example']):
        subprocess.run(git + cmd, check=True, capture_output=True)
    return p


@case('ci-gitlab-local', slow=True)
def gitlab_local(t):
    """The GitLab example under gitlab-ci-local: every matrix job is listed; one cell (the
    table's first stack and configuration) and the report job run for real, with the
    README's commands. Bounded: one cell, not all; the cell reuses this checkout's L1 cache
    (HVCONFORM_NESTED_DIR, as a CI cache would), so it builds the kernel but not L1."""
    bin_dir = tools(t)
    if not bin_dir:
        return
    p = project(t)
    table = Table()
    stack, config = table.matrix['stacks'][0], table.matrix['configs'][0]
    gcl = [os.path.join(bin_dir, 'gitlab-ci-local'), '--force-shell-executor', '--cwd', os.path.relpath(p, ROOT)]
    rc, out = t.sh(gcl + ['--list'], timeout=300)
    jobs = ['cell: [%s,%s]' % (s, c) for s in table.matrix['stacks'] for c in table.matrix['configs']]
    t.check(rc == 0 and all(j in out for j in jobs) and 'report' in out,
            'gitlab-ci-local --list lacks a job of the matrix: %s' % [j for j in jobs if j not in out])
    cell = 'cell: [%s,%s]' % (stack, config)
    rc, out = t.sh(gcl + ['--variable', 'HVCONFORM_NESTED_DIR=' + os.path.join(ROOT, 'build', 'nested'),
                          cell, 'report'], timeout=1800)
    t.check(rc == 0, 'gitlab-ci-local exit %d: %s' % (rc, out.strip().split('\n')[-1]))
    for job in (cell, 'report'):
        t.check(any(l.strip() == 'PASS  ' + job for l in out.split('\n')), 'job %s did not pass' % job)
    path = os.path.join(p, 'cells', '%s-%s.json' % (stack, config))
    data = json.load(open(path)) if os.path.exists(path) else {}
    t.check(len(data.get('tests', [])) > 50 and data.get('stack') == stack, 'the cell JSON is missing or empty')
    t.check(os.path.exists(os.path.join(p, 'junit.xml')), 'the cell job wrote no junit.xml')
    page = os.path.join(p, 'matrix', 'matrix.html')
    t.check(os.path.exists(page) and '%s/%s' % (stack, config) in open(page).read(),
            'the report job wrote no matrix page with the cell')
