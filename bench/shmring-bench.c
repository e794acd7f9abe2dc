/*
 * shmring-bench.c - the benchmark suite: shmring's rings against the
 * kernel's IPC, the libraries users would otherwise pick and the raw
 * floors of the machine, all measured in one run between processes
 * pinned to different CPUs (where the machine has enough of them).
 *
 * Three figures per transport and message size:
 *  - streaming throughput: the producers send as fast as they can, the
 *    consumers check the sequence number of every message;
 *  - round trip: the pinger sends one message, the echoer sends it back;
 *    each round trip is timed on its own into a log-bucketed histogram
 *    (hist.h) for min, p50, p90, p99, p99.9 and max;
 *  - CPU seconds per million messages (or round trips): user + system
 *    time of every process of the run (wait4 for the workers, getrusage
 *    for the parent), which tells spinning from sleeping.
 * A warm-up run first, then several trials, round-robin over the
 * transports so that load from elsewhere drifts over all of them alike;
 * the median trial is reported with the spread, and every ratio is taken
 * against baselines measured in the same run.
 *
 * This file: configuration, the table of tests, the plan of a run and
 * the measuring rounds. run.c forks and reaps, chan.c and xp_*.c hold
 * the transports' loops, cost.c measures what the counters cost,
 * report.c prints.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "shmring.h"
#include "bench.h"
#include "xp.h"
#include "../util/util.h"

struct config cfg = {
	.trials = 5,
	.trial_s = 0.2,
	.rtt_s = 0.1,
	.warm_s = 0.05,
	.max_samples = 10000000,
	.timeout_s = 60,
	.pair_rounds = 15,
};
struct machine mach;
struct result (*results)[MAX_SIZES];

static const size_t all_sizes[] = { 8, 64, 256, 1024, 4096, 65536, 1048576 };
#if defined(__SANITIZE_ADDRESS__)
#define BUILD_SANITIZERS "address"
#elif defined(__SANITIZE_THREAD__)
#define BUILD_SANITIZERS "thread"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILD_SANITIZERS "address"
#elif __has_feature(thread_sanitizer)
#define BUILD_SANITIZERS "thread"
#endif
#endif
#ifndef BUILD_SANITIZERS
#define BUILD_SANITIZERS "none"
#endif

#ifdef BENCH_TSAN
/*
 * What ThreadSanitizer cannot follow: liburcu's queue links its nodes
 * with volatile accesses and inline-assembly atomics. The hand-off of
 * each payload is annotated (xp_peers.c); the queue's internals are not
 * ours. (ZeroMQ, which synchronises inside an uninstrumented library, is
 * left out of such builds altogether.)
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "race:urcu/static/wfcqueue.h\n";
}
#endif

/* ---------------------------------------------------------------- */
/* The tests                                                        */

#define RING(kind_) .prepare = ring_prepare, .work = ring_work, \
	.ring_kind = (kind_)
#define CHAN(prep, ops) .prepare = (prep), .work = chan_work, .ch = &(ops)

#ifdef BENCH_WITH_BOOST
#define BOOST .prepare = boost_prepare, .work = chan_work, \
	.finish = boost_finish, .ch = &boost_chan
#else
#define BOOST .needs = "Boost.Interprocess (libboost-dev, a C++ compiler)"
#endif
#if defined(BENCH_WITH_ZMQ) && defined(BENCH_TSAN)
/* its hand-offs happen inside the library, out of the sanitizer's sight:
 * every 64 KiB message becomes thousands of reports to sift */
#define ZMQ .needs = "a build without ThreadSanitizer (ZeroMQ)"
#undef BENCH_WITH_ZMQ
#elif defined(BENCH_WITH_ZMQ)
#define ZMQ .prepare = zmq_prepare, .work = chan_work, .ch = &zmq_chan
#else
#define ZMQ .needs = "ZeroMQ (libzmq3-dev)"
#endif

#ifdef BENCH_WITH_DPDK
#define DPDK(prep) .prepare = (prep), .work = chan_work, .ch = &dpdk_chan
#define DPDK_BURST .prepare = dpdk_sp_prepare, .work = dpdk_burst_work
#else
#define DPDK(prep) .needs = "DPDK (dpdk-dev)"
#define DPDK_BURST DPDK(0)
#endif
#ifdef BENCH_WITH_CK
#define CK .prepare = ck_prepare, .work = chan_work, .ch = &ck_chan
#else
#define CK .needs = "Concurrency Kit (libck-dev)"
#endif
#ifdef BENCH_WITH_IOX
#define IOX .prepare = iox_prepare, .work = iox_work, .finish = iox_finish
#else
#define IOX .needs = "iceoryx (iceoryx, libiceoryx-binding-c-dev)"
#endif

/* --build-info: yes or no per optional peer */
#ifdef BENCH_WITH_BOOST
#define BUILT_BOOST "yes"
#else
#define BUILT_BOOST "no"
#endif
#ifdef BENCH_WITH_ZMQ
#define BUILT_ZMQ "yes"
#else
#define BUILT_ZMQ "no"
#endif
#ifdef BENCH_WITH_DPDK
#define BUILT_DPDK "yes"
#else
#define BUILT_DPDK "no"
#endif
#ifdef BENCH_WITH_CK
#define BUILT_CK "yes"
#else
#define BUILT_CK "no"
#endif
#ifdef BENCH_WITH_IOX
#define BUILT_IOX "yes"
#else
#define BUILT_IOX "no"
#endif

