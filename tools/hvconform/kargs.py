"""The kernel's command line as one value (the grammar is harness/cmdline.c's:
space-separated words, each `key` or `key=value`; tests= and avoid= may
repeat, every other key may not).

    KernelArgs.parse(words)   the user's words, checked: each must reach the kernel
                              unchanged on every boot path (KargsError otherwise)
    KernelArgs.read(line)     a command line as a log prints it (never raises)
    a.after, a.until, a.seed_given ... the words the runner decides on, by name
    a.plus(key, value)        a new value with one more word (the kernel sees it last)
    a.resumed(after)          the same words resuming after a test (after= last)
    a.ending(name)            the same words ending after a test (until= last)
    a.append_line()           multiboot1: QEMU -kernel's -append string
    a.grub_words()            GRUB 2: the quoted words for grub.cfg's multiboot2 line
    a.efi_text()              GNU-EFI: \\EFI\\BOOT\\cmdline.txt's text

What the kernel refuses (an unknown key, a malformed value, a key given
twice) is passed on unchanged: the kernel's Bail out says why, in the log.
Only what no boot path can carry is refused here."""

import re

# boot/efi_main.c reads cmdline.txt into a buffer of this size
EFI_CMDLINE_MAX = 1024
# characters every boot path passes unchanged (cmdline.c splits on spaces)
WORD_RE = re.compile(r'^[\x21-\x7e]+$')


class KargsError(ValueError):
    """Kernel arguments that some boot path would change or cut."""


class KernelArgs:
    """Words in the order the kernel sees them; immutable."""

    def __init__(self, words=()):
        self.words = tuple(words)

    @classmethod
    def parse(cls, words):
        """The user's (or a configuration's) words, refused when a boot path
        could not carry them byte for byte."""
        for w in words:
            if not WORD_RE.match(w):
                raise KargsError('kernel argument %r: only printable ASCII without spaces can reach the '
                                 'kernel unchanged on every boot path' % w)
        a = cls(words)
        if len(a.line()) + 1 > EFI_CMDLINE_MAX:
            raise KargsError('kernel arguments are %d bytes; the EFI path takes at most %d'
                             % (len(a.line()), EFI_CMDLINE_MAX - 1))
        return a

    @classmethod
    def read(cls, line):
        """A command line as the kernel printed it (`# command line:`)."""
        return cls(line.split())

    def values(self, key):
        """The values of every `key=VALUE` word, in order (a bare `key` has none)."""
        return [w[len(key) + 1:] for w in self.words if w.startswith(key + '=')]

    def has(self, key):
        """Whether a word gives key, bare or with a value."""
        return any(w == key or w.startswith(key + '=') for w in self.words)

    def first(self, key):
        v = self.values(key)
        return v[0] if v else None

    @property
    def after(self):
        """The test this boot resumes after (`after=NAME`), or None."""
        return self.first('after')

    @property
    def until(self):
        """The test this boot ends after (`until=NAME`), or None."""
        return self.first('until')

    @property
    def seed_given(self):
        return self.has('seed')

    @property
    def selects_all(self):
        """Whether the whole suite runs from its start to its end (no tests=,
        after=, until=, list)."""
        return not any(self.has(k) for k in ('tests', 'after', 'until', 'list'))

    def plus(self, key, value=None):
        return KernelArgs(self.words + (key if value is None else '%s=%s' % (key, value),))

    def plus_missing(self, key, value):
        """plus(key, value) unless the words already give key."""
        return self if self.has(key) else self.plus(key, value)

    def without(self, key):
        """These words less every `key=VALUE` (a bare `key` stays: the kernel
        refuses it with its reason)."""
        return KernelArgs(w for w in self.words if not w.startswith(key + '='))

    def resumed(self, after):
        """These words booting after `after` (None or '': from the start)."""
        a = self.without('after')
        return a.plus('after', after) if after else a

    def ending(self, name):
        """These words ending after the test `name` (until= last, in place of
        any until= given: a name the boot reached lies within it)."""
        return self.without('until').plus('until', name)

    def line(self):
        return ' '.join(self.words)

    # one rendering per boot path

    def append_line(self):
        """multiboot1: QEMU passes -append's string to the kernel as it is."""
        return self.line()

    def grub_words(self):
        """GRUB 2 script: each word single-quoted (as sh: inside, nothing is
        special), so GRUB hands it to multiboot2 unchanged."""
        return ''.join(" '" + w.replace("'", "'\\''") + "'" for w in self.words)

    def efi_text(self):
        """cmdline.txt, read by boot/efi_main.c up to its first line end."""
        return self.line() + '\n'

    def __eq__(self, other):
        return isinstance(other, KernelArgs) and self.words == other.words

    def __hash__(self):
        return hash(self.words)

    def __bool__(self):
        return bool(self.words)

    def __repr__(self):
        return 'KernelArgs(%r)' % (list(self.words),)
