/*
 * poll-bench.c - waiting in an event loop: shmring's pollable descriptor
 * against the kernel's own pollable transports, all in epoll, between two
 * processes; and shmring_poll() over 1, 8 and 64 rings.
 *
 *   usage: shmring-bench-poll [--quick]
 *
 * Rows, each the median of 3 trials, the transports alternating trial by
 * trial so that a slow phase of the machine hits them all:
 *   epoll round trip: one 64-byte message there and back, each side
 *     waiting only in epoll_wait (edge-triggered, draining until EAGAIN):
 *     shmring (shmring_poll_fd), pipe, eventfd + a shared 64-byte slot,
 *     UNIX stream socket. p50 of the round trip, and CPU per round trip
 *     (both processes).
 *   epoll streaming: 64-byte messages one way, the producer in blocking
 *     sends, the consumer in epoll_wait draining with try calls:
 *     shmring, pipe, UNIX stream socket. Messages per second, CPU per
 *     message.
 *   shmring_poll over M rings (1, 8, 64): the responder waits in
 *     shmring_poll() over M rings, the request comes on one of them in
 *     turn, the answer on a ring of its own. p50 round trip, CPU per
 *     round trip.
 * Each row prints a SUMMARY line; the target lines compare shmring with
 * the pipe measured in the same run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmring.h>

#define MSG 64
#define TRIALS 3
#define MAX_RINGS 64

static int quick;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu % CPU_SETSIZE, &s);
	sched_setaffinity(0, sizeof(s), &s); /* best effort */
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- the transports, one channel each way ----------------------------- */

enum kind { SHM, PIPE, EVFD, SOCK, NKINDS };
static const char *const kname[NKINDS] = { "shmring", "pipe", "eventfd+slot",
					   "unix-stream" };

struct chan {
	enum kind k;
	struct shmring *ring[2];  /* SHM: role-0 handles of the two rings */
	int fd[2][2];             /* PIPE, SOCK: [dir][end]; EVFD: [dir][0] */
	unsigned char *slot[2];   /* EVFD: the shared slot of each way */
};

/* One side's end: what it sends on and waits on. */
struct end {
	enum kind k;
	struct shmring *out, *in;
	int wfd, rfd, ep;
	unsigned char *oslot, *islot;
};

static void chan_make(struct chan *c, enum kind k)
{
	memset(c, 0, sizeof(*c));
	c->k = k;
	for (int d = 0; d < 2; d++) {
		switch (k) {
		case SHM: {
			struct shmring_opts o = { .kind = SHMRING_SPSC,
						  .capacity = 1 << 16,
						  .max_msg = MSG };
			if (shmring_create_anon(&o, &c->ring[d]))
				die("shmring_create_anon");
			break;
		}
		case PIPE:
			if (pipe2(c->fd[d], O_CLOEXEC))
				die("pipe");
			break;
		case EVFD:
			c->fd[d][0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			c->slot[d] = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
			if (c->fd[d][0] < 0 || c->slot[d] == MAP_FAILED)
				die("eventfd");
			break;
		case SOCK:
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				       c->fd[d]))
				die("socketpair");
			break;
		default:
			break;
		}
	}
}

/* Side @s (0 sends on way 0 and reads way 1; 1 the other way round). */
static void end_open(struct chan *c, int s, struct end *e)
{
	memset(e, 0, sizeof(*e));
	e->k = c->k;
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	int out = s, in = !s;
	int wait_fd = -1;
	switch (c->k) {
	case SHM:
		if (shmring_attach(c->ring[out], SHMRING_PRODUCER, &e->out) ||
		    shmring_attach(c->ring[in], SHMRING_CONSUMER, &e->in))
			die("shmring_attach");
		/* The receiver waits in epoll alone; the sender's blocking
		 * send (full ring, streaming) keeps the library's spin. */
		shmring_set_spin(e->in, 0);
		wait_fd = shmring_poll_fd(e->in, POLLIN);
		break;
	case PIPE:
		e->wfd = c->fd[out][1];
		e->rfd = c->fd[in][0];
		fcntl(e->rfd, F_SETFL, O_NONBLOCK);
		wait_fd = e->rfd;
		break;
	case EVFD:
		e->wfd = c->fd[out][0];
		e->rfd = c->fd[in][0];
		e->oslot = c->slot[out];
		e->islot = c->slot[in];
		wait_fd = e->rfd;
		break;
	case SOCK:
		/* A socket pair per way: the sender writes end 0. */
		e->wfd = c->fd[out][0];
		e->rfd = c->fd[in][1];
		fcntl(e->rfd, F_SETFL, O_NONBLOCK);
		wait_fd = e->rfd;
		break;
	default:
		break;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, wait_fd, &ev))
		die("epoll_ctl");
}

