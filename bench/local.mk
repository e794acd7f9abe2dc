# bench/local.mk - the benchmark suite (included from the top-level
# Makefile.am; paths are relative to the top source dir).
#
#   make bench        every transport at 64 bytes, and the size sweep of
#                     shmring, pipe and unix-stream (under two minutes on
#                     two cores); the table on stdout, the CSV and JSON in
#                     bench/results/
#   make bench-full   every transport at every size (several minutes)
#   make bench-quick  a few seconds' worth, so that CI keeps it working
#   make plots        PNG charts from bench/results/bench.csv (gnuplot),
#                     running `make bench` first when there is no CSV
# Extra options go through BENCH_FLAGS, e.g. `make bench BENCH_FLAGS=--check`.
#
# The comparisons with Boost.Interprocess and ZeroMQ are built when
# configure finds them (bench/configure-snippet.m4); otherwise their rows
# say "not built".

noinst_PROGRAMS += bench/shmring-bench
bench_shmring_bench_SOURCES = \
	bench/bench.h \
	bench/hist.c \
	bench/hist.h \
	bench/run.c \
	bench/chan.c \
	bench/report.c \
	bench/shmring-bench.c \
	bench/xp.h \
	bench/xp_kernel.c \
	bench/xp_peers.c \
	bench/xp_shmring.c
bench_shmring_bench_CPPFLAGS = $(AM_CPPFLAGS) $(URCU_CFLAGS)
bench_shmring_bench_LDADD = lib/libshmring.la $(URCU_LIBS) -lpthread -lm
EXTRA_DIST += \
	bench/README.md \
	bench/boost_mq.cc \
	bench/boost_mq.h \
	bench/configure-snippet.m4 \
	bench/plot.gp \
	bench/plot.sh

if HAVE_ZMQ
bench_shmring_bench_CPPFLAGS += -DBENCH_WITH_ZMQ $(ZMQ_CFLAGS)
bench_shmring_bench_LDADD += $(ZMQ_LIBS)
endif

# Boost.Interprocess is C++: its wrapper is a library of its own, linked
# with the C++ runtime, so that the program's link stays a C link and
# works when there is no C++ compiler.
if HAVE_BOOST_IPC
noinst_LIBRARIES = bench/libboostmq.a
bench_libboostmq_a_SOURCES = bench/boost_mq.cc bench/boost_mq.h
bench_libboostmq_a_CXXFLAGS = $(SAN_CFLAGS) -Wall -Wextra -Wno-unused-parameter
bench_shmring_bench_CPPFLAGS += -DBENCH_WITH_BOOST
bench_shmring_bench_LDADD += bench/libboostmq.a -lstdc++ -lrt
endif

BENCH_RESULTS = bench/results

bench: bench/shmring-bench$(EXEEXT)
	@$(MKDIR_P) $(BENCH_RESULTS)
	$(builddir)/bench/shmring-bench --csv-out $(BENCH_RESULTS)/bench.csv \
		--json-out $(BENCH_RESULTS)/bench.json $(BENCH_FLAGS)

bench-full: bench/shmring-bench$(EXEEXT)
	@$(MKDIR_P) $(BENCH_RESULTS)
	$(builddir)/bench/shmring-bench --full \
		--csv-out $(BENCH_RESULTS)/bench.csv \
		--json-out $(BENCH_RESULTS)/bench.json $(BENCH_FLAGS)

bench-quick: bench/shmring-bench$(EXEEXT)
	$(builddir)/bench/shmring-bench --quick $(BENCH_FLAGS)

plots:
	@test -f $(BENCH_RESULTS)/bench.csv || $(MAKE) $(AM_MAKEFLAGS) bench
	$(SHELL) $(srcdir)/bench/plot.sh $(BENCH_RESULTS)/bench.csv \
		$(BENCH_RESULTS)

.PHONY: bench-full plots

CLEANFILES += $(BENCH_RESULTS)/bench.csv $(BENCH_RESULTS)/bench.json \
	$(BENCH_RESULTS)/*.png
