#!/usr/bin/env python3
"""The test command (make test): every case of cases_*.py, one line each, then
"N passed, N failed[, N skipped]". Environment: VERBOSE=1 shows a failing
case's whole transcript (else its last 15 lines; all are in build/test/NAME.out);
HVCONFORM_TEST_NO_NESTED=1 skips the nested cases. Arguments: run only
these cases (names as printed), one after another."""

import sys

import harness
import cases_host  # noqa: F401  (registers cases)
import cases_reliability  # noqa: F401
import cases_nested  # noqa: F401

sys.exit(harness.main(first=['deps', 'build'], lanes=['host', 'nested'], only=sys.argv[1:]))
