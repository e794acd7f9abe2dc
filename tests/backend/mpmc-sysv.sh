#!/bin/sh
# mpmc-sysv.sh - the MPMC suite (tests/test_mpmc) on
# System V segments ("sysv:KEY").
exec "$(dirname "$0")/run.sh" sysv "${top_builddir:-.}/tests/test_mpmc"
