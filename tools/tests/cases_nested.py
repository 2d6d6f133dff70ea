"""make test cases in a real Hyper-V-enlightened guest (nested runner): the
four configurations in one invocation (one L1), the fuzzer and its replay,
and the Hyper-V-shaped machines."""

import json
import os
import re
import subprocess
import sys

from harness import ROOT, Skip, case, unexpected


def cell(t, name):
    path = os.path.join(t.dir, 'matrix', 'cells', name + '.json')
    return json.load(open(path)) if os.path.exists(path) else None


def status(c, name):
    for x in (c or {}).get('tests', []):
        if x['name'] == name:
            return x['status']
    return None


def restores_ok(t, text, stack='debian12', workers=1):
    # one L1 per worker of the invocation (-kernel boots): an L2 crash keeps
    # its L1, the next boot runs there; only a failed L1 or a hung L2 take a
    # fresh one
    restores = len(re.findall(r'L1 \(%s\) restored' % stack, text))
    fresh = len(re.findall(r'boot \d+(?: \(after=\S+\))? ended after \S+ s \(timed out|L2 (began|printed anything)', text))
    t.check(restores <= workers + fresh, 'L1 restored %d times: once per worker (%d), plus one per failed L1 '
            'or hung L2 (%d)' % (restores, workers, fresh))


def virtio_used(t, r):
    # the runner passes console=virtio in nested mode; a kernel that falls
    # back to COM1 still passes, only slower, so nothing else would notice
    t.check(all(any(h.startswith('# console: virtio console at PCI') for h in p.headers) for p in r.pieces()),
            'a boot wrote on COM1, not on L2\'s virtio console (console=virtio; tools/nested/init): %s'
            % [h for p in r.pieces() for h in p.headers if h.startswith('# console:')][:2])


def skip_unlisted_crash(results, out):
    """QEMU 7.2's test device sometimes crashes (SIGSEGV, no assertion; seen in
    deliver.eoi_redelivery; fuzz.post, post.insufficient_buffers and post.buffer_count are in
    debian12's profile now, other stacks' and configurations' not): the run
    rightly fails on a death its profile does not list, and a case that checks
    the tool cannot tell more. Not a pass: a skip naming the crash, when every
    unexpected result is such a death."""
    bad = [x for x in results if x['status'] in ('fail', 'died')]
    if bad and all(x['status'] == 'died' and 'QEMU crashed or aborted during %s:' % x['name'] in out for x in bad):
        raise Skip('the hypervisor under test crashed in %s, which the profile does not list (the run reports '
                   'it as a failure; intermittent QEMU 7.2 crash, see the transcript)'
                   % ', '.join(x['name'] for x in bad))


@case('nested-full', lane='nested', needs_nested=True)
def nested_full(t):
    """The README's command: the whole suite in the full configuration with its
    crash-resumes, passing by its profile and failing without it."""
    r = t.rq('--mode', 'nested', '--config', 'full', tag='full')
    if r.rc == 1:
        skip_unlisted_crash(r.tests().values(), r.out)
    t.want_rc(r, 0)
    restores_ok(t, r.out)
    # fuzz.post: 'known' when its classes are the profile's (or QEMU crashed in it and the replay did not)
    for name in ('hv.hypercall_page', 'synic.deliver_one', 'post.success', 'fuzz.post'):
        t.check(r.status(name) in ('pass', 'known', 'intermittent'), 'full: %s is %s' % (name, r.status(name)))
    t.check(len(r.pieces()) >= 2, 'full: no crash-resume (the profile lists VM deaths)')
    # the boots after the profile's VM deaths start ahead, beside the first,
    # in L1's second slot (tools/hvconform/chain.py, l1jobs.py)
    t.check(re.search(r'boot \d+, started ahead, resumes after it', r.out),
            'full: no resume boot was started ahead (the profile lists sure VM deaths)')
    t.check('L2 (slot 1)' in r.out, 'full: no boot ran in L1\'s second slot')
    virtio_used(t, r)
    t.check('# isolation: ' not in r.text(), 'a timed wait between tests on the virtio console (kernel/console.h)')
    t.check('# host event loop: the harness\'s setup done before the first test' in r.text(),
            'no proof that the host ran the setup\'s work before the first test (kernel/console.h console_sync_now)')
    t.check((r.cell or {}).get('versions', {}).get('qemu'), 'the cell does not name the QEMU version')
    rc, _ = t.sh([sys.executable, 'tools/check-log', '--quiet'] + r.piece_paths())
    t.check(rc == 1, 'check-log without the profile did not fail the full run')


