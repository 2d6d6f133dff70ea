"""What the runner needs to know of one boot's serial output (the end marker,
a bail-out, the test that was running, the seed, the tests that passed), from the one TAP parser."""

from . import tap


class State:
    def __init__(self, text):
        p = tap.parse(text, 'boot')
        self.has_tap = p.started
        self.complete = bool(p.complete)
        self.bail = bool(p.bail)
        self.running = p.running.name if p.running else None
        self.seed = p.seed
        self.results = {r.name: r for r in p.results if r.name}
        self.passed = frozenset(n for n, r in self.results.items() if r.status == 'pass')


def state(text):
    return State(text)
