"""A cell: one run of the suite's coordinates (stack, configuration, machine,
mode, boot path, firmware, VPs, QEMU binary), and what follows from them
alone: the L2 QEMU arguments, the kernel arguments every boot gets, the
default log and the key of the run's history. A matrix is cells; a single
run is one."""

import dataclasses
import os

from . import configs
from .configs import ROOT


@dataclasses.dataclass(frozen=True)
class Cell:
    stack: str
    config: str
    machine: str
    mode: str           # kvm, nested or tcg (modes.choose)
    boot: str           # kernel, iso or efi
    firmware: str       # bios, qboot or uefi
    smp: int            # VPs
    qemu: dict = None   # the binary under test (--qemu: qemubin.identity), None: the stack's (or host's)

    @classmethod
    def of(cls, o, table, stack, config, mode, qemu=None):
        """The cell of run-qemu.sh's options o (cli.parse) for a stack and configuration."""
        return cls(stack, config, o['machine'] or 'pc', mode, o['boot'], o['firmware'],
                   table.smp(config, o['smp']), qemu)

    @property
    def uefi(self):
        return self.firmware == 'uefi'

    @property
    def boot_path(self):
        """The boot path's name in logs and notes (an ISO under OVMF is iso-uefi)."""
        return 'iso-uefi' if (self.boot, self.uefi) == ('iso', True) else self.boot

    @property
    def qemu_path(self):
        return self.qemu['path'] if self.qemu else None

    def l2_args(self, table):
        """The L2 QEMU's machine, CPU flags and devices (tcg: the machine
        only, TCG offers no hv-* enlightenments), then its firmware."""
        if self.mode == 'tcg':
            args = ['-M', table.machines[self.machine]['qemu']]
        else:
            args = table.l2_args(self.config, self.machine)
        return args + configs.firmware_args(self.firmware)

    def kernel_args(self, user, table, avoid=()):
        """The KernelArgs of every boot, less after=: the user's, then what
        the runner adds: avoid= (what this host can't survive, from the
        profile; never decided in the kernel), require= (what the
        configuration's guest must have: missing, the kernel bails out; not
        in tcg, which has no Hyper-V) and, nested and kvm, console=virtio (a
        virtio console beside COM1: L2's, tools/nested/init; a kvm boot's,
        booters.py): the same bytes with one exit per line instead of two
        per byte, and the kernel's proof that QEMU's main loop ran between
        tests (kernel/console.h console_sync_host). A key the user gave is
        not added again."""
        base = user.without('after')
        if avoid:
            base = base.plus('avoid', ','.join(avoid))
        if self.mode != 'tcg':
            base = base.plus_missing('require', table.requires(self.config, self.smp))
        if self.mode != 'tcg':
            base = base.plus_missing('console', 'virtio')
        return base

    def default_log(self):
        parts = [self.boot_path, self.mode, self.config] + ([self.machine] if self.machine != 'pc' else []) + \
            ([self.stack] if self.mode == 'nested' and self.stack != 'debian12' else [])
        return os.path.join(ROOT, 'build', 'logs', '-'.join(parts) + '.log')

    def history_key(self, profile):
        """The key of this cell's entry in the runner's history (checked with profile)."""
        return '|'.join(map(str, (self.mode, self.stack, self.config, self.machine, self.boot, self.firmware,
                                  self.smp, profile)))

    def meta(self, versions):
        """The cell's coordinates in its checker JSON (the matrix reads them)."""
        m = {'stack': self.stack, 'config': self.config, 'machine': self.machine, 'smp': self.smp,
             'mode': self.mode, 'versions': versions or {}}
        if self.qemu:
            m['qemu'] = self.qemu
        return m