const struct test tests[] = {
	/* streaming */
	{ "shmring", TPUT, 1, 1, .variant = V_COPY, RING(SHMRING_SPSC),
	  .groups = G_HEAD | G_SWEEP,
	  .what = "SPSC shmring_send/recv, default spin then futex" },
	{ "shmring-noslip", TPUT, 1, 1, .variant = V_COPY, .noslip = true,
	  RING(SHMRING_SPSC), .groups = G_HEAD,
	  .what = "SPSC send/recv, slipping off (shmring_set_slip 0)" },
	{ "shmring-burst", TPUT, 1, 1, .variant = V_BURST, RING(SHMRING_SPSC),
	  .groups = G_HEAD, .what = "SPSC send/recv_burst, 32 a call" },
	{ "shmring-zc", TPUT, 1, 1, .variant = V_ZC, RING(SHMRING_SPSC),
	  .groups = G_HEAD, .what = "SPSC reserve/commit, peek/release" },
	{ "shmring-zc-word", TPUT, 1, 1, .variant = V_ZC, .touch = TOUCH_WORD,
	  RING(SHMRING_SPSC), .groups = G_HEAD | G_SWEEP,
	  .what = "SPSC zero-copy, each side touches one word" },
	{ "shmring-zc-all", TPUT, 1, 1, .variant = V_ZC, .touch = TOUCH_ALL,
	  RING(SHMRING_SPSC), .groups = G_HEAD | G_SWEEP,
	  .what = "SPSC zero-copy, writer and reader touch every byte" },
	{ "shmring-block", TPUT, 1, 1, .variant = V_COPY, .block = true,
	  RING(SHMRING_SPSC), .groups = G_HEAD,
	  .what = "SPSC send/recv, spin 0: waits sleep at once" },
	{ "shmring-burst-block", TPUT, 1, 1, .variant = V_BURST, .block = true,
	  RING(SHMRING_SPSC), .groups = G_HEAD,
	  .what = "SPSC bursts, spin 0" },
	{ "shmring-zc-block", TPUT, 1, 1, .variant = V_ZC, .block = true,
	  RING(SHMRING_SPSC), .groups = G_HEAD,
	  .what = "SPSC zero-copy, spin 0" },
	{ "mpmc-1p1c", TPUT, 1, 1, .variant = V_COPY, RING(SHMRING_MPMC),
	  .groups = G_HEAD, .what = "MPMC ring, 1 producer, 1 consumer" },
	{ "mpmc-2p2c", TPUT, 2, 2, .variant = V_COPY, RING(SHMRING_MPMC),
	  .groups = G_HEAD, .what = "MPMC ring, 2 producers, 2 consumers" },
	{ "mpmc-4p4c", TPUT, 4, 4, .variant = V_COPY, RING(SHMRING_MPMC),
	  .groups = G_HEAD, .what = "MPMC ring, 4 producers, 4 consumers" },
	{ "dgram-2p2c", TPUT, 2, 2, CHAN(udgram_prepare, udgram_chan),
	  .groups = G_HEAD,
	  .what = "one UNIX datagram socketpair, 2 writers, 2 readers" },
	{ "raw-ring", TPUT, 1, 1, .prepare = raw_ring_prepare,
	  .work = raw_ring_work, .groups = G_HEAD,
	  .what = "floor: bare SPSC ring, fixed slots, no API" },
	{ "memcpy", TPUT, 0, 0, .work = memcpy_work, .groups = G_HEAD | G_SWEEP,
	  .what = "floor: one process copying into a ring-sized buffer" },
	{ "pipe", TPUT, 1, 1, CHAN(pipe_prepare, stream_chan),
	  .groups = G_HEAD | G_SWEEP,
	  .what = "pipe(2), a write/read per message" },
	{ "fifo", TPUT, 1, 1, CHAN(fifo_prepare, fifo_chan), .groups = G_HEAD,
	  .what = "named pipe in /tmp" },
	{ "unix-stream", TPUT, 1, 1, CHAN(ustream_prepare, stream_chan),
	  .groups = G_HEAD | G_SWEEP, .what = "AF_UNIX stream socketpair" },
	{ "unix-dgram", TPUT, 1, 1, CHAN(udgram_prepare, udgram_chan),
	  .groups = G_HEAD, .what = "AF_UNIX datagram socketpair" },
	{ "tcp", TPUT, 1, 1, CHAN(tcp_prepare, tcp_chan), .groups = G_HEAD,
	  .what = "TCP over 127.0.0.1, TCP_NODELAY" },
	{ "posix-mq", TPUT, 1, 1, CHAN(pmq_prepare, pmq_chan), .groups = G_HEAD,
	  .what = "POSIX message queue, mq_send/mq_receive" },
	{ "sysv-mq", TPUT, 1, 1, CHAN(sysv_prepare, sysv_chan), .groups = G_HEAD,
	  .what = "System V message queue, msgsnd/msgrcv" },
	{ "boost-mq", TPUT, 1, 1, BOOST, .groups = G_HEAD,
	  .what = "Boost.Interprocess message_queue" },
	{ "zmq-ipc", TPUT, 1, 1, ZMQ, .groups = G_HEAD,
	  .what = "ZeroMQ PUSH/PULL over ipc://" },
	{ "urcu-wfcq", TPUT, 1, 1, .threads = 2, .work = urcu_work,
	  .groups = G_HEAD,
	  .what = "in-process: liburcu wfcqueue between 2 threads" },
	{ "dpdk-spsc", TPUT, 1, 1, DPDK(dpdk_sp_prepare), .groups = G_HEAD,
	  .what = "DPDK rte_ring SP/SC, message-sized elements" },
	{ "dpdk-spsc-burst", TPUT, 1, 1, DPDK_BURST, .groups = G_HEAD,
	  .what = "DPDK rte_ring SP/SC, bursts of 32" },
	{ "dpdk-mpmc-2p2c", TPUT, 2, 2, DPDK(dpdk_mp_prepare),
	  .groups = G_HEAD, .what = "DPDK rte_ring MP/MC, 2 producers, 2 consumers" },
	{ "dpdk-mpmc-2p2c-rts", TPUT, 2, 2, DPDK(dpdk_rts_prepare),
	  .groups = G_HEAD, .what = "DPDK rte_ring MP/MC in RTS mode, 2P2C" },
	{ "ck-spsc", TPUT, 1, 1, CK, .groups = G_HEAD,
	  .what = "Concurrency Kit ck_ring SPSC, 64-byte entries" },
	{ "iceoryx", TPUT, 1, 1, IOX, .groups = G_HEAD,
	  .what = "iceoryx publish/subscribe, zero-copy (C binding)" },

	/* round trips */
	{ "shmring", RTT, .variant = V_COPY, RING(SHMRING_SPSC),
	  .groups = G_HEAD | G_SWEEP,
	  .what = "SPSC send/recv, default spin then futex" },
	{ "shmring-try", RTT, .variant = V_TRY, RING(SHMRING_SPSC),
	  .groups = G_HEAD, .what = "SPSC try_send/try_recv polling" },
	{ "shmring-zc", RTT, .variant = V_ZC, RING(SHMRING_SPSC),
	  .groups = G_HEAD, .what = "SPSC reserve/commit, peek/release" },
	{ "shmring-zc-word", RTT, .variant = V_ZC, .touch = TOUCH_WORD,
	  RING(SHMRING_SPSC), .groups = G_HEAD | G_SWEEP,
	  .what = "SPSC zero-copy, each side touches one word" },
	{ "shmring-zc-all", RTT, .variant = V_ZC, .touch = TOUCH_ALL,
	  RING(SHMRING_SPSC), .groups = G_HEAD | G_SWEEP,
	  .what = "SPSC zero-copy, every byte written and read" },
	{ "shmring-block", RTT, .variant = V_COPY, .block = true,
	  RING(SHMRING_SPSC), .groups = G_HEAD,
	  .what = "SPSC, spin 0: each receive sleeps on a futex" },
	{ "shmring-zc-block", RTT, .variant = V_ZC, .block = true,
	  RING(SHMRING_SPSC), .groups = G_HEAD,
	  .what = "SPSC zero-copy, spin 0" },
	{ "mpmc-1p1c", RTT, .variant = V_COPY, RING(SHMRING_MPMC),
	  .groups = G_HEAD, .what = "MPMC rings, one each way" },
	{ "raw-line", RTT, .prepare = raw_line_prepare, .work = raw_line_work,
	  .groups = G_HEAD, .what = "floor: one cache line flipped" },
	{ "pipe", RTT, CHAN(pipe_prepare, stream_chan),
	  .groups = G_HEAD | G_SWEEP, .what = "two pipes, one each way" },
	{ "fifo", RTT, CHAN(fifo_prepare, fifo_chan), .groups = G_HEAD,
	  .what = "two named pipes" },
	{ "unix-stream", RTT, CHAN(ustream_prepare, stream_chan),
	  .groups = G_HEAD | G_SWEEP, .what = "one AF_UNIX stream socketpair" },
	{ "unix-dgram", RTT, CHAN(udgram_prepare, udgram_chan),
	  .groups = G_HEAD, .what = "one AF_UNIX datagram socketpair" },
	{ "tcp", RTT, CHAN(tcp_prepare, tcp_chan), .groups = G_HEAD,
	  .what = "one TCP connection over 127.0.0.1, TCP_NODELAY" },
	{ "posix-mq", RTT, CHAN(pmq_prepare, pmq_chan), .groups = G_HEAD,
	  .what = "two POSIX message queues" },
	{ "sysv-mq", RTT, CHAN(sysv_prepare, sysv_chan), .groups = G_HEAD,
	  .what = "one System V queue, a message type each way" },
	{ "eventfd-shm", RTT, CHAN(efd_prepare, efd_chan), .groups = G_HEAD,
	  .what = "a shared slot each way, an eventfd wakes the reader" },
	{ "boost-mq", RTT, BOOST, .groups = G_HEAD,
	  .what = "two Boost.Interprocess message_queues" },
	{ "zmq-ipc", RTT, ZMQ, .groups = G_HEAD,
	  .what = "ZeroMQ PAIR over ipc://" },
	{ "urcu-wfcq", RTT, .threads = 2, .work = urcu_work, .groups = G_HEAD,
	  .what = "in-process: two wfcqueues, polling threads" },
	{ "dpdk-spsc", RTT, DPDK(dpdk_sp_prepare), .groups = G_HEAD,
	  .what = "two DPDK rte_rings SP/SC, one each way" },
	{ "dpdk-mpmc-2p2c", RTT, DPDK(dpdk_mp_prepare), .groups = G_HEAD,
	  .what = "two rte_rings MP/MC, one pinger, one echoer" },
	{ "dpdk-mpmc-2p2c-rts", RTT, DPDK(dpdk_rts_prepare), .groups = G_HEAD,
	  .what = "two rte_rings MP/MC RTS, one pinger, one echoer" },
	{ "ck-spsc", RTT, CK, .groups = G_HEAD,
	  .what = "two ck_rings SPSC, one each way" },
	{ "iceoryx", RTT, IOX, .groups = G_HEAD,
	  .what = "iceoryx: a publisher and a subscriber each way" },
};
const size_t ntests = sizeof(tests) / sizeof(tests[0]);

