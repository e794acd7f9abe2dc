#!/bin/sh
# bcast-anon.sh - the one-process broadcast suite (tests/test_bcast) on
# rings in anon memory.
exec "$(dirname "$0")/run.sh" anon "${top_builddir:-.}/tests/test_bcast"
