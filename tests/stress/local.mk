# tests/stress/local.mk - the multi-process stress harness (included from
# the top-level Makefile.am; paths are relative to the top source dir).
#
# `make check` runs check-short.sh: short bounded configurations, well
# under a minute. `make stress` runs long.sh: long configurations (over
# 1e8 messages, up to 8x8 processes, thousands of kills), minutes; its
# SUMMARY lines land in tests/stress/last-long-run.txt. The configurations
# are fixed, so that two runs compare; run the program by hand for others.

bin_PROGRAMS += tests/stress/shmring-stress
tests_stress_shmring_stress_SOURCES = tests/stress/shmring-stress.c \
	tests/stress/stress.h \
	tests/stress/bcast.c
tests_stress_shmring_stress_LDADD = lib/libshmring.la util/libutil.a

TESTS += tests/stress/check-short.sh
EXTRA_DIST += \
	tests/stress/check-short.sh \
	tests/stress/common.sh \
	tests/stress/long.sh \
	tests/stress/README.md

.PHONY: stress
stress: tests/stress/shmring-stress$(EXEEXT)
	$(SHELL) $(srcdir)/tests/stress/long.sh \
		$(builddir)/tests/stress/shmring-stress \
		$(builddir)/tests/stress/last-long-run.txt
