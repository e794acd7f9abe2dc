/*
 * bridge-bench.c - `shmring bridge` against its baselines, measured in the
 * same run over TCP on 127.0.0.1, in messages per second at each size:
 *
 *   bridged  producer -> ring -> shmring bridge -> TCP -> shmring bridge
 *            -> ring -> consumer (four processes)
 *   zmq      ZeroMQ PUSH -> TCP -> PULL, one message per ZeroMQ message
 *            (two processes)
 *   tcp      a plain TCP socket, each message length-prefixed, written and
 *            read through 64 KiB buffers (two processes)
 *
 * Each figure is the best of --runs runs: from the first send until the
 * receiver has the last message. Prints a table, a SUMMARY line with the
 * ratio bridged/zmq per size, and with --csv a file of the rows.
 *
 *   bridge-bench --shmring PATH [--quick] [--runs N] [--csv FILE]
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <shmring.h>

#define BURST 64
#define TCP_BUF (64 * 1024)

static const char *shmring_path = "tools/shmring";
static char ring_a[64], ring_b[64];
static pid_t kids[4];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bridge-bench: %s: %s\n", what, strerror(errno));
	for (int i = 0; i < 4; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	shmring_unlink(ring_a);
	shmring_unlink(ring_b);
	exit(1);
}

static void reap(void)
{
	for (int i = 0; i < 4; i++)
		if (kids[i] > 0) {
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
}

/* Tell the parent, over @fd, that the last message came. */
static void done(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(1);
	_exit(0);
}

static double wait_done(int fd, double t0)
{
	char c;
	if (read(fd, &c, 1) != 1)
		die("receiver");
	return now_s() - t0;
}

/* ---- ZeroMQ PUSH/PULL directly ---------------------------------------- */

static double run_zmq(size_t size, uint64_t n)
{
	int p[2], ep_pipe[2];
	char ep[256] = "";

	if (pipe(p) || pipe(ep_pipe))
		die("pipe");
	if (!(kids[0] = fork())) {
		void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_PULL);
		size_t len = sizeof(ep);
		char *buf = malloc(size);
		if (zmq_bind(s, "tcp://127.0.0.1:*") ||
		    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len))
			_exit(1);
		if (write(ep_pipe[1], ep, sizeof(ep)) != sizeof(ep))
			_exit(1);
		for (uint64_t i = 0; i < n; i++)
			if (zmq_recv(s, buf, size, 0) < 0)
				_exit(1);
		done(p[1]);
	}
	if (read(ep_pipe[0], ep, sizeof(ep)) != sizeof(ep))
		die("zmq receiver");
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_PUSH);
	char *buf = calloc(1, size);
	zmq_connect(s, ep);
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++)
		if (zmq_send(s, buf, size, 0) < 0)
			die("zmq_send");
	double t = wait_done(p[0], t0);
	zmq_close(s);
	zmq_ctx_term(ctx);
	free(buf);
	reap();
	close(p[0]), close(p[1]), close(ep_pipe[0]), close(ep_pipe[1]);
	return (double)n / t;
}

/* ---- a plain TCP socket --------------------------------------------- */

static int full_write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static double run_tcp(size_t size, uint64_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int p[2], one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (pipe(p) || l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &alen))
		die("tcp listen");
	if (!(kids[0] = fork())) {
		int c = accept(l, NULL, NULL);
		char *buf = malloc(TCP_BUF + size + 4);
		size_t have = 0, off = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint32_t len;
			/* Refill the buffer when a whole record is not in it. */
			while (have - off < 4 ||
			       have - off < 4 + (memcpy(&len, buf + off, 4), len)) {
				memmove(buf, buf + off, have - off);
				have -= off;
				off = 0;
				ssize_t k = read(c, buf + have, TCP_BUF);
				if (k <= 0)
					_exit(1);
				have += (size_t)k;
			}
			memcpy(&len, buf + off, 4);
			off += 4 + len;
		}
		done(p[1]);
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (void *)&a, sizeof(a)))
		die("tcp connect");
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char *buf = calloc(1, TCP_BUF + size + 4);
	size_t fill = 0;
	uint32_t len = (uint32_t)size;
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		memcpy(buf + fill, &len, 4);
		memset(buf + fill + 4, (int)i, size < 8 ? size : 8);
		fill += 4 + size;
		if (fill >= TCP_BUF || i + 1 == n) {
			if (full_write(s, buf, fill))
				die("tcp write");
			fill = 0;
		}
	}
	double t = wait_done(p[0], t0);
	close(s), close(l), close(p[0]), close(p[1]);
	free(buf);
	reap();
	return (double)n / t;
}

/* ---- ring -> bridge -> TCP -> bridge -> ring ------------------------- */

static pid_t spawn_bridge(char *const argv[], int err_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (err_fd >= 0)
			dup2(err_fd, 2);
		execv(shmring_path, argv);
		_exit(127);
	}
	return pid;
}

/* The receiving bridge prints "shmring: bridge: bound EP" with -v. */
static void read_endpoint(int fd, char *ep, size_t n)
{
	char line[512];
	size_t len = 0;

	while (len + 1 < sizeof(line) && read(fd, line + len, 1) == 1) {
		if (line[len] == '\n') {
			line[len] = 0;
			const char *b = strstr(line, "bound ");
			if (b) {
				snprintf(ep, n, "%s", b + 6);
				return;
			}
			len = 0;
			continue;
		}
		len++;
	}
	errno = EPROTO;
	die("receiving bridge");
}

