/*
 * bcast-bench.c - broadcast, one publisher to 1, 2 and 4 subscribers, in
 * processes: the broadcast ring in both policies against, in the same
 * run, what fan-out costs without it: N SPSC rings (the publisher copies
 * each message N times), one UNIX datagram socket per subscriber (N
 * system calls per message), ZeroMQ PUB/SUB over ipc:// and iceoryx
 * publish/subscribe (bench/bcast-peers.c); and the round trip through one
 * subscriber that answers on an SPSC ring, against two SPSC rings. Each
 * configuration runs ROUNDS times, the transports of one subscriber count
 * one after the other in each round, and the median round counts. Prints
 * a table, the targets as ratios of figures of this run, and one
 * grep-able SUMMARY line. Every subscriber checks the number of every
 * message it takes; a lossless transport that lost or reordered one
 * fails the program (exit 1).
 *
 *   usage: shmring-bcast-bench [-n MESSAGES] [-s SIZE] [-r ROUNDS]
 *                              [-t ROUNDTRIPS] [-k TRANSPORT,...]
 *
 * -k measures only the transports named (the others' rows say so); the
 * round trips run whatever it says.
 *
 * Figures (each the median of its own over the rounds): per subscriber,
 * the messages it received per second from the start to its last
 * message (the slowest subscriber's); in all, the sum; the publisher's
 * own rate, and its own CPU time per message (for overwrite mode, where
 * subscribers lose what they are too slow for: that count is shown too);
 * CPU, of every process, per message delivered; futex wake calls per
 * message sent (the rings' wake-up counter; 0 for the sockets, - for the
 * peers); the round trip's p50 and p99.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bcast-bench.h"
#include "shmring.h"

enum kind { BC_BP, BC_OW, SPSC_N, DGRAM_N, ZMQ_PS, IOX_PS, NKINDS };
static const char *const kind_names[] = { "bcast", "bcast-overwrite",
					  "spsc x N", "dgram x N",
					  "zmq-pubsub", "iceoryx-pubsub" };
/* Why a kind does not run here ("not built: ...", "n/a: ..."), or "". */
static char why_not[NKINDS][160];

enum rt_kind { RT_BC, RT_OW, RT_SPSC, NRT };
static const char *const rt_names[] = { "bcast-rt", "bcast-overwrite-rt",
					"spsc-rt" };

uint64_t nmsgs = 500000;
size_t msize = 64;
struct board *bd;
static uint64_t nrt = 20000;
static int rounds = 3;

static int64_t cpu_ns(void)
{
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return (a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec +
		b.ru_stime.tv_sec) * (int64_t)1000000000 +
	       (a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
		b.ru_stime.tv_usec) * (int64_t)1000;
}

/* A child that does not outlive this program, however it ends. */
int spawn(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL); /* on_signal is the parent's */
		signal(SIGTERM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/* A subscriber's loop on a ring: until end of stream. */
static void sub_ring(struct shmring *r, int k, bool lossy)
{
	char buf[65536];
	uint64_t seq;

	atomic_fetch_add(&bd->ready, 1);
	while (!atomic_load(&bd->go))
		;
	for (;;) {
		ssize_t n = shmring_recv(r, buf, sizeof(buf), -1);
		if (n == -EOVERFLOW)
			continue;
		if (n < 0) {
			if (n != -EPIPE)
				bd->sub[k].err = (int)n;
			break;
		}
		memcpy(&seq, buf, sizeof(seq));
		sub_took(k, seq, lossy);
	}
	shmring_lost(r, &bd->sub[k].lost);
	shmring_close(r);
}

/* A subscriber's loop on a datagram socket: until the empty datagram. */
static void sub_dgram(int fd, int k)
{
	char buf[65536];
	uint64_t seq;

	atomic_fetch_add(&bd->ready, 1);
	while (!atomic_load(&bd->go))
		;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		memcpy(&seq, buf, sizeof(seq));
		sub_took(k, seq, false);
	}
}

/* The publisher's loop: @nmsgs numbered messages to every subscriber. */
static void publish_all(enum kind kind, int n, int nrings, int sv[][2],
			struct shmring **pub, char *msg)
{
	for (uint64_t i = 0; i < nmsgs; i++) {
		memcpy(msg, &i, sizeof(i));
		if (kind == DGRAM_N) {
			for (int k = 0; k < n; k++)
				while (send(sv[k][0], msg, msize, 0) < 0 &&
				       errno == EINTR)
					;
		} else {
			for (int k = 0; k < nrings; k++)
				shmring_send(pub[k], msg, msize, -1);
		}
	}
}

