#!/usr/bin/env python3
"""Entry point of ./run-qemu.sh (see tools/hvconform/runner.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hvconform import runner  # noqa: E402

sys.exit(runner.main(sys.argv[1:]))
