"""make test cases for the runner's reliability findings (issue 10): runs at
once, odd paths, timeouts and killed VMs reported as what they are."""

import os
import re
import signal
import subprocess
import time

from harness import ROOT, Skip, case


@case('two-runs-at-once')
def two_runs(t):
    """Same default log path, different selections: each run reports its own
    verdict and keeps its own log. The first run is held (SIGSTOP) once it
    has claimed its log and started QEMU, so the two always overlap (two
    quick TCG runs started together could end one before the other began:
    seen once in about 35 make test runs)."""
    def start(sel):
        return subprocess.Popen(['./run-qemu.sh', '--no-deps', '--no-build', '--mode', 'tcg', '--args',
                                 'tests=' + sel], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first, second = 'harness.no_fault', 'harness.ud_caught,harness.pf_caught'
    a, head = start(first), b''
    while b'run-qemu: QEMU:' not in head:       # printed after the log is claimed
        line = a.stdout.readline()
        if not line:
            break
        head += line
    held = t.check(a.poll() is None, 'the first run ended before the second could start')
    if held:
        os.kill(a.pid, signal.SIGSTOP)
    try:
        b = start(second)
        outs = {second: (b.wait(timeout=300), b.stdout.read())}
    finally:
        if held:
            os.kill(a.pid, signal.SIGCONT)
    rest = a.communicate(timeout=300)[0]
    outs[first] = (a.returncode, head + rest)
    for sel, want in ((first, '1 passed'), (second, '2 passed')):
        rc, out = outs[sel][0], outs[sel][1].decode(errors='replace')
        t.transcript.write(out)
        last = out.strip().split('\n')[-1]
        t.check(rc == 0 and last.startswith(want), '%s: exit %d, last line %r, want %r' % (sel, rc, last, want))
    logs = [m.group(1) for _, o in outs.values() for m in [re.search(r'boot\(s\); log (\S+)', o.decode(errors='replace'))] if m]
    t.check(len(set(logs)) == 2, 'the two runs shared a log: %r' % logs)


@case('build-race')
def build_race(t):
    """Two runs after a source change build at once without breaking each other."""
    src = os.path.join(ROOT, 'tests', 'harness_tests.c')
    os.utime(src, None)
    procs = [subprocess.Popen(['./run-qemu.sh', '--no-deps', '--mode', 'tcg', '--args', 'tests=harness.no_fault'],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    for p in procs:
        out = p.communicate(timeout=600)[0].decode(errors='replace')
        t.transcript.write(out)
        t.check(p.returncode == 0, 'a concurrent build/run failed (exit %d)' % p.returncode)
        t.check('undefined reference' not in out, 'link raced')


@case('log-path-with-space')
def log_space(t):
    d = os.path.join(t.dir, 'a dir with spaces')
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, 'x y.log')
    rc, out = t.sh(['./run-qemu.sh', '--no-deps', '--mode', 'tcg', '--log', log, '--args',
                    'tests=harness.triple_fault,harness.no_fault'])
    t.check(rc == 1, 'exit %d, want 1 (a death)' % rc)
    t.check(os.path.exists(log) and os.path.exists(log + '.1') and os.path.exists(log + '.2'),
            'log pieces missing at a path with spaces')
    t.check('harness.no_fault' in open(log, errors='replace').read(), 'the log lacks the resumed piece')


@case('timeout-and-kill')
def timeout_and_kill(t):
    """A boot over its limit is a timeout (not "could not start"); a QEMU
    killed from outside is reported as killed (not a timeout)."""
    rc, out = t.sh(['./run-qemu.sh', '--no-deps', '--mode', 'tcg', '--boot', 'efi', '--timeout', '1',
                    '--log', os.path.join(t.dir, 'timeout.log')])
    t.check('timed out after 1 s' in out, 'no "timed out after 1 s"')
    t.check(rc != 3 and 'could not start' not in out, 'a timeout was reported as an environment error')
    p = subprocess.Popen(['./run-qemu.sh', '--no-deps', '--mode', 'tcg', '--boot', 'efi', '--timeout', '60',
                          '--log', os.path.join(t.dir, 'kill.log')], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    victim, deadline = None, time.monotonic() + 60
    while victim is None and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        victim = find_child_qemu(p.pid)
    if t.check(victim is not None, 'no QEMU child found to kill (run ended: %s)' % p.poll()):
        time.sleep(0.5)          # let it start up: a kill during exec is still a kill
        os.kill(victim, 9)
        t.transcript.write('# killed QEMU pid %d\n' % victim)
    out = p.communicate(timeout=120)[0].decode(errors='replace')
    t.transcript.write(out)
    t.check('killed by signal 9' in out and 'timed out' not in out, 'a killed QEMU was not reported as killed')


def find_procs(root_pid, marker):
    """Descendants of root_pid whose command line holds marker."""
    kids = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            ppid = int(open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(pid))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [root_pid]
    while todo:
        for pid in kids.get(todo.pop(), []):
            try:
                if marker in open('/proc/%d/cmdline' % pid, 'rb').read():
                    found.append(pid)
            except OSError:
                pass
            todo.append(pid)
    return found


def find_child_qemu(root_pid):
    """The QEMU that boots the VM under root_pid (not the runner's `--version` probe)."""
    for pid in find_procs(root_pid, b'-serial'):
        try:
            if open('/proc/%d/cmdline' % pid, 'rb').read().startswith(b'qemu-system'):
                return pid
        except OSError:
            pass
    return None


@case('ctrl-c-leaves-nothing')
def ctrl_c(t):
    """Ctrl-C (SIGINT to the run's process group) stops the run: exit 130,
    its QEMU gone, its temporary directory removed."""
    import glob
    import signal
    tmp = os.path.join(t.dir, 'tmp')      # its own TMPDIR: other runs at once make theirs in /tmp
    os.makedirs(tmp, exist_ok=True)
    before = set(glob.glob(tmp + '/run-qemu.*'))
    # as from a terminal: SIGINT handled (a job started in the background by a
    # shell inherits it ignored, and then Ctrl-C could not reach it anyway)
    p = subprocess.Popen(['./run-qemu.sh', '--no-deps', '--no-build', '--mode', 'tcg', '--boot', 'efi',
                          '--log', os.path.join(t.dir, 'ctrl-c.log')], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ, TMPDIR=tmp),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    victim, deadline = None, time.monotonic() + 60
    while victim is None and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        victim = find_child_qemu(p.pid)
    made = set(glob.glob(tmp + '/run-qemu.*')) - before
    if not t.check(victim is not None, 'no QEMU started'):
        p.kill()
        return
    time.sleep(0.5)
    os.killpg(p.pid, signal.SIGINT)
    out = p.communicate(timeout=60)[0].decode(errors='replace')
    t.transcript.write(out)
    t.check(p.returncode == 130, 'exit %s after Ctrl-C, want 130' % p.returncode)
    for _ in range(50):
        if not os.path.exists('/proc/%d' % victim):
            break
        time.sleep(0.1)
    t.check(not os.path.exists('/proc/%d' % victim), 'QEMU (pid %d) still running after Ctrl-C' % victim)
    t.check(made, 'the run made no temporary directory in its TMPDIR (the check would see nothing)')
    t.check(not (set(glob.glob(tmp + '/run-qemu.*')) - before), 'a temporary directory was left behind')


def fake_qemu(t):
    """A directory whose qemu-system-x86_64 answers --version and cannot start a VM."""
    d = os.path.join(t.dir, 'fakebin')
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'qemu-system-x86_64'), 'w') as f:
        f.write('#!/bin/sh\ncase "$1" in --version) echo "QEMU emulator version 7.2.0 (fake)";;\n'
                '*) echo "fake qemu: cannot open the machine" >&2; exit 1;; esac\n')
    os.chmod(os.path.join(d, 'qemu-system-x86_64'), 0o755)
    return d


@case('stale-outputs')
def stale_outputs(t):
    """A run that fails leaves no log, pieces, JUnit or JSON of an earlier
    passing run at its paths (a CI job uploading build/logs would ship it)."""
    outs = {k: os.path.join(t.dir, 'out.' + k) for k in ('log', 'json', 'xml')}
    for name in os.listdir(t.dir):
        if name.startswith('out.'):
            os.remove(os.path.join(t.dir, name))
    args = ['./run-qemu.sh', '--no-deps', '--no-build', '--mode', 'tcg', '--log', outs['log'],
            '--json', outs['json'], '--junit', outs['xml']]
    rc, _ = t.sh(args + ['--args', 'tests=harness.triple_fault,harness.no_fault'])
    t.check(rc == 1 and all(os.path.exists(p) for p in outs.values()) and os.path.exists(outs['log'] + '.2'),
            'the first run (a death, two pieces) left no log, pieces, JSON and JUnit (exit %d)' % rc)
    env = {'PATH': fake_qemu(t) + ':' + os.environ.get('PATH', '')}
    rc, out = t.sh(args + ['--args', 'tests=harness.no_fault'], env=env)
    t.check(rc == 3 and 'fake qemu: cannot open the machine' in out, 'QEMU that cannot start: exit %d, want 3 '
            'with its message' % rc)
    left = [p for p in os.listdir(t.dir) if p.startswith('out.') and not p.endswith('.lock')]
    t.check(not left, 'a failed run left an earlier run\'s outputs: %s' % left)


def in_private_mount(t, mount_opts, args):
    """./run-qemu.sh ARGS with a tmpfs (mount_opts) at MNT in a mount namespace
    of its own (root only; MNT in args is replaced by its path)."""
    mnt = os.path.join(t.dir, 'mnt')
    os.makedirs(mnt, exist_ok=True)
    script = 'mount -t tmpfs -o %s hvc-test "$1" || exit 77; shift; exec "$@"' % mount_opts
    return t.sh(['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', mnt, './run-qemu.sh',
                 '--no-deps', '--no-build', '--mode', 'tcg'] + [a.replace('MNT', mnt) for a in args])


@case('output-faults')
def output_faults(t):
    """A full disk, a read-only --log or --out directory and an --out that is
    a file: a clear error and exit 3 (2 for the bad --out, before anything
    runs), never a traceback."""
    f = os.path.join(t.dir, 'a-file')
    open(f, 'w').close()
    rc, out = t.sh(['./run-qemu.sh', '--no-deps', '--no-build', '--mode', 'tcg', '--matrix', '--out', f])
    t.check(rc == 2 and 'is not a directory' in out and 'run-qemu: host' not in out,
            '--out naming a file: exit %d, want 2 before anything runs' % rc)
    for what, opts, args, msg in (
            ('a full disk', 'size=4k', ['--log', 'MNT/x.log', '--args', 'list verbose'],
             'No space left on device'),
            ('a read-only --log directory', 'ro', ['--log', 'MNT/x.log'], 'Read-only file system'),
            ('a read-only --out directory', 'ro', ['--matrix', '--out', 'MNT/m'], 'Read-only file system')):
        rc, out = in_private_mount(t, opts, args)
        if rc == 77 or 'unshare: ' in out:
            raise Skip('no private mount namespace here (unshare -m and mount need root): %s'
                       % out.strip().split('\n')[-1])
        t.check(rc == 3 and msg in out and 'Traceback' not in out,
                '%s: exit %d, want 3 with "%s" and no traceback' % (what, rc, msg))
