"""The host's QEMU: its version line, asked once per process (the runner
prints it and a saved L1's key hashes it; each `--version` costs ~0.08 s)."""

import functools
import subprocess


@functools.lru_cache(maxsize=None)
def version_output():
    """`qemu-system-x86_64 --version`'s stdout; FileNotFoundError without QEMU."""
    return subprocess.run(['qemu-system-x86_64', '--version'], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=30).stdout
