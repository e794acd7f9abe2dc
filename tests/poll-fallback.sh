#!/bin/sh
# poll-fallback.sh - the readiness tests of tests/test_poll with the
# descriptor's fallback forced (an eventfd written by a thread of the
# library's, instead of an io_uring futex wait) and shmring_poll() without
# futex_waitv (1 ms slices on the first item): the same assertions hold.
# The load tests at a tenth of their counts unless SHMRING_TEST_SCALE
# says otherwise: the plain run did them in full through the same
# protocol, and each hand-off here costs one more wake-up.
: "${SHMRING_TEST_SCALE:=0.1}"
export SHMRING_TEST_SCALE
SHMRING_POLL_FALLBACK=1 CRITERION_TEST_PATTERN='poll*/*' \
	exec "${top_builddir:-.}/tests/test_poll"