/* ---------------------------------------------------------------- */
/* Results                                                          */

const struct result *find_result(const char *name, enum kind kind,
				 unsigned si)
{
	for (size_t i = 0; i < ntests; i++)
		if (tests[i].kind == kind && !strcmp(tests[i].name, name))
			return results[i][si].status == ST_OK ? &results[i][si] :
								NULL;
	return NULL;
}

double cpu_per_million(const struct result *r)
{
	return r->units ? r->cpu_s / ((double)r->units / 1e6) : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* ---------------------------------------------------------------- */
/* The plan                                                         */

bool test_selected(const char *name)
{
	char buf[512], *save = NULL, *tok;

	if (!cfg.only)
		return true;
	snprintf(buf, sizeof(buf), "%s", cfg.only);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!fnmatch(tok, name, 0))
			return true;
	return false;
}

static bool selected(const struct test *t)
{
	return test_selected(t->name);
}

/* Does test ti run at size index si? */
static bool planned(size_t ti, unsigned si)
{
	const struct test *t = &tests[ti];

	if (!selected(t))
		return false;
	if (cfg.full || cfg.sizes_set || cfg.verify)
		return true;
	return cfg.sizes[si] == HEAD_SIZE ? (t->groups & G_HEAD) :
					    (t->groups & G_SWEEP);
}

