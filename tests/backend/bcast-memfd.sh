#!/bin/sh
# bcast-memfd.sh - the one-process broadcast suite (tests/test_bcast) on
# rings in memfd memory.
exec "$(dirname "$0")/run.sh" memfd "${top_builddir:-.}/tests/test_bcast"