/*
 * The subscribers' rates since @t0 into @res (the slowest, the sum), their
 * losses, and in *delivered what they took; -1 if one of them failed, or,
 * @lossless, did not take every message.
 */
static int tally(int n, int64_t t0, bool lossless, struct result *res,
		 uint64_t *delivered)
{
	int bad = 0;

	memset(res, 0, sizeof(*res));
	res->per_sub = 1e300;
	for (int k = 0; k < n; k++) {
		double secs = (double)(bd->sub[k].end - t0) / 1e9;
		double rate = secs > 0 ? (double)bd->sub[k].got / secs : 0;
		if (rate < res->per_sub)
			res->per_sub = rate;
		res->total += rate;
		res->lost += bd->sub[k].lost;
		*delivered += bd->sub[k].got;
		if (bd->sub[k].err || (lossless && bd->sub[k].got != nmsgs)) {
			fprintf(stderr, "subscriber %d of %d: %llu of %llu "
				"messages, in order: %s\n", k, n,
				(unsigned long long)bd->sub[k].got,
				(unsigned long long)nmsgs,
				bd->sub[k].err ? strerror(-bd->sub[k].err)
					       : "yes");
			bad = -1;
		}
	}
	return bad;
}

/* The processes of a run not reaped yet (@pid[0..n], 0 once reaped). */
static void stop_all(const pid_t *pid, int n)
{
	for (int k = 0; k <= n; k++)
		if (pid[k] > 0)
			kill(pid[k], SIGKILL);
}

/* The peers' processes of the current run (run_procs), for on_signal. */
static volatile pid_t procs[MAXSUBS + 1];

/*
 * Interrupted: the peers' processes stopped first (RouDi would otherwise
 * abort on them), then RouDi, then every name they made; the children
 * of the rings' runs die with this process (spawn).
 */
