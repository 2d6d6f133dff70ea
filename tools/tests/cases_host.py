"""make test cases that need no Hyper-V: builds, unit tests, run-qemu.sh's
interface and TCG boots of every boot path."""

import os
import shutil
import sys

from harness import ROOT, Skip, case

HV_GROUPS = ('hv.', 'synic.', 'post.', 'deliver.', 'abi.')


@case('deps')
def deps(t):
    rc, _ = t.sh(['sh', 'scripts/install-deps.sh'])
    t.check(rc == 0, 'scripts/install-deps.sh failed')


@case('build')
def build(t):
    rc, _ = t.sh(['flock', 'build/.make.lock', 'make', 'all', 'iso', 'efi'])
    t.check(rc == 0, 'make all iso efi failed')


@case('hosttest')
def hosttest(t):
    rc, out = t.sh(['make', 'hosttest'])
    t.check(rc == 0, 'make hosttest failed: ' + out.strip().split('\n')[-1])


@case('python-unit')
def python_unit(t):
    rc, out = t.sh([sys.executable, '-m', 'unittest', 'discover', '-s', 'tools/tests', '-t', 'tools/tests'])
    t.check(rc == 0, 'unit tests failed: ' + out.strip().split('\n')[-1])


@case('browser-matrix', slow=True)
def browser(t):
    rc, out = t.sh([sys.executable, 'tools/tests/browser_check.py'], timeout=600)
    if rc == 77:
        raise Skip(out.strip().split('\n')[-1])
    t.check(rc == 0, out.strip().split('\n')[-1])


@case('run-qemu-cli')
def cli(t):
    rc, out = t.sh(['./run-qemu.sh', '--help'])
    for w in ('--boot', '--mode', '--config', '--machine', '--stack', '--matrix', 'Exit status'):
        t.check(w in out, '--help lacks %s' % w)
    bad = [(['--bogus'], "unknown option '--bogus'"), (['--boot', 'floppy'], "--boot: 'floppy'"),
           (['--smp', '0'], '--smp'), (['--boot', 'kernel', '--firmware', 'uefi'], '--firmware uefi'),
           (['--boot', 'iso', '--firmware', 'qboot'], '--firmware qboot needs --boot kernel'),
           (['--timeout='], '--timeout'), (['--timeout', '99999999'], '--timeout'),
           (['--timeout', '\u0663'], '--timeout'), (['--log', 'build'], 'is a directory'),
           (['--log', '/proc/hvconform.log'], 'not a place'), (['--config', 'nope'], '--config'),
           (['--profile', 'tools/tests/data/bad-profile.txt'], 'profile'),
           (['--args', 'tests=\u00e9'], 'printable ASCII'), (['--args', 'x' * 1100], '1023'),
           (['--jobs', '2'], '--jobs goes with --matrix'), (['--matrix', '--jobs', '0'], '--jobs'),
           (['--matrix', '--jobs', '\u0663'], '--jobs')]
    for args, msg in bad:
        rc, out = t.sh(['./run-qemu.sh', '--no-deps', '--no-build', '--mode', 'tcg'] + args)
        t.check(rc == 2, '%s: exit %d, want 2' % (' '.join(args)[:40], rc))
        t.check(msg is None or msg in out, '%s: no message %r' % (' '.join(args)[:40], msg))
        t.check('boot 1' not in out, '%s: booted before rejecting' % ' '.join(args)[:40])
    # no QEMU on PATH: environment error
    d = os.path.join(t.dir, 'nobin')
    os.makedirs(d, exist_ok=True)
    for tool in ('dirname', 'python3', 'sh', 'make', 'flock'):
        src = shutil.which(tool)
        if src and not os.path.exists(os.path.join(d, tool)):
            os.symlink(src, os.path.join(d, tool))
    rc, out = t.sh(['./run-qemu.sh', '--no-deps', '--mode', 'tcg'], env={'PATH': d})
    t.check(rc == 3 and 'qemu-system-x86_64 not found' in out, 'no QEMU: exit %d, want 3 with the reason' % rc)


