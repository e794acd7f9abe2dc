#!/bin/sh
# poll-anon.sh - the readiness tests of tests/test_poll (suite "poll") on
# rings on the anon backend.
CRITERION_TEST_PATTERN='poll/*' exec "$(dirname "$0")/run.sh" anon "${top_builddir:-.}/tests/test_poll"