/* Does this run measure at 64 bytes (where the pairs run)? */
static bool head_planned(void)
{
	for (unsigned si = 0; si < cfg.nsizes; si++)
		if (cfg.sizes[si] == HEAD_SIZE)
			return true;
	return false;
}

static unsigned runs_total, runs_done;
bool show_progress;

static void progress(unsigned si, const char *what, unsigned trial,
		     const char *name)
{
	runs_done++;
	if (!show_progress)
		return;
	fprintf(stderr, "\r\033[K[%3u/%u] %zu B: %s", runs_done, runs_total,
		cfg.sizes[si], what);
	if (trial)
		fprintf(stderr, " %u/%u", trial, cfg.trials);
	fprintf(stderr, ": %s ", name);
}

static void stage(unsigned si, const char *what, unsigned n)
{
	/* without a terminal: one line per stage, so a log shows life */
	if (show_progress || cfg.quick || cfg.verify || !n)
		return;
	fprintf(stderr, PROG ": %zu B: %s, %u transports x %u trials\n",
		cfg.sizes[si], what, n, cfg.trials);
}

/* Not built, or not possible at this size: marked, never run. */
static bool runnable(size_t ti, unsigned si)
{
	struct result *res = &results[ti][si];

	if (res->status == ST_NA || res->status == ST_FAILED)
		return false;
	if (tests[ti].needs) {
		res->status = ST_NOT_BUILT;
		snprintf(res->reason, sizeof(res->reason), "not built: needs %s",
			 tests[ti].needs);
		return false;
	}
	return true;
}

/* One run; false if it could not run (NA) or failed (--verify). */
static bool do_run(size_t ti, unsigned si, struct run *run,
		   struct run_out *out)
{
	struct result *res = &results[ti][si];
	int err = run_one(run, out);

	if (err == -ENOTSUP) {
		res->status = ST_NA;
		snprintf(res->reason, sizeof(res->reason), "n/a: %s", run->na);
		return false;
	}
	if (err < 0)
		die("%s", strerror(-err));
	if (out->status) {
		res->status = ST_FAILED;
		snprintf(res->reason, sizeof(res->reason), "FAILED");
		return false;
	}
	res->pinned = run->pinned;
	return true;
}

static void verify_line(size_t ti, unsigned si, const struct run_out *o)
{
	const struct test *t = &tests[ti];
	const struct result *res = &results[ti][si];

	if (show_progress)
		fprintf(stderr, "\r\033[K");
	printf("verify %-10s %-20s %6zu B: ", t->kind == TPUT ? "streaming" :
		"round-trip", t->name, cfg.sizes[si]);
	switch (res->status) {
	case ST_NOT_BUILT:
	case ST_NA:
		printf("skipped (%s)\n", res->reason);
		break;
	case ST_FAILED:
		printf("FAILED\n");
		break;
	default:
		if (t->kind == TPUT && !t->np && !t->nc)
			printf("ok (%" PRIu64 " copies, nothing to check)\n",
			       o->messages);
		else
			printf("ok (%" PRIu64 " %s checked)\n",
			       t->kind == TPUT ? o->messages : o->rounds,
			       t->kind == TPUT ? "messages" : "round trips");
	}
	fflush(stdout);
}

