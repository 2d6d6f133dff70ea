"""run-qemu.sh: boot the test kernel in the best mode this host offers, stream
its serial output, resume after a dying VM, and return the checker's verdict.
See cli.USAGE for the interface and its exit statuses."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from . import EnvError, cellrun, cli, direct, hostqemu, images, logfiles, matrix, modes, nested, qemubin
from .cell import Cell
from .configs import ROOT, Table
from .notes import note

ENV, USAGE_RC = 3, 2


def qemu_version():
    try:
        out = hostqemu.version_output()
    except FileNotFoundError:
        raise EnvError('qemu-system-x86_64 not found: apt-get install qemu-system-x86 '
                       '(or run scripts/install-deps.sh)')
    return out.decode(errors='replace').split('\n')[0]


def prepare(o):
    """Packages, before anything else; returns the host QEMU's version."""
    if not o['no_deps'] and not os.environ.get('HVCONFORM_NO_DEPS'):
        if subprocess.run(['sh', os.path.join(ROOT, 'scripts', 'install-deps.sh')],
                          stdin=subprocess.DEVNULL, stdout=sys.stderr).returncode:
            raise EnvError('missing Debian packages: `sh scripts/install-deps.sh` failed '
                           '(its install-pkgs lines above name them)')
    return qemu_version()


def build_images(o, tmp):
    """The images this run boots, built and copied into tmp, before anything boots."""
    target = {'kernel': 'all', 'iso': 'iso', 'efi': 'efi'}[o['boot']]
    targets = ['all'] if target == 'all' else ['all', target]
    if not o['no_build']:
        # one build at a time: parallel runs would race on the same objects
        os.makedirs(os.path.join(ROOT, 'build'), exist_ok=True)
        r = subprocess.run(['flock', os.path.join(ROOT, 'build', '.make.lock'), 'make', '-s',
                            '--no-print-directory', '-C', ROOT] + targets,
                           stdin=subprocess.DEVNULL, stdout=sys.stderr)
        if r.returncode:
            raise EnvError('make %s failed' % ' '.join(targets))
    image = images.booted({'kernel': images.BUILT_ELF, 'iso': images.BUILT_ISO, 'efi': images.BUILT_ESP}[o['boot']])
    if not os.path.isfile(image):
        raise EnvError('%s is missing: build it with make %s' % (image, target))
    if o['firmware'] == 'uefi':
        for f in (direct.OVMF_CODE, direct.OVMF_VARS):
            if not os.access(f, os.R_OK):
                raise EnvError('OVMF not found (%s): apt-get install ovmf' % f)
    images.snapshot(tmp, o['boot'])


class Background:
    """A call in a thread of its own; join() returns its result or raises its error."""

    def __init__(self, fn, *args):
        self.result, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(fn,) + args, daemon=True)
        self.thread.start()

    def _run(self, fn, *args):
        try:
            self.result = fn(*args)
        except BaseException as e:      # handed to join()'s caller
            self.error = e

    def join(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result


def main(argv):
    table = Table()
    try:
        o = cli.parse(argv, table)
    except cli.Usage as e:
        note(str(e))
        note('see ./run-qemu.sh --help')
        return USAGE_RC
    if o['help']:
        sys.stdout.write(cli.usage_text(table))
        return 0
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(130))
    tmp = tempfile.mkdtemp(prefix='run-qemu.')
    l1s = None
    try:
        # a given log, JUnit or JSON file is this run's from the start: a run
        # that fails before its check leaves none of them, never an earlier run's
        if o['log'] and not o['matrix']:
            o['claimed'] = logfiles.claim(o['log'], o['log'], note)
        for path in (o['junit'], o['json']):
            logfiles.remove(path)
        note('host ' + prepare(o))
        o['qemu_ids'] = [qemubin.identity(n, p) for n, p in o['qemu']]
        for ident in o['qemu_ids']:
            note('QEMU under test: ' + qemubin.describe(ident))
        # make and the image copies run while the mode is chosen and a saved
        # L1 is restored (~0.1-0.2 s off each run)
        built = Background(build_images, o, tmp)
        if o['matrix']:
            built.join()
            return matrix.run(o, table, tmp)
        stack, config = (o['stack'] or ['debian12'])[0], (o['config'] or ['full'])[0]
        qemu = (o['qemu_ids'] or [None])[0]
        try:
            cell = Cell.of(o, table, stack, config, modes.choose(o, table, stack, tmp, built.join), qemu)
            if cell.mode == 'nested':
                l1s = nested.Nested(stack, note, qemu=qemu, uefi=cell.uefi)
        finally:
            built.join()
        return cellrun.run(o, table, cell, tmp, l1=l1s)
    except cli.Usage as e:
        note(str(e))
        return USAGE_RC
    except (EnvError, logfiles.Busy, nested.NestedError, images.ImageError) as e:
        note('error: %s' % e)
        return ENV
    except OSError as e:        # a full disk, a read-only output directory, ...
        note('error: %s' % e)
        return ENV
    except KeyboardInterrupt:
        note('interrupted')
        return 130
    finally:
        if l1s:
            l1s.close(final=True)
        shutil.rmtree(tmp, ignore_errors=True)