@case('nested-late-message', lane='nested', needs_nested=True)
def nested_late_message(t):
    """A message found after a test that expected none fails that test, and
    only that test (DESIGN.md; harness/suite.h suite_strays): the end-of-test
    drain used to take it without a word."""
    r = t.rq('--mode', 'nested', '--config', 'full', '--args',
             'tests=harness.late_message,synic.deliver_one,post.conn_unknown', tag='late')
    t.want_rc(r, 1)
    late = r.tests().get('harness.late_message') or {}
    t.check(late.get('status') == 'fail' and 'expected none' in late.get('detail', ''),
            'harness.late_message: %s %r, want a failure naming the message found after it'
            % (late.get('status'), late.get('detail', '')[:120]))
    for name in ('synic.deliver_one', 'post.conn_unknown'):
        t.check(r.status(name) == 'pass', '%s is %s after the late message, want pass' % (name, r.status(name)))


@case('nested-requirement-missing', lane='nested', needs_nested=True)
def nested_requirement_missing(t):
    """full requires the test device (tools/configs.cfg require): a guest
    without it (helper=none stands for a device that dropped out) fails the
    run with that reason; it used to SKIP 40-odd tests and exit 0."""
    r = t.rq('--mode', 'nested', '--config', 'full', '--args', 'helper=none tests=hv.*,post.success', tag='noreq')
    t.want_rc(r, 1)
    bails = [b for p in r.pieces() for b in p.bail]
    t.check(bails and 'requires helper' in bails[0], 'no Bail out naming the missing helper: %s' % bails[:1])
    t.check('found (require=): hyperv yes' in r.out, 'the kernel did not print what it found')
    t.check(not r.tests(), 'tests ran in a guest that lacks what its configuration requires: %s' % list(r.tests())[:3])


@case('nested-kinds-and-deaths', lane='nested', needs_nested=True)
def nested_kinds_and_deaths(t):
    """Issue 22 item 5 in a real guest: post.payload_240 is judged by the call's
    status through VMBus's connection 1 when the profile says the helper can't
    take 240 bytes (avoid=payload_240), and says it checked the status only;
    post.vp_index_missing SKIPs naming the helper that would die making its
    connection (avoid=conn_missing_vp); abi.page_disabled SKIPs where a post
    is refused for want of the privilege anyway (enforce). Before, the first
    two were VM deaths blamed on the call and the third a vacuous pass."""
    r = t.rq('--mode', 'nested', '--config', 'full', '--args', 'tests=post.payload_240,post.vp_index_missing', tag='full')
    t.want_rc(r, 0)
    # the checker lists a pass that checked the status only apart (tools/hvconform/outcome.py)
    t.check(r.status('post.payload_240') == 'status_only', 'post.payload_240 is %s, want status_only (a pass by its status '
            'alone)' % r.status('post.payload_240'))
    t.check('status_only: "posted to VMBus connection 1' in r.text(), 'post.payload_240 does not say it checked the status only')
    vp = r.tests().get('post.vp_index_missing') or {}
    t.check(vp.get('status') == 'skip' and 'hyperv-testdev' in vp.get('detail', ''),
            'post.vp_index_missing: %s %r, want a SKIP naming the helper' % (vp.get('status'), vp.get('detail', '')[:100]))
    r = t.rq('--mode', 'nested', '--config', 'enforce', '--args', 'tests=abi.page_disabled,hv.detect', tag='enforce')
    t.want_rc(r, 0)
    t.check(r.status('abi.page_disabled') == 'skip', 'enforce: abi.page_disabled is %s, want skip' % r.status('abi.page_disabled'))


