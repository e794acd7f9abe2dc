# tests/bcast.mk - Criterion tests of the broadcast ring: one process (on
# every backing, as a row of tests/testutil.h's axis), and many processes
# with subscribers and publishers killed, stopped and asleep. Included
# from the top-level Makefile.am: paths are relative to the top source
# directory.

# Threads of one process, for ThreadSanitizer: plain C, no Criterion.
check_PROGRAMS += tests/test_bcast_threads
TESTS += tests/test_bcast_threads
tests_test_bcast_threads_SOURCES = tests/test_bcast_threads.c
tests_test_bcast_threads_LDADD = lib/libshmring.la -lpthread

if HAVE_CRITERION

SHMRING_BCAST_TESTS = \
	tests/test_bcast \
	tests/test_bcast_multiproc

check_PROGRAMS += $(SHMRING_BCAST_TESTS)
TESTS += $(SHMRING_BCAST_TESTS)

tests_test_bcast_SOURCES = tests/test_bcast.c tests/testutil.h
tests_test_bcast_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_bcast_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_bcast_multiproc_SOURCES = tests/test_bcast_multiproc.c \
	tests/testutil.h
tests_test_bcast_multiproc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_bcast_multiproc_LDADD = lib/libshmring.la $(CRITERION_LIBS)

# A publisher dead between its two message counts, forged with layout.h.
check_PROGRAMS += tests/test_bcast_died
TESTS += tests/test_bcast_died
tests_test_bcast_died_SOURCES = tests/test_bcast_died.c tests/testutil.h
tests_test_bcast_died_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_test_bcast_died_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_bcast_died_LDADD = lib/libshmring.la $(CRITERION_LIBS)

endif
