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


if __name__ == '__main__':
    unittest.main()
