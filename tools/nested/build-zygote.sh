#!/bin/sh
# build-zygote.sh OUT: tools/nested/zygote.c as the shared library L1's init
# preloads into its QEMUs; build-cache.sh and tools/tests/test_zygote.py both
# build it here, so the test runs what L1 gets.
set -eu
exec gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$1" "$(dirname "$0")/zygote.c"
