#!/bin/sh
# spsc-file.sh - the SPSC suite (tests/test_spsc) on
# rings in files ("file:PATH").
exec "$(dirname "$0")/run.sh" file "${top_builddir:-.}/tests/test_spsc"