static void on_signal(int sig)
{
	for (int k = 0; k <= MAXSUBS; k++) {
		pid_t p = procs[k];
		if (p > 0 && kill(p, SIGKILL) == 0)
			while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
				;
	}
	iox_ps_stop();
	zmq_ps_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * A run of processes that report on the board: @n subscribers running
 * @sub and a publisher running @pub (the peers); a failed one stops the
 * others. Its figures into @res: 0, or -1.
 */
int run_procs(int n, void (*sub)(int k), void (*pub)(int n),
	      struct result *res)
{
	pid_t pid[MAXSUBS + 1] = { 0 };
	int bad = 0, left = 0, st;
	uint64_t delivered = 0;
	int64_t c0 = cpu_ns();

	memset(bd, 0, sizeof(*bd));
	for (int k = 0; k <= n && !bad; k++) {
		if ((procs[k] = pid[k] = spawn()) == 0) {
			if (k < n)
				sub(k);
			else
				pub(n);
			_exit(1); /* neither returns */
		}
		bad = pid[k] < 0;
		left += !bad;
	}
	if (bad)
		stop_all(pid, n);
	for (pid_t p; left > 0 && (p = wait(&st)) > 0; left--) {
		for (int k = 0; k <= n; k++)
			if (pid[k] == p)
				procs[k] = pid[k] = 0;
		if (!bad && (!WIFEXITED(st) || WEXITSTATUS(st))) {
			bad = 1; /* the others may wait for it: stop them */
			stop_all(pid, n);
		}
	}
	int64_t c1 = cpu_ns();
	if (tally(n, bd->t0, true, res, &delivered) || bd->pub_err)
		bad = 1;
	res->pub = (double)nmsgs / ((double)(bd->t1 - bd->t0) / 1e9);
	res->pub_cpu_ns = (double)bd->pub_cpu / (double)nmsgs;
	res->cpu_ns = delivered ? (double)(c1 - c0) / (double)delivered : 0;
	return bad ? -1 : 0;
}

/* The rings and sockets of one run of @kind to @n subscribers: 0, or -1. */
static int rings_open(enum kind kind, int n, int nrings,
		      struct shmring **anon, int sv[][2])
{
	struct shmring_opts o = { .kind = SHMRING_BCAST,
				  .capacity = (size_t)1 << 20,
				  .max_msg = msize };

	if (kind == BC_OW)
		o.flags = SHMRING_OVERWRITE;
	if (kind == SPSC_N)
		o.kind = SHMRING_SPSC;
	for (int k = 0; k < nrings; k++)
		if (shmring_create_anon(&o, &anon[k]))
			return -1;
	for (int k = 0; k < n && kind == DGRAM_N; k++) {
		int big = 4 << 20;
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[k]))
			return -1;
		setsockopt(sv[k][0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(sv[k][1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	return 0;
}

/* Subscriber @k of a run of @kind, in its own process. */
static _Noreturn void sub_proc(enum kind kind, int k, struct shmring **anon,
			       int sv[][2])
{
	struct shmring *s = NULL;

	if (kind == DGRAM_N) {
		sub_dgram(sv[k][1], k);
		_exit(0);
	}
	if (shmring_attach(anon[kind == SPSC_N ? k : 0], SHMRING_CONSUMER, &s))
		_exit(1);
	sub_ring(s, k, kind == BC_OW);
	_exit(0);
}

/* The publisher's side of a run: its figures into @res. */
static void publish_timed(enum kind kind, int n, int nrings, int sv[][2],
			  struct shmring **pub, struct result *res)
{
	char msg[65536];
	double wakes = 0;

	memset(msg, 0x5a, msize);
	int64_t pc0 = self_cpu_ns(), t0 = now_ns();
	atomic_store(&bd->go, 1);
	publish_all(kind, n, nrings, sv, pub, msg);
	int64_t t1 = now_ns(), pc1 = self_cpu_ns();
	for (int k = 0; k < nrings; k++) {
		struct shmring_stats st;
		if (shmring_stats(pub[k], &st) == 0)
			wakes += (double)st.wakeups;
		shmring_close(pub[k]);
	}
	for (int k = 0; k < n && kind == DGRAM_N; k++)
		send(sv[k][0], msg, 0, 0);
	bd->t0 = t0;
	res->pub = (double)nmsgs / ((double)(t1 - t0) / 1e9);
	res->wakes = wakes / (double)nmsgs;
	res->pub_cpu_ns = (double)(pc1 - pc0) / (double)nmsgs;
}

/* One run of @kind (the rings, the sockets) to @n subscribers: 0, or -1. */
static int run_rings(enum kind kind, int n, struct result *res)
{
	struct shmring *anon[MAXSUBS] = { NULL }, *pub[MAXSUBS] = { NULL };
	int sv[MAXSUBS][2];
	int nrings = kind == SPSC_N ? n : kind == DGRAM_N ? 0 : 1, bad = 0;
	struct result pubres;
	uint64_t delivered = 0;

	memset(bd, 0, sizeof(*bd));
	if (rings_open(kind, n, nrings, anon, sv))
		return -1;
	int64_t c0 = cpu_ns();
	for (int k = 0; k < n; k++)
		if (spawn() == 0)
			sub_proc(kind, k, anon, sv);
	while (atomic_load(&bd->ready) < n)
		;
	for (int k = 0; k < nrings; k++)
		if (shmring_attach(anon[k], SHMRING_PRODUCER, &pub[k]))
			return -1;
	publish_timed(kind, n, nrings, sv, pub, &pubres);
	for (int k = 0; k < n; k++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	int64_t c1 = cpu_ns();
	for (int k = 0; k < nrings; k++)
		shmring_close(anon[k]);
	for (int k = 0; k < n && kind == DGRAM_N; k++) {
		close(sv[k][0]);
		close(sv[k][1]);
	}
	if (tally(n, bd->t0, kind != BC_OW, res, &delivered))
		bad = 1;
	res->pub = pubres.pub;
	res->wakes = pubres.wakes;
	res->pub_cpu_ns = pubres.pub_cpu_ns;
	res->cpu_ns = delivered ? (double)(c1 - c0) / (double)delivered : 0;
	return bad ? -1 : 0;
}

static int run(enum kind kind, int n, struct result *res)
{
	if (kind == ZMQ_PS)
		return zmq_ps_run(n, res);
	if (kind == IOX_PS)
		return iox_ps_run(n, res);
	return run_rings(kind, n, res);
}

/* ---------------------------------------------------------------- */
/* Round trip through one subscriber                                */

/* The subscriber: each message back on the return ring, until EPIPE. */
static _Noreturn void rt_echo(struct shmring *out, struct shmring *back)
{
	struct shmring *in = NULL, *reply = NULL;
	char buf[65536];

	if (shmring_attach(out, SHMRING_CONSUMER, &in) ||
	    shmring_attach(back, SHMRING_PRODUCER, &reply))
		_exit(1);
	atomic_store(&bd->ready, 1);
	for (;;) {
		ssize_t n = shmring_recv(in, buf, sizeof(buf), -1);
		if (n == -EPIPE)
			break;
		if (n < 0 || shmring_send(reply, buf, (size_t)n, -1) < 0)
			_exit(1);
	}
	shmring_close(in);
	shmring_close(reply);
	_exit(0);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * @nrt round trips (after a tenth as many unmeasured) of numbered
 * messages: into @lat, sorted; -1 if one came back wrong.
 */
static int rt_loop(struct shmring *pub, struct shmring *ret, int64_t *lat)
{
	char msg[65536], got[65536];
	uint64_t warm = nrt / 10;

	memset(msg, 0x5a, msize);
	for (uint64_t i = 0; i < warm + nrt; i++) {
		memcpy(msg, &i, sizeof(i));
		int64_t t0 = now_ns();
		if (shmring_send(pub, msg, msize, -1) < 0)
			return -1;
		ssize_t n = shmring_recv(ret, got, sizeof(got), -1);
		int64_t t1 = now_ns();
		if (n != (ssize_t)msize || memcmp(got, msg, msize))
			return -1;
		if (i >= warm)
			lat[i - warm] = t1 - t0;
	}
	qsort(lat, nrt, sizeof(lat[0]), cmp_i64);
	return 0;
}

/* One round-trip run of @kind: its p50 and p99 in ns; 0, or -1. */
static int rt_run(enum rt_kind kind, double *p50, double *p99)
{
	struct shmring_opts o = { .kind = SHMRING_BCAST,
				  .capacity = (size_t)1 << 20,
				  .max_msg = msize };
	struct shmring_opts ob = { .kind = SHMRING_SPSC,
				   .capacity = (size_t)1 << 20,
				   .max_msg = msize };
	struct shmring *out = NULL, *back = NULL, *pub = NULL, *ret = NULL;
	int64_t *lat = malloc(nrt * sizeof(*lat));
	int bad = -1, st;
	pid_t pid;

	o.flags = kind == RT_OW ? SHMRING_OVERWRITE : 0;
	o.kind = kind == RT_SPSC ? SHMRING_SPSC : SHMRING_BCAST;
	memset(bd, 0, sizeof(*bd));
	if (!lat || shmring_create_anon(&o, &out) ||
	    shmring_create_anon(&ob, &back))
		goto out;
	if ((pid = spawn()) == 0)
		rt_echo(out, back);
	while (pid > 0 && !atomic_load(&bd->ready))
		;
	if (pid > 0 && !shmring_attach(out, SHMRING_PRODUCER, &pub) &&
	    !shmring_attach(back, SHMRING_CONSUMER, &ret))
		bad = rt_loop(pub, ret, lat);
	shmring_close(pub); /* the subscriber's end of stream */
	if (bad && pid > 0)
		kill(pid, SIGKILL);
	if (pid > 0 && (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
			WEXITSTATUS(st)))
		bad = -1;
	shmring_close(ret);
	*p50 = bad ? 0 : (double)lat[nrt / 2];
	*p99 = bad ? 0 : (double)lat[nrt * 99 / 100];
out:
	shmring_close(out);
	shmring_close(back);
	free(lat);
	return bad;
}

/* ---------------------------------------------------------------- */
/* Medians, the table, the targets                                  */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of @n figures, each @stride doubles apart from @v. */
static double median_of(const double *v, int n, size_t stride)
{
	double w[MAXROUNDS];

	for (int i = 0; i < n; i++)
		w[i] = v[(size_t)i * stride];
	qsort(w, (size_t)n, sizeof(w[0]), cmp_double);
	return w[n / 2];
}

/* Each figure's median over the rounds, taken on its own. */
static struct result median(const struct result *r, int nr)
{
	struct result m;
	double *out = (double *)(void *)&m;
	for (int f = 0; f < NFIELDS; f++)
		out[f] = median_of((const double *)(const void *)r + f, nr,
				   sizeof(*r) / sizeof(double));
	return m;
}

static const int subs[] = { 1, 2, 4 };
#define NSUBS 3
static struct result med[NSUBS][NKINDS];
static double rt_med[NRT][2]; /* p50, p99 */

/* Every configuration, @rounds times; the medians. 0, or 1. */
static int measure(void)
{
	static struct result r[NSUBS][NKINDS][MAXROUNDS];
	double rt[NRT][2][MAXROUNDS];

	for (int s = 0; s < NSUBS; s++) {
		for (int round = 0; round < rounds; round++)
			for (int k = 0; k < NKINDS; k++) {
				if (why_not[k][0])
					continue;
				if (run((enum kind)k, subs[s],
					&r[s][k][round])) {
					fprintf(stderr, "%s to %d: failed\n",
						kind_names[k], subs[s]);
					return 1;
				}
			}
		for (int k = 0; k < NKINDS; k++)
			med[s][k] = median(r[s][k], rounds);
	}
	for (int round = 0; round < rounds; round++)
		for (int k = 0; k < NRT; k++)
			if (rt_run((enum rt_kind)k, &rt[k][0][round],
				   &rt[k][1][round])) {
				fprintf(stderr, "%s: failed\n", rt_names[k]);
				return 1;
			}
	for (int k = 0; k < NRT; k++)
		for (int q = 0; q < 2; q++)
			rt_med[k][q] = median_of(rt[k][q], rounds, 1);
	return 0;
}

static void print_table(void)
{
	printf("broadcast, %zu-byte messages, %llu per run, median of %d "
	       "rounds\n", msize, (unsigned long long)nmsgs, rounds);
	printf("%-16s %4s %12s %12s %12s %10s %10s %9s %7s\n", "transport",
	       "subs", "msgs/s/sub", "msgs/s all", "pub msgs/s", "pub CPU ns",
	       "CPU ns/msg", "lost", "wakes");
	for (int s = 0; s < NSUBS; s++)
		for (int k = 0; k < NKINDS; k++) {
			const struct result *m = &med[s][k];
			if (why_not[k][0]) {
				printf("%-16s %4d  %s\n", kind_names[k],
				       subs[s], why_not[k]);
				continue;
			}
			printf("%-16s %4d %12.0f %12.0f %12.0f %10.1f %10.1f "
			       "%9.0f ", kind_names[k], subs[s], m->per_sub,
			       m->total, m->pub, m->pub_cpu_ns, m->cpu_ns,
			       m->lost);
			if (k >= ZMQ_PS)
				printf("%7s\n", "-");
			else
				printf("%7.3f\n", m->wakes);
		}
	if (!why_not[IOX_PS][0])
		printf("iceoryx-pubsub copies nothing: the publisher writes each "
		       "message into a loaned chunk, each subscriber reads its "
		       "number where it lies (the others' subscribers copy it "
		       "out); RouDi's CPU is not counted\n");
	printf("round trip: 1 subscriber answers on an SPSC ring, %llu per "
	       "run, median of %d rounds\n", (unsigned long long)nrt, rounds);
	printf("%-20s %10s %10s\n", "transport", "p50 ns", "p99 ns");
	for (int k = 0; k < NRT; k++)
		printf("%-20s %10.0f %10.0f\n", rt_names[k], rt_med[k][0],
		       rt_med[k][1]);
}

/* A target of bcast 1 -> 1 against @k 1 -> 1, at least @want; its ratio,
 * or 0 where @k did not run. */
static double target_vs(enum kind k, double want)
{
	double t = 0;

	printf("target: bcast 1->1 / %s 1->1 (msgs/s per subscriber): ",
	       k == SPSC_N ? "spsc" : kind_names[k]);
	if (why_not[k][0] || why_not[BC_BP][0]) {
		printf("%s\n", why_not[k][0] ? why_not[k] : why_not[BC_BP]);
		return 0;
	}
	t = med[0][BC_BP].per_sub / med[0][k].per_sub;
	printf("%.2f (>= %.2f: %s)\n", t, want, t >= want ? "met" : "MISSED");
	return t;
}

static void print_targets(void)
{
	double t1 = target_vs(SPSC_N, 0.8);
	/* The publisher's work per message, as a rate: its own CPU time,
	 * which the subscribers' share of two CPUs does not change. */
	double t2 = 0, t2w = 0;
	printf("target: overwrite publisher, 4 subscribers / 1, by its CPU per "
	       "message: ");
	if (!why_not[BC_OW][0]) {
		t2 = med[0][BC_OW].pub_cpu_ns / med[2][BC_OW].pub_cpu_ns;
		t2w = med[2][BC_OW].pub / med[0][BC_OW].pub;
	}
	if (why_not[BC_OW][0])
		printf("%s\n", why_not[BC_OW]);
	else
		printf("%.2f (>= 0.90: %s); by wall-clock rate: %.2f\n", t2,
		       t2 >= 0.9 ? "met" : "MISSED", t2w);
	double tz = target_vs(ZMQ_PS, 10.0), ti = target_vs(IOX_PS, 20.0);
	for (int s = 0; s < NSUBS && !why_not[DGRAM_N][0]; s++)
		printf("vs dgram x %d: bcast %.1fx, spsc x %d %.1fx per "
		       "subscriber\n", subs[s],
		       med[s][BC_BP].per_sub / med[s][DGRAM_N].per_sub, subs[s],
		       med[s][SPSC_N].per_sub / med[s][DGRAM_N].per_sub);
	printf("round trip p50 / spsc-rt p50: bcast-rt %.2f, "
	       "bcast-overwrite-rt %.2f\n", rt_med[RT_BC][0] / rt_med[RT_SPSC][0],
	       rt_med[RT_OW][0] / rt_med[RT_SPSC][0]);
	printf("SUMMARY bcast_vs_spsc_1=%.2f overwrite_pub_4_vs_1=%.2f "
	       "overwrite_pub_wall_4_vs_1=%.2f "
	       "bcast_4_per_sub=%.0f spsc_x4_per_sub=%.0f dgram_x4_per_sub=%.0f "
	       "bcast_vs_zmq_1=%.2f bcast_vs_iox_1=%.2f zmq_1_per_sub=%.0f "
	       "iox_1_per_sub=%.0f bcast_rt_p50=%.0f "
	       "bcast_overwrite_rt_p50=%.0f spsc_rt_p50=%.0f\n",
	       t1, t2, t2w, med[2][BC_BP].per_sub, med[2][SPSC_N].per_sub,
	       med[2][DGRAM_N].per_sub, tz, ti,
	       why_not[ZMQ_PS][0] ? 0 : med[0][ZMQ_PS].per_sub,
	       why_not[IOX_PS][0] ? 0 : med[0][IOX_PS].per_sub,
	       rt_med[RT_BC][0], rt_med[RT_OW][0], rt_med[RT_SPSC][0]);
}

/* -k: the kinds not in @list (comma-separated names) are skipped. */
static int select_kinds(const char *list)
{
	int found = 0;

	for (int k = 0; k < NKINDS; k++) {
		const char *p = strstr(list, kind_names[k]);
		size_t len = strlen(kind_names[k]);
		while (p && !((p == list || p[-1] == ',') &&
			      (p[len] == 0 || p[len] == ',')))
			p = strstr(p + 1, kind_names[k]);
		if (p)
			found++;
		else
			snprintf(why_not[k], sizeof(why_not[k]), "skipped (-k)");
	}
	return found ? 0 : -1;
}

int main(int argc, char **argv)
{
	int opt, rc;

	while ((opt = getopt(argc, argv, "n:s:r:t:k:")) != -1) {
		if (opt == 'n')
			nmsgs = strtoull(optarg, NULL, 10);
		else if (opt == 's')
			msize = strtoull(optarg, NULL, 10);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 't')
			nrt = strtoull(optarg, NULL, 10);
		else if (opt != 'k' || select_kinds(optarg))
			return 2;
	}
	if (!nmsgs || nmsgs >= SEQ_PROBE || msize < 8 || msize > 65536 ||
	    rounds < 1 || rounds > MAXROUNDS || nrt < 100)
		return 2;
	bd = mmap(NULL, sizeof(*bd), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bd == MAP_FAILED)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!why_not[ZMQ_PS][0])
		zmq_ps_start(why_not[ZMQ_PS], sizeof(why_not[ZMQ_PS]));
	if (!why_not[IOX_PS][0])
		iox_ps_start(why_not[IOX_PS], sizeof(why_not[IOX_PS]));
	rc = measure();
	iox_ps_stop();
	zmq_ps_stop();
	if (rc)
		return rc;
	print_table();
	print_targets();
	return 0;
}
