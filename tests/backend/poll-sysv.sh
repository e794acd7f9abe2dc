#!/bin/sh
# poll-sysv.sh - the readiness tests of tests/test_poll (suite "poll") on
# rings on the sysv backend.
CRITERION_TEST_PATTERN='poll/*' exec "$(dirname "$0")/run.sh" sysv "${top_builddir:-.}/tests/test_poll"
