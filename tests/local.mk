# tests/local.mk - the Criterion test programs of `make check`, one per
# concern, and the sweep that runs last and fails if any left a ring in
# /dev/shm. Included from the top-level Makefile.am: paths are relative
# to the top source directory.
#
# Heavy counts scale with SHMRING_TEST_SCALE (a multiplier, e.g. 0.1);
# sanitized builds default to 0.02 (see tests/testutil.h). A behaviour is
# one test run over every ring kind and backing (TU_TEST in
# tests/testutil.h); SHMRING_TEST_BACKEND=file (sysv, anon, memfd,
# posix) runs a program's rows on one backing only.

if HAVE_CRITERION

SHMRING_TESTS = \
	tests/test_spsc \
	tests/test_errors \
	tests/test_eos \
	tests/test_timeouts \
	tests/test_zerocopy \
	tests/test_bursts \
	tests/test_info \
	tests/test_cpu \
	tests/test_multiproc \
	tests/test_slip \
	tests/test_await \
	tests/test_zleaks

check_PROGRAMS += $(SHMRING_TESTS)
TESTS += $(SHMRING_TESTS)

tests_test_spsc_SOURCES = tests/test_spsc.c tests/testutil.h tests/guard.h
tests_test_spsc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_spsc_LDADD = lib/libshmring.la $(CRITERION_LIBS)

# This one overlays lib/layout.h on a region to forge corrupt headers.
tests_test_errors_SOURCES = tests/test_errors.c tests/testutil.h
tests_test_errors_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_test_errors_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_errors_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_eos_SOURCES = tests/test_eos.c tests/testutil.h
tests_test_eos_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_eos_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_timeouts_SOURCES = tests/test_timeouts.c tests/testutil.h
tests_test_timeouts_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_timeouts_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_zerocopy_SOURCES = tests/test_zerocopy.c tests/testutil.h
tests_test_zerocopy_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_zerocopy_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_bursts_SOURCES = tests/test_bursts.c tests/testutil.h
tests_test_bursts_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_bursts_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_info_SOURCES = tests/test_info.c tests/testutil.h
tests_test_info_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_info_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_cpu_SOURCES = tests/test_cpu.c tests/testutil.h
tests_test_cpu_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_cpu_LDADD = lib/libshmring.la $(CRITERION_LIBS)

# Runs its tests one at a time (its own main sets Criterion's jobs to 1).
# Counts slips through the library's test hook, a hidden symbol: only
# the static library lets the program reach it.
tests_test_slip_SOURCES = tests/test_slip.c tests/testutil.h
tests_test_slip_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_test_slip_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_slip_LDFLAGS = $(AM_LDFLAGS) -static
tests_test_slip_LDADD = lib/libshmring.la $(CRITERION_LIBS)
tests_test_await_SOURCES = tests/test_await.c tests/testutil.h
tests_test_await_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_test_await_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_await_LDFLAGS = $(AM_LDFLAGS) -static
tests_test_await_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_multiproc_SOURCES = tests/test_multiproc.c tests/testutil.h
tests_test_multiproc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_multiproc_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_zleaks_SOURCES = tests/test_zleaks.c tests/testutil.h
tests_test_zleaks_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_zleaks_LDADD = lib/libshmring.la $(CRITERION_LIBS)

# test_multiproc runs once every other test program is done, so that its
# two busy processes have the 2 cores to themselves; the sweep runs last of
# all. TEST_LOGS (automake's list of every test's .log) is complete here:
# automake puts rules after all variables. The targets are named through
# variables because a literal `foo.log:` rule would replace the one
# automake generates to run the test.
shmring_multiproc_log = tests/test_multiproc.log
shmring_zleaks_log = tests/test_zleaks.log
$(shmring_multiproc_log): \
	$(filter-out $(shmring_multiproc_log) $(shmring_zleaks_log),$(TEST_LOGS))
$(shmring_zleaks_log): $(filter-out $(shmring_zleaks_log),$(TEST_LOGS))

endif

# Threads of one process, the configuration ThreadSanitizer can see; plain
# C rather than Criterion, which cannot start under TSan.
check_PROGRAMS += tests/test_threads
TESTS += tests/test_threads
tests_test_threads_SOURCES = tests/test_threads.c
tests_test_threads_LDADD = lib/libshmring.la -lpthread

# Readiness (lib/poll.c): the whole suite (its per-ring tests run over
# every kind and backing), and the descriptor's fallback (an eventfd and
# a thread) forced, through the same tests.
if HAVE_CRITERION
check_PROGRAMS += tests/test_poll
TESTS += tests/test_poll tests/poll-fallback.sh
tests_test_poll_SOURCES = tests/test_poll.c tests/testutil.h
tests_test_poll_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_poll_LDADD = lib/libshmring.la $(CRITERION_LIBS)
endif
EXTRA_DIST += tests/poll-fallback.sh

# Readiness between threads, which ThreadSanitizer can see (plain C).
check_PROGRAMS += tests/test_poll_threads
TESTS += tests/test_poll_threads
tests_test_poll_threads_SOURCES = tests/test_poll_threads.c
tests_test_poll_threads_LDADD = lib/libshmring.la -lpthread
