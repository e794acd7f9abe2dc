#!/bin/sh
# mpmc-file.sh - the MPMC suite (tests/test_mpmc) on
# rings in files ("file:PATH").
exec "$(dirname "$0")/run.sh" file "${top_builddir:-.}/tests/test_mpmc"