static void put(struct end *e, const unsigned char *m)
{
	uint64_t one = 1;
	switch (e->k) {
	case SHM:
		if (shmring_send(e->out, m, MSG, -1))
			die("shmring_send");
		break;
	case EVFD:
		memcpy(e->oslot, m, MSG);
		if (write(e->wfd, &one, 8) != 8)
			die("eventfd write");
		break;
	default: {
		ssize_t n = write(e->wfd, m, MSG);
		if (n != MSG)
			die("write");
	}
	}
}

/* Take one message without waiting: 1, or 0 if there is none. */
static int take(struct end *e, unsigned char *m)
{
	uint64_t v;
	switch (e->k) {
	case SHM: {
		ssize_t n = shmring_try_recv(e->in, m, MSG);
		if (n == MSG)
			return 1;
		if (n != -EAGAIN)
			die("shmring_try_recv");
		return 0;
	}
	case EVFD:
		if (read(e->rfd, &v, 8) != 8)
			return 0;
		memcpy(m, e->islot, MSG);
		return 1;
	default: {
		/* Stream: 64 bytes at a time; never split with one writer
		 * writing 64-byte writes and a reader reading 64. */
		ssize_t n = read(e->rfd, m, MSG);
		if (n == MSG)
			return 1;
		if (n > 0) {
			ssize_t k;
			while ((k = read(e->rfd, m + n, (size_t)(MSG - n))) <= 0)
				;
			return 1;
		}
		return 0;
	}
	}
}

/* The next message, waiting only in epoll. */
static void get(struct end *e, unsigned char *m)
{
	while (!take(e, m)) {
		struct epoll_event ev;
		if (epoll_wait(e->ep, &ev, 1, 10000) == 0) {
			fprintf(stderr, "poll-bench: %s: nothing in 10 s\n",
				kname[e->k]);
			exit(1);
		}
	}
}

/* ---- a trial: fork the other side, measure, report ------------------ */

struct result {
	double p50_ns;   /* round trip */
	double rate;     /* messages per second (streaming) */
	double cpu_ns;   /* CPU of both processes per message or round trip */
};

/* Let go of what end_open() took (the channel's descriptors are its own). */
static void end_close(struct end *e)
{
	if (e->out)
		shmring_close(e->out);
	if (e->in)
		shmring_close(e->in);
	close(e->ep);
}

/* Let go of what chan_make() made. */
static void chan_free(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		if (c->ring[d])
			shmring_close(c->ring[d]);
		if (c->k == PIPE || c->k == SOCK) {
			close(c->fd[d][0]);
			close(c->fd[d][1]);
		} else if (c->k == EVFD) {
			close(c->fd[d][0]);
			munmap(c->slot[d], 4096);
		}
	}
}

static struct result trial_rt(enum kind k, int n)
{
	struct chan c;
	chan_make(&c, k);
	pid_t pid = fork();
	if (pid == 0) {
		struct end e;
		unsigned char m[MSG];
		pin(1);
		end_open(&c, 1, &e);
		for (int i = 0; i < n; i++) {
			get(&e, m);
			put(&e, m);
		}
		_exit(0);
	}
	struct end e;
	unsigned char m[MSG] = { 0 };
	int64_t *lat = malloc(sizeof(*lat) * (size_t)n);
	pin(0);
	end_open(&c, 0, &e);
	int64_t c0 = cpu_ns(RUSAGE_SELF);
	for (int i = 0; i < n; i++) {
		int64_t t = now_ns();
		memcpy(m, &i, sizeof(i));
		put(&e, m);
		get(&e, m);
		lat[i] = now_ns() - t;
	}
	int64_t mine = cpu_ns(RUSAGE_SELF) - c0;
	int64_t k0 = cpu_ns(RUSAGE_CHILDREN);
	waitpid(pid, NULL, 0);
	int64_t theirs = cpu_ns(RUSAGE_CHILDREN) - k0;
	end_close(&e);
	chan_free(&c);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	struct result r = { .p50_ns = (double)lat[n / 2],
			    .cpu_ns = (double)(mine + theirs) / n };
	free(lat);
	return r;
}

