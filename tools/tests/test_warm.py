"""Saved L2s for nested gen2 boots (tools/hvconform/warm.py) and the warm ISO
(images.py): pure parts. The warm grub.cfg reads the arguments in the first
entry only; a saved L2's key ignores the slot's paths but not the L2 command
line, the ISO's bytes or the saved L1; the save and restore job fields put
the state where jobproto says and in the slot booted; the protocol's save
and saved lines."""

import os
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import images, jobproto as jp, warm  # noqa: E402


class WarmIso(unittest.TestCase):
    CFG = ('serial --unit=0\nmenuentry "a" {\n    multiboot2 /boot/hvconform.elf\n    boot\n}\n'
           'menuentry "b" {\n    multiboot2 /boot/hvconform.elf verbose\n}\n')

    def test_first_entry_reads_its_arguments(self):
        out = images.warm_grub_cfg(self.CFG).split('\n')
        i = out.index('    multiboot2 /boot/hvconform.elf $hvc_args')
        self.assertEqual(out[i - 4:i], ['    echo "%s"' % images.WARM_MARKER, '    terminal_input console',
                                        '    read hvc_args', '    echo'])
        self.assertIn('    multiboot2 /boot/hvconform.elf verbose', out)     # the others unchanged
        self.assertEqual(sum(line.split()[:1] == ['read'] for line in out), 1)
        with self.assertRaises(images.ImageError):
            images.warm_grub_cfg('menuentry "x" {\n}\n')

    def test_marker_is_not_in_the_plain_cfg(self):
        with open(images.GRUB_CFG) as f:
            self.assertNotIn(images.WARM_MARKER, f.read())


