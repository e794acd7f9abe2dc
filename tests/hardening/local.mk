# tests/hardening/local.mk - hostile peers, signals, full memory,
# permissions, pid reuse, lost wake-ups and leaks (included from the
# top-level Makefile.am; paths are relative to the top source directory).
#
# `make check` runs the short forms (well under 90 s together on 2 cores);
# `make stress-hardening` runs the 1e7 sleep/wake hand-offs and records
# its result line in tests/hardening/last-long-run.txt.
#
# The test programs link the library statically (-static): they reach
# the hidden test entry points ring_adopt_memory() and shmring_test_hook.

HARDENING_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib

if HAVE_CRITERION

HARDENING_TESTS = \
	tests/hardening/test_hostile \
	tests/hardening/test_signals \
	tests/hardening/test_fullmem \
	tests/hardening/test_perms \
	tests/hardening/test_pidreuse \
	tests/hardening/test_claim_tries \
	tests/hardening/test_fsize \
	tests/hardening/test_hugepages

check_PROGRAMS += $(HARDENING_TESTS)
TESTS += $(HARDENING_TESTS)

tests_hardening_test_hostile_SOURCES = tests/hardening/test_hostile.c \
	tests/hardening/hutil.h
tests_hardening_test_hostile_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_hostile_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS) -pthread
tests_hardening_test_hostile_LDFLAGS = $(AM_LDFLAGS) -static -pthread
tests_hardening_test_hostile_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_signals_SOURCES = tests/hardening/test_signals.c \
	tests/hardening/hutil.h
tests_hardening_test_signals_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_signals_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_signals_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_signals_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_fullmem_SOURCES = tests/hardening/test_fullmem.c \
	tests/hardening/hutil.h
tests_hardening_test_fullmem_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_fullmem_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_fullmem_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_fullmem_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_perms_SOURCES = tests/hardening/test_perms.c \
	tests/hardening/hutil.h
tests_hardening_test_perms_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_perms_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_perms_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_perms_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_pidreuse_SOURCES = tests/hardening/test_pidreuse.c \
	tests/hardening/hutil.h
tests_hardening_test_pidreuse_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_pidreuse_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_pidreuse_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_pidreuse_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_claim_tries_SOURCES = \
	tests/hardening/test_claim_tries.c tests/hardening/hutil.h
tests_hardening_test_claim_tries_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_claim_tries_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_claim_tries_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_claim_tries_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_fsize_SOURCES = tests/hardening/test_fsize.c \
	tests/hardening/hutil.h
tests_hardening_test_fsize_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_fsize_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_fsize_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_fsize_LDADD = lib/libshmring.la $(CRITERION_LIBS)

tests_hardening_test_hugepages_SOURCES = tests/hardening/test_hugepages.c \
	tests/hardening/hutil.h
tests_hardening_test_hugepages_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_test_hugepages_CFLAGS = $(AM_CFLAGS) $(CRITERION_CFLAGS)
tests_hardening_test_hugepages_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_test_hugepages_LDADD = lib/libshmring.la $(CRITERION_LIBS)

endif

# The sleep/wake hand-off test: a plain program (two processes, its own
# watchdog), run short by `make check` and long by `make stress-hardening`.
check_PROGRAMS += tests/hardening/hardening-wakeup
tests_hardening_hardening_wakeup_SOURCES = tests/hardening/wakeup.c
tests_hardening_hardening_wakeup_CPPFLAGS = $(HARDENING_CPPFLAGS)
tests_hardening_hardening_wakeup_LDFLAGS = $(AM_LDFLAGS) -static
tests_hardening_hardening_wakeup_LDADD = lib/libshmring.la

TESTS += \
	tests/hardening/wakeup-short.sh \
	tests/hardening/valgrind.sh \
	tests/hardening/sweep.sh

EXTRA_DIST += \
	tests/hardening/README.md \
	tests/hardening/wakeup-short.sh \
	tests/hardening/wakeup-long.sh \
	tests/hardening/valgrind.sh \
	tests/hardening/sweep.sh \
	tests/hardening/last-long-run.txt

# The sweep runs after every other hardening test, and the hand-off test
# after the Criterion programs (it wants the two cores to itself). The
# targets are named through variables: a literal `foo.log:` rule would
# replace the one automake generates to run the test.
hardening_wakeup_log = tests/hardening/wakeup-short.log
hardening_valgrind_log = tests/hardening/valgrind.log
hardening_sweep_log = tests/hardening/sweep.log
if HAVE_CRITERION
$(hardening_wakeup_log): $(HARDENING_TESTS:=.log)
endif
$(hardening_valgrind_log): $(hardening_wakeup_log)
$(hardening_sweep_log): $(hardening_wakeup_log) $(hardening_valgrind_log)

.PHONY: stress-hardening
stress-hardening: tests/hardening/hardening-wakeup$(EXEEXT)
	$(SHELL) $(srcdir)/tests/hardening/wakeup-long.sh \
		$(builddir)/tests/hardening/hardening-wakeup \
		$(srcdir)/tests/hardening/last-long-run.txt