static struct result trial_stream(enum kind k, int n)
{
	struct chan c;
	chan_make(&c, k);
	pid_t pid = fork();
	if (pid == 0) {
		struct end e;
		unsigned char m[MSG] = { 0 };
		pin(1);
		end_open(&c, 1, &e);
		for (int i = 0; i < n; i++) {
			memcpy(m, &i, sizeof(i));
			put(&e, m);
		}
		_exit(0);
	}
	struct end e;
	unsigned char m[MSG];
	pin(0);
	end_open(&c, 0, &e);
	int64_t t0 = now_ns(), c0 = cpu_ns(RUSAGE_SELF);
	for (int i = 0; i < n; i++) {
		get(&e, m);
		int v;
		memcpy(&v, m, sizeof(v));
		if (v != i) {
			fprintf(stderr, "poll-bench: %s: message %d is %d\n",
				kname[k], i, v);
			exit(1);
		}
	}
	int64_t el = now_ns() - t0, mine = cpu_ns(RUSAGE_SELF) - c0;
	int64_t k0 = cpu_ns(RUSAGE_CHILDREN);
	waitpid(pid, NULL, 0);
	int64_t theirs = cpu_ns(RUSAGE_CHILDREN) - k0;
	end_close(&e);
	chan_free(&c);
	return (struct result){ .rate = n / ((double)el / 1e9),
				.cpu_ns = (double)(mine + theirs) / n };
}

/* shmring_poll() over @m request rings; the answer on a ring of its own. */
static struct result trial_many(int m, int n)
{
	struct shmring_opts o = { .kind = SHMRING_SPSC, .capacity = 4096,
				  .max_msg = MSG };
	struct shmring *req[MAX_RINGS], *ans;
	for (int i = 0; i < m; i++)
		if (shmring_create_anon(&o, &req[i]))
			die("shmring_create_anon");
	if (shmring_create_anon(&o, &ans))
		die("shmring_create_anon");
	pid_t pid = fork();
	if (pid == 0) {
		struct shmring_pollitem it[MAX_RINGS];
		struct shmring *out;
		unsigned char msg[MSG];
		pin(1);
		for (int i = 0; i < m; i++) {
			if (shmring_attach(req[i], SHMRING_CONSUMER, &it[i].ring))
				_exit(1);
			it[i].events = POLLIN;
		}
		if (shmring_attach(ans, SHMRING_PRODUCER, &out))
			_exit(1);
		for (int done = 0; done < n;) {
			if (shmring_poll(it, (unsigned)m, -1) < 1)
				_exit(2);
			for (int i = 0; i < m; i++)
				while (it[i].revents &&
				       shmring_try_recv(it[i].ring, msg, MSG) == MSG) {
					shmring_send(out, msg, MSG, -1);
					done++;
				}
		}
		_exit(0);
	}
	struct shmring *snd[MAX_RINGS], *in;
	unsigned char msg[MSG] = { 0 };
	pin(0);
	for (int i = 0; i < m; i++)
		if (shmring_attach(req[i], SHMRING_PRODUCER, &snd[i]))
			die("attach");
	if (shmring_attach(ans, SHMRING_CONSUMER, &in))
		die("attach");
	shmring_set_spin(in, 0);
	int64_t *lat = malloc(sizeof(*lat) * (size_t)n);
	int64_t c0 = cpu_ns(RUSAGE_SELF);
	for (int i = 0; i < n; i++) {
		int64_t t = now_ns();
		shmring_send(snd[i % m], msg, MSG, -1);
		if (shmring_recv(in, msg, MSG, -1) != MSG)
			die("recv");
		lat[i] = now_ns() - t;
	}
	int64_t mine = cpu_ns(RUSAGE_SELF) - c0;
	int64_t k0 = cpu_ns(RUSAGE_CHILDREN);
	waitpid(pid, NULL, 0);
	int64_t theirs = cpu_ns(RUSAGE_CHILDREN) - k0;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	struct result r = { .p50_ns = (double)lat[n / 2],
			    .cpu_ns = (double)(mine + theirs) / n };
	free(lat);
	for (int i = 0; i < m; i++) {
		shmring_close(snd[i]);
		shmring_close(req[i]);
	}
	shmring_close(in);
	shmring_close(ans);
	return r;
}

