"""hvconform host side (Python 3.9+, standard library only).

tap      THE TAP parser of the kernel's serial logs: pieces, results, plan, bail, death,
         YAML diagnostic blocks; also what the runner needs after a boot (running test, seed).
profile  profiles/*.txt: known deviations, the outcome each pins, `avoid` lines.
outcome  a result against its profile listing: observed tokens, host records, replays.
verdict  a profile applied to parsed pieces: report lines, counts, JUnit, JSON.
kargs    the kernel's command line as one value: parsed once, rendered once per boot path.
"""


class BadInput(Exception):
    """The input cannot be checked at all (check-log exits 2)."""


class EnvError(Exception):
    """This host cannot run what was asked (run-qemu.sh exits 3)."""
