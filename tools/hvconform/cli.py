"""run-qemu.sh's command line: parsing and early validation (everything a
run needs is checked before anything boots). Usage errors exit 2."""

import os

from . import BadInput, argscan, profile, qemubin
from .kargs import KargsError, KernelArgs
from .configs import Table

USAGE = """usage: ./run-qemu.sh [OPTIONS] [-- KERNEL ARGS...]

Boots the hvconform test kernel under QEMU, prints the serial output as it
arrives, then the checker's report (tools/check-log) and exits with its verdict.
Builds what it boots (make) and installs missing Debian packages
(scripts/install-deps.sh: the list scripts/packages.txt) first. Configurations, machines and stacks are rows of
tools/configs.cfg; the QEMU command lines are printed on stderr.

  --config NAME      the Hyper-V partition (default full): {configs}
  --machine NAME     the L2 machine (default pc): {machines}
  --stack NAME       the nested stack (default debian12): {stacks}
  --qemu [NAME=]PATH  the QEMU binary under test instead of the stack's (as
                     kvm-unit-tests' QEMU=; tools/qemu-build makes them):
                     kvm and tcg run PATH; nested copies it with its
                     libraries into the stack's L1 (a saved L1 per binary).
                     The run names its path, version and sha256 and the
                     JSON records them; the profile stays the stack's.
                     With --matrix it repeats: one column per binary
  --boot kernel|iso|efi  how the kernel is loaded (default: the machine's):
        kernel  multiboot1 via QEMU -kernel build/hvconform.elf -append ARGS
        iso     build/hvconform.iso as -cdrom: GRUB, multiboot2; SeaBIOS, or
                OVMF with --firmware uefi (args: a per-run ISO copy, ~1 s)
        efi     build/hvconform-efi.img (GNU-EFI app) under OVMF (args in a
                per-run copy holding \\EFI\\BOOT\\cmdline.txt)
  --firmware bios|qboot|uefi  the L2 firmware (default: the machine's):
        bios SeaBIOS; qboot QEMU's minimal firmware (--boot kernel only);
        uefi OVMF (--boot iso or efi)
  --mode auto|tcg|kvm|nested  (default auto)
        kvm     QEMU/KVM on this host with Hyper-V enlightenments
        nested  the stack's Debian L1 (saved once, restored per run) whose KVM
                runs the kernel in L2 with Hyper-V enlightenments
        tcg     plain TCG: no Hyper-V at all, the Hyper-V tests SKIP
        auto    kvm if /dev/kvm offers Hyper-V (probe boot of tests=hv.detect),
                else nested; when neither works, exit 3 with each one's
                reason (never tcg: it runs only when asked)
  --smp N                VPs (default: the configuration's)
  --timeout S            wall-clock limit of each boot and (not with --matrix)
                         of the run's boots together (resumes, reruns),
                         1..3600 s (default: 120 nested, 60 kvm/tcg, per boot)
  --log FILE             serial log (default build/logs/BOOT-MODE-CONFIG.log)
  --junit FILE           also write JUnit XML
  --json FILE            also write the run's results as JSON (a matrix cell)
  --profile FILE|none    known deviations (default: profiles/STACK/ the
                         configuration's file; tcg: profiles/qemu-tcg.txt)
  --matrix               run every stack x configuration of the table's
                         [matrix] (or those given with --stack/--config, which
                         may then repeat) and write a Markdown and HTML matrix
  --out DIR              where --matrix writes (default build/matrix)
  --jobs N               --matrix cells run side by side, N at a time
                         (default: one per two CPUs; each has its L1)
  --args "ARGS"          kernel arguments (tests=GLOB,GLOB list verbose seed=N)
  --no-build             do not run make; fail if the image is missing
  --no-deps              do not run scripts/install-deps.sh
  -h, --help             this text

Crash-proof runs: when the VM dies or times out before "# hvconform: end",
the test that was running is recorded as the cause and the kernel boots
again with after=NAME (at most 20 restarts; a "Bail out!" is final). The
pieces are kept as FILE.1, FILE.2, ...; FILE then holds all of them in order,
and the checker reads the pieces ("VM died during NAME").

Exit status:
  0  the checker found nothing unexpected (all passed, or known deviations)
  1  unexpected failures (or a VM death, a bail-out, a stale profile entry,
     a structurally broken log: the checker's ERROR lines)
  2  not a log (tools/check-log: unreadable, empty, no TAP at all) or a
     usage error of this script
  3  environment error: QEMU / firmware / image missing, build or package
     install failed, QEMU or the nested runner could not start the VM, no
     mode reaches Hyper-V (--mode auto)
"""

VALUE_OPTS = ('--boot', '--firmware', '--mode', '--config', '--machine', '--stack', '--qemu', '--smp',
              '--timeout', '--log', '--junit', '--json', '--profile', '--args', '--out', '--jobs')
FLAG_OPTS = ('--no-build', '--no-deps', '--matrix')
MAX_TIMEOUT = 3600
MAX_SMP = 64
MAX_JOBS = 16


class Usage(Exception):
    pass


def usage_text(table=None):
    t = table or Table()
    return USAGE.format(configs=', '.join(t.names('config')), machines=', '.join(t.names('machine')),
                        stacks=', '.join(t.names('stack')))


