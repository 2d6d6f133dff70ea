"""The configuration table (tools/configs.cfg) as Python: stacks, machines,
configurations, and the QEMU arguments they spell. Nothing else in the
project spells QEMU flags for L2."""

import configparser
import functools
import os

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TOOLS)
TABLE = os.path.join(TOOLS, 'configs.cfg')
# found in QEMU's data directory, or in -L /fw in the nested L1
FIRMWARE_ARGS = {'qboot': ['-bios', 'qboot.rom']}


@functools.lru_cache(maxsize=None)
def default_memory():
    """The table's L2 memory (read once: every boot asks)."""
    return Table().defaults.get('memory', '256')


def machine_args(smp, memory=None):
    """What every L2 boot has, direct or nested: VPs, memory (the table's
    default), no default devices, no reboot (a triple fault ends QEMU), and
    the exit port the kernel reports its verdict through."""
    memory = memory or default_memory()
    return ['-m', str(memory), '-smp', str(smp), '-nodefaults', '-no-reboot', '-display', 'none',
            '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']


def firmware_args(firmware):
    """QEMU arguments choosing a BIOS (SeaBIOS is QEMU's own default;
    OVMF's flash drives are the runner's, which copies its variables)."""
    return FIRMWARE_ARGS.get(firmware, [])


def accel_args(accel, firmware_dir=None):
    """The accelerator, and where QEMU finds its firmware files when that is
    not its data directory (-L: the nested L1's /fw)."""
    return ['-accel', accel] + (['-L', firmware_dir] if firmware_dir else [])


def boot_args(boot, uefi, image, append, ovmf_code=None, ovmf_vars=None):
    """OVMF's flash drives (uefi: its code read-only, the runner's copy of
    its variables), then the image's way in: kernel (multiboot1 -kernel, the
    kernel's arguments as -append: KernelArgs.append_line()), iso (a CD-ROM, booted first) or efi (a
    raw disk holding the EFI system partition)."""
    args = []
    if uefi:
        args += ['-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=' + ovmf_code,
                 '-drive', 'if=pflash,format=raw,unit=1,file=' + ovmf_vars]
    if boot == 'kernel':
        return args + ['-kernel', image, '-append', append]
    if boot == 'iso':
        return args + ['-cdrom', image, '-boot', 'd']
    return args + ['-drive', 'format=raw,file=' + image]


def console_args(backend):
    """COM1 and a legacy virtio console (the kernel's console=virtio) muxed
    on one chardev: `backend` is its type and options (stdio for a direct
    boot; a file in the nested L1, which tools/nested/init forwards)."""
    return ['-chardev', backend + ',id=out,mux=on', '-serial', 'chardev:out',
            '-device', 'virtio-serial-pci', '-device', 'virtconsole,chardev=out']


class Table:
    def __init__(self, path=TABLE):
        cp = configparser.ConfigParser(interpolation=None)
        with open(path, encoding='utf-8') as f:
            cp.read_file(f)
        self.defaults = dict(cp['defaults']) if cp.has_section('defaults') else {}
        self.stacks, self.machines, self.configs = {}, {}, {}
        kinds = {'stack': self.stacks, 'machine': self.machines, 'config': self.configs}
        for sec in cp.sections():
            kind, _, name = sec.partition(' ')
            if kind in kinds and name:
                kinds[kind][name] = {k: v for k, v in cp[sec].items() if k not in self.defaults}
        self.matrix = {k: cp['matrix'][k].split() for k in cp['matrix']} if cp.has_section('matrix') else {}

    def names(self, kind):
        return list({'stack': self.stacks, 'machine': self.machines, 'config': self.configs}[kind])

    def l2_args(self, config, machine):
        """The L2 QEMU arguments of a configuration on a machine (not the
        boot image, serial or exit device: the runner adds those)."""
        c, m = self.configs[config], self.machines[machine]
        flags = [f for f in (c.get('cpu', '') + ',' + m.get('cpu', '')).split(',') if f]
        args = ['-M', m['qemu'], '-cpu', ','.join([self.defaults.get('cpu_model', 'qemu64')] + flags)]
        for d in c.get('devices', '').split():
            args += ['-device', d]
        return args

    def requires(self, config, smp):
        """The kernel's require= value for a configuration run with smp VPs
        (what its guest must find; vps=N always)."""
        items = self.configs[config].get('require', '').split() + ['vps=%d' % smp]
        return ','.join(items)

    def smp(self, config, override=None):
        return int(override) if override else int(self.configs[config].get('smp', '1'))

    def profile(self, stack, config, mode):
        """The default profile path for a run (relative to the repository), or None."""
        if mode == 'tcg':
            return 'profiles/qemu-tcg.txt'
        d = os.path.join('profiles', stack)
        for name in (self.configs[config].get('profile'), self.stacks[stack].get('profile')):
            if name and os.path.exists(os.path.join(ROOT, d, name)):
                return os.path.join(d, name)
        return None


def describe_markdown(table=None):
    """docs/configurations.md's tables, generated (tools/readme-update)."""
    t = table or Table()
    out = ['| config | VPs | QEMU flags (L2) | requires | partition |', '|---|---|---|---|---|']
    for name, c in t.configs.items():
        out.append('| `%s` | %s | `%s` | %s | %s |' % (name, c.get('smp', '1'),
                   ' '.join(t.l2_args(name, 'pc')[2:]), c.get('require', '') or '—', c.get('description', '')))
    out += ['', '| machine | QEMU machine | extra CPU flags | firmware | boot | what |', '|---|---|---|---|---|---|']
    for name, m in t.machines.items():
        out.append('| `%s` | `%s` | %s | %s | %s | %s |' % (name, m['qemu'], '`%s`' % m['cpu'] if m.get('cpu') else '—',
                   m['firmware'], m['boot'], m.get('description', '')))
    out += ['', '| stack | what |', '|---|---|']
    for name, s in t.stacks.items():
        out.append('| `%s` | %s |' % (name, s.get('description', '')))
    return '\n'.join(out) + '\n'
