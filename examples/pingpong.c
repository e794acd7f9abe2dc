/*
 * pingpong.c - bounce a message between two processes over two rings.
 *
 *   usage: pingpong [-n ROUND_TRIPS] [-s SIZE]    (SIZE 1..65536)
 *
 * The parent sends SIZE bytes on the "ping" ring, the forked child sends
 * them back on the "pong" ring, N times. The parent times every round trip
 * and prints the minimum, median and 99th percentile in nanoseconds.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmring.h>

/* A round trip slower than this means the child is stuck or never came. */
#define PATIENCE_NS ((int64_t)5 * 1000000000)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Child: echo every ping back as a pong until the parent closes ping. */
static int echo(const char *ping_name, const char *pong_name, size_t size)
{
	struct shmring *ping, *pong;
	char *buf = malloc(size);
	ssize_t len;

	if (!buf || shmring_open(ping_name, SHMRING_CONSUMER, &ping) < 0 ||
	    shmring_open(pong_name, SHMRING_PRODUCER, &pong) < 0)
		return 1;
	while ((len = shmring_recv(ping, buf, size, -1)) >= 0)
		if (shmring_send(pong, buf, (size_t)len, -1) < 0)
			break;
	shmring_close(ping);
	shmring_close(pong);
	free(buf);
	/* -EPIPE is the parent's end of stream; anything else failed. */
	return len == -EPIPE ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct shmring_opts opts = { .kind = SHMRING_SPSC };
	struct shmring *ping = NULL, *pong = NULL;
	char ping_name[64], pong_name[64], *buf;
	long n = 100000, size = 64;
	int64_t *rtt;
	int c, err, status = 1, wst;
	pid_t child = -1;

	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		if (c == 'n' && (n = atol(optarg)) > 0)
			continue;
		if (c == 's' && (size = atol(optarg)) > 0 && size <= 65536)
			continue;
		fprintf(stderr, "usage: pingpong [-n ROUND_TRIPS] [-s 1..65536]\n");
		return 2;
	}

	/* Names unique to this run. The parent creates both rings before
	 * forking, so the child can open them at once. */
	snprintf(ping_name, sizeof(ping_name), "/pingpong-%d-ping", (int)getpid());
	snprintf(pong_name, sizeof(pong_name), "/pingpong-%d-pong", (int)getpid());
	opts.max_msg = (size_t)size;
	buf = calloc(1, (size_t)size);
	rtt = malloc((size_t)n * sizeof(*rtt));
	err = !buf || !rtt ? -ENOMEM :
	      shmring_create(ping_name, &opts, SHMRING_PRODUCER, &ping);
	if (err == 0)
		err = shmring_create(pong_name, &opts, SHMRING_CONSUMER, &pong);
	if (err == 0 && (child = fork()) == 0)
		/* A handle belongs to the process that opened it: the child
		 * opens its own ends and leaves the inherited ones alone. */
		_exit(echo(ping_name, pong_name, (size_t)size));
	if (child < 0 && err == 0)
		err = -errno;

	for (long i = 0; err == 0 && i < n; i++) {
		int64_t t0 = now_ns();

		err = shmring_send(ping, buf, (size_t)size, PATIENCE_NS);
		if (err == 0)
			err = (int)shmring_recv(pong, buf, (size_t)size,
						PATIENCE_NS);
		if (err > 0)
			err = 0; /* the length received */
		rtt[i] = now_ns() - t0;
	}

	if (err == 0) {
		qsort(rtt, (size_t)n, sizeof(*rtt), cmp);
		printf("%ld round trips of %ld bytes: min %lld ns, median %lld ns, "
		       "p99 %lld ns\n", n, size, (long long)rtt[0],
		       (long long)rtt[(n - 1) / 2],
		       (long long)rtt[(n * 99 + 99) / 100 - 1]);
		status = 0;
	} else {
		/* -EPIPE: the child died; -ETIMEDOUT: it never answered */
		fprintf(stderr, "pingpong: %s\n", shmring_strerror(err));
	}

	/* Closing ping ends the child's stream, so it exits by itself. */
	if (ping) {
		shmring_close(ping);
		shmring_unlink(ping_name);
	}
	if (pong) {
		shmring_close(pong);
		shmring_unlink(pong_name);
	}
	if (child > 0 && (waitpid(child, &wst, 0) < 0 || wst != 0))
		status = 1;
	free(buf);
	free(rtt);
	return status;
}
