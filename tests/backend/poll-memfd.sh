#!/bin/sh
# poll-memfd.sh - the readiness tests of tests/test_poll (suite "poll") on
# rings on the memfd backend.
CRITERION_TEST_PATTERN='poll/*' exec "$(dirname "$0")/run.sh" memfd "${top_builddir:-.}/tests/test_poll"
