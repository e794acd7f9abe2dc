/*
 * test_poll_threads.c - readiness between threads of one process, the
 * configuration ThreadSanitizer can see: a consumer thread waiting only in
 * poll(2) on its ring's descriptor (io_uring, then the fallback's eventfd
 * and thread, forced with SHMRING_POLL_FALLBACK=1) or in shmring_poll(),
 * a producer thread sending; every message checked, none lost (a lost
 * wake-up is a poll that times out (10 s), and fails the run). It exists
 * for ThreadSanitizer, which follows the payloads from thread to thread
 * and the fallback's own thread (its start, the hand-over of its sleeps,
 * its join); the protections themselves are checked to fail by
 * tests/test_poll, which TSan cannot run. Plain C (no Criterion, which
 * cannot start under TSan); prints "N passed, N failed".
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmring.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SCALE 20 /* sanitized runs are 10-50x slower */
#else
#define SCALE 1
#endif

#define WAIT_MS 10000

struct arg {
	struct shmring *base;
	uint64_t n;
	int how; /* 0: poll(2) on the descriptor; 1: shmring_poll() */
	int rc;
};

static void *producer(void *p)
{
	struct arg *a = p;
	struct shmring *r = NULL;
	if (shmring_attach(a->base, SHMRING_PRODUCER, &r)) {
		a->rc = 1;
		return NULL;
	}
	for (uint64_t i = 0; i < a->n; i++) {
		unsigned char m[64] = { 0 };
		memcpy(m, &i, sizeof(i));
		if (shmring_send(r, m, 8 + i % 57, -1)) {
			a->rc = 2;
			break;
		}
	}
	shmring_close(r);
	return NULL;
}

/* Receive until end of stream, waiting only as @how says. */
static int consume(struct shmring *c, uint64_t n, int how)
{
	int fd = how ? -1 : shmring_poll_fd(c, POLLIN);
	uint64_t got = 0;
	if (!how && fd < 0)
		return 10;
	for (;;) {
		unsigned char m[64];
		ssize_t len = shmring_try_recv(c, m, sizeof(m));
		if (len >= 8) {
			uint64_t v;
			memcpy(&v, m, sizeof(v));
			if (v != got || (size_t)len != 8 + got % 57)
				return 11;
			got++;
			continue;
		}
		if (len == -EPIPE)
			return got == n ? 0 : 12;
		if (len != -EAGAIN)
			return 13;
		if (how) {
			struct shmring_pollitem it = { .ring = c, .events = POLLIN };
			int k = shmring_poll(&it, 1, WAIT_MS * INT64_C(1000000));
			if (k == 0)
				return 14; /* lost wake-up */
			if (k < 0 && k != -EINTR)
				return 15;
		} else {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int k = poll(&p, 1, WAIT_MS);
			if (k == 0)
				return 16; /* lost wake-up */
			if (k < 0 && errno != EINTR)
				return 17;
		}
	}
}

static int run(enum shmring_kind kind, int how, uint64_t n)
{
	struct shmring_opts o = { .kind = kind, .capacity = kind ? 64 : 4096,
				  .max_msg = 64 };
	struct arg a = { .n = n, .how = how };
	struct shmring *c = NULL;
	pthread_t t;
	int rc;
	if (shmring_create_anon(&o, &a.base) ||
	    shmring_attach(a.base, SHMRING_CONSUMER, &c))
		return 1;
	shmring_set_spin(c, 0);
	if (pthread_create(&t, NULL, producer, &a))
		return 2;
	rc = consume(c, n, how);
	/* Closed first: a producer blocked on a ring nobody drains after a
	 * failure then gets -EPIPE, and the join returns. */
	shmring_close(c);
	pthread_join(t, NULL);
	shmring_close(a.base);
	return rc ? rc : a.rc;
}

int main(void)
{
	static const char *const hows[] = { "poll(2) on the descriptor",
					    "shmring_poll()" };
	uint64_t n = 200000 / SCALE;
	int passed = 0, failed = 0;
	for (int fb = 0; fb < 2; fb++) {
		if (fb)
			setenv("SHMRING_POLL_FALLBACK", "1", 1);
		for (int kind = 0; kind < 2; kind++)
			for (int how = 0; how < 2; how++) {
				int rc = run((enum shmring_kind)kind, how, n);
				printf("%s %s, %s%s: %s (%d)\n",
				       rc ? "FAIL" : "ok",
				       kind ? "MPMC" : "SPSC", hows[how],
				       fb ? ", fallback" : "",
				       rc ? "failed" : "every message", rc);
				if (rc)
					failed++;
				else
					passed++;
			}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
