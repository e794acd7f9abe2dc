/*
 * test_bcast_threads.c - broadcast rings between threads of one process,
 * the configuration ThreadSanitizer can see: a publisher thread and
 * three subscriber threads, each with its own handle, in both policies.
 * In back-pressure mode every payload byte a subscriber reads must be
 * ordered after the publisher's write by the library's acquire/release
 * pairs, and the publisher's next write over it after the subscriber's
 * read, or TSan reports a race; in overwrite mode the copy is a seqlock
 * read the library keeps out of TSan's sight, and what is checked is
 * that nothing torn is returned and losses add up. Plain C (Criterion
 * cannot start under TSan); prints "N passed, N failed".
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmring.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SCALE 20
#else
#define SCALE 1
#endif
#define SUBS 3
#define MAXM 256u

struct sub {
	struct shmring *r;
	uint64_t got, lost;
	int err;
};

static size_t make(unsigned char *b, uint64_t i)
{
	size_t len = 8 + (size_t)(i * 29 % (MAXM - 8));
	memcpy(b, &i, 8);
	for (size_t k = 8; k < len; k++)
		b[k] = (unsigned char)(i * 7 + k);
	return len;
}

static void *subscriber(void *arg)
{
	struct sub *s = arg;
	unsigned char b[MAXM], want[MAXM];
	uint64_t next = 0, i;
	for (;;) {
		ssize_t n = shmring_recv(s->r, b, sizeof(b), 30000000000);
		if (n == -EPIPE)
			break;
		if (n == -EOVERFLOW)
			continue;
		if (n < 8) {
			s->err = 1;
			break;
		}
		memcpy(&i, b, 8);
		if (i < next || (size_t)n != make(want, i) ||
		    memcmp(b, want, (size_t)n)) {
			s->err = 2;
			break;
		}
		next = i + 1;
		s->got++;
	}
	shmring_lost(s->r, &s->lost);
	return NULL;
}

static int run(unsigned flags, uint64_t n)
{
	struct shmring_opts o = { .kind = SHMRING_BCAST, .capacity = 8192,
				  .max_msg = MAXM, .flags = flags };
	struct shmring *base, *p;
	struct sub s[SUBS];
	pthread_t t[SUBS];
	unsigned char b[MAXM];
	int bad = 0;

	if (shmring_create_anon(&o, &base) ||
	    shmring_attach(base, SHMRING_PRODUCER, &p))
		return 1;
	for (int k = 0; k < SUBS; k++) {
		memset(&s[k], 0, sizeof(s[k]));
		if (shmring_attach(base, SHMRING_CONSUMER, &s[k].r))
			return 1;
		pthread_create(&t[k], NULL, subscriber, &s[k]);
	}
	for (uint64_t i = 0; i < n; i++)
		if (shmring_send(p, b, make(b, i), 30000000000))
			bad = 1;
	shmring_close(p);
	for (int k = 0; k < SUBS; k++) {
		pthread_join(t[k], NULL);
		if (s[k].err || s[k].got + s[k].lost != n ||
		    (!flags && s[k].lost))
			bad = 1;
		fprintf(stderr, "%s: subscriber %d got %llu, lost %llu%s\n",
			flags ? "overwrite" : "back-pressure", k,
			(unsigned long long)s[k].got,
			(unsigned long long)s[k].lost,
			s[k].err ? ", corrupt" : "");
		shmring_close(s[k].r);
	}
	shmring_close(base);
	return bad;
}

int main(void)
{
	int passed = 0, failed = 0;
	uint64_t n = 200000 / SCALE;

	if (run(0, n))
		failed++;
	else
		passed++;
	if (run(SHMRING_OVERWRITE, n))
		failed++;
	else
		passed++;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
