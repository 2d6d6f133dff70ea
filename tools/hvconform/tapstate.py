"""What the runner needs to know of one boot's serial output (the end marker,
a bail-out, the test that was running, the seed), from the one TAP parser."""

from . import tap


class State:
    def __init__(self, piece):
        self.has_tap = piece is not None
        self.complete = bool(piece and piece.complete)
        self.bail = bool(piece and piece.bail)
        self.running = piece.running if piece else None
        self.seed = piece.seed if piece else None


def state(text):
    try:
        return State(tap.parse(text, 'boot'))
    except tap.BadInput:
        return State(None)
