#!/bin/sh
# bcast-sysv.sh - the one-process broadcast suite (tests/test_bcast) on
# rings in sysv memory.
exec "$(dirname "$0")/run.sh" sysv "${top_builddir:-.}/tests/test_bcast"