# Each boot path's smoke run also takes arguments: they must reach the kernel
# byte for byte, and the selection must apply (args-every-path has the odd ones).
SMOKE_ARGS = 'tests=harness.*,hv.*,synic.*,post.* verbose'


def smoke(t, *args, bootpath):
    r = t.rq('--mode', 'tcg', *args, '--args', SMOKE_ARGS)
    t.want_rc(r, 0)
    p = r.pieces()[0]
    t.check(p.complete, 'no end marker')
    cmd = [h for h in p.headers if h.startswith('# command line: ')]
    t.check(cmd and cmd[0].endswith(SMOKE_ARGS), '%s: the arguments did not reach the kernel: %s' % (bootpath, cmd))
    t.check(r.tests() and all(x['name'].split('.')[0] in ('harness', 'hv', 'synic', 'post')
                              for x in r.tests().values()), '%s: the selection was not applied' % bootpath)
    t.check(any(h.startswith('# hvconform ') and h.split()[3] == bootpath for h in p.headers),
            'boot path is not %s' % bootpath)
    for name in ('harness.ud_caught', 'harness.pf_caught', 'harness.user_mode'):
        t.check(r.status(name) == 'pass', '%s: %s' % (name, r.status(name)))
    hv = [x for x in r.tests().values() if x['name'].startswith(HV_GROUPS)]
    t.check(hv and all(x['status'] == 'skip' and len(x['detail'] or '') > 10 for x in hv),
            'a Hyper-V test did not SKIP with a reason under TCG')
    return r


@case('boot-kernel')
def boot_kernel(t):
    smoke(t, '--boot', 'kernel', bootpath='multiboot1')


@case('boot-iso-bios')
def boot_iso_bios(t):
    smoke(t, '--boot', 'iso', bootpath='multiboot2')


@case('boot-iso-uefi')
def boot_iso_uefi(t):
    smoke(t, '--boot', 'iso', '--firmware', 'uefi', bootpath='multiboot2')


@case('boot-efi')
def boot_efi(t):
    smoke(t, '--boot', 'efi', bootpath='efi')


# What GRUB or awk would expand, or a shell would split, if the arguments were
# not passed byte for byte; the kernel refuses the odd pattern, quoting it.
ODD = r"tests=harness.no_fault,\047;echo\040INJECTED;\047"


def args_paths(t, boots):
    seen = {}
    for boot in boots:
        r = t.rq('--mode', 'tcg', '--boot', boot, '--', ODD, 'verbose', tag='args-' + boot)
        p = r.pieces()[0]
        seen[boot] = p.bail and p.bail[0]
        t.check(not any(l.strip() == 'INJECTED' for l in r.text().split('\n')), '%s: GRUB ran injected text' % boot)
    first = seen[boots[0]]
    t.check(len(set(seen.values())) == 1 and first and ODD.split(',')[1] in first,
            'the boot paths handed the kernel different command lines: %r' % seen)


@case('args-every-path')
def args_bios_paths(t):
    args_paths(t, ('kernel', 'iso'))


@case('args-efi-path', slow=True)
def args_efi_path(t):
    # the EFI application's cmdline.txt against -kernel's: two OVMF boots (~10 s)
    args_paths(t, ('kernel', 'efi'))


@case('harness-unexpected-fault')
def unexpected(t):
    r = t.rq('--mode', 'tcg', '--args', 'tests=harness.unexpected_fault,harness.*')
    t.want_rc(r, 1)
    t.check(r.status('harness.unexpected_fault') == 'fail', 'unexpected_fault did not fail')
    t.check('unexpected #UD' in (r.tests().get('harness.unexpected_fault') or {}).get('detail', ''),
            'no "unexpected #UD" in its detail')
    t.check(r.status('harness.no_fault') == 'pass', 'a later test did not run')


