# bench/local.mk - the benchmark (included from the top-level Makefile.am).
#
# `make bench` runs the full comparison (about half a minute);
# `make bench-quick` runs a few seconds' worth, so that CI keeps it working.
# Extra options go through BENCH_FLAGS, e.g. `make bench BENCH_FLAGS=--json`.

noinst_PROGRAMS += bench/shmring-bench
bench_shmring_bench_SOURCES = bench/shmring-bench.c
bench_shmring_bench_LDADD = lib/libshmring.la

bench: bench/shmring-bench$(EXEEXT)
	$(builddir)/bench/shmring-bench $(BENCH_FLAGS)

bench-quick: bench/shmring-bench$(EXEEXT)
	$(builddir)/bench/shmring-bench --quick $(BENCH_FLAGS)