static void measure_tput(unsigned si)
{
	unsigned n = 0;

	for (size_t ti = 0; ti < ntests; ti++)
		n += tests[ti].kind == TPUT && planned(ti, si);
	stage(si, "streaming", n);
	/* warm-up round: fault in pages, wake the CPUs; figures discarded */
	for (size_t ti = 0; ti < ntests && !cfg.verify; ti++) {
		struct run run;
		struct run_out out = { 0 };

		if (tests[ti].kind != TPUT || !planned(ti, si))
			continue;
		progress(si, "warm-up", 0, tests[ti].name);
		if (!runnable(ti, si))
			continue;
		init_run(&run, &tests[ti], cfg.sizes[si]);
		run.count = cfg.messages ? (cfg.messages + 9) / 10 : 0;
		run.budget_ns = (uint64_t)(cfg.warm_s * 1e9);
		do_run(ti, si, &run, &out);
	}
	for (unsigned k = 0; k < cfg.trials; k++) {
		for (size_t ti = 0; ti < ntests; ti++) {
			struct result *res = &results[ti][si];
			struct run run;
			struct run_out out = { 0 };

			if (tests[ti].kind != TPUT || !planned(ti, si))
				continue;
			progress(si, "streaming", k + 1, tests[ti].name);
			if (!runnable(ti, si))
				goto next;
			init_run(&run, &tests[ti], cfg.sizes[si]);
			run.count = cfg.messages;
			run.budget_ns = (uint64_t)(cfg.trial_s * 1e9);
			if (!do_run(ti, si, &run, &out))
				goto next;
			if (!out.messages || out.secs <= 0)
				die("no messages measured");
			res->v[res->trials++] = (double)out.messages / out.secs;
			res->messages += out.messages;
			res->cpu_s += out.cpu_s;
			res->units += out.messages;
		next:
			if (cfg.verify)
				verify_line(ti, si, &out);
		}
	}
	for (size_t ti = 0; ti < ntests; ti++) {
		struct result *res = &results[ti][si];
		double w[MAX_TRIALS];
		unsigned m = res->trials;

		if (tests[ti].kind != TPUT || !m || res->status >= ST_NOT_BUILT)
			continue;
		memcpy(w, res->v, m * sizeof(w[0]));
		qsort(w, m, sizeof(w[0]), cmp_double);
		res->mps = m % 2 ? w[m / 2] : (w[m / 2 - 1] + w[m / 2]) / 2;
		res->mps_min = w[0];
		res->mps_max = w[m - 1];
		res->status = ST_OK;
	}
}

static void measure_rtt(unsigned si)
{
	unsigned n = 0;

	for (size_t ti = 0; ti < ntests; ti++)
		n += tests[ti].kind == RTT && planned(ti, si);
	stage(si, "round trips", n);
	for (unsigned k = 0; k < cfg.trials; k++) {
		for (size_t ti = 0; ti < ntests; ti++) {
			struct result *res = &results[ti][si];
			struct run run;
			struct run_out out = { 0 };

			if (tests[ti].kind != RTT || !planned(ti, si))
				continue;
			progress(si, "round trip", k + 1, tests[ti].name);
			if (!runnable(ti, si))
				goto next;
			init_run(&run, &tests[ti], cfg.sizes[si]);
			run.count = cfg.round_trips;
			run.warm_count = cfg.round_trips / 10;
			run.budget_ns = (uint64_t)(cfg.rtt_s * 1e9);
			run.warm_ns = (uint64_t)(cfg.warm_s * 1e9);
			if (!do_run(ti, si, &run, &out))
				goto next;
			if (!ctl->hist.count)
				die("no round trips measured");
			if (!res->hist) {
				res->hist = malloc(sizeof(*res->hist));
				if (!res->hist)
					die("out of memory");
				hist_init(res->hist);
			}
			hist_merge(res->hist, &ctl->hist);
			res->p50[res->trials++] = hist_value_at(&ctl->hist, 50);
			res->cpu_s += out.cpu_s;
			res->units += out.rounds;
			out.rounds = ctl->hist.count;
		next:
			if (cfg.verify)
				verify_line(ti, si, &out);
		}
	}
	for (size_t ti = 0; ti < ntests; ti++) {
		struct result *res = &results[ti][si];
		uint64_t w[MAX_TRIALS];
		unsigned m = res->trials;

		if (tests[ti].kind != RTT || !m || res->status >= ST_NOT_BUILT)
			continue;
		memcpy(w, res->p50, m * sizeof(w[0]));
		qsort(w, m, sizeof(w[0]), cmp_u64);
		res->p50_min = w[0];
		res->p50_max = w[m - 1];
		res->p50_med = w[m / 2];
		res->status = ST_OK;
	}
}

/* ---------------------------------------------------------------- */
/* The machine                                                      */

