"""run-qemu.sh: boot the test kernel in the best mode this host offers, stream
its serial output, resume after a dying VM, and return the checker's verdict.
See cli.USAGE for the interface and its exit statuses."""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from . import BadInput, chain, logfiles, cli, configs, direct, hostqemu, images, jsonfile, l1jobs, nested, qemubin, verdict
from . import profile as profile_mod
from .configs import ROOT, Table
from .kargs import KernelArgs
from .l1saved import tail
from .tap import clean

ENV, USAGE_RC = 3, 2


class EnvError(Exception):
    pass


_cell = threading.local()      # a matrix cell's label, when cells run side by side
_out_lock = threading.Lock()


def note(msg):
    label = getattr(_cell, 'label', None)
    with _out_lock:
        sys.stderr.write('run-qemu: %s%s\n' % ('[%s] ' % label if label else '', msg))
        sys.stderr.flush()


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


def kvm_probe(table, tmp, built=None, qemu=None):
    """(ok, why): host KVM runs the kernel with the full flags and it sees Hv#1;
    why names the probe's command and ends with its last lines.
    built: waits for the kernel image, when it is still being built; qemu:
    the binary under test (--qemu), else the host's."""
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return False, ('/dev/kvm is missing' if not os.path.exists('/dev/kvm') else
                       '/dev/kvm is not read-write for this user')
    if built:
        built()
    cmd = direct.qemu_command('kvm', 'kernel', 'bios', images.booted(images.BUILT_ELF),
                              KernelArgs(['tests=hv.detect']),
                              table.l2_args('full', 'pc'), 1, tmp, qemu=qemu)
    out = bytearray()
    st, how = direct.run(cmd, 20, out.extend, os.path.join(tmp, 'probe.err'))
    if st == 33 and b'"Hv#1"' in out:
        return True, ''
    err = open(os.path.join(tmp, 'probe.err'), errors='replace').read()
    serial = out.decode(errors='replace').replace('\r', '')
    said = err.strip() and ('; its stderr:' + tail(err, 6)) or \
        (serial.strip() and '; its serial output:' + tail(serial, 6)) or ' and printed nothing'
    verdict = 'the kernel did not see "Hv#1"' if st in (33, 35) else describe(st, how, 20)
    return False, 'the probe boot `%s` %s%s' % (' '.join(shlex.quote(images.ORIGINAL.get(c, c)) for c in cmd),
                                                 verdict, said)


def choose_mode(o, table, stack, tmp, built=None):
    """The mode to run in. auto: kvm, else nested; a host where neither
    reaches Hyper-V is an environment error naming both reasons (plain TCG
    runs only when asked: it tests no Hyper-V at all)."""
    mode = o['mode']
    if mode in ('auto', 'kvm'):
        under_test = o.get('qemu_ids') or [{}]
        ok, why = kvm_probe(table, tmp, built, under_test[0].get('path'))
        if ok:
            note('mode kvm (host KVM offers Hyper-V enlightenments)')
            return 'kvm'
        if mode == 'kvm':
            raise EnvError('--mode kvm: host KVM with Hyper-V enlightenments does not work: ' + why)
        note('host KVM offers no Hyper-V: %s' % why)
        try:
            nested.build_cache(stack, note)
        except nested.NestedError as e:
            # (a NestedError: --matrix reports it for this stack)
            raise nested.NestedError('no mode reaches Hyper-V on this host (--mode auto):\n  kvm: %s\n'
                                     '  nested: %s\n  (--mode tcg runs the suite without Hyper-V: '
                                     'every Hyper-V test SKIPs)' % (why, e))
        note('mode nested (nested runner ready)')
        return 'nested'
    if mode == 'nested':
        nested.build_cache(stack, note)
    note('mode ' + mode)
    return mode


def default_log(o, mode, stack, config, machine):
    boot = 'iso-uefi' if (o['boot'], o['firmware']) == ('iso', 'uefi') else o['boot']
    parts = [boot, mode, config] + ([machine] if machine != 'pc' else []) + \
        ([stack] if mode == 'nested' and stack != 'debian12' else [])
    return os.path.join(ROOT, 'build', 'logs', '-'.join(parts) + '.log')


def run_cell(o, table, stack, config, machine, mode, runner_nested, tmp, log=None, junit=None,
             json_out=None, label=None, qemu=None):
    """One configuration, crash-resumed; returns the checker's status. label:
    a matrix cell run beside others (its serial output goes to its log only,
    its notes are tagged with the label, its report comes in one piece);
    qemu: the identity of the binary under test (--qemu), None for the stack's."""
    _cell.label = label
    try:
        return _run_cell(o, table, stack, config, machine, mode, runner_nested, tmp, log, junit,
                         json_out, label, qemu)
    finally:
        _cell.label = None


