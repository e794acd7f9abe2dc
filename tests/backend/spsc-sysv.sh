#!/bin/sh
# spsc-sysv.sh - the SPSC suite (tests/test_spsc) on
# System V segments ("sysv:KEY").
exec "$(dirname "$0")/run.sh" sysv "${top_builddir:-.}/tests/test_spsc"