static void read_cpu_model(void)
{
	static const char *const keys[] = { "model name", "Model",
					    "cpu model", "Hardware" };
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(mach.cpu_model, sizeof(mach.cpu_model), "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strncmp(line, keys[k], strlen(keys[k])))
				continue;
			for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
				;
			v[strcspn(v, "\n")] = '\0';
			if (*v) {
				snprintf(mach.cpu_model,
					 sizeof(mach.cpu_model), "%s", v);
				fclose(f);
				return;
			}
		}
	}
	fclose(f);
}

static void read_loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l[3];

	snprintf(buf, len, "unknown");
	if (f && fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l[0], l[1], l[2]);
	if (f)
		fclose(f);
}

static void setup_machine(void)
{
	struct utsname uts;
	cpu_set_t set;
	uint64_t d[101];

	read_cpu_model();
	if (uname(&uts) == 0) {
		snprintf(mach.kernel, sizeof(mach.kernel), "%s %s",
			 uts.sysname, uts.release);
		snprintf(mach.arch, sizeof(mach.arch), "%s", uts.machine);
	}
	read_loadavg(mach.load_start, sizeof(mach.load_start));
	mach.online = sysconf(_SC_NPROCESSORS_ONLN);
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		mach.usable = CPU_COUNT(&set);
		for (int c = 0; c < CPU_SETSIZE && mach.ncpus < MAX_WORKERS;
		     c++)
			if (CPU_ISSET(c, &set))
				mach.cpus[mach.ncpus++] = c;
	}
	/* one CPU: every side shares it, unpinned, and spins yield */
	single_cpu = mach.ncpus < 2;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		uint64_t a = now_ns(), b = now_ns();

		d[i] = b - a;
	}
	qsort(d, sizeof(d) / sizeof(d[0]), sizeof(d[0]), cmp_u64);
	mach.clock_ns = d[50];
}

/* ---------------------------------------------------------------- */
/* Options                                                          */

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [options]\n"
"Compare shmring's rings with the kernel's IPC, Boost.Interprocess,\n"
"ZeroMQ, liburcu, DPDK, Concurrency Kit, iceoryx and the raw floors of\n"
"the machine, between processes pinned to different CPUs.\n"
"\n"
"What runs (default: every transport at 64 bytes; shmring, pipe,\n"
"unix-stream, memcpy and the zero-copy sweep at 8, 256, 1024, 4096,\n"
"65536 and 1048576 bytes too):\n"
"  --full            every transport at every size\n"
"  --quick           tiny runs at 64 bytes only (seconds), for CI\n"
"  --size BYTES      every transport at this size only, 8..1048576\n"
"  --sizes LIST      every transport at these sizes, e.g. 64,4096\n"
"  --transports PAT  only these, comma-separated patterns: 'shmring*,pipe'\n"
"  --list            list the transports and exit\n"
"  --verify          check every message of a fixed count (default 1000)\n"
"                    per transport, print one line each, no figures\n"
"  --selftest        --quick --verify\n"
"How long:\n"
"  --trials N        measured trials per transport and size (default 5)\n"
"  --time SEC        one streaming trial (default 0.2)\n"
"  --rtt-time SEC    one round-trip trial (default 0.1)\n"
"  --messages N      messages per producer and trial instead of --time\n"
"  --round-trips N   round trips per trial instead of --rtt-time\n"
"  --timeout SEC     abort a run that takes longer (default 60)\n""  --pair-rounds N   rounds of each paired trial (default 15; --quick 4)\n"
"Output:\n"
"  --csv, --json     CSV or JSON on stdout instead of the table\n"
"  --csv-out FILE    also write the CSV to FILE\n"
"  --json-out FILE   also write the JSON to FILE\n"
"  --progress        a progress line on stderr even without a terminal\n"
"  --no-progress     none, even on a terminal\n"
"  --check           exit 1 if a project target is missed\n"
"What the library's counters cost (`make bench` gives both):\n"
"  --counters-on PROG   this program with the library linked in statically\n"
"                       (bench/shmring-bench-static)\n"
"  --counters-off PROG  the same without counters (bench/shmring-bench-nocount)\n"
"                       each round runs both at 64 bytes; --trials rounds\n"
"Other:\n"
"  --build-info      print what this program was built with, and whether\n"
"                    its library counts (counters=yes|no)\n"
"  --help            this text\n"
"\n"
"MB/s counts 10^6 bytes of payload. Round trips are timed one by one with\n"
"CLOCK_MONOTONIC (each includes one clock read) into a log-bucketed\n"
"histogram: percentiles are exact below 128 ns and at most 1/64 low above.\n"
"CPU s/M: user+system seconds of every process of a run per million\n"
"messages (round trips).\n");
}

/* Numbers through the parser bench/, tools/ and tests/ share. */
static uint64_t parse_u64(const char *opt, const char *s, uint64_t lo,
			  uint64_t hi)
{
	uint64_t v;

	if (unum_u64(s, 0, lo, hi, &v) < 0)
		die("%s: want an integer in %" PRIu64 "..%" PRIu64 ", got '%s'",
		    opt, lo, hi, s);
	return v;
}

