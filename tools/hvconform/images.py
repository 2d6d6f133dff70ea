"""Boot images that carry kernel arguments, on every boot path:
  kernel  the ELF itself (QEMU -append carries the arguments)
  iso     a per-run ISO whose first grub.cfg entry carries them (grub-mkrescue)
  efi     a per-run copy of the ESP image holding \\EFI\\BOOT\\cmdline.txt
  (nested gen2: the warm ISO below, the arguments typed on GRUB's serial line)
The arguments reach the kernel byte for byte: no shell, awk or GRUB expansion."""

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile

from .configs import ROOT

# the images make builds
BUILT_ELF = os.path.join(ROOT, 'build', 'hvconform.elf')
BUILT_ISO = os.path.join(ROOT, 'build', 'hvconform.iso')
BUILT_ESP = os.path.join(ROOT, 'build', 'hvconform-efi.img')
GRUB_CFG = os.path.join(ROOT, 'iso', 'grub.cfg')


class ImageError(Exception):
    pass


# built image -> this run's copy of it, once snapshot() took one
_copies = {}
# copy -> the build's file, for command lines printed for a user to rerun
ORIGINAL = {}


def booted(built):
    """The file boots read for a built image (BUILT_*): this run's copy after
    snapshot(), else the build's own."""
    return _copies.get(built, built)


