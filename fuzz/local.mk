# fuzz/local.mk - libFuzzer targets (included from the top-level
# Makefile.am; paths are relative to the top source directory).
#
#   make fuzz [FUZZ_SECONDS=N]   build each target with clang (every
#                                lib/*.c compiled in, ASan + UBSan) and run
#                                it N seconds (default 60) from its seed
#                                corpus fuzz/corpus/TARGET; new inputs go to
#                                fuzz/work/TARGET, crashes to
#                                fuzz/work/TARGET-crash-*; fails on a crash.
#   make fuzz-build              build them only.
#
# These are built outside automake's normal build: clang and libFuzzer are
# not needed to build or test the library. `make check` replays the seed
# corpora with the configured compiler instead (fuzz/replay.sh).

FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_TARGETS = fuzz_region fuzz_spsc fuzz_mpmc fuzz_bcast
FUZZ_CFLAGS = -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-Wall -Wextra -D_GNU_SOURCE -I$(top_srcdir)/include -I$(top_srcdir)/lib \
	-I$(top_builddir) $(URCU_CFLAGS)
FUZZ_LIBSRC = $(top_srcdir)/lib/region.c $(top_srcdir)/lib/ring.c \
	$(top_srcdir)/lib/spsc.c $(top_srcdir)/lib/mpmc.c $(top_srcdir)/lib/bcast.c \
	$(top_srcdir)/lib/wait.c $(top_srcdir)/lib/peer.c \
	$(top_srcdir)/lib/wait_uring.c $(top_srcdir)/lib/hooks.c
FUZZ_RUN_FLAGS = -print_final_stats=1 -timeout=10 -rss_limit_mb=4096

# The readiness layer, which ring.c calls.
FUZZ_LIBSRC += $(top_srcdir)/lib/poll.c

.PHONY: fuzz fuzz-build
fuzz-build: config.h
	@$(MKDIR_P) fuzz
	@for t in $(FUZZ_TARGETS); do \
		echo "  FUZZCC   fuzz/$$t"; \
		$(FUZZ_CC) $(FUZZ_CFLAGS) -o fuzz/$$t $(top_srcdir)/fuzz/$$t.c \
			$(FUZZ_LIBSRC) $(URCU_LIBS) $(LIBS) || exit 1; \
	done

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		$(MKDIR_P) fuzz/work/$$t || exit 1; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		./fuzz/$$t $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=fuzz/work/$$t- fuzz/work/$$t \
			$(top_srcdir)/fuzz/corpus/$$t >fuzz/work/$$t.log 2>&1; \
		rc=$$?; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
			fuzz/work/$$t.log | sed "s|^|fuzz: $$t: |"; \
		if [ $$rc -ne 0 ]; then \
			grep -E -A3 'ERROR|SUMMARY|Test unit written' fuzz/work/$$t.log; \
			echo "fuzz: $$t FAILED (log: fuzz/work/$$t.log)"; exit 1; \
		fi; \
	done

# fuzz/work (the grown corpora) is kept by `make clean`: it is what a
# later run starts from. `make clean-fuzz` removes it too.
CLEANFILES += fuzz/fuzz_region fuzz/fuzz_spsc fuzz/fuzz_mpmc fuzz/fuzz_bcast
.PHONY: clean-fuzz
clean-fuzz:
	-rm -rf fuzz/work
	-for t in $(FUZZ_TARGETS); do rm -f fuzz/$$t; done

# The seed corpora as a regression test, with the project's own compiler
# and flags: one replayer per target, linked with the static library.
FUZZ_REPLAYERS = fuzz/replay-region fuzz/replay-spsc fuzz/replay-mpmc \
	fuzz/replay-bcast
check_PROGRAMS += $(FUZZ_REPLAYERS)
FUZZ_REPLAY_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
fuzz_replay_region_SOURCES = fuzz/fuzz_region.c fuzz/replay.c fuzz/fuzz_common.h \
	tests/guard.h
fuzz_replay_region_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
fuzz_replay_region_LDFLAGS = $(AM_LDFLAGS) -static
fuzz_replay_region_LDADD = lib/libshmring.la
fuzz_replay_spsc_SOURCES = fuzz/fuzz_spsc.c fuzz/replay.c fuzz/fuzz_common.h \
	tests/guard.h
fuzz_replay_spsc_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
fuzz_replay_spsc_LDFLAGS = $(AM_LDFLAGS) -static
fuzz_replay_spsc_LDADD = lib/libshmring.la
fuzz_replay_mpmc_SOURCES = fuzz/fuzz_mpmc.c fuzz/replay.c fuzz/fuzz_common.h \
	tests/guard.h
fuzz_replay_mpmc_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
fuzz_replay_mpmc_LDFLAGS = $(AM_LDFLAGS) -static
fuzz_replay_mpmc_LDADD = lib/libshmring.la
fuzz_replay_bcast_SOURCES = fuzz/fuzz_bcast.c fuzz/replay.c fuzz/fuzz_common.h \
	tests/guard.h
fuzz_replay_bcast_CPPFLAGS = $(FUZZ_REPLAY_CPPFLAGS)
fuzz_replay_bcast_LDFLAGS = $(AM_LDFLAGS) -static
fuzz_replay_bcast_LDADD = lib/libshmring.la

TESTS += fuzz/replay.sh
EXTRA_DIST += fuzz/replay.sh fuzz/seeds.py fuzz/README.md fuzz/corpus