static double parse_secs(const char *opt, const char *s)
{
	double v;

	if (unum_secs(s, 0, 3600, &v) < 0 || !(v > 0))
		die("%s: want seconds in (0, 3600], got '%s'", opt, s);
	return v;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static void add_size(size_t v)
{
	for (unsigned i = 0; i < cfg.nsizes; i++)
		if (cfg.sizes[i] == v)
			return;
	if (cfg.nsizes == MAX_SIZES)
		die("--sizes: at most %d sizes", MAX_SIZES);
	cfg.sizes[cfg.nsizes++] = v;
}

static void parse_sizes(const char *s)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		add_size((size_t)parse_u64("--sizes", tok, 8, 1 << 20));
	if (!cfg.nsizes)
		die("--sizes: no size given");
	cfg.sizes_set = true;
}

/*
 * Does the library linked into this program count? The copy built with
 * SHMRING_NO_COUNTERS does not: "counters: cost" asks each program it
 * runs, so that it never compares two alike.
 */
static const char *library_counts(void)
{
	struct shmring *r;
	struct shmring_stats st;
	const char *ans = "unknown";
	char m = 0;

	if (shmring_create_memfd(NULL, SHMRING_PRODUCER | SHMRING_CONSUMER,
				 &r) < 0)
		return ans;
	if (shmring_try_send(r, &m, sizeof(m)) == 0 &&
	    shmring_stats(r, &st) == 0)
		ans = st.msgs_sent ? "yes" : "no";
	shmring_close(r);
	return ans;
}

static void list_tests(void)
{
	for (size_t i = 0; i < ntests; i++)
		printf("%-10s %-20s %-9s %s\n",
		       tests[i].kind == TPUT ? "streaming" : "round-trip",
		       tests[i].name, tests[i].needs ? "not-built" : "built",
		       tests[i].what);
}

enum { O_MSG = 256, O_RT, O_SIZE, O_SIZES, O_TRIALS, O_TIME, O_RTT_TIME,
       O_TIMEOUT, O_PAIR_ROUNDS, O_CSV, O_JSON, O_CSV_OUT, O_JSON_OUT,
       O_CHECK, O_QUICK, O_FULL, O_ONLY, O_LIST, O_VERIFY, O_SELFTEST,
       O_PROGRESS, O_NO_PROGRESS, O_BUILD_INFO, O_COST_ON, O_COST_OFF,
       O_HELP };

static const struct option long_opts[] = {
	{ "quick", no_argument, NULL, O_QUICK },
	{ "full", no_argument, NULL, O_FULL },
	{ "messages", required_argument, NULL, O_MSG },
	{ "round-trips", required_argument, NULL, O_RT },
	{ "size", required_argument, NULL, O_SIZE },
	{ "sizes", required_argument, NULL, O_SIZES },
	{ "transports", required_argument, NULL, O_ONLY },
	{ "trials", required_argument, NULL, O_TRIALS },
	{ "time", required_argument, NULL, O_TIME },
	{ "rtt-time", required_argument, NULL, O_RTT_TIME },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "pair-rounds", required_argument, NULL, O_PAIR_ROUNDS },
	{ "csv", no_argument, NULL, O_CSV },
	{ "json", no_argument, NULL, O_JSON },
	{ "csv-out", required_argument, NULL, O_CSV_OUT },
	{ "json-out", required_argument, NULL, O_JSON_OUT },
	{ "check", no_argument, NULL, O_CHECK },
	{ "list", no_argument, NULL, O_LIST },
	{ "verify", no_argument, NULL, O_VERIFY },
	{ "selftest", no_argument, NULL, O_SELFTEST },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "build-info", no_argument, NULL, O_BUILD_INFO },
	{ "counters-on", required_argument, NULL, O_COST_ON },
	{ "counters-off", required_argument, NULL, O_COST_OFF },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* What the command line set itself: --quick does not override it. */
struct explicit {
	bool trials, time, rtt, timeout, pair_rounds;
};

static _Noreturn void build_info(void)
{
	printf(PROG " sanitizers=" BUILD_SANITIZERS
	       " boost=%s zmq=%s urcu=yes dpdk=%s ck=%s iceoryx=%s"
	       " counters=%s\n", BUILT_BOOST, BUILT_ZMQ, BUILT_DPDK, BUILT_CK,
	       BUILT_IOX, library_counts());
	exit(0);
}

/* The options that take a number; false if @c is not one of them. */
static bool number_option(int c, const char *arg, struct explicit *ex)
{
	switch (c) {
	case O_MSG:
		cfg.messages = parse_u64("--messages", arg, 1, UINT64_C(1) << 40);
		break;
	case O_RT:
		cfg.round_trips = parse_u64("--round-trips", arg, 1, 100000000);
		break;
	case O_SIZE:
		add_size((size_t)parse_u64("--size", arg, 8, 1 << 20));
		cfg.sizes_set = true;
		break;
	case O_TRIALS:
		cfg.trials = (unsigned)parse_u64("--trials", arg, 1, MAX_TRIALS);
		ex->trials = true;
		break;
	case O_TIME:
		cfg.trial_s = parse_secs("--time", arg);
		ex->time = true;
		break;
	case O_RTT_TIME:
		cfg.rtt_s = parse_secs("--rtt-time", arg);
		ex->rtt = true;
		break;
	case O_TIMEOUT:
		cfg.timeout_s = (unsigned)parse_u64("--timeout", arg, 1, 86400);
		ex->timeout = true;
		break;
	case O_PAIR_ROUNDS:
		cfg.pair_rounds = (unsigned)parse_u64("--pair-rounds", arg, 1,
						      MAX_ROUNDS);
		ex->pair_rounds = true;
		break;
	default:
		return false;
	}
	return true;
}

