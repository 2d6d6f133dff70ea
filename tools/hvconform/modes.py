"""Which mode a stack's cells run in (--mode): kvm when host KVM offers the
Hyper-V enlightenments (a probe boot of tests=hv.detect says), else nested;
tcg only when asked (it tests no Hyper-V at all)."""

import os
import shlex

from . import EnvError, direct, images, nested
from .kargs import KernelArgs
from .l1saved import tail
from .notes import note


def kvm_probe(table, tmp, built=None, qemu=None):
    """(ok, why): host KVM runs the kernel with the full flags and it sees Hv#1;
    why names the probe's command and ends with its last lines.
    built: waits for the kernel image, when it is still being built; qemu:
    the binary under test (--qemu), else the host's."""
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return False, ('/dev/kvm is missing' if not os.path.exists('/dev/kvm') else
                       '/dev/kvm is not read-write for this user')
    if built:
        built()
    cmd = direct.qemu_command('kvm', 'kernel', 'bios', images.booted(images.BUILT_ELF),
                              KernelArgs(['tests=hv.detect']),
                              table.l2_args('full', 'pc'), 1, tmp, qemu=qemu)
    out = bytearray()
    r = direct.run(cmd, 20, out.extend, os.path.join(tmp, 'probe.err'))
    if r.status == 33 and b'"Hv#1"' in out:
        return True, ''
    err = open(os.path.join(tmp, 'probe.err'), errors='replace').read()
    serial = out.decode(errors='replace').replace('\r', '')
    said = err.strip() and ('; its stderr:' + tail(err, 6)) or \
        (serial.strip() and '; its serial output:' + tail(serial, 6)) or ' and printed nothing'
    verdict = 'the kernel did not see "Hv#1"' if r.status in (33, 35) else r.describe(20)
    return False, 'the probe boot `%s` %s%s' % (' '.join(shlex.quote(images.ORIGINAL.get(c, c)) for c in cmd),
                                                 verdict, said)


def choose(o, table, stack, tmp, built=None):
    """The mode to run in. auto: kvm, else nested; a host where neither
    reaches Hyper-V is an environment error naming both reasons (plain TCG
    runs only when asked: it tests no Hyper-V at all)."""
    mode = o['mode']
    if mode in ('auto', 'kvm'):
        under_test = o.get('qemu_ids') or [{}]
        ok, why = kvm_probe(table, tmp, built, under_test[0].get('path'))
        if ok:
            note('mode kvm (host KVM offers Hyper-V enlightenments)')
            return 'kvm'
        if mode == 'kvm':
            raise EnvError('--mode kvm: host KVM with Hyper-V enlightenments does not work: ' + why)
        note('host KVM offers no Hyper-V: %s' % why)
        try:
            nested.build_cache(stack, note)
        except nested.NestedError as e:
            # (a NestedError: --matrix reports it for this stack)
            raise nested.NestedError('no mode reaches Hyper-V on this host (--mode auto):\n  kvm: %s\n'
                                     '  nested: %s\n  (--mode tcg runs the suite without Hyper-V: '
                                     'every Hyper-V test SKIPs)' % (why, e))
        note('mode nested (nested runner ready)')
        return 'nested'
    if mode == 'nested':
        nested.build_cache(stack, note)
    note('mode ' + mode)
    return mode