def configs_matrix(t, configs, args):
    out = os.path.join(t.dir, 'matrix')
    rc, text = t.sh(['./run-qemu.sh', '--no-deps', '--mode', 'nested', '--matrix', '--out', out,
                     '--stack', 'debian12'] + [w for c in configs for w in ('--config', c)] + args, timeout=900)
    if rc == 1:
        skip_unlisted_crash([x for c in configs for x in (cell(t, 'debian12-' + c) or {}).get('tests', [])], text)
    t.check(rc == 0, 'exit %d, want 0 (every configuration as its profile says)%s' % (rc, unexpected(text)))
    full, enf, nos, smp2 = (cell(t, 'debian12-' + c) if c in configs else {}
                            for c in ('full', 'enforce', 'nosynic', 'smp2'))
    for name, c in (('full', full), ('enforce', enf), ('nosynic', nos), ('smp2', smp2)):
        if name not in configs:
            continue
        if t.check(c is not None, '%s: no cell JSON' % name):
            t.check(c['summary']['failed'] == 0, '%s: %d unexpected failure(s)' % (name, c['summary']['failed']))
            t.check(c.get('versions', {}).get('qemu'), '%s: the cell does not name the QEMU version' % name)
    for name in ('hv.hypercall_page', 'synic.deliver_one', 'post.success') if full else ():
        t.check(status(full, name) == 'pass', 'full: %s is %s' % (name, status(full, name)))
    t.check(status(enf, 'post.access_denied') in ('pass', 'fail', 'known'), 'enforce: post.access_denied did not run')
    t.check(status(nos, 'hv.synic_msrs_absent') == 'pass', 'nosynic: hv.synic_msrs_absent did not pass')
    for name in ('smp.vp_index', 'smp.deliver_vp1', 'harness.ap_wake'):
        t.check(status(smp2, name) == 'pass', 'smp2: %s is %s' % (name, status(smp2, name)))
    t.check(os.path.exists(os.path.join(out, 'matrix.html')), 'no matrix.html')
    return text


@case('nested-configs', lane='nested', needs_nested=True, slow=True)
def nested_configs(t):
    """enforce, nosynic and full with 2 VPs in one --matrix invocation, one
    cell at a time, each with the tests its partition exists for (full's whole
    suite is nested-full; every configuration's: nested-matrix, slow tier)."""
    tests = 'hv.*,synic.deliver_one,post.success,post.access_denied,smp.vp_index,smp.deliver_vp1,harness.ap_wake'
    configs_matrix(t, ('enforce', 'nosynic', 'smp2'), ['--jobs', '1', '--args', 'tests=' + tests])


@case('nested-matrix', lane='nested', needs_nested=True, slow=True)
def nested_matrix(t):
    """The whole suite in each of the four configurations, each with its
    profile, two cells side by side."""
    text = configs_matrix(t, ('full', 'enforce', 'nosynic', 'smp2'), ['--jobs', '2'])
    restores_ok(t, text, workers=2)


@case('nested-fuzz', lane='nested', needs_nested=True, slow=True)
def nested_fuzz(t, n=10000):
    """10,000 seeded fuzz calls, then a replay that reproduces a reported case."""
    r = t.rq('--mode', 'nested', '--config', 'full', '--args', 'tests=fuzz.post fuzz=%d seed=12345' % n, tag='fuzz')
    t.want_rc(r, 0)
    t.check(r.status('fuzz.post') in ('pass', 'known', 'intermittent'), 'fuzz.post: %s' % r.status('fuzz.post'))
    text = r.text()
    t.check(re.search(r'fuzz: %d iterations .* calls/s' % n, text), 'no "fuzz: %d iterations" line' % n)
    cases = re.findall(r'^.*fuzz violation .*replay: (.*)$', text, re.M)
    if not t.check(len(cases) >= 3, 'the fuzz reported fewer than 3 cases to replay'):
        return
    line = [l for l in text.split('\n') if 'fuzz violation ' in l][2]
    r2 = t.rq('--mode', 'nested', '--config', 'full', '--args', cases[2], tag='replay')
    again = [l for l in r2.text().split('\n') if 'fuzz violation ' in l]
    t.check(again and again[-1] == line, 'the replay (%s) did not reproduce the case' % cases[2])


