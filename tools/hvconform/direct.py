"""One boot of QEMU on this host (modes tcg and kvm): serial output streamed
as it arrives, a wall-clock limit, the process group always reaped."""

import os
import selectors
import signal
import subprocess
import time

from . import configs, qemubin
from .bootresult import BootResult, How

OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'


# COM1 and a virtio console (the kernel's console=virtio) on one stdout, as
# the nested runner's L2 has them (into a file there)
VIRTIO_CONSOLE = configs.console_args('stdio')


def qemu_command(mode, boot, firmware, image, args, l2args, smp, tmp, memory=None,
                 virtio_console=False, qemu=None):
    """The QEMU command line for one direct boot with args (KernelArgs: on
    -append for -kernel, inside the image otherwise). l2args: the configuration
    table's flags (kvm), or the machine only (tcg has no Hyper-V). qemu: a
    user's binary (run-qemu.sh --qemu) instead of the host's."""
    out = VIRTIO_CONSOLE if virtio_console else ['-serial', 'stdio']
    vars_copy = None
    if firmware == 'uefi':
        vars_copy = os.path.join(tmp, 'vars.fd')
        with open(OVMF_VARS, 'rb') as s, open(vars_copy, 'wb') as d:
            d.write(s.read())
    binary = [qemu] + qemubin.direct_args() if qemu else ['qemu-system-x86_64']
    return (binary + configs.accel_args(mode) + configs.machine_args(smp, memory) + out +
            list(l2args) + configs.boot_args(boot, firmware == 'uefi', image, args.append_line(), OVMF_CODE, vars_copy))


def kill_group(proc):
    """Stop a process started with start_new_session and everything under it."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def drain(fd, out):
    """What the pipe still holds, without waiting for more."""
    os.set_blocking(fd, False)
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not data:
            return
        out(data)


def run(cmd, timeout, out, err_path):
    """Run cmd; out(bytes) gets its stdout as it comes. Returns a BootResult:
    EXITED, TIMEOUT (we stopped it at the limit) or SIGNAL (something else
    killed it; status is then -signal)."""
    with open(err_path, 'wb') as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err, start_new_session=True)
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            events = sel.select(min(left, 0.5))
            if events:
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    break
                out(data)
            elif proc.poll() is not None:
                # it wrote its last bytes and ended after select() gave up:
                # they are still in the pipe (seen: a passing boot's whole
                # TAP lost, "printed no TAP", on a loaded host)
                drain(proc.stdout.fileno(), out)
                break
        if not timed_out:
            try:    # output closed: let QEMU finish and give its own status
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        sel.close()
        kill_group(proc)
        proc.stdout.close()
    if timed_out:
        return BootResult(How.TIMEOUT, proc.returncode)
    if proc.returncode < 0:
        return BootResult(How.SIGNAL, proc.returncode)
    return BootResult(How.EXITED, proc.returncode)
