"""cell.Cell and booters: a cell's coordinates and what follows from them
(boot path name, L2 arguments, the kernel arguments every boot gets, its
log), and the booter its mode chooses, behind a fake L1 and a fake QEMU:
what each passes on, which endings get a host record, the run's deadline."""

import os
import sys
import tempfile
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import booters, cellrun, direct, images  # noqa: E402
from hvconform.bootresult import BootResult, How  # noqa: E402
from hvconform.cell import Cell  # noqa: E402
from hvconform.configs import Table  # noqa: E402
from hvconform.kargs import KernelArgs  # noqa: E402

TABLE = Table()


def cell(mode='kvm', boot='kernel', firmware='bios', config='full', smp=1, qemu=None, stack='debian12'):
    return Cell(stack, config, 'pc', mode, boot, firmware, smp, qemu)


class Out:
    """A chain's Streamer, as booters see it: bytes in, a host record."""

    def __init__(self):
        self.data, self.n, self.record = bytearray(), 0, []

    def __call__(self, b):
        self.data += b
        self.n += len(b)

    def host(self, lines):
        self.record += lines


class CellTest(unittest.TestCase):
    def test_of_the_options(self):
        o = {'machine': None, 'boot': 'iso', 'firmware': 'uefi', 'smp': None}
        c = Cell.of(o, TABLE, 'debian13', 'smp2', 'nested', {'path': '/q'})
        self.assertEqual((c.machine, c.smp, c.qemu_path, c.uefi, c.boot_path), ('pc', 2, '/q', True, 'iso-uefi'))
        self.assertEqual(Cell.of(dict(o, smp=3), TABLE, 'debian12', 'smp2', 'kvm').smp, 3)
        self.assertEqual(cell(boot='efi', firmware='uefi').boot_path, 'efi')
        self.assertEqual(cell(boot='iso').boot_path, 'iso')

    def test_default_log_names_what_differs(self):
        self.assertEqual(os.path.basename(cell(boot='iso', firmware='uefi').default_log()), 'iso-uefi-kvm-full.log')
        self.assertEqual(os.path.basename(cell('nested', stack='debian13').default_log()),
                         'kernel-nested-full-debian13.log')
        self.assertEqual(os.path.basename(cell('nested').default_log()), 'kernel-nested-full.log')

    def test_l2_args(self):
        self.assertEqual(cell('tcg', firmware='qboot').l2_args(TABLE), ['-M', 'pc', '-bios', 'qboot.rom'])
        self.assertEqual(cell('kvm').l2_args(TABLE), TABLE.l2_args('full', 'pc'))

    def test_kernel_args_every_boot_gets(self):
        user = KernelArgs.parse(['verbose', 'after=post.a'])
        self.assertEqual(cell('tcg').kernel_args(user, TABLE).words, ('verbose',), 'tcg requires nothing')
        self.assertEqual(cell('kvm').kernel_args(user, TABLE, ['simp_off']).words,
                         ('verbose', 'avoid=simp_off', 'require=' + TABLE.requires('full', 1), 'console=virtio'),
                         'kvm boots get the virtio console too (kernel/console.h console_sync_host)')
        self.assertEqual(cell('nested', smp=2).kernel_args(user, TABLE).words[-2:],
                         ('require=' + TABLE.requires('full', 2), 'console=virtio'))
        mine = KernelArgs.parse(['require=hyperv', 'console=com1'])
        self.assertEqual(cell('nested').kernel_args(mine, TABLE), mine, 'the user\'s keys are not given twice')

    def test_meta_carries_the_binary_under_test(self):
        self.assertNotIn('qemu', cell().meta(None))
        self.assertEqual(cell(qemu={'path': '/q'}).meta({'kernel': '6.1'})['qemu'], {'path': '/q'})


class FakeL1:
    """nested.Nested as a booter calls it."""
    saving, versions = 0.0, {'qemu': '7.2'}

    def __init__(self, result):
        self.result, self.calls = result, []

    def boot(self, *args, **kw):
        self.calls.append((args, kw))
        return self.result