static void consumer(size_t size, uint64_t n, int fd)
{
	struct shmring *r;
	struct iovec iov[BURST];
	char *buf = malloc(BURST * size + 1);

	if (shmring_open(ring_b, SHMRING_CONSUMER, &r))
		_exit(1);
	for (uint64_t got = 0; got < n;) {
		for (int i = 0; i < BURST; i++)
			iov[i] = (struct iovec){ buf + (size_t)i * size, size };
		int k = shmring_recv_burst(r, iov, BURST, -1);
		if (k < 0)
			_exit(1);
		got += (uint64_t)k;
	}
	done(fd);
}

static double run_bridged(size_t size, uint64_t n)
{
	struct shmring_opts o = { .kind = SHMRING_SPSC, .capacity = 4u << 20,
				  .max_msg = size };
	struct shmring *a, *b;
	int p[2], e[2];
	char ep[256];

	snprintf(ring_a, sizeof(ring_a), "/shmring-bench-%d-bra", (int)getpid());
	snprintf(ring_b, sizeof(ring_b), "/shmring-bench-%d-brb", (int)getpid());
	if (shmring_create(ring_a, &o, SHMRING_PRODUCER, &a) ||
	    shmring_create(ring_b, &o, 0, &b) || pipe(p) || pipe(e))
		die("rings");
	char a0[] = "shmring", a1[] = "bridge", a2[] = "-v", a3[] = "--bind",
	     a4[] = "tcp://127.0.0.1:*";
	char *in[] = { a0, a1, a2, a3, a4, ring_b, NULL };
	kids[0] = spawn_bridge(in, e[1]);
	read_endpoint(e[0], ep, sizeof(ep));
	char *out[] = { a0, a1, ring_a, ep, NULL };
	kids[1] = spawn_bridge(out, -1);
	if (!(kids[2] = fork()))
		consumer(size, n, p[1]);
	char *buf = calloc(1, size);
	struct iovec iov[BURST];
	for (int i = 0; i < BURST; i++)
		iov[i] = (struct iovec){ buf, size };
	double t0 = now_s();
	for (uint64_t sent = 0; sent < n;) {
		size_t want = n - sent < BURST ? (size_t)(n - sent) : BURST;
		int k = shmring_send_burst(a, iov, want, -1);
		if (k < 0) {
			errno = -k;
			die("send");
		}
		sent += (uint64_t)k;
	}
	double t = wait_done(p[0], t0);
	shmring_close(a); /* the end of stream takes the bridges down */
	reap();
	shmring_close(b);
	shmring_unlink(ring_a);
	shmring_unlink(ring_b);
	close(p[0]), close(p[1]), close(e[0]), close(e[1]);
	free(buf);
	return (double)n / t;
}

/* ---- the table ------------------------------------------------------- */

static double best(double (*f)(size_t, uint64_t), size_t size, uint64_t n,
		   int runs)
{
	double b = 0;
	for (int i = 0; i < runs; i++) {
		double r = f(size, n);
		b = r > b ? r : b;
	}
	return b;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 4096 };
	const char *csv = NULL;
	int runs = 3, quick = 0;
	double ratio[2];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1, runs = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--shmring"))
			shmring_path = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--runs"))
			runs = atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--csv"))
			csv = argv[++i];
		else {
			fprintf(stderr, "usage: bridge-bench --shmring PATH "
					"[--quick] [--runs N] [--csv FILE]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(600); /* a hang ends the run */
	FILE *f = csv ? fopen(csv, "w") : NULL;
	if (f)
		fprintf(f, "transport,size,msgs_per_s\n");
	printf("bridge: ring -> bridge -> TCP 127.0.0.1 -> bridge -> ring, "
	       "against ZeroMQ PUSH/PULL\nand a plain TCP socket between two "
	       "processes, msgs/s, best of %d\n\n", runs);
	printf("%6s  %12s  %12s  %12s  %11s\n", "size", "bridged", "zmq", "tcp",
	       "bridged/zmq");
	for (int i = 0; i < 2; i++) {
		uint64_t n = (sizes[i] < 1024 ? 1000000 : 200000) / (quick ? 20 : 1);
		double br = best(run_bridged, sizes[i], n, runs);
		double zq = best(run_zmq, sizes[i], n, runs);
		double tc = best(run_tcp, sizes[i], n, runs);
		ratio[i] = br / zq;
		printf("%6zu  %12.0f  %12.0f  %12.0f  %11.2f\n", sizes[i], br, zq,
		       tc, ratio[i]);
		if (f)
			fprintf(f, "bridged,%zu,%.0f\nzmq,%zu,%.0f\ntcp,%zu,%.0f\n",
				sizes[i], br, sizes[i], zq, sizes[i], tc);
		fflush(stdout);
	}
	printf("SUMMARY bridge bridged/zmq 64B %.2f 4096B %.2f (target >= 0.70)\n",
	       ratio[0], ratio[1]);
	if (f)
		fclose(f);
	return 0;
}
