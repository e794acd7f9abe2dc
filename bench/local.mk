# bench/local.mk - the benchmark suite (included from the top-level
# Makefile.am; paths are relative to the top source dir).
#
#   make bench        every transport at 64 bytes, the size sweep of
#                     shmring, pipe, unix-stream, memcpy and zero-copy to
#                     1 MiB, and the paired trials (a few minutes on two
#                     cores); the table on stdout, the CSV and JSON in
#                     bench/results/
#   make bench-full   every transport at every size (several minutes)
#   make bench-quick  a few seconds' worth, so that CI keeps it working
#   make plots        PNG charts from bench/results/bench.csv (gnuplot),
#                     running `make bench` first when there is no CSV;
#                     never part of `make all` or `make check`
# Extra options go through BENCH_FLAGS, e.g. `make bench BENCH_FLAGS=--check`.
#
# The comparisons with Boost.Interprocess, ZeroMQ, DPDK, Concurrency Kit
# and iceoryx are built when
# configure finds them (bench/configure-snippet.m4); otherwise their rows
# say "not built".

# The harness is built once, into bench/libbench.a, and linked three
# times: bench/shmring-bench with the shared library as it is installed;
# and, for the section "counters: cost" of `make bench`, two programs
# with the library linked in statically, alike but for its counters:
# bench/shmring-bench-static keeps them, bench/shmring-bench-nocount is
# built from the same lib/*.c with -DSHMRING_NO_COUNTERS (lib/internal.h).
# Each copy of the library defines the same symbols, so they cannot share
# a program: shmring-bench runs the other two and compares their figures.
BENCH_CPPFLAGS = $(AM_CPPFLAGS) $(URCU_CFLAGS)
BENCH_LIBS = util/libutil.a $(URCU_LIBS) -lpthread -lm

noinst_LIBRARIES = bench/libbench.a bench/libshmring-static.a \
	bench/libshmring-nocount.a
bench_libbench_a_SOURCES = \
	bench/bench.h \
	bench/hist.c \
	bench/hist.h \
	bench/run.c \
	bench/chan.c \
	bench/cost.c \
	bench/paired.c \
	bench/report.c \
	bench/xp.h \
	bench/xp_kernel.c \
	bench/xp_peers.c \
	bench/xp_rings.c \
	bench/xp_iox.c \
	bench/roudi.c \
	bench/roudi.h \
	bench/tsan.h \
	bench/xp_shmring.c
bench_libbench_a_CPPFLAGS = $(BENCH_CPPFLAGS)

bench_libshmring_static_a_SOURCES = $(lib_libshmring_la_SOURCES)
bench_libshmring_static_a_CPPFLAGS = $(lib_libshmring_la_CPPFLAGS)
bench_libshmring_static_a_CFLAGS = $(lib_libshmring_la_CFLAGS)
bench_libshmring_nocount_a_SOURCES = $(lib_libshmring_la_SOURCES)
bench_libshmring_nocount_a_CPPFLAGS = $(lib_libshmring_la_CPPFLAGS) \
	-DSHMRING_NO_COUNTERS
bench_libshmring_nocount_a_CFLAGS = $(lib_libshmring_la_CFLAGS)

noinst_PROGRAMS += bench/shmring-bench bench/shmring-bench-static \
	bench/shmring-bench-nocount
bench_shmring_bench_SOURCES = bench/shmring-bench.c
bench_shmring_bench_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_shmring_bench_LDADD = bench/libbench.a lib/libshmring.la $(BENCH_LIBS)
bench_shmring_bench_static_SOURCES = bench/shmring-bench.c
bench_shmring_bench_static_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_shmring_bench_static_LDADD = bench/libbench.a \
	bench/libshmring-static.a $(BENCH_LIBS)
bench_shmring_bench_nocount_SOURCES = bench/shmring-bench.c
bench_shmring_bench_nocount_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_shmring_bench_nocount_LDADD = bench/libbench.a \
	bench/libshmring-nocount.a $(BENCH_LIBS)
EXTRA_DIST += \
	bench/README.md \
	bench/boost_mq.cc \
	bench/boost_mq.h \
	bench/configure-snippet.m4 \
	bench/plot.gp \
	bench/plot.sh \
	docs/bench-64B.png

if HAVE_ZMQ
BENCH_CPPFLAGS += -DBENCH_WITH_ZMQ $(ZMQ_CFLAGS)
BENCH_LIBS += $(ZMQ_LIBS)
endif

if HAVE_DPDK
BENCH_CPPFLAGS += -DBENCH_WITH_DPDK $(DPDK_CFLAGS)
BENCH_LIBS += $(DPDK_LIBS)
endif
if HAVE_CK
BENCH_CPPFLAGS += -DBENCH_WITH_CK
endif
if HAVE_IOX
BENCH_CPPFLAGS += -DBENCH_WITH_IOX $(IOX_CFLAGS)
BENCH_LIBS += $(IOX_LIBS)
endif

# Boost.Interprocess is C++: its wrapper is a library of its own, linked
# with the C++ runtime, so that the program's link stays a C link and
# works when there is no C++ compiler.
if HAVE_BOOST_IPC
noinst_LIBRARIES += bench/libboostmq.a
bench_libboostmq_a_SOURCES = bench/boost_mq.cc bench/boost_mq.h
bench_libboostmq_a_CXXFLAGS = $(SAN_CFLAGS) -Wall -Wextra -Wno-unused-parameter
BENCH_CPPFLAGS += -DBENCH_WITH_BOOST
BENCH_LIBS += bench/libboostmq.a -lstdc++ -lrt
endif

BENCH_RESULTS = bench/results