class WarmIsoBuiltOnce(unittest.TestCase):
    """Boots side by side that find no warm ISO build it once (grub-mkrescue
    makes new bytes each time: two builds would be two saved L2s)."""

    def test_two_boots_one_build(self):
        import threading
        import time
        with tempfile.TemporaryDirectory() as d:
            elf = os.path.join(d, 'k.elf')
            with open(elf, 'wb') as f:
                f.write(b'ELF')
            builds = []

            def build(elf_bytes, cfg, out):
                builds.append(out)
                time.sleep(0.2)
                with open(out, 'wb') as f:
                    f.write(os.urandom(8))
            saved = images.booted, images.WARM_DIR, images._build_warm
            images.booted, images.WARM_DIR, images._build_warm = (lambda b: elf), os.path.join(d, 'warm'), build
            try:
                got = []
                ts = [threading.Thread(target=lambda: got.append(images.warm_iso())) for _ in range(2)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
            finally:
                images.booted, images.WARM_DIR, images._build_warm = saved
            self.assertEqual(len(builds), 1)
            self.assertEqual(got[0], got[1])


class Key(unittest.TestCase):
    def setUp(self):
        fd, self.iso = tempfile.mkstemp()
        os.write(fd, b'iso')
        os.close(fd)

    def tearDown(self):
        os.remove(self.iso)

    def test_slot_paths_do_not_matter_the_rest_does(self):
        a = ['-cdrom', '/tmp/s0/image', '-M', 'q35']
        k = warm.key(self.iso, a, '/x/l1-smp2-abc.state')
        self.assertEqual(k, warm.key(self.iso, ['-cdrom', '/tmp/s1/image', '-M', 'q35'], '/y/l1-smp2-abc.state'))
        self.assertNotEqual(k, warm.key(self.iso, ['-cdrom', '/tmp/s0/image', '-M', 'pc'], '/x/l1-smp2-abc.state'))
        self.assertNotEqual(k, warm.key(self.iso, a, '/x/l1-smp2-abd.state'))
        with open(self.iso, 'ab') as f:
            f.write(b'!')
        self.assertNotEqual(k, warm.key(self.iso, a, '/x/l1-smp2-abc.state'))


class Jobs(unittest.TestCase):
    def test_restore_job_reads_its_own_slot(self):
        with tempfile.TemporaryDirectory() as d:
            w = warm.Warm(d, lambda m: None)
            os.makedirs(w.dir)
            for f, n in zip(w.files('k'), (200000, 131072)):
                with open(f, 'wb') as fh:
                    fh.write(b'x' * n)
            for slot in range(jp.SLOTS):
                fields, files = w.restore_job(slot, 'k', ['-M', 'q35'], 'seed=1 console=virtio')
                sblk, vblk = jp.state_blocks(slot)
                self.assertEqual(fields['varsdisk'], '%d 131072' % vblk)
                self.assertEqual(fields['wake'], 'seed=1 console=virtio')
                inc = fields['arg'][fields['arg'].index('-incoming') + 1]
                self.assertIn('skip=%d count=4 ' % sblk, inc)
                self.assertEqual([o for o, _ in files], [jp.STATE_OFFSET, jp.VARS_OFFSET])
                self.assertIn('path=/tmp/s%d/mon' % slot, ' '.join(fields['arg']))

    def test_layout(self):
        self.assertLess(jp.IMAGE_OFFSET, jp.STATE_OFFSET)
        self.assertLess(jp.STATE_OFFSET, jp.VARS_OFFSET)
        self.assertLessEqual(jp.VARS_OFFSET + (1 << 20), jp.SLOT_SIZE)
        self.assertEqual(jp.state_blocks(1)[0] * jp.BLOCK, jp.SLOT_SIZE + jp.STATE_OFFSET)

    def test_save_lines(self):
        self.assertEqual(jp.parse_host_line(jp.format_save(4, 1).decode()[:-1]), ('save', [4, 1]))
        self.assertEqual(jp.parse_l1_line('saved 4 4300 131072').rest, '4300 131072')
        for bad in ('saved 4', 'saved 4 1', 'saved 4 a 2'):
            with self.assertRaises(jp.ProtocolError):
                jp.parse_l1_line(bad)
        with self.assertRaises(jp.ProtocolError):
            jp.parse_host_line('save 1 2')


class Prune(unittest.TestCase):
    def test_newest_keys_stay(self):
        with tempfile.TemporaryDirectory() as d:
            for i, k in enumerate('abcde'):
                for ext in ('state', 'vars', 'log'):
                    p = os.path.join(d, 'l2-%s.%s' % (k, ext))
                    open(p, 'w').close()
                    os.utime(p, (1000 + i, 1000 + i))
            open(os.path.join(d, 'l2-z.state.1.tmp'), 'w').close()      # another run's, being written
            warm.prune(d, 'l2-', 2)
            self.assertEqual(sorted(os.listdir(d)), ['l2-d.log', 'l2-d.state', 'l2-d.vars', 'l2-e.log',
                                                     'l2-e.state', 'l2-e.vars', 'l2-z.state.1.tmp'])


class Watch(unittest.TestCase):
    def test_marker_split_across_reads_sends_save_once(self):
        sent, log = [], open(os.devnull, 'wb')
        w = warm.Watch(log, sent.append)
        w.slot = 1
        w.started(9)
        m = warm.MARKER
        for chunk in (b'BdsDxe ...\n' + m[:5], m[5:] + b'\n', m):
            w(chunk)
        log.close()
        self.assertEqual(sent, [jp.format_save(9, 1)])


class InterleavedMarker(unittest.TestCase):
    """GRUB's marker on COM1 and the virtio console, muxed: the copies cut
    into each other (a debian13-backports save's output, as it came: no
    whole copy in it; the save never saw GRUB ready)."""
    SEEN = (b"\x1b[0m\x1b[37m\x1b[40m    Bo  oting `hvconform: full suite'Booting `hvconform: full suite'\r\n"
            b"\r\n\r\n\r\nBooting `hvconform: full sui@@hvcote'\r\n\r\nnform-grub-reads-arguments@@"
            b"@@hvconform-grub-reads-argume@@hvconform-grub-reads-nts@@\r\n\r\narguments@@\r\n")

    def test_seen_in_order_with_others_between(self):
        self.assertNotIn(warm.MARKER, self.SEEN)
        self.assertTrue(warm.has_marker(self.SEEN))
        before = self.SEEN[:self.SEEN.index(b'@@hvco') + 20]
        self.assertFalse(warm.has_marker(before))
        self.assertFalse(warm.has_marker(b'BdsDxe: loading Boot0001 "UEFI QEMU DVD-ROM QM00005 " from '
                                         b'PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0)\r\n'))
        spread = b'@' + b'x' * warm.WINDOW + warm.MARKER[1:]     # its bytes too far apart
        self.assertFalse(warm.has_marker(spread))
        self.assertTrue(warm.has_marker(spread[:1] + spread[-len(warm.MARKER) + 1:]))

    def test_watch_sends_save_once_whatever_the_reads(self):
        for size in (1, 3, 7, 64, 4096):
            sent = []
            with open(os.devnull, 'wb') as log:
                w = warm.Watch(log, sent.append)
                w.slot = 0
                w.started(5)
                for i in range(0, len(self.SEEN), size):
                    w(self.SEEN[i:i + size])
            self.assertEqual(sent, [jp.format_save(5, 0)], size)


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


class Stall(unittest.TestCase):
    """A save whose L2 printed and then went silent before GRUB's marker is
    stuck past max(SAVE_STALL, STALL_FACTOR x its first byte's time) (the
    lead's debian13-backports save printed OVMF's console start and then
    nothing until the 900 s limit); before the first byte the job's own
    limit holds; after the marker L2 is stopped and saved: silent by design."""

    def watch(self):
        clock, sent = Clock(), []
        w = warm.Watch(open(os.devnull, 'wb'), sent.append, clock)
        self.addCleanup(w.log.close)
        w.slot = 0
        w.started(3)
        return w, clock, sent

    def test_silence_after_output_before_the_marker_only(self):
        w, clock, sent = self.watch()
        clock.t += 10 * warm.SAVE_STALL
        self.assertIsNone(w.stalled())                              # never printed: the job's limit
        w(b'\x1b[2J\x1b[01;01H')
        lim = warm.STALL_FACTOR * 10 * warm.SAVE_STALL              # the first byte came late: a loaded host
        self.assertEqual(w.limit(), lim)
        clock.t += lim
        self.assertIsNone(w.stalled())
        clock.t += 1
        self.assertEqual(w.stalled(), lim + 1)
        w(warm.MARKER)
        clock.t += 10 * lim
        self.assertIsNone(w.stalled())
        self.assertEqual(sent, [jp.format_save(3, 0)])
        self.assertEqual((w.bytes, w.first, w.gap), (12 + len(warm.MARKER), 10 * warm.SAVE_STALL, lim + 1))

    def test_at_least_save_stall(self):
        w, clock, sent = self.watch()
        clock.t += 1
        w(b'x')
        self.assertEqual(w.limit(), warm.SAVE_STALL)
        clock.t += warm.SAVE_STALL + 1
        self.assertEqual(w.stalled(), warm.SAVE_STALL + 1)


class FakeJobs:
    def __init__(self):
        self.sent = []

    def send(self, line):
        self.sent.append(line)

    def read_back(self, slot, offset, size, path):
        with open(path, 'wb') as f:
            f.write(b's' * size)


class FakeVM:
    """An L1 whose save jobs end as `result` says: (status, info, output)."""

    def __init__(self, result):
        self.jobs, self.result, self.calls = FakeJobs(), result, []

    def run_job(self, slot, image, fields, timeout, out, started=None, silence=None, stalled=None):
        self.calls.append((slot, timeout, silence, stalled))
        started(7)
        status, info, output = self.result
        if output:
            out(output)
        return status, dict({'stderr': []}, **info)


class Remembered(unittest.TestCase):
    """A save that failed is remembered beside the saved L2s: a later run
    (a new Warm) boots cold at once and says why and how to try again; an
    L1 that died under the save is not the save's failure."""

    def run_twice(self, result, env=None):
        with tempfile.TemporaryDirectory() as d:
            notes = []
            first, vm = warm.Warm(d, notes.append), FakeVM(result)
            got = [first.ensure(vm, 1, 'k1', '/iso', ['-M', 'q35'], 900)]
            later = warm.Warm(d, notes.append)
            with mock.patch.dict(os.environ, {'HVCONFORM_WARM_L2': env or '1'}):
                got.append(later.ensure(vm, 1, 'k1', '/iso', ['-M', 'q35'], 900))
            return got, len(vm.calls), notes, first.remembered('k1'), vm

    def test_timeout_is_remembered(self):
        got, calls, notes, why, vm = self.run_twice((124, {'stderr': ['warning: x']}, b'\x1b[2J'))
        self.assertEqual((got, calls), ([False, False], 1))
        self.assertIn('status 124', why)
        self.assertIn('GRUB never ready', why)
        self.assertIn('warning: x', why)
        self.assertIn('saving it failed before', notes[-1])
        self.assertIn('HVCONFORM_WARM_L2=retry', notes[-1])
        self.assertIn('l2-k1.failed', notes[-1])
        self.assertIsNotNone(vm.calls[0][3])           # the save is watched for a stall

    def test_stuck_save_is_remembered(self):
        got, calls, notes, why, vm = self.run_twice((jp.Fault.L2_SILENT, {'silent_for': 151}, b'x'))
        self.assertEqual((got, calls), ([jp.Fault.L2_SILENT, False], 1))
        self.assertIn('stuck (L2 silent for 151 s) after', why)

    def test_retry_tries_again(self):
        got, calls, notes, why, vm = self.run_twice((124, {}, b''), env='retry')
        self.assertEqual((got, calls), ([False, False], 2))

    def test_a_retry_that_works_forgets_the_failure(self):
        with tempfile.TemporaryDirectory() as d:
            w = warm.Warm(d, lambda m: None)
            os.makedirs(w.dir)
            w.remember('k1', 'status 124')
            with mock.patch.dict(os.environ, {'HVCONFORM_WARM_L2': 'retry'}):
                ok = w.ensure(FakeVM((0, {'saved': (100, 50)}, warm.MARKER)), 0, 'k1', '/iso', [], 900)
            self.assertEqual((ok, w.remembered('k1')), (True, None))
            self.assertTrue(w.saved('k1'))

    def test_l1_trouble_is_not_remembered(self):
        for fault in (jp.Fault.L1_GONE, jp.Fault.L1_HUNG):
            got, calls, notes, why, vm = self.run_twice((fault, {}, b''))
            self.assertEqual((got, calls, why), ([fault, fault], 2, None))

    def test_a_success_is_kept(self):
        got, calls, notes, why, vm = self.run_twice((0, {'saved': (100, 50)}, warm.MARKER))
        self.assertEqual((got, calls, why), ([True, True], 1, None))
        self.assertEqual(vm.jobs.sent, [jp.format_save(7, 1)])


if __name__ == '__main__':
    unittest.main()