@case('bail-outs')
def bails(t):
    for args, why in (('bogus=1', 'bogus'), ('tests=nomatch*', 'nomatch'),
                      ('tests=harness.* after=post.success', 'not a selected test'),
                      ('after=post.success until=hv.vp_index', 'comes before after=post.success'),
                      ('seed=1 seed=2', 'seed')):
        r = t.rq('--mode', 'tcg', '--args', args, tag='bail-%d' % len(args))
        t.check(r.rc == 1, '%s: exit %d, want 1' % (args, r.rc))
        p = r.pieces()
        t.check(len(p) == 1 and p[0].bail and why in p[0].bail[0], '%s: no Bail out! naming %s' % (args, why))
        t.check('booting again' not in r.out, '%s: a bail-out was retried' % args)
    # after= the last test empties the selection: the plan is 1..0, which only a
    # resumed piece may have; alone it fails the run
    r = t.rq('--mode', 'tcg', '--args', 'after=fuzz.post', tag='after-last')
    t.check(r.rc != 0 and 'plan 1..0' in r.out, 'after=fuzz.post alone: exit %d without a plan 1..0 error' % r.rc)


def crash_resume(t, *boot):
    r = t.rq('--mode', 'tcg', *boot, '--args', 'tests=harness.triple_fault,harness.*')
    t.want_rc(r, 1)
    t.check('booting again with after=harness.triple_fault' in r.out, 'not resumed')
    p = r.pieces()
    t.check(len(p) == 2 and p[0].running and p[0].running.name == 'harness.triple_fault' and p[1].complete,
            'want 2 pieces: a death in harness.triple_fault, then a complete run')
    t.check(r.status('harness.user_mode') == 'pass', 'tests after the death did not run')
    t.check(r.status('harness.triple_fault') == 'died', 'the death was not reported')


@case('crash-resume-kernel')
def cr_kernel(t):
    crash_resume(t, '--boot', 'kernel')


@case('crash-resume-iso')
def cr_iso(t):
    crash_resume(t, '--boot', 'iso')


@case('crash-resume-efi', slow=True)
def cr_efi(t):
    crash_resume(t, '--boot', 'efi')


@case('until-window')
def until_window(t):
    """until=NAME ends the run after NAME as a complete run ends, and a crash-resume
    keeps it: the boot after the death runs the window after=DIED until=NAME."""
    r = t.rq('--mode', 'tcg', '--args', 'tests=harness.triple_fault,harness.* until=harness.no_fault')
    t.want_rc(r, 1)     # harness.triple_fault's death
    p = r.pieces()
    t.check(len(p) == 2 and p[1].complete and p[1].after == 'harness.triple_fault',
            'want 2 pieces: a death in harness.triple_fault, then a complete boot after it')
    ran = [x.name for x in p[1].results] if len(p) == 2 else []
    t.check(ran and ran[-1] == 'harness.no_fault' and p[1].plan and p[1].plan[0] == len(ran),
            'the resumed boot ran %s with plan %s: want it to end after harness.no_fault, its plan counting '
            'only those' % (ran, p[1].plan if len(p) == 2 else None))
    t.check(r.status('harness.no_fault') == 'pass' and r.status('harness.user_mode') is None,
            'harness.no_fault %s, harness.user_mode %s: want pass, not run'
            % (r.status('harness.no_fault'), r.status('harness.user_mode')))


@case('gen2-shaped-tcg')
def gen2_tcg(t):
    """q35 without PIT/PIC/HPET under TCG: harness.time passes or the kernel
    bails out with the reason; never a wrong frequency."""
    r = t.rq('--mode', 'tcg', '--machine', 'gen2', '--boot', 'kernel', '--args', 'tests=harness.time')
    p = r.pieces()[0]
    if p.bail:
        t.check('tsc' in p.bail[0].lower() or 'pit' in p.bail[0].lower(), 'bail without a time reason')
    else:
        t.check(r.status('harness.time') == 'pass', 'harness.time: %s' % r.status('harness.time'))