/* The other options; exits for --help, --build-info and a bad one. */
static void other_option(int c, const char *arg)
{
	switch (c) {
	case O_QUICK: cfg.quick = true; break;
	case O_FULL: cfg.full = true; break;
	case O_SIZES: parse_sizes(arg); break;
	case O_ONLY: cfg.only = arg; break;
	case O_CSV: cfg.out = OUT_CSV; break;
	case O_JSON: cfg.out = OUT_JSON; break;
	case O_CSV_OUT: cfg.csv_out = arg; break;
	case O_JSON_OUT: cfg.json_out = arg; break;
	case O_CHECK: cfg.check = true; break;
	case O_LIST: cfg.list = true; break;
	case O_SELFTEST: cfg.quick = cfg.verify = true; break;
	case O_VERIFY: cfg.verify = true; break;
	case O_PROGRESS: cfg.progress = true; break;
	case O_NO_PROGRESS: cfg.no_progress = true; break;
	case O_COST_ON: cfg.cost_on = arg; break;
	case O_COST_OFF: cfg.cost_off = arg; break;
	case O_BUILD_INFO: build_info();
	case 'h':
	case O_HELP:
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		exit(2);
	}
}

/* What --quick, --verify and no --size(s) imply. */
static void implied(const struct explicit *ex)
{
	if (cfg.quick) {
		/* explicit options still win over --quick */
		cfg.trials = ex->trials ? cfg.trials : 2;
		cfg.trial_s = ex->time ? cfg.trial_s : 0.05;
		cfg.rtt_s = ex->rtt ? cfg.rtt_s : 0.05;
		cfg.timeout_s = ex->timeout ? cfg.timeout_s : 20;
		cfg.pair_rounds = ex->pair_rounds ? cfg.pair_rounds : 4;
		cfg.warm_s = 0.01;
		cfg.max_samples = 1000000;
	}
	if (cfg.verify) {
		/* a fixed count, every message checked, once */
		cfg.trials = 1;
		if (!cfg.messages)
			cfg.messages = 1000;
		if (!cfg.round_trips)
			cfg.round_trips = 1000;
	}
	if (!cfg.nsizes && (cfg.quick || cfg.verify))
		add_size(HEAD_SIZE);
	else if (!cfg.nsizes)
		for (size_t i = 0; i < sizeof(all_sizes) / sizeof(all_sizes[0]);
		     i++)
			add_size(all_sizes[i]);
	qsort(cfg.sizes, cfg.nsizes, sizeof(cfg.sizes[0]), cmp_size);
}

static void parse_args(int argc, char **argv)
{
	struct explicit ex = { 0 };
	int c;

	current_test = "options";
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1)
		if (!number_option(c, optarg, &ex))
			other_option(c, optarg);
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!cfg.cost_on != !cfg.cost_off)
		die("--counters-on and --counters-off go together");
	implied(&ex);
	show_progress = !cfg.no_progress &&
			(cfg.progress || isatty(STDERR_FILENO));
}

int main(int argc, char **argv)
{
	struct target tg[NTARGETS];
	unsigned failed = 0, passed = 0;

	parse_args(argc, argv);
	if (cfg.list) {
		list_tests();
		return 0;
	}
	current_test = "setup";
	install_signals();
	ctl = map_shared(sizeof(*ctl));
	results = calloc(ntests, sizeof(*results));
	if (!results)
		die("out of memory");
	setup_machine();

	for (unsigned si = 0; si < cfg.nsizes; si++) {
		for (size_t ti = 0; ti < ntests; ti++) {
			unsigned per = tests[ti].kind == TPUT && !cfg.verify ?
					       cfg.trials + 1 : cfg.trials;

			if (planned(ti, si))
				runs_total += per;
		}
	}
	if (!runs_total)
		die("no transport matches --transports '%s' (see --list)",
		    cfg.only ? cfg.only : "");
	for (unsigned si = 0; si < cfg.nsizes; si++) {
		measure_tput(si);
		measure_rtt(si);
	}
	if (!cfg.verify && head_planned())
		measure_pairs();
	if (cfg.cost_on && !cfg.verify)
		measure_cost();
	if (show_progress)
		fprintf(stderr, "\r\033[K");
	read_loadavg(mach.load_end, sizeof(mach.load_end));
	current_test = "output";

	if (cfg.verify) {
		for (size_t ti = 0; ti < ntests; ti++) {
			for (unsigned si = 0; si < cfg.nsizes; si++) {
				if (results[ti][si].status == ST_FAILED)
					failed++;
				else if (results[ti][si].status == ST_OK)
					passed++;
			}
		}
		printf("%u passed, %u failed\n", passed, failed);
		return failed ? 1 : 0;
	}
	report();

	current_test = "targets";
	targets(tg);
	for (int k = 0; cfg.check && k < NTARGETS; k++)
		if (tg[k].have && !target_met(&tg[k]))
			failed++;
	if (failed)
		die("%u target%s missed (see the table)", failed,
		    failed > 1 ? "s" : "");
	return 0;
}
