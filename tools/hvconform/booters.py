"""The two ways a cell's boots run, behind one interface: DirectBooter (QEMU
on this host: modes kvm and tcg) and NestedBooter (an L2 in the stack's L1:
nested.Nested). booter_for(cell, ...) chooses by the cell's mode.

A booter is the Chain's boot(args, out) -> BootResult: it makes the image
that carries args (images.image_for), bounds the boot by its timeout and
the run's deadline, and writes the host record (how it ended, QEMU's
stderr) of a boot that did not end by itself."""

import dataclasses
import os
import shlex
import shutil
import sys
import time

from . import direct, images, jobproto, nested
from .bootresult import BootResult, How


class Booter:
    workers = 1                 # boots side by side
    self_ended = (How.EXITED,)  # endings without a host record
    default_timeout = 60        # seconds per boot, without --timeout

    def __init__(self, cell, l2args, tmp, note, timeout=None, bounded=False):
        """timeout: --timeout, else the booter's default. bounded: it bounds
        the run's boots together (reruns, resumes and the L1s they wait for
        included), not only each one."""
        self.cell, self.l2args, self.tmp, self.note = cell, list(l2args), tmp, note
        self.timeout = timeout or self.default_timeout
        self.bounded = bool(timeout and bounded)
        self.started = None

    def begin(self):
        """The run's first boot starts now (its --timeout counts from here)."""
        self.started = time.monotonic()

    def deadline(self):
        """When the run must end (a bounded --timeout), or None; the setup
        the run waited for (a damaged saved L1 saved again) is not its time."""
        if not self.bounded or self.started is None:
            return None
        return self.started + self.timeout + self.setup_secs()

    def setup_secs(self):
        return 0

    @property
    def versions(self):
        """The stack's component versions, for the cell JSON."""
        return {}

    def __call__(self, args, out):
        end = self.deadline()
        limit = self.timeout if end is None else end - time.monotonic()
        if limit <= 0:      # not a result: the chain ends the run (ChainError)
            return BootResult.infra('no time left to boot')
        image = images.image_for(self.cell.boot, args, self.tmp)
        try:
            r = self.run(image, args, int(limit + 0.999), out)
        finally:
            if os.path.basename(os.path.dirname(image)).startswith(images.OWN_COPY):
                shutil.rmtree(os.path.dirname(image), ignore_errors=True)     # this boot's own copy
        if r.how not in self.self_ended and not r.is_infra:
            out.host(['ended: ' + r.describe(self.timeout)] + ['stderr: ' + line for line in r.stderr])
        return r

    def run(self, image, args, limit, out):
        raise NotImplementedError


class DirectBooter(Booter):
    """QEMU on this host: the cell's binary (--qemu) or the host's."""
    # a QEMU that could not start said why on stderr, shown as it ended
    self_ended = (How.EXITED, How.FAILED)

    def run(self, image, args, limit, out):
        c = self.cell
        cmd = direct.qemu_command(c.mode, c.boot, c.firmware, image, args, self.l2args, c.smp, self.tmp,
                                  virtio_console=args.first('console') == 'virtio', qemu=c.qemu_path)
        # the build's image path, not this run's temporary copy: a user can rerun it
        self.note('QEMU: ' + ' '.join(shlex.quote(images.ORIGINAL.get(w, w)) for w in cmd))
        err_path = os.path.join(self.tmp, 'qemu.err')
        r = direct.run(cmd, limit, out, err_path)
        with open(err_path, errors='replace') as f:
            err = f.read().strip()
        if err:
            sys.stderr.write(err + '\n')
        if r.how is How.EXITED and r.status == 1 and out.n == 0 and err:
            r = dataclasses.replace(r, how=How.FAILED)
        return dataclasses.replace(r, stderr=tuple(line for line in err.split('\n') if line))


class NestedBooter(Booter):
    """An L2 in the stack's L1 (nested.Nested, shared by a stack's cells):
    boots side by side, one per L1 slot, the longest first (seen: the
    seconds each boot of the cell's last whole run took, by its after=)."""
    workers = jobproto.SLOTS

    def __init__(self, cell, l2args, tmp, note, l1, seen=None, **kw):
        Booter.__init__(self, cell, l2args, tmp, note, **kw)
        self.l1, self.seen = l1, seen or {}

    @property
    def default_timeout(self):
        return nested.boot_timeout(self.cell.firmware)

    def setup_secs(self):
        return self.l1.saving

    @property
    def versions(self):
        return self.l1.versions

    def run(self, image, args, limit, out):
        c = self.cell
        r = self.l1.boot(c.boot, image, args.append_line(), self.l2args, c.smp, limit, out,
                         self.seen.get(args.after or '', 0), self.deadline, uefi=c.uefi)
        for line in r.stderr:
            self.note('L2 stderr: ' + line)
        return r


def booter_for(cell, l2args, tmp, note, l1=None, seen=None, timeout=None, bounded=False):
    """The booter of a cell's mode: nested needs the stack's L1s (l1)."""
    if cell.mode == 'nested':
        if l1 is None:
            raise ValueError('a nested cell boots in its stack\'s L1 (nested.Nested): none given')
        return NestedBooter(cell, l2args, tmp, note, l1, seen, timeout=timeout, bounded=bounded)
    return DirectBooter(cell, l2args, tmp, note, timeout=timeout, bounded=bounded)
