"""What the nested runner (nested.Nested) keeps of one running L1 besides
the L1 itself: which job slots are free, whether it is retired, and whether
its next boot is watched because an L2 crashed in it.

Not locked on its own: Nested calls every method under its condition."""

from . import jobproto


class SlotError(Exception):
    """A slot taken that is not free, or given back that was not taken (a bug
    of the caller, never a result)."""


class L1Slots:
    """One running L1 (vm) and its bookkeeping. Slots are handed out in the
    order they came free (0, 1, ... at first). A retired L1 takes no new
    boot; it is closed once idle (nested.Nested._drop)."""

    def __init__(self, vm, count=jobproto.SLOTS):
        self.vm = vm
        self._count = count
        self._free = list(range(count))
        self._retired = False
        self._watch = False

    def free(self):
        """How many slots are free."""
        return len(self._free)

    def idle(self):
        """No boot holds a slot."""
        return len(self._free) == self._count

    def take(self):
        """A free slot, the one free longest."""
        if self._retired:
            raise SlotError('a slot taken of a retired L1')
        if not self._free:
            raise SlotError('a slot taken of an L1 with none free')
        return self._free.pop(0)

    def give(self, slot):
        """A boot is done with slot."""
        if slot not in range(self._count) or slot in self._free:
            raise SlotError('slot %r given back but not taken' % (slot,))
        self._free.append(slot)

    def retire(self):
        """No new boots go to this L1."""
        self._retired = True

    def retired(self):
        return self._retired

    def watch_next(self):
        """An L2 crashed in this L1: the next boot to start in it is watched."""
        self._watch = True

    def take_watch(self):
        """Whether this boot is watched (the crash watch, taken and cleared)."""
        watch, self._watch = self._watch, False
        return watch
