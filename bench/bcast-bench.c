/*
 * bcast-bench.c - broadcast, one publisher to 1, 2 and 4 subscribers, in
 * processes: the broadcast ring in both policies against, in the same
 * run, what fan-out costs without it: N SPSC rings (the publisher copies
 * each message N times) and one UNIX datagram socket per subscriber (N
 * system calls per message). Each configuration runs ROUNDS times, the
 * transports of one subscriber count one after the other in each round,
 * and the median round counts. Prints a table, the targets as ratios of
 * figures of this run, and one grep-able SUMMARY line.
 *
 *   usage: shmring-bcast-bench [-n MESSAGES] [-s SIZE] [-r ROUNDS]
 *
 * Figures (each the median of its own over the rounds): per subscriber,
 * the messages it received per second from the start to its last
 * message (the slowest subscriber's); in all, the sum; the publisher's
 * own rate, and its own CPU time per message (for overwrite mode, where
 * subscribers lose what they are too slow for: that count is shown too);
 * CPU, of every process, per message delivered; futex wake calls per
 * message sent (the rings' wake-up counter; 0 for the sockets). Not measured here: ZeroMQ PUB/SUB and
 * iceoryx (bench/README.md).
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"

#define MAXSUBS 4
#define MAXROUNDS 9

enum kind { BC_BP, BC_OW, SPSC_N, DGRAM_N, NKINDS };
static const char *const kind_names[] = { "bcast", "bcast-overwrite",
					  "spsc x N", "dgram x N" };

/* What the children report, in memory shared with the parent. */
struct board {
	_Atomic int ready;
	_Atomic int go;
	int64_t t0;
	struct {
		uint64_t got, lost;
		int64_t end;
		int err;
	} sub[MAXSUBS];
};

struct result {
	double per_sub, total, pub, cpu_ns;
	double pub_cpu_ns; /* the publisher's own CPU per message sent */
	double lost;
	double wakes; /* futex wake calls per message sent (rings only) */
};
#define NFIELDS 7

static uint64_t nmsgs = 500000;
static size_t msize = 64;
static struct board *bd;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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

/* A subscriber's loop on a ring: until end of stream. */
static void sub_ring(struct shmring *r, int k)
{
	char buf[65536];
	atomic_fetch_add(&bd->ready, 1);
	while (!atomic_load(&bd->go))
		;
	for (;;) {
		ssize_t n = shmring_recv(r, buf, sizeof(buf), -1);
		if (n == -EOVERFLOW)
			continue;
		if (n < 0) {
			bd->sub[k].err = n == -EPIPE ? 0 : (int)n;
			break;
		}
		bd->sub[k].got++;
		bd->sub[k].end = now_ns();
	}
	shmring_lost(r, &bd->sub[k].lost);
	shmring_close(r);
}

/* A subscriber's loop on a datagram socket: until the empty datagram. */
static void sub_dgram(int fd, int k)
{
	char buf[65536];
	atomic_fetch_add(&bd->ready, 1);
	while (!atomic_load(&bd->go))
		;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		bd->sub[k].got++;
		bd->sub[k].end = now_ns();
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
 * losses, and in *delivered what they took; -1 if one of them failed.
 */
static int tally(int n, int64_t t0, struct result *res, uint64_t *delivered)
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
		if (bd->sub[k].err)
			bad = -1;
	}
	return bad;
}

/* One run of @kind to @n subscribers; 0, or -1 if it could not run. */
static int run(enum kind kind, int n, struct result *res)
{
	struct shmring_opts o = { .kind = SHMRING_BCAST,
				  .capacity = (size_t)1 << 20,
				  .max_msg = msize };
	struct shmring *anon[MAXSUBS] = { NULL }, *pub[MAXSUBS] = { NULL };
	int sv[MAXSUBS][2];
	int nrings = kind == SPSC_N ? n : kind == DGRAM_N ? 0 : 1;
	char msg[65536];

	memset(bd, 0, sizeof(*bd));
	memset(msg, 0x5a, msize);
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
	int64_t c0 = cpu_ns();
	for (int k = 0; k < n; k++) {
		fflush(stdout);
		if (fork() == 0) {
			struct shmring *s = NULL;
			if (kind == DGRAM_N) {
				sub_dgram(sv[k][1], k);
				_exit(0);
			}
			if (shmring_attach(anon[kind == SPSC_N ? k : 0],
					   SHMRING_CONSUMER, &s))
				_exit(1);
			sub_ring(s, k);
			_exit(0);
		}
	}
	while (atomic_load(&bd->ready) < n)
		;
	for (int k = 0; k < nrings; k++)
		if (shmring_attach(anon[k], SHMRING_PRODUCER, &pub[k]))
			return -1;
	struct timespec pc0, pc1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &pc0);
	int64_t t0 = now_ns();
	atomic_store(&bd->go, 1);
	publish_all(kind, n, nrings, sv, pub, msg);
	int64_t t1 = now_ns();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &pc1);
	double wakes = 0;
	for (int k = 0; k < nrings; k++) {
		struct shmring_stats st;
		if (shmring_stats(pub[k], &st) == 0)
			wakes += (double)st.wakeups;
		shmring_close(pub[k]);
	}
	for (int k = 0; k < n && kind == DGRAM_N; k++)
		send(sv[k][0], msg, 0, 0);
	int bad = 0;
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
	uint64_t delivered = 0;
	if (tally(n, t0, res, &delivered))
		bad = 1;
	res->pub = (double)nmsgs / ((double)(t1 - t0) / 1e9);
	res->wakes = wakes / (double)nmsgs;
	res->pub_cpu_ns = ((double)(pc1.tv_sec - pc0.tv_sec) * 1e9 +
			   (double)(pc1.tv_nsec - pc0.tv_nsec)) / (double)nmsgs;
	res->cpu_ns = delivered ? (double)(c1 - c0) / (double)delivered : 0;
	return bad ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Each figure's median over the rounds, taken on its own. */