# Host QEMU 7.2's TCG aborts when L2 runs OVMF under L1's KVM: accel/tcg
# tcg_handle_interrupt asserts the BQL, and the likely caller is target/i386
# helper_write_crN (CR8 with V_INTR_MASKING) raising CPU_INTERRUPT_VIRQ without
# it. Every nested OVMF boot tried here (q35 and pc, L1 with 1 or 2 vCPUs,
# MTTCG or thread=single) died of it before printing anything.
TCG_RACE = 'host QEMU hit its TCG nested-SVM race'


def hyperv_machine(t, machine, *extra):
    # the machine, its firmware and boot path and the time source; the whole
    # suite on these machines is `./run-qemu.sh --machine gen1|gen2`
    r = t.rq('--mode', 'nested', '--machine', machine, *extra, '--args',
             'tests=harness.*,hv.*,synic.*,deliver.interrupt,post.success', tag=machine + '-'.join(extra), timeout=1200,
             env={'NESTED_RETRIES': '0'})
    if r.rc == 3 and TCG_RACE in r.out:
        raise Skip('the %s machine cannot run nested on this host: %s (host QEMU 7.2 TCG, '
                   'tcg_handle_interrupt asserts the BQL)' % (machine, TCG_RACE))
    t.want_rc(r, 0)
    text = r.text()
    m = re.search(r'^# tsc: (\d+) Hz \((\S+)\)', text, re.M)
    if t.check(m, 'no "# tsc: N Hz (SOURCE)" line'):
        t.check(m.group(2) == 'HV_X64_MSR_TSC_FREQUENCY', 'TSC frequency from %s, not the Hyper-V MSR' % m.group(2))
        host = host_tsc_hz()
        if host:
            t.check(abs(int(m.group(1)) - host) <= host * 0.02, 'TSC %s Hz is not within 2%% of the host\'s %d Hz' % (m.group(1), host))
    t.check(r.status('harness.time') == 'pass', 'harness.time: %s' % r.status('harness.time'))
    t.check('vendor "Microsoft Hv"' in text, 'not a Hyper-V-enlightened guest')
    return r


def host_tsc_hz():
    """The TSC frequency the host kernel uses (tsc_khz via the boot log or cpuinfo)."""
    out = subprocess.run(['sh', '-c', 'dmesg 2>/dev/null | grep -m1 -o "tsc: Refined TSC clocksource calibration: [0-9.]* MHz\\|tsc: Detected [0-9.]* MHz"'],
                         stdout=subprocess.PIPE).stdout.decode()
    m = re.search(r'([0-9.]+) MHz', out)
    if not m:
        m = re.search(r'cpu MHz\s*:\s*([0-9.]+)', open('/proc/cpuinfo').read())
    return int(float(m.group(1)) * 1e6) if m else None


@case('nested-gen1', lane='nested', needs_nested=True, slow=True)
def gen1(t):
    hyperv_machine(t, 'gen1')


@case('nested-gen2', lane='nested', needs_nested=True, slow=True)
def gen2(t):
    """gen2, then again: the second boot restores the saved L2 (warm.py), and
    the kernel got the arguments typed on GRUB's serial line."""
    hyperv_machine(t, 'gen2')
    r = hyperv_machine(t, 'gen2')
    t.check('restored from the saved L2' in r.out, 'the second gen2 run did not restore the saved L2')
    t.check('error: the restored L2' not in r.out, 'the restored L2\'s kernel got other arguments')