def _run_cell(o, table, stack, config, machine, mode, runner_nested, tmp, log, junit, json_out, label, qemu):
    smp = table.smp(config, o['smp'])
    timeout = o['timeout'] or (nested.boot_timeout(o['firmware']) if mode == 'nested' else 60)
    # a given --timeout bounds the run's boots together (reruns, resumes and
    # the L1s they wait for included), not only each one; a matrix cell's
    # boots also wait for other cells' slots: there it is per boot
    bounded = o['timeout'] and label is None and not o['matrix']
    start = []                      # when the first boot starts

    def deadline():
        """When the run must end (--timeout), or None; a damaged saved L1's
        new save is setup, not the run's time."""
        if not bounded or not start:
            return None
        return start[0] + timeout + getattr(runner_nested, 'saving', 0)
    if mode == 'tcg':
        l2args = ['-M', table.machines[machine]['qemu']]
        note('tcg: no Hyper-V (TCG offers no hv-* enlightenments); --config %s does not apply, '
             'Hyper-V tests SKIP' % config)
    else:
        l2args = table.l2_args(config, machine)
        note('config %s, machine %s, %d VP(s): %s' % (config, machine, smp, ' '.join(l2args)))
    l2args += configs.firmware_args(o['firmware'])
    profile = o['profile'] or table.profile(stack, config, mode)
    if profile is None:
        note('no profile for %s/%s: checking without one' % (stack, config))
    prof = read_profile(profile) if profile not in (None, 'none') else None
    avoid = prof.avoid if prof else []
    # the log, held to the end; its earlier pieces and outputs are gone from here on
    log, _lock = o.get('claimed') if log is None and o.get('claimed') else \
        logfiles.claim(log or o['log'], default_log(o, mode, stack, config, machine), note)
    for path in (junit or o['junit'], json_out or o['json']):
        logfiles.remove(path)
    base = o['kargs'].without('after')
    if avoid:       # inputs this host can't survive, from the profile (never from the kernel)
        base = base.plus('avoid', ','.join(avoid))
        note('profile %s: avoid=%s' % (profile, ','.join(avoid)))
    if mode != 'tcg':
        # what the configuration's guest must have: missing, the kernel bails out
        base = base.plus_missing('require', table.requires(config, smp))
    if mode == 'nested':
        # L2 has a virtio console beside COM1 (tools/nested/init): the same
        # bytes with one exit per line instead of two per byte
        base = base.plus_missing('console', 'virtio')
    first_after = o['kargs'].after
    workers = l1jobs.SLOTS if mode == 'nested' else 1
    hkey = '|'.join(map(str, (mode, stack, config, machine, o['boot'], o['firmware'], smp, profile)))
    seen = jsonfile.read(HISTORY).get(hkey)
    seen = seen if isinstance(seen, dict) else None     # none yet, or a hand-edited file
    ahead = chain.speculate(o['kargs'], prof, workers, seen)
    if ahead:
        # the boots started ahead need the run's seed before the first boot prints it
        base = base.plus_missing('seed', int.from_bytes(os.urandom(4), 'little') % 4000000000 + 1)

    def boot(args, out):
        limit = timeout if deadline() is None else deadline() - time.monotonic()
        if limit <= 0:      # not a result: the chain ends the run (ChainError)
            return None, 'infra: no time left to boot'
        limit = int(limit + 0.999)
        image = images.image_for(o['boot'], args, tmp)
        if mode == 'nested':
            boot_mode = 'iso-uefi' if (o['boot'], o['firmware']) == ('iso', 'uefi') else o['boot']
            try:
                # its seconds last time, for the slots' order (longest first)
                longest = (seen or {}).get(args.after or '', 0)
                st, how, err = runner_nested.boot(boot_mode, image, args.append_line(), l2args, smp, limit, out,
                                                  longest, deadline)
            finally:
                if os.path.basename(os.path.dirname(image)).startswith(images.OWN_COPY):
                    # this boot's own copy (on L1's disk now)
                    shutil.rmtree(os.path.dirname(image), ignore_errors=True)
            for line in err:
                note('L2 stderr: ' + line)
            if how != 'exited' and not how.startswith('infra'):
                out.host(['ended: ' + describe(st, how, timeout)] + ['stderr: ' + l for l in err])
            return st, how
        cmd = direct.qemu_command(mode, o['boot'], o['firmware'], image, args,
                                  l2args, smp, tmp, qemu=qemu and qemu['path'])
        # the build's image path, not this run's temporary copy: a user can rerun it
        note('QEMU: ' + ' '.join(shlex.quote(images.ORIGINAL.get(c, c)) for c in cmd))
        st, how = direct.run(cmd, limit, out, os.path.join(tmp, 'qemu.err'))
        err = open(os.path.join(tmp, 'qemu.err'), errors='replace').read().strip()
        if err:
            sys.stderr.write(err + '\n')
        if how == 'exited' and st == 1 and out.n == 0 and err:
            how = 'failed'
        if how not in ('exited', 'failed'):
            out.host(['ended: ' + describe(st, how, timeout)] + ['stderr: ' + l for l in err.split('\n') if l])
        return st, how

    def enter():
        _cell.label = label

    start.append(time.monotonic())
    replay = [n for n, e in prof.entries.items() if e.intermittent_death] if prof else []
    c = chain.Chain(boot, base, log, note, lambda st, how: describe(st, how, timeout, bounded), workers,
                    echo=label is None, enter=enter, deadline=deadline, replay=replay)
    try:
        pieces = c.run(first_after, ahead)
    except chain.ChainError as e:
        raise EnvError(str(e))
    if first_after is None and not o['kargs'].has('tests'):
        jsonfile.update(HISTORY, {hkey: c.took})
    pieces = logfiles.publish(pieces, log)
    meta = {'stack': stack, 'config': config, 'machine': machine, 'smp': smp, 'mode': mode,
            'versions': getattr(runner_nested, 'versions', None) or {}}
    if qemu:
        meta['qemu'] = qemu
    return check(pieces, log, prof, junit or o['junit'], json_out or o['json'], meta, label)