static struct result median(const struct result *r, int rounds)
{
	struct result m;
	double *out = (double *)(void *)&m;
	for (int f = 0; f < NFIELDS; f++) {
		double v[MAXROUNDS];
		for (int i = 0; i < rounds; i++)
			v[i] = ((const double *)(const void *)&r[i])[f];
		qsort(v, (size_t)rounds, sizeof(v[0]), cmp_double);
		out[f] = v[rounds / 2];
	}
	return m;
}

int main(int argc, char **argv)
{
	static const int subs[] = { 1, 2, 4 };
	struct result r[3][NKINDS][MAXROUNDS], med[3][NKINDS];
	int rounds = 3, opt;

	while ((opt = getopt(argc, argv, "n:s:r:")) != -1) {
		if (opt == 'n')
			nmsgs = strtoull(optarg, NULL, 10);
		else if (opt == 's')
			msize = strtoull(optarg, NULL, 10);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (!nmsgs || msize < 8 || msize > 65536 || rounds < 1 ||
	    rounds > MAXROUNDS)
		return 2;
	bd = mmap(NULL, sizeof(*bd), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bd == MAP_FAILED)
		return 1;
	for (int s = 0; s < 3; s++) {
		for (int round = 0; round < rounds; round++) {
			for (int k = 0; k < NKINDS; k++) {
				if (run((enum kind)k, subs[s], &r[s][k][round])) {
					fprintf(stderr, "%s to %d: failed\n",
						kind_names[k], subs[s]);
					return 1;
				}
			}
		}
		for (int k = 0; k < NKINDS; k++)
			med[s][k] = median(r[s][k], rounds);
	}
	printf("broadcast, %zu-byte messages, %llu per run, median of %d "
	       "rounds\n", msize, (unsigned long long)nmsgs, rounds);
	printf("%-16s %4s %12s %12s %12s %10s %10s %9s %7s\n", "transport",
	       "subs", "msgs/s/sub", "msgs/s all", "pub msgs/s", "pub CPU ns",
	       "CPU ns/msg", "lost", "wakes");
	for (int s = 0; s < 3; s++)
		for (int k = 0; k < NKINDS; k++)
			printf("%-16s %4d %12.0f %12.0f %12.0f %10.1f %10.1f "
			       "%9.0f %7.3f\n",
			       kind_names[k], subs[s], med[s][k].per_sub,
			       med[s][k].total, med[s][k].pub,
			       med[s][k].pub_cpu_ns, med[s][k].cpu_ns,
			       med[s][k].lost, med[s][k].wakes);
	double t1 = med[0][BC_BP].per_sub / med[0][SPSC_N].per_sub;
	/* The publisher's work per message, as a rate: its own CPU time,
	 * which the subscribers' share of two CPUs does not change. */
	double t2 = med[0][BC_OW].pub_cpu_ns / med[2][BC_OW].pub_cpu_ns;
	double t2w = med[2][BC_OW].pub / med[0][BC_OW].pub;
	printf("target: bcast 1->1 / spsc 1->1 (msgs/s per subscriber): "
	       "%.2f (>= 0.80: %s)\n", t1, t1 >= 0.8 ? "met" : "missed");
	printf("target: overwrite publisher, 4 subscribers / 1, by its CPU per "
	       "message: %.2f (>= 0.90: %s); by wall-clock rate: %.2f\n", t2,
	       t2 >= 0.9 ? "met" : "missed", t2w);
	for (int s = 0; s < 3; s++)
		printf("vs dgram x %d: bcast %.1fx, spsc x %d %.1fx per "
		       "subscriber\n", subs[s],
		       med[s][BC_BP].per_sub / med[s][DGRAM_N].per_sub, subs[s],
		       med[s][SPSC_N].per_sub / med[s][DGRAM_N].per_sub);
	printf("SUMMARY bcast_vs_spsc_1=%.2f overwrite_pub_4_vs_1=%.2f "
	       "overwrite_pub_wall_4_vs_1=%.2f "
	       "bcast_4_per_sub=%.0f spsc_x4_per_sub=%.0f dgram_x4_per_sub=%.0f\n",
	       t1, t2, t2w, med[2][BC_BP].per_sub, med[2][SPSC_N].per_sub,
	       med[2][DGRAM_N].per_sub);
	return 0;
}