@case('nested-debian13', lane='nested', needs_nested=True, slow=True)
def debian13(t):
    """The second stack: QEMU 10.0 on Linux 6.12 KVM, named on stderr and in the cell."""
    r = t.rq('--mode', 'nested', '--stack', 'debian13', '--args',
             'tests=hv.*,synic.*,post.success,post.type_zero', tag='debian13', timeout=1800)
    t.want_rc(r, 0)
    v = (r.cell or {}).get('versions', {})
    t.check(v.get('qemu', '').startswith('10.0'), 'QEMU version %r, want 10.0' % v.get('qemu'))
    t.check(v.get('l1_kernel', '').startswith('6.12'), 'L1 kernel %r, want 6.12' % v.get('l1_kernel'))
    t.check('"Hv#1"' in r.text(), 'not a Hyper-V-enlightened guest')
    t.check(r.status('post.success') == 'pass', 'post.success: %s' % r.status('post.success'))
    t.check(r.status('post.type_zero') == 'known', 'post.type_zero is not the profile\'s known deviation')
    virtio_used(t, r)


@case('nested-gen2-kernel', lane='nested', needs_nested=True, slow=True)
def gen2_kernel(t):
    """gen2's machine (q35 without PIT, PIC or HPET; Hyper-V's time
    enlightenments) with the kernel loaded by -kernel instead of OVMF: the
    legacy-free part of gen2, which runs nested here even where OVMF can't."""
    hyperv_machine(t, 'gen2', '--boot', 'kernel')


@case('nested-l1-dies-midrun', lane='nested', needs_nested=True)
def l1_dies(t):
    """L1 killed while L2 prints: the boot runs again in a fresh L1 with the
    same arguments, no line reaches stdout twice, and the verdict stands."""
    import signal
    l1_fails(t, signal.SIGKILL, 'l1-dies')


@case('nested-l1-hangs-midrun', lane='nested', needs_nested=True, slow=True)
def l1_hangs(t):
    """L1 frozen (SIGSTOP) while L2 prints: taken for hung after its
    silence, stopped, and the boot runs again in a fresh L1 (as when killed)."""
    import signal
    err = l1_fails(t, signal.SIGSTOP, 'l1-hangs')
    t.check(b'L1 hung (no answer for' in err, 'the frozen L1 was not reported as hung')


def cmdline_has(pid, text):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return text in f.read()
    except OSError:
        return False