def copy_locked(srcs, d):
    """{src: its copy in d} for the files of srcs that exist, taken holding
    the build lock shared (make holds it alone), so no build relinks one
    while it is read."""
    os.makedirs(d, exist_ok=True)
    copies = {}
    with open(os.path.join(ROOT, 'build', '.make.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        for src in srcs:
            if os.path.isfile(src):
                copies[src] = os.path.join(d, os.path.basename(src))
                shutil.copyfile(src, copies[src])
    return copies


def snapshot(tmp, boot):
    """Copy the images `boot` needs into this run's tmp and boot the copies
    from then on: a build that relinks them meanwhile (another run after a
    source change, or make) can't pull an image from under this run."""
    built = {'kernel': (BUILT_ELF,), 'iso': (BUILT_ELF, BUILT_ISO), 'efi': (BUILT_ESP,)}[boot]
    copies = copy_locked([booted(b) for b in built], os.path.join(tmp, 'images'))
    ORIGINAL.clear()
    ORIGINAL.update({copy: src for src, copy in copies.items()})
    for b in built:
        if booted(b) in copies:
            _copies[b] = copies[booted(b)]


def grub_cfg_with(args, text):
    """grub.cfg text whose first multiboot2 line carries args (KernelArgs)."""
    out, done = [], False
    for line in text.split('\n'):
        if not done and line.split()[:1] == ['multiboot2']:
            line = line + args.grub_words()
            done = True
        out.append(line)
    if not done:
        raise ImageError('%s has no multiboot2 line' % GRUB_CFG)
    return '\n'.join(out)


OWN_COPY = 'image.'     # prefix of a boot's own image directory in tmp

# The warm ISO (nested gen2, warm.py): the build's kernel and grub.cfg, but
# its first entry prints WARM_MARKER and reads the kernel's arguments from
# the serial line instead of carrying them, so that one L2 saved there (OVMF
# started, GRUB waiting) serves every boot, whatever its arguments.
WARM_MARKER = '@@hvconform-grub-reads-arguments@@'
WARM_DIR = os.path.join(ROOT, 'build', 'warm')
WARM_KEEP = 4


def warm_grub_cfg(text):
    """grub.cfg text whose first multiboot2 line takes its arguments from a
    line GRUB reads (echoed as typed; a newline after it ends that line)."""
    out, done = [], False
    for line in text.split('\n'):
        if not done and line.split()[:1] == ['multiboot2']:
            pad = line[:len(line) - len(line.lstrip())]
            # input from EFI's console only: OVMF's TerminalDxe polls COM1 on a
            # timer of its own (TerminalConInTimerHandler), so with GRUB's
            # serial terminal as well two readers took the typed bytes (once
            # GRUB read a stray '`' before them, in 1 of about 90 boots)
            out += [pad + 'echo "%s"' % WARM_MARKER, pad + 'terminal_input console', pad + 'read hvc_args',
                    pad + 'echo']
            line += ' $hvc_args'
            done = True
        out.append(line)
    if not done:
        raise ImageError('%s has no multiboot2 line' % GRUB_CFG)
    return '\n'.join(out)


def warm_iso():
    """The warm ISO of this run's kernel: built once per kernel and
    grub.cfg (grub-mkrescue makes a new volume id each time, and a saved L2
    only resumes on the very bytes it started from), then kept."""
    with open(booted(BUILT_ELF), 'rb') as f:
        elf = f.read()
    with open(GRUB_CFG) as f:
        cfg = warm_grub_cfg(f.read())
    key = hashlib.sha256(elf + b'\0' + cfg.encode()).hexdigest()[:16]
    out = os.path.join(WARM_DIR, 'warm-%s.iso' % key)
    if os.path.exists(out):
        return out
    os.makedirs(WARM_DIR, exist_ok=True)
    # one builder at a time, and a built one is never replaced: two boots
    # that each built it got two ISOs (a new volume id each), so two saved
    # L2s, and a boot could restore its L2 onto the other's bytes
    with open(os.path.join(WARM_DIR, '.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(out):
            _build_warm(elf, cfg, out)
    return out


def _build_warm(elf, cfg, out):
    d = tempfile.mkdtemp(prefix='warm.', dir=WARM_DIR)
    try:
        os.makedirs(os.path.join(d, 'iso', 'boot', 'grub'))
        with open(os.path.join(d, 'iso', 'boot', 'hvconform.elf'), 'wb') as f:
            f.write(elf)
        with open(os.path.join(d, 'iso', 'boot', 'grub', 'grub.cfg'), 'w') as f:
            f.write(cfg)
        r = subprocess.run(['grub-mkrescue', '-o', os.path.join(d, 'warm.iso'), os.path.join(d, 'iso')],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if r.returncode:
            raise ImageError('grub-mkrescue failed: ' + r.stdout.decode(errors='replace')[-800:])
        os.replace(os.path.join(d, 'warm.iso'), out)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    for old in sorted((n for n in os.listdir(WARM_DIR) if n.startswith('warm-') and n.endswith('.iso')),
                      key=lambda n: os.path.getmtime(os.path.join(WARM_DIR, n)), reverse=True)[WARM_KEEP:]:
        try:
            os.remove(os.path.join(WARM_DIR, old))     # an older kernel's (a boot that has it open keeps it)
        except OSError:
            pass


def image_for(boot, args, tmp):
    """The image to boot with these arguments (KernelArgs; a copy of its own
    in tmp when the arguments must live inside it: boots may run side by side)."""
    if boot == 'kernel':
        return booted(BUILT_ELF)
    if args:
        tmp = tempfile.mkdtemp(prefix=OWN_COPY, dir=tmp)
    if boot == 'iso':
        if not args:
            return booted(BUILT_ISO)
        d = os.path.join(tmp, 'isodir')
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, 'boot', 'grub'))
        shutil.copy(booted(BUILT_ELF), os.path.join(d, 'boot', 'hvconform.elf'))
        with open(GRUB_CFG) as f:
            cfg = grub_cfg_with(args, f.read())
        with open(os.path.join(d, 'boot', 'grub', 'grub.cfg'), 'w') as f:
            f.write(cfg)
        out = os.path.join(tmp, 'run.iso')
        r = subprocess.run(['grub-mkrescue', '-o', out, d], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode:
            raise ImageError('grub-mkrescue failed: ' + r.stdout.decode(errors='replace')[-800:])
        return out
    if boot == 'efi':
        out = os.path.join(tmp, 'run.img')
        shutil.copy(booted(BUILT_ESP), out)
        if args:
            txt = os.path.join(tmp, 'cmdline.txt')
            with open(txt, 'w') as f:
                f.write(args.efi_text())
            r = subprocess.run(['mcopy', '-o', '-i', out, txt, '::/EFI/BOOT/cmdline.txt'],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            if r.returncode:
                raise ImageError('mcopy failed: ' + r.stdout.decode(errors='replace'))
        return out
    raise ImageError('unknown boot path %r' % boot)
