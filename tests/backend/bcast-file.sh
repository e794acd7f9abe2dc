#!/bin/sh
# bcast-file.sh - the one-process broadcast suite (tests/test_bcast) on
# rings in file memory.
exec "$(dirname "$0")/run.sh" file "${top_builddir:-.}/tests/test_bcast"