@case('readme-generated')
def readme_generated(t):
    rc, out = t.sh([sys.executable, 'tools/readme-update', '--check'])
    t.check(rc == 0, out.strip().split('\n')[-1])
    rc, out = t.sh(['make', '-s', 'coverage'])
    doc = open('docs/coverage.md').read()
    t.check(rc == 0 and out.strip() and out.strip() in doc, 'docs/coverage.md differs from `make coverage`')


@case('profiles-name-real-tests')
def profiles_known(t):
    """Every profile names only tests the kernel has (its `list`)."""
    r = t.rq('--mode', 'tcg', '--args', 'list', tag='list')
    t.want_rc(r, 0)
    names = r.pieces()[0].listed
    t.check(len(names) > 50, 'list printed %d names' % len(names))
    profiles = [os.path.join(d, f) for d, _, fs in os.walk('profiles') for f in fs if f.endswith('.txt')]
    for p in sorted(profiles):
        rc, out = t.sh([sys.executable, 'tools/check-log', '--profile', p, '--known-tests', r.log, r.log])
        t.check(rc != 2, '%s: %s' % (p, out.strip().split('\n')[-1]))


@case('virtio-console')
def virtio_console(t):
    """console=virtio (the nested runner's fast output): the same TAP as COM1,
    a line out before the kernel goes on (a death is still attributed), and
    COM1 with the reason when there is no legacy virtio console."""
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    from hvconform import configs, direct, images, tap, tapstate
    from hvconform.kargs import KernelArgs

    # a copy taken under the build lock: build-race relinks the image meanwhile
    elf = images.copy_locked([images.BUILT_ELF], t.dir).get(images.BUILT_ELF)
    if not t.check(elf, 'no %s to copy' % images.BUILT_ELF):
        return

    def boot(args, virtio=True, legacy=True, firmware='bios'):
        cmd = direct.qemu_command('tcg', 'kernel', firmware, elf, KernelArgs.read(args),
                                  ['-M', 'pc'] + configs.firmware_args(firmware), 1, t.dir,
                                  virtio_console=virtio)
        if not legacy:
            cmd[cmd.index('virtio-serial-pci')] = 'virtio-serial-pci,disable-legacy=on'
        rc, out = t.sh(cmd, timeout=60)
        return out, tap.parse(out, args)

    sel = 'tests=harness.no_fault,harness.gp_error_code,harness.pf_caught'
    out, p = boot('console=virtio ' + sel)
    com1, q = boot(sel, virtio=False)
    t.check(any(h.startswith('# console: virtio console at PCI') for h in p.headers),
            'no "# console: virtio console at PCI" header: %s' % p.headers)
    t.check(p.complete and len(p.results) == 3, 'console=virtio: not a complete run of 3 tests')
    t.check([(r.name, r.status) for r in p.results] == [(r.name, r.status) for r in q.results],
            'console=virtio and COM1 disagree: %s vs %s' % ([(r.name, r.status) for r in p.results],
                                                              [(r.name, r.status) for r in q.results]))
    t.check('\r\n' in out and out.count('\r\n') == out.count('\n'), 'virtio console lines are not CR LF as on COM1')
    # qboot (machine pc) assigns no BARs: the kernel gives BAR 0 a port
    out, p = boot('console=virtio ' + sel, firmware='qboot')
    t.check(p.complete and any(h.startswith('# console: virtio console at PCI') and 'assigned here' in h
                               for h in p.headers), 'qboot: no complete run on a virtio console the kernel '
            'assigned: %s' % p.headers)
    for what, virtio, legacy in (('no device', False, True), ('a modern-only device', True, False)):
        out, p = boot('console=virtio ' + sel, virtio=virtio, legacy=legacy)
        t.check(any(h.startswith('# console: COM1 (console=virtio: no legacy virtio console') for h in p.headers)
                and p.complete, '%s: no complete run on COM1 naming why' % what)
    out, p = boot('console=virtio tests=harness.triple_fault,harness.no_fault')
    s = tapstate.state(out)
    t.check(not s.complete and s.running == 'harness.triple_fault',
            'a triple fault on the virtio console: running %r, want harness.triple_fault' % s.running)