# shmring bridge against ZeroMQ PUSH/PULL and a plain TCP socket, in the
# same run (bench/bridge-bench.c): `make bench-bridge`, and the last rows
# of `make bench-full`. Needs ZeroMQ, as the bridge does.
EXTRA_DIST += bench/bridge-bench.c
if HAVE_ZMQ
noinst_PROGRAMS += bench/bridge-bench
bench_bridge_bench_SOURCES = bench/bridge-bench.c
bench_bridge_bench_CPPFLAGS = $(AM_CPPFLAGS) $(ZMQ_CFLAGS)
bench_bridge_bench_LDADD = lib/libshmring.la $(ZMQ_LIBS)
BENCH_BRIDGE = bench/bridge-bench$(EXEEXT) tools/shmring$(EXEEXT)
BENCH_BRIDGE_RUN = $(builddir)/bench/bridge-bench \
	--shmring $(builddir)/tools/shmring$(EXEEXT) \
	--csv $(BENCH_RESULTS)/bridge.csv
bench-bridge: $(BENCH_BRIDGE)
	@$(MKDIR_P) $(BENCH_RESULTS)
	$(BENCH_BRIDGE_RUN)
else
BENCH_BRIDGE =
bench-bridge:
	@echo "bench-bridge: not built: configure found no ZeroMQ"
endif
bench-full: $(BENCH_BRIDGE)
.PHONY: bench-bridge
CLEANFILES += $(BENCH_RESULTS)/bridge.csv

# The counters' cost: the two static programs, run by shmring-bench.
BENCH_COST = bench/shmring-bench-static$(EXEEXT) \
	bench/shmring-bench-nocount$(EXEEXT)
BENCH_COST_FLAGS = --counters-on $(builddir)/bench/shmring-bench-static$(EXEEXT) \
	--counters-off $(builddir)/bench/shmring-bench-nocount$(EXEEXT)

bench: bench/shmring-bench$(EXEEXT) $(BENCH_COST)
	@$(MKDIR_P) $(BENCH_RESULTS)
	$(builddir)/bench/shmring-bench --csv-out $(BENCH_RESULTS)/bench.csv \
		--json-out $(BENCH_RESULTS)/bench.json $(BENCH_COST_FLAGS) \
		$(BENCH_FLAGS)
	$(PYBENCH_CMD)

bench-full: bench/shmring-bench$(EXEEXT) $(BENCH_COST)
	@$(MKDIR_P) $(BENCH_RESULTS)
	$(builddir)/bench/shmring-bench --full \
		--csv-out $(BENCH_RESULTS)/bench.csv \
		--json-out $(BENCH_RESULTS)/bench.json $(BENCH_COST_FLAGS) \
		$(BENCH_FLAGS)
	$(BENCH_BRIDGE_RUN)

bench-quick: bench/shmring-bench$(EXEEXT) $(BENCH_COST)
	$(builddir)/bench/shmring-bench --quick $(BENCH_COST_FLAGS) \
		$(BENCH_FLAGS)

plots:
	@test -f $(BENCH_RESULTS)/bench.csv || $(MAKE) $(AM_MAKEFLAGS) bench
	$(SHELL) $(srcdir)/bench/plot.sh $(BENCH_RESULTS)/bench.csv \
		$(BENCH_RESULTS)

.PHONY: bench-full plots

CLEANFILES += $(BENCH_RESULTS)/bench.csv $(BENCH_RESULTS)/bench.json \
	$(BENCH_RESULTS)/*.png

# Broadcast: one publisher to 1, 2 and 4 subscribers, the broadcast ring
# in both policies against N SPSC rings and N datagram sockets in the same
# run (bench/bcast-bench.c). Part of `make bench`, run before the rest.
# ZeroMQ PUB/SUB and iceoryx publish/subscribe are its rows too, where
# configure found them (bench/bcast-peers.c); RouDi: bench/roudi.c.
noinst_PROGRAMS += bench/shmring-bcast-bench
bench_shmring_bcast_bench_SOURCES = bench/bcast-bench.c bench/bcast-bench.h \
	bench/bcast-peers.c bench/roudi.c bench/roudi.h bench/tsan.h
bench_shmring_bcast_bench_CPPFLAGS = $(AM_CPPFLAGS) $(BCAST_PEERS_CPPFLAGS)
bench_shmring_bcast_bench_LDADD = lib/libshmring.la $(BCAST_PEERS_LIBS)
BCAST_PEERS_CPPFLAGS =
BCAST_PEERS_LIBS =
if HAVE_ZMQ
BCAST_PEERS_CPPFLAGS += -DBENCH_WITH_ZMQ $(ZMQ_CFLAGS)
BCAST_PEERS_LIBS += $(ZMQ_LIBS)
endif
if HAVE_IOX
BCAST_PEERS_CPPFLAGS += -DBENCH_WITH_IOX $(IOX_CFLAGS)
BCAST_PEERS_LIBS += $(IOX_LIBS)
endif
.PHONY: bench-bcast
bench-bcast: bench/shmring-bcast-bench$(EXEEXT)
	$(builddir)/bench/shmring-bcast-bench $(BENCH_BCAST_FLAGS)
bench: bench-bcast

# Waiting in an event loop (bench/poll-bench.c): shmring's descriptor in
# epoll against a pipe, an eventfd with a shared slot and a UNIX socket in
# epoll, round trip and streaming; shmring_poll() over 1, 8 and 64 rings.
# Part of `make bench`, run before the rest; alone: `make bench-poll`.
noinst_PROGRAMS += bench/shmring-bench-poll
bench_shmring_bench_poll_SOURCES = bench/poll-bench.c
bench_shmring_bench_poll_LDADD = lib/libshmring.la

bench-poll: bench/shmring-bench-poll$(EXEEXT)
	$(builddir)/bench/shmring-bench-poll
bench: bench-poll

.PHONY: bench-poll
