"""The nested runner's bookkeeping of one L1 (tools/hvconform/l1slots.py):
slots handed out in the order they came free, none of a retired L1, none
given back twice; the crash watch goes to one boot only. And L1.versions,
what nested.py names in its note of a restored L1."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import jobproto, l1  # noqa: E402
from hvconform.l1slots import L1Slots, SlotError  # noqa: E402


class Slots(unittest.TestCase):
    def test_fresh_l1_has_every_slot_free(self):
        s = L1Slots('vm')
        self.assertEqual(s.vm, 'vm')
        self.assertEqual(s.free(), jobproto.SLOTS)
        self.assertTrue(s.idle())
        self.assertFalse(s.retired())
        self.assertFalse(s.take_watch())

    def test_slots_go_out_in_the_order_they_came_free(self):
        s = L1Slots(None, 3)
        self.assertEqual([s.take(), s.take()], [0, 1])
        self.assertEqual((s.free(), s.idle()), (1, False))
        s.give(1)
        s.give(0)
        self.assertEqual([s.take(), s.take(), s.take()], [2, 1, 0])
        self.assertEqual(s.free(), 0)
        with self.assertRaises(SlotError):
            s.take()
        for slot in (0, 1, 2):
            s.give(slot)
        self.assertTrue(s.idle())

    def test_a_slot_not_taken_cannot_be_given_back(self):
        s = L1Slots(None, 2)
        with self.assertRaises(SlotError):
            s.give(0)               # free already
        slot = s.take()
        s.give(slot)
        with self.assertRaises(SlotError):
            s.give(slot)            # twice
        for bad in (2, -1, None):
            with self.assertRaises(SlotError):
                s.give(bad)
        self.assertEqual(s.free(), 2)

    def test_a_retired_l1_takes_no_boot_but_gets_its_slots_back(self):
        s = L1Slots(None, 2)
        slot = s.take()
        s.retire()
        self.assertTrue(s.retired())
        with self.assertRaises(SlotError):
            s.take()
        self.assertFalse(s.idle())
        s.give(slot)
        self.assertTrue(s.idle())
        self.assertTrue(s.retired(), 'giving a slot back must not unretire')

    def test_the_crash_watch_goes_to_one_boot(self):
        s = L1Slots(None)
        s.watch_next()
        s.watch_next()              # two crashes still watch only the next boot
        self.assertEqual([s.take_watch(), s.take_watch()], [True, False])


class Versions(unittest.TestCase):
    def versions(self, ready):
        vm = l1.L1.__new__(l1.L1)           # no work folder: only its ready text
        vm.ready = ready
        return vm.versions()

    def test_ready_words_and_qemu_rest(self):
        self.assertEqual(self.versions('l1_kernel=6.1.0-28 l2_start=zygote qemu=QEMU emulator version 7.2.15 '
                                       '(Debian 1:7.2+dfsg-7+deb12u12)'),
                         {'l1_kernel': '6.1.0-28', 'l2_start': 'zygote',
                          'qemu': '7.2.15 (Debian 1:7.2+dfsg-7+deb12u12)'})

    def test_no_ready_text_names_nothing(self):
        self.assertEqual(self.versions(None), {})
        self.assertEqual(self.versions('l1_kernel=6.12 junk'), {'l1_kernel': '6.12'})
        self.assertEqual(self.versions('l1_kernel=6.12 qemu='), {'l1_kernel': '6.12', 'qemu': ''})


if __name__ == '__main__':
    unittest.main()