class BooterTest(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.tmp, self.notes = d.name, []

    def booter(self, c, l1=None, **kw):
        return booters.booter_for(c, c.l2_args(TABLE), self.tmp, self.notes.append, l1=l1, **kw)

    def test_the_mode_chooses_the_booter(self):
        self.assertIsInstance(self.booter(cell('kvm')), booters.DirectBooter)
        self.assertIsInstance(self.booter(cell('tcg')), booters.DirectBooter)
        self.assertIsInstance(self.booter(cell('nested'), FakeL1(None)), booters.NestedBooter)
        with self.assertRaisesRegex(ValueError, 'none given'):
            self.booter(cell('nested'))
        self.assertEqual((self.booter(cell('nested', firmware='uefi', boot='efi'), FakeL1(None)).timeout,
                          self.booter(cell('kvm')).timeout, self.booter(cell('kvm'), timeout=7).timeout),
                         (600, 60, 7))

    def test_nested_passes_the_cell_and_the_args(self):
        l1 = FakeL1(BootResult(How.CRASHED, 127, stderr=('qemu: abort',)))
        c = cell('nested', boot='iso', firmware='uefi', smp=2)
        b = self.booter(c, l1, seen={'post.b': 4.5})
        args, out = KernelArgs.parse(['tests=post.*', 'after=post.b']), Out()
        with mock.patch.object(images, 'image_for', lambda boot, a, tmp: '/img/' + boot):
            r = b(args, out)
        (path, image, append, l2args, smp, limit, _, longest, deadline), kw = l1.calls[0]
        self.assertEqual((path, image, append, smp, limit, longest, kw), ('iso', '/img/iso', args.line(), 2, 600,
                                                                         4.5, {'uefi': True}))
        self.assertEqual(l2args, c.l2_args(TABLE))
        self.assertEqual((r.how, b.workers, b.versions), (How.CRASHED, 2, {'qemu': '7.2'}))
        self.assertEqual(out.record, ['ended: died: QEMU crashed or aborted', 'stderr: qemu: abort'])
        self.assertIn('L2 stderr: qemu: abort', self.notes)

    def test_infra_and_exits_get_no_host_record(self):
        for r in (BootResult.infra('L1 hung'), BootResult(How.EXITED, 33)):
            out = Out()
            self.assertEqual(self.booter(cell('nested'), FakeL1(r))(KernelArgs(), out), r)
            self.assertEqual(out.record, [], r)

    def direct_boot(self, c, result, printed=b'', err=''):
        calls = []

        def run(cmd, limit, out, err_path):
            calls.append((cmd, limit))
            out(printed)
            with open(err_path, 'w') as f:
                f.write(err)
            return result
        out = Out()
        with mock.patch.object(direct, 'run', run), mock.patch.object(sys, 'stderr', mock.Mock()):
            r = self.booter(c)(KernelArgs.parse(['tests=hv.detect']), out)
        return r, out, calls[0]

    def test_direct_runs_the_binary_under_test_with_the_args(self):
        r, out, (cmd, limit) = self.direct_boot(cell('tcg', qemu={'path': '/opt/q/qemu-system-x86_64'}),
                                                BootResult(How.EXITED, 33), b'ok\n')
        self.assertEqual(cmd[0], '/opt/q/qemu-system-x86_64')
        self.assertEqual(cmd[cmd.index('-accel') + 1], 'tcg')
        self.assertEqual(cmd[cmd.index('-append') + 1], 'tests=hv.detect')
        self.assertEqual((r, limit, out.record), (BootResult(How.EXITED, 33), 60, []))
        r, _, (cmd, _) = self.direct_boot(cell('kvm'), BootResult(How.EXITED, 33), b'ok\n')
        self.assertEqual(cmd[0], 'qemu-system-x86_64')

    def test_direct_qemu_that_could_not_start_failed(self):
        r, out, _ = self.direct_boot(cell('kvm'), BootResult(How.EXITED, 1), err='qemu: -device x: not found\n')
        self.assertEqual((r.how, r.stderr, out.record), (How.FAILED, ('qemu: -device x: not found',), []))
        r, out, _ = self.direct_boot(cell('kvm'), BootResult(How.TIMEOUT, None), b'TAP', 'late\n')
        self.assertEqual(out.record, ['ended: timed out after 60 s', 'stderr: late'])

    def test_a_bounded_timeout_is_the_runs_deadline(self):
        b = self.booter(cell('nested'), FakeL1(BootResult(How.EXITED, 33)), timeout=5, bounded=True)
        self.assertIsNone(b.deadline(), 'no deadline before the first boot')
        b.begin()
        self.assertAlmostEqual(b.deadline(), time.monotonic() + 5, delta=1)
        b.l1.saving = 3.0       # the L1 saved again: setup, not the run's time
        self.assertAlmostEqual(b.deadline(), time.monotonic() + 8, delta=1)
        b.started -= 10
        r = b(KernelArgs(), Out())
        self.assertEqual((r.how, r.why, b.l1.calls), (How.INFRA, 'no time left to boot', []))
        unbounded = self.booter(cell('kvm'), timeout=5)
        unbounded.begin()
        self.assertIsNone(unbounded.deadline(), 'a matrix cell\'s --timeout is per boot')


class BootResultTest(unittest.TestCase):
    def test_describe_says_how_it_ended(self):
        self.assertEqual([r.describe(60) for r in (
            BootResult(How.EXITED, 33), BootResult(How.FAILED, 1), BootResult(How.SIGNAL, -9),
            BootResult(How.CRASHED, 127), BootResult.infra('L1 hung'))],
            ['ended with status 33', 'ended with status 1', 'killed by signal 9', 'died: QEMU crashed or aborted',
             'not the hypervisor under test: L1 hung'])
        self.assertEqual(BootResult(How.TIMEOUT).describe(5, bounded=True),
                         "timed out after 5 s (--timeout: the whole run's limit)")
        self.assertTrue(BootResult.infra('x').is_infra)
        self.assertFalse(BootResult(How.CRASHED, 127).is_infra)


class HistoryKeyTest(unittest.TestCase):
    def test_the_key_names_every_coordinate(self):
        self.assertEqual(cell('nested', boot='iso', firmware='uefi', smp=2).history_key('prof.txt'),
                         'nested|debian12|full|pc|iso|uefi|2|prof.txt')
        self.assertTrue(cellrun.HISTORY.endswith('runner-deaths.json'))


if __name__ == '__main__':
    unittest.main()