static double median3(double a, double b, double c)
{
	return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

static struct result med(struct result *t)
{
	return (struct result){
		.p50_ns = median3(t[0].p50_ns, t[1].p50_ns, t[2].p50_ns),
		.rate = median3(t[0].rate, t[1].rate, t[2].rate),
		.cpu_ns = median3(t[0].cpu_ns, t[1].cpu_ns, t[2].cpu_ns),
	};
}

int main(int argc, char **argv)
{
	quick = argc > 1 && !strcmp(argv[1], "--quick");
	int rt_n = quick ? 2000 : 20000;
	int st_n = quick ? 20000 : 200000;
	struct result rt[NKINDS][TRIALS], st[NKINDS][TRIALS], rtm[NKINDS],
		stm[NKINDS];

	signal(SIGPIPE, SIG_IGN);
	for (int t = 0; t < TRIALS; t++)
		for (int k = 0; k < NKINDS; k++) {
			rt[k][t] = trial_rt((enum kind)k, rt_n);
			st[k][t] = k == EVFD ? (struct result){ 0 } :
					       trial_stream((enum kind)k, st_n);
		}
	printf("waiting in epoll (edge-triggered), 64-byte messages, two "
	       "processes, median of %d trials\n", TRIALS);
	printf("%-14s %14s %14s %16s %14s\n", "transport", "rt p50 (us)",
	       "rt CPU (us)", "stream (Mmsg/s)", "CPU/msg (ns)");
	for (int k = 0; k < NKINDS; k++) {
		rtm[k] = med(rt[k]);
		stm[k] = med(st[k]);
		if (k == EVFD)
			printf("%-14s %14.1f %14.1f %16s %14s\n", kname[k],
			       rtm[k].p50_ns / 1e3, rtm[k].cpu_ns / 1e3, "-", "-");
		else
			printf("%-14s %14.1f %14.1f %16.3f %14.0f\n", kname[k],
			       rtm[k].p50_ns / 1e3, rtm[k].cpu_ns / 1e3,
			       stm[k].rate / 1e6, stm[k].cpu_ns);
	}
	for (int k = 0; k < NKINDS; k++) {
		printf("SUMMARY epoll-rt %s p50_ns=%.0f cpu_ns=%.0f\n", kname[k],
		       rtm[k].p50_ns, rtm[k].cpu_ns);
		if (k != EVFD)
			printf("SUMMARY epoll-stream %s msgs_per_s=%.0f "
			       "cpu_ns_per_msg=%.0f\n",
			       kname[k], stm[k].rate, stm[k].cpu_ns);
	}

	int ms[] = { 1, 8, 64 };
	printf("\nshmring_poll over M rings: request on one of them in turn, "
	       "answer on a ring of its own\n");
	printf("%-8s %14s %14s\n", "rings", "rt p50 (us)", "rt CPU (us)");
	for (int i = 0; i < 3; i++) {
		struct result t[TRIALS];
		for (int j = 0; j < TRIALS; j++)
			t[j] = trial_many(ms[i], rt_n);
		struct result r = med(t);
		printf("%-8d %14.1f %14.1f\n", ms[i], r.p50_ns / 1e3,
		       r.cpu_ns / 1e3);
		printf("SUMMARY shmring_poll rings=%d p50_ns=%.0f cpu_ns=%.0f\n",
		       ms[i], r.p50_ns, r.cpu_ns);
	}

	double rt_ratio = rtm[SHM].p50_ns / rtm[PIPE].p50_ns;
	double st_ratio = stm[SHM].rate / stm[PIPE].rate;
	printf("\ntarget: epoll round trip shmring <= pipe: %.2fx the pipe's p50: %s\n",
	       rt_ratio, rt_ratio <= 1.0 ? "met" : "MISSED");
	printf("target: epoll streaming shmring >= 10x pipe: %.1fx: %s\n",
	       st_ratio, st_ratio >= 10.0 ? "met" : "MISSED");
	return 0;
}