# per configuration: {test the VM died in: seconds the boot after it ran,
# '': the first boot's} on its last whole run. A hint for the boots started
# ahead (which ones, longest first), never a result: a wrong one costs a boot
# that is thrown away.
HISTORY = os.path.join(ROOT, 'build', 'runner-deaths.json')


def read_profile(path):
    try:
        return profile_mod.read(path)
    except BadInput as e:
        raise cli.Usage('--profile: %s' % e)


def describe(st, how, timeout, bounded=False):
    if how == 'timeout':
        return 'timed out after %d s%s' % (timeout, ' (--timeout: the whole run\'s limit)' if bounded else '')
    if how == 'signal':
        return 'killed by signal %d' % -st
    if how == 'crashed':
        return 'died: QEMU crashed or aborted'
    return 'ended with status %s' % st


def check(pieces, log, prof, junit, json_out, meta, label=None):
    """The checker's verdict on this run's pieces, in this process (as
    tools/check-log would give it: one parser, no second interpreter start);
    with a label, its report printed in one piece, headed by the label."""
    lines = []
    try:
        # the JSON carries the cell's coordinates, for the matrix
        rc = verdict.check(pieces, prof, junit, json_out, write=lines.append, json_extra=meta)
    except BadInput as e:
        note('check-log: %s' % clean(str(e), 400))
        rc = 2
    except Exception as e:      # never a traceback: say what broke
        note('check-log: internal error: %s: %s' % (type(e).__name__, e))
        rc = 2
    text = ''.join(line + '\n' for line in lines)
    if label is not None:
        text = '== %s (%s)\n' % (label, log) + text
    with _out_lock:
        sys.stdout.buffer.write(text.encode(errors='replace'))
        sys.stdout.flush()
    return rc


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
    runner_nested = None
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
            from . import matrix
            return matrix.run(o, table, tmp, run_cell, choose_mode, note)
        stack, config = (o['stack'] or ['debian12'])[0], (o['config'] or ['full'])[0]
        machine = o['machine'] or 'pc'
        qemu = (o['qemu_ids'] or [None])[0]
        try:
            mode = choose_mode(o, table, stack, tmp, built.join)
            if mode == 'nested':
                runner_nested = nested.Nested(stack, note, qemu=qemu, uefi=o['firmware'] == 'uefi')
        finally:
            built.join()
        return run_cell(o, table, stack, config, machine, mode, runner_nested, tmp, qemu=qemu)
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
        if runner_nested:
            runner_nested.close(final=True)
        shutil.rmtree(tmp, ignore_errors=True)
