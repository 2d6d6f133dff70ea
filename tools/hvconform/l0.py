"""The host QEMU that runs a nested L1 (L0), and the fixed one used where the
host's is known to abort.

Host QEMU's TCG aborts in nested UEFI boots ("tcg_handle_interrupt: assertion
failed"): helper_write_crN, case 8 (target/i386/tcg/sysemu/misc_helper.c in
7.2, tcg/system/ later), calls cpu_interrupt(cs, CPU_INTERRUPT_VIRQ) without
the BQL when the guest writes CR8 while V_IRQ is pending, and
tcg_handle_interrupt (cpu_interrupt itself since 10.1) asserts the BQL. L1's
KVM sets V_IRQ to open an interrupt window; OVMF writes CR8 on every interrupt
return (UefiCpuPkg CommonInterruptEntry), our -kernel and GRUB BIOS boots never
do. Read in Debian's 7.2 source, 10.0.13's source and 11.1.3's binary (the only
BQL section of helper_write_crN is cpu_set_apic_tpr's) and in QEMU master;
the call came with "target/i386: Added changed priority check for VIRQ" (Lara
Lazier, pulled 2021-09-08: QEMU 6.2). No release fixes it: patches/qemu/
holds the fix, docs/upstream/qemu-cr8-virq-bql.md the report.

So a nested run whose L2 boots OVMF, with L1 under TCG, on a host QEMU in the
affected range, runs L1 on QEMU built with that patch (tools/qemu-build, the
debian12 stack's source: the host's own 7.2): built the first time a run
needs it (minutes, said before it starts), then cached (tools/qemu-build's
cache, shared by the user's clones, and the answer in build/l0.json).
HVCONFORM_L0_QEMU=PATH names the L0 binary for every nested run instead (a
build of one's own, or a debugger's wrapper)."""

import hashlib
import os
import re
import subprocess

from . import hostqemu, jsonfile
from .configs import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
PATCH = os.path.join(ROOT, 'patches', 'qemu', 'debian12', 'cr8-virq-bql.patch')
BUILDER = os.path.join(ROOT, 'tools', 'qemu-build')
CACHE = os.path.join(ROOT, 'build', 'l0.json')
AFFECTED = ((6, 2), None)   # [from, fixed-in): no fixed release yet
BUILD_TIMEOUT = 3 * 3600
ESTIMATE = 'about 16 min of compiling on this project\'s 2-core build host, once'

_path = None                # the L0 binary chosen for this process, or None: the host's


def path():
    """The L0 binary for L1's command line (l1.command)."""
    return os.environ.get('HVCONFORM_L0_QEMU') or _path or 'qemu-system-x86_64'


def affected(version_line):
    """Is a `QEMU emulator version X.Y...` line in the affected range?"""
    m = re.search(r'version (\d+)\.(\d+)', version_line)
    if not m:
        return True             # unknown: the fixed build is the safe side
    v, (lo, hi) = (int(m.group(1)), int(m.group(2))), AFFECTED
    return v >= lo and (hi is None or v < hi)


def choose(uefi, accel, note):
    """Pick L0 for a nested run (before its first L1 starts)."""
    global _path
    if os.environ.get('HVCONFORM_L0_QEMU'):
        note('L0: %s (HVCONFORM_L0_QEMU)' % os.environ['HVCONFORM_L0_QEMU'])
        return
    if not uefi or accel != 'tcg':
        return
    line = hostqemu.version_output().decode(errors='replace').split('\n')[0]
    if not affected(line):
        return
    _path = fixed(line, note)


def _key(line):
    h = hashlib.sha256(line.encode())
    # what the build's result depends on (tools/qemu-build's own cache key
    # covers it too; this one saves asking it on every run)
    for f in (PATCH, os.path.join(HERE, 'qemubuild.py'), os.path.join(HERE, 'qemusource.py')):
        try:
            h.update(open(f, 'rb').read())
        except OSError:
            h.update(b'-')
    return h.hexdigest()[:16]


def fixed(line, note):
    """The patched L0's path, built if need be; None (the host's) if it cannot be."""
    key = _key(line)
    known = jsonfile.read(CACHE).get(key)
    if isinstance(known, str) and os.access(known, os.X_OK):
        note('L0: %s (host %s has the CR8/V_IRQ BQL bug: tools/hvconform/l0.py)' % (known, line))
        return known
    note('host %s aborts in nested UEFI boots (helper_write_crN takes no BQL for cpu_interrupt: '
         'tools/hvconform/l0.py): L0 is QEMU built with %s by tools/qemu-build, from its cache '
         '(shared by your clones) at once, else building it now, %s; its progress follows'
         % (line, os.path.relpath(PATCH, ROOT), ESTIMATE))
    try:
        r = subprocess.run([BUILDER, '--stack', 'debian12', '--patch', PATCH], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=None, timeout=BUILD_TIMEOUT)
        out = r.stdout.decode(errors='replace').strip().split('\n')[-1] if r.returncode == 0 else ''
    except (OSError, subprocess.TimeoutExpired) as e:
        out, r = '', e
    if not (out and os.access(out, os.X_OK)):
        note('L0: the patched build failed (%s): the host QEMU runs L1, and its aborts cost reruns'
             % (getattr(r, 'returncode', r),))
        return None
    jsonfile.update(CACHE, {key: out})
    note('L0: %s' % out)
    return out