def check_output_path(opt, path):
    """A file we will write: not a directory, not a pseudo file system."""
    if not path:
        raise Usage('%s: empty path' % opt)
    real = os.path.realpath(path)
    if any(real == p or real.startswith(p + '/') for p in ('/proc', '/sys', '/dev')):
        raise Usage('%s: %s is not a place for a file' % (opt, path))
    if os.path.isdir(real):
        raise Usage('%s: %s is a directory' % (opt, path))
    parent = os.path.dirname(real) or '.'
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)        # the first part that exists must be a directory
    if not os.path.isdir(parent):
        raise Usage('%s: %s: %s is not a directory' % (opt, path, parent))
    return path


def parse(argv, table):
    o = {'boot': None, 'firmware': None, 'mode': None, 'config': [], 'machine': None,
         'stack': [], 'qemu': [], 'smp': None, 'timeout': None, 'log': None, 'junit': None, 'json': None,
         'profile': None, 'out': None, 'jobs': None, 'no_build': False, 'no_deps': False, 'matrix': False,
         'kargs': [], 'help': False}
    try:
        got = argscan.scan(argv, VALUE_OPTS, FLAG_OPTS, repeat=('--config', '--stack', '--qemu', '--args'),
                           rest=True, hint=' (kernel arguments go after -- or in --args)')
    except argscan.ArgError as e:
        raise Usage(str(e))
    if got.get('help'):
        o['help'] = True
        return o
    o['kargs'] = [w for a in got.pop('args', []) for w in a.split()] + got.pop('--', [])
    o.update((k.replace('-', '_'), v) for k, v in got.items())
    return validate(o, table)


def whole(o, key, most, what):
    """o[key], when given, as a whole number from 1 to most (ASCII digits only)."""
    if o[key] is not None:
        try:
            o[key] = argscan.whole(o[key], '--' + key, most, what)
        except argscan.ArgError as e:
            raise Usage(str(e))


def validate(o, t):
    def one_of(key, allowed, what):
        v = o[key]
        for x in (v if isinstance(v, list) else [v]):
            if x is not None and x not in allowed:
                raise Usage("--%s: '%s' is not %s (%s)" % (key, x, what, ', '.join(allowed)))
    one_of('config', t.names('config'), 'a configuration of tools/configs.cfg')
    one_of('stack', t.names('stack'), 'a stack of tools/configs.cfg')
    one_of('machine', t.names('machine'), 'a machine of tools/configs.cfg')
    one_of('boot', ('kernel', 'iso', 'efi'), 'kernel, iso or efi')
    one_of('firmware', ('bios', 'qboot', 'uefi'), 'bios, qboot or uefi')
    one_of('mode', ('auto', 'tcg', 'kvm', 'nested'), 'auto, tcg, kvm or nested')
    o['mode'] = o['mode'] or 'auto'
    if not o['matrix'] and (len(o['config']) > 1 or len(o['stack']) > 1 or len(o['qemu']) > 1):
        raise Usage('--config, --stack and --qemu are given once (several only with --matrix)')
    try:
        o['qemu'] = qemubin.parse_all(o['qemu'])
    except qemubin.QemuError as e:
        raise Usage(str(e))
    machine = t.machines[o['machine'] or 'pc']
    o['boot'] = o['boot'] or machine['boot']
    if o['firmware'] is None:       # the machine's, where it can boot this way
        fits = {'kernel': ('bios', 'qboot'), 'iso': ('bios', 'uefi'), 'efi': ('uefi',)}[o['boot']]
        o['firmware'] = machine['firmware'] if machine['firmware'] in fits else fits[0]
    if o['firmware'] == 'qboot' and o['boot'] != 'kernel':
        raise Usage('qboot boots only a -kernel image: --firmware qboot needs --boot kernel')
    if o['boot'] == 'efi' and o['firmware'] != 'uefi':
        raise Usage('--boot efi needs --firmware uefi')
    if o['boot'] == 'kernel' and o['firmware'] == 'uefi':
        raise Usage("--boot kernel uses QEMU's multiboot loader: --firmware uefi needs --boot iso or efi")
    whole(o, 'smp', MAX_SMP, 'a whole number of VPs from 1 to %d')
    whole(o, 'timeout', MAX_TIMEOUT, 'a whole number of seconds from 1 to %d')
    for key in ('log', 'junit', 'json'):
        if o[key] is not None:
            check_output_path('--' + key, o[key])
    if o['profile'] not in (None, 'none'):
        if not os.path.isfile(o['profile']):
            raise Usage("--profile: cannot read '%s'" % o['profile'])
        try:
            profile.read(o['profile'])
        except BadInput as e:
            raise Usage('--profile: %s' % e)
    try:
        o['kargs'] = KernelArgs.parse(o['kargs'])
    except KargsError as e:
        raise Usage(str(e))
    if o['out'] is not None and not o['matrix']:
        raise Usage('--out goes with --matrix')
    if o['out'] is not None:
        check_output_path('--out', os.path.join(o['out'], 'matrix.md'))
    if o['jobs'] is not None and not o['matrix']:
        raise Usage('--jobs goes with --matrix')
    whole(o, 'jobs', MAX_JOBS, 'a whole number from 1 to %d')
    return o
