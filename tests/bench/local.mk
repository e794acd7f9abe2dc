# tests/bench/local.mk - tests of the benchmark harness (included from the
# top-level Makefile.am; paths are relative to the top source dir).
#
# test_hist: the latency histogram against known inputs.
# bench-check.sh: every transport moves messages correctly (--selftest,
# --verify), the table/CSV/JSON writers, a tiny --quick pass, cleanup on
# the watchdog and on SIGINT. Each prints "N passed, N failed" last.

check_PROGRAMS += tests/bench/test_hist
tests_bench_test_hist_SOURCES = tests/bench/test_hist.c bench/hist.c \
	bench/hist.h
tests_bench_test_hist_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bench
tests_bench_test_hist_LDADD = -lm

TESTS += tests/bench/test_hist tests/bench/bench-check.sh
EXTRA_DIST += tests/bench/bench-check.sh

# The event-loop benchmark's quick pass (bench/poll-bench.c) to the end.
TESTS += tests/bench/poll-quick.sh
EXTRA_DIST += tests/bench/poll-quick.sh

# The broadcast benchmark's quick pass (bench/bcast-bench.c), every row,
# every subscriber's every message, and nothing left when it is stopped.
# After bench-check.sh: both start iceoryx's RouDi (one runs at a time on
# a host), and bench-check.sh compares RouDi's names before and after.
TESTS += tests/bench/bcast-quick.sh
EXTRA_DIST += tests/bench/bcast-quick.sh
tests/bench/bcast-quick.log: tests/bench/bench-check.log
