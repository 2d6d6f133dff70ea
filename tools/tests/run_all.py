#!/usr/bin/env python3
"""The test command (make test): every fast case of cases_*.py, one line each,
then "N passed, N failed[, N skipped]". --slow (make test-slow) adds the slow
tier: the whole matrix, nested UEFI, long fuzzing, every OVMF path.
Environment: VERBOSE=1 shows a failing case's whole transcript (else its last
15 lines; all are in build/test/NAME.out); HVCONFORM_TEST_NO_NESTED=1 skips
the nested cases. Other arguments: run only these cases (names as printed),
one after another."""

import sys

import harness
import cases_host  # noqa: F401  (registers cases)
import cases_reliability  # noqa: F401
import cases_nested  # noqa: F401
import cases_verdict  # noqa: F401
import cases_deps  # noqa: F401
import cases_ci  # noqa: F401
import cases_isolation  # noqa: F401

args = sys.argv[1:]
slow = '--slow' in args
args = [a for a in args if a != '--slow']
bad = [a for a in args if a.startswith('-')]
if bad:
    sys.exit('run_all.py: unknown option %s (options: --slow; other arguments name cases)' % bad[0])
sys.exit(harness.main(first=['deps', 'build'], lanes=['host', 'nested'], only=args, slow=slow))
