"""kargs.KernelArgs: the kernel's command line parsed once, by name, and
rendered once per boot path (multiboot1 -append, GRUB's grub.cfg, EFI's
cmdline.txt), as harness/cmdline.c reads it."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from hvconform import images, tap  # noqa: E402
from hvconform.kargs import EFI_CMDLINE_MAX, KargsError, KernelArgs  # noqa: E402


class ParseTest(unittest.TestCase):
    def test_words_a_boot_path_would_change_are_refused(self):
        for bad in ('tests=a b', 'seed=\u00e9', 'x\ty', ''):
            with self.assertRaisesRegex(KargsError, 'unchanged on every boot path'):
                KernelArgs.parse([bad])
        long = ['tests=' + 'a' * (EFI_CMDLINE_MAX - 6)]
        with self.assertRaisesRegex(KargsError, 'the EFI path takes at most %d' % (EFI_CMDLINE_MAX - 1)):
            KernelArgs.parse(long)
        self.assertEqual(len(KernelArgs.parse(['tests=' + 'a' * (EFI_CMDLINE_MAX - 7)]).line()),
                         EFI_CMDLINE_MAX - 1)

    def test_what_only_the_kernel_refuses_passes_unchanged(self):
        # unknown keys, repeated keys, bare valued keys: the kernel's Bail out says why
        words = ['bogus=1', 'seed=1', 'seed=2', 'after', 'tests=a.*', 'tests=b.c']
        self.assertEqual(KernelArgs.parse(words).words, tuple(words))

    def test_fields_by_name(self):
        a = KernelArgs.parse(['tests=a.*', 'after=post.b', 'seed=7', 'list', 'tests=b.c'])
        self.assertEqual(a.after, 'post.b')
        self.assertEqual(a.values('tests'), ['a.*', 'b.c'])
        self.assertTrue(a.seed_given and a.has('list') and a.has('tests'))
        self.assertFalse(a.has('console') or a.has('lis') or a.has('test'))
        self.assertEqual(KernelArgs.read('after=x.y after=z.w').after, 'x.y')
        self.assertIsNone(KernelArgs.read('list verbose').after)
        self.assertIsNone(KernelArgs.read('after').after, 'a bare after has no value')
        b = KernelArgs.parse(['until=post.c', 'after=post.a'])
        self.assertEqual((b.until, b.after), ('post.c', 'post.a'))
        self.assertIsNone(a.until)
        self.assertIsNone(KernelArgs.read('until').until, 'a bare until has no value')

    def test_selects_all(self):
        self.assertTrue(KernelArgs.parse(['seed=3', 'verbose', 'avoid=simp_off']).selects_all)
        for w in ('tests=post.a', 'after=post.a', 'until=post.a', 'list', 'after', 'until'):
            self.assertFalse(KernelArgs.parse([w]).selects_all, w)

    def test_new_values_leave_the_old_one_alone(self):
        a = KernelArgs.parse(['verbose', 'after=post.a'])
        b = a.without('after').plus('avoid', 'simp_off').plus_missing('seed', 9)
        self.assertEqual(a.words, ('verbose', 'after=post.a'))
        self.assertEqual(b.words, ('verbose', 'avoid=simp_off', 'seed=9'))
        self.assertEqual(b.plus_missing('seed', 10), b, 'a seed given stays the seed')
        self.assertEqual(b.resumed('post.c').words[-1], 'after=post.c')
        self.assertEqual(b.resumed('post.c').resumed(None), b)
        self.assertEqual(b.resumed('').words, b.words, 'an empty after= resumes from the start')
        self.assertEqual(KernelArgs.parse(['after', 'x']).without('after').words, ('after', 'x'),
                         'a bare after stays for the kernel to refuse')

    def test_ending_puts_one_until_last(self):
        a = KernelArgs.parse(['until=post.z', 'verbose', 'after=post.a'])
        self.assertEqual(a.ending('post.c').words, ('verbose', 'after=post.a', 'until=post.c'),
                         'the until= given gives way (the test ended at lies within it)')
        self.assertEqual(a.words[0], 'until=post.z')
        b = KernelArgs.parse(['seed=4']).ending('post.b')
        self.assertEqual((b.words, b.until), (('seed=4', 'until=post.b'), 'post.b'))
        self.assertEqual(b.ending('post.b'), b)
        self.assertEqual(b.resumed('post.a').words, ('seed=4', 'until=post.b', 'after=post.a'))


class RenderTest(unittest.TestCase):
    ARGS = KernelArgs.parse(["tests=post.*,abi.x", "seed=0x1f", "it's=$HOME;`x`"])

    def test_multiboot1_append_is_the_line(self):
        self.assertEqual(self.ARGS.append_line(), "tests=post.*,abi.x seed=0x1f it's=$HOME;`x`")
        self.assertEqual(KernelArgs().append_line(), '')

    def test_grub_words_are_quoted_for_grub_script(self):
        cfg = 'set timeout=0\nmenuentry "x" {\n  multiboot2 /boot/hvconform.elf\n  boot\n}\n'
        out = images.grub_cfg_with(self.ARGS, cfg)
        line = [ln for ln in out.split('\n') if 'multiboot2' in ln][0]
        self.assertEqual(line, "  multiboot2 /boot/hvconform.elf 'tests=post.*,abi.x' 'seed=0x1f' "
                               "'it'\\''s=$HOME;`x`'")
        self.assertEqual(images.grub_cfg_with(KernelArgs(), cfg), cfg)
        with self.assertRaises(images.ImageError):
            images.grub_cfg_with(self.ARGS, 'menuentry "x" {\n}\n')

    def test_efi_text_is_one_line(self):
        self.assertEqual(self.ARGS.efi_text(), self.ARGS.line() + '\n')

    def test_the_log_reads_back_what_was_rendered(self):
        log = 'TAP version 13\n# command line: %s\n1..0\n' % self.ARGS.resumed('post.a').append_line()
        self.assertEqual(tap.parse(log).after, 'post.a')


if __name__ == '__main__':
    unittest.main()
