# tests/mpmc.mk - Criterion tests of the MPMC ring: one process, many
# processes, and processes killed while they hold a slot. Included from
# the top-level Makefile.am: paths are relative to the top source
# directory.

if HAVE_CRITERION

SHMRING_MPMC_TESTS = \
	tests/test_mpmc \
	tests/test_mpmc_multiproc \
	tests/test_mpmc_kill

check_PROGRAMS += $(SHMRING_MPMC_TESTS)
TESTS += $(SHMRING_MPMC_TESTS)

tests_test_mpmc_SOURCES = tests/test_mpmc.c tests/testutil.h \
	tests/mpmc_util.h
tests_test_mpmc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_mpmc_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_test_mpmc_multiproc_SOURCES = tests/test_mpmc_multiproc.c \
	tests/testutil.h tests/mpmc_util.h
tests_test_mpmc_multiproc_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_mpmc_multiproc_LDADD = lib/libshmring.la $(CRITERION_LIBS)

# The kill test parks a process inside the library through its test hook,
# a hidden symbol: only the static library lets the program reach it.
tests_test_mpmc_kill_SOURCES = tests/test_mpmc_kill.c tests/testutil.h \
	tests/mpmc_util.h
tests_test_mpmc_kill_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_test_mpmc_kill_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_test_mpmc_kill_LDFLAGS = $(AM_LDFLAGS) -static
tests_test_mpmc_kill_LDADD = lib/libshmring.la $(CRITERION_LIBS)

endif
