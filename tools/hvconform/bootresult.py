"""How one boot of the kernel ended, as every booter reports it (direct QEMU,
the nested runner) and the chain of boots reads it."""

import dataclasses
import enum


class How(str, enum.Enum):
    EXITED = 'exited'       # QEMU ended by itself (the kernel's exit port, a triple fault)
    FAILED = 'failed'       # QEMU gave up with its own error before the VM printed anything
    TIMEOUT = 'timeout'     # stopped at the boot's wall-clock limit
    SIGNAL = 'signal'       # killed by a signal from outside (status: -signal)
    CRASHED = 'crashed'     # the L2 QEMU died (nested: an abort, a signal)
    INFRA = 'infra'         # the runner's own machinery failed (an L1): not the hypervisor's doing


@dataclasses.dataclass(frozen=True)
class BootResult:
    how: How
    status: int = None      # QEMU's exit status (None: none, as for INFRA)
    why: str = ''           # INFRA: what failed
    stderr: tuple = ()      # the L2 QEMU's stderr lines (nested), for the host record

    @classmethod
    def infra(cls, why):
        """The boot must run again: something other than the hypervisor under test failed."""
        return cls(How.INFRA, None, why)

    @property
    def is_infra(self):
        return self.how is How.INFRA

    def describe(self, timeout, bounded=False):
        """How the boot ended, for notes and the host record."""
        if self.how is How.TIMEOUT:
            return 'timed out after %d s%s' % (timeout, ' (--timeout: the whole run\'s limit)' if bounded else '')
        if self.how is How.SIGNAL:
            return 'killed by signal %d' % -self.status
        if self.how is How.CRASHED:
            return 'died: QEMU crashed or aborted'
        if self.how is How.INFRA:
            return 'not the hypervisor under test: %s' % self.why
        return 'ended with status %s' % self.status