def l1_fails(t, sig, tag):
    import time
    from cases_reliability import find_procs
    log = os.path.join(t.dir, tag + '.log')
    cell = os.path.join(t.dir, tag + '.json')
    # this tree's L1s (another tree's runs start theirs meanwhile)
    mine = os.path.join(ROOT, 'build', 'nested').encode()

    def l1s():
        return {pid for pid in find_procs(1, b'-incoming') if cmdline_has(pid, mine)}
    before = l1s()      # another run's L1s (two runs at once)
    p = subprocess.Popen(['./run-qemu.sh', '--no-deps', '--no-build', '--mode', 'nested', '--log', log, '--json', cell,
                          '--args', 'tests=harness.*,hv.detect'], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shown, killed = b'', False
    os.set_blocking(p.stdout.fileno(), False)
    deadline = time.monotonic() + 300
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        shown += p.stdout.read() or b''
        if not killed and b'ok 3 - ' in shown:
            for pid in find_procs(p.pid, b'-incoming'):
                os.kill(pid, sig)
                killed = True
    out, err = p.communicate(timeout=60)
    shown += out or b''
    t.transcript.write(err.decode(errors='replace'))
    t.check(killed, 'never saw L2 output to kill L1 under')
    t.check(b'runs again from its start in a fresh L1' in err, 'no rerun note')
    results = [l for l in shown.replace(b'\r', b'').split(b'\n') if l.startswith((b'ok ', b'not ok '))]
    t.check(len(results) == len(set(results)), 'a result line reached stdout twice')
    t.check(open(log, 'rb').read().count(b'# hvconform: end') == 1, 'the log is not one complete boot')
    t.check(not l1s() - before, 'an L1 QEMU was left behind')
    if p.returncode == 1 and os.path.exists(cell):        # after the checks above: they still count
        skip_unlisted_crash(json.load(open(cell)).get('tests', []), err.decode(errors='replace'))
    t.check(p.returncode == 0, 'exit %s, want 0' % p.returncode)
    return err


@case('nested-damaged-l1', lane='nested', needs_nested=True, slow=True)
def damaged_l1(t):
    """A saved L1 damaged on disk (in a copy of the stack's cache): random
    bytes in its RAM file restore into an L1 that does not answer its
    liveness check; a RAM file cut short is not the size saved. Each is
    saved again once and the run passes (every later run failed before)."""
    import glob
    import shutil
    src = os.path.join(ROOT, 'build', 'nested', 'debian12')
    states = glob.glob(os.path.join(src, 'l1-smp2-*.state'))
    if not states:
        raise Skip('no saved debian12 L1 yet (a nested run makes it)')
    cache = os.path.join(t.dir, 'cache')
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    for name in ('base.cpio', 'stamp', 'versions'):
        os.link(os.path.join(src, name), os.path.join(cache, name))
    shutil.copytree(os.path.join(src, 'kernel'), os.path.join(cache, 'kernel'))
    stem = os.path.basename(states[0])[:-len('.state')]
    for ext in ('.state', '.meta'):
        shutil.copy(os.path.join(src, stem + ext), cache)
    ram = os.path.join(cache, stem + '.ram')
    t.sh(['cp', '--sparse=always', os.path.join(src, stem + '.ram'), ram])
    with open(ram, 'r+b') as f:         # 96 MiB of L1's RAM, its kernel's among them
        f.seek(1 << 20)
        for _ in range(96):
            f.write(os.urandom(1 << 20))
    env = {'HVCONFORM_L1_CACHE': cache}
    r = t.rq('--mode', 'nested', '--args', 'tests=hv.detect,post.success', tag='random-ram', env=env, timeout=600)
    t.want_rc(r, 0)
    t.check('is damaged (the restored L1 did not answer' in r.out, 'the damaged RAM file was not named')
    t.check(len(re.findall(r'saving a booted debian12 L1', r.out)) == 1, 'not saved again exactly once')
    t.check(r.status('post.success') == 'pass', 'post.success: %s' % r.status('post.success'))
    new = glob.glob(os.path.join(cache, 'l1-smp2-*.ram'))
    if t.check(len(new) == 1, 'no saved L1 after the run: %s' % new):
        os.truncate(new[0], 256 << 20)
        r = t.rq('--mode', 'nested', '--args', 'tests=hv.detect', tag='short-ram', env=env, timeout=600)
        t.want_rc(r, 0)
        t.check('is not whole' in r.out, 'the RAM file cut short was not named')


@case('nested-l2-crashes-at-start', lane='nested', needs_nested=True, slow=True)
def l2_crashes_at_start(t):
    """An L2 QEMU that aborts before printing anything (a stand-in binary,
    tools/tests/data/qemu-crashes-at-start.c, through --qemu): the boot runs
    again once, then the run ends with the reason and exit 3 (it was an empty
    log, exit 2 "empty log")."""
    binary = os.path.join(t.dir, 'qemu-system-x86_64')
    rc, out = t.sh(['gcc', '-O1', '-Wall', '-Werror', '-o', binary, 'tools/tests/data/qemu-crashes-at-start.c'])
    if not t.check(rc == 0, 'the stand-in QEMU did not build'):
        return
    r = t.rq('--mode', 'nested', '--qemu', binary, '--args', 'tests=hv.detect', tag='crash', timeout=600)
    t.want_rc(r, 3)
    t.check('before printing anything: booting it again' in r.out, 'the silent crash was not run again')
    t.check('before printing anything, in two boots' in r.out, 'no reason naming the crash before any output')
    t.check('empty log' not in r.out, 'the checker was handed an empty log')
