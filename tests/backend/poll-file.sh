#!/bin/sh
# poll-file.sh - the readiness tests of tests/test_poll (suite "poll") on
# rings on the file backend.
CRITERION_TEST_PATTERN='poll/*' exec "$(dirname "$0")/run.sh" file "${top_builddir:-.}/tests/test_poll"
