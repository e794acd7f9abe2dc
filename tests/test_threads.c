/*
 * test_threads.c - both ring kinds between threads of one process, the
 * configuration ThreadSanitizer can see: every payload byte written by one
 * thread and read by another must be ordered by the library's acquire and
 * release pairs, or TSan reports a race. Plain C (no Criterion, which
 * cannot start under TSan); prints "N passed, N failed".
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmring.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SCALE 10 /* sanitized runs are 10-50x slower */
#else
#define SCALE 1
#endif

static int passed, failed;

#define CHECK(cond, ...)                                               \
	do {                                                           \
		if (!(cond)) {                                         \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                  \
			fputc('\n', stderr);                           \
			return -1;                                     \
		}                                                      \
	} while (0)

struct msg {
	uint32_t producer;
	uint32_t len;
	uint64_t seq;
	uint64_t sum;
	unsigned char payload[200];
};

static uint64_t fill(struct msg *m, uint32_t producer, uint64_t seq)
{
	m->producer = producer;
	m->seq = seq;
	m->len = (uint32_t)(seq * 7 % sizeof(m->payload));
	uint64_t sum = producer * 31u + seq;
	for (uint32_t i = 0; i < m->len; i++) {
		m->payload[i] = (unsigned char)(seq + i * 13u + producer);
		sum = sum * 131 + m->payload[i];
	}
	m->sum = sum;
	return offsetof(struct msg, payload) + m->len;
}

static int verify(const struct msg *m, size_t n)
{
	struct msg want;
	size_t len = fill(&want, m->producer, m->seq);
	return n == len && !memcmp(m, &want, len);
}

struct side {
	struct shmring *ring; /* this thread's handle, attached by main */
	uint32_t id;
	uint64_t count;       /* producer: to send; consumer: received */
	int use_burst;        /* 1: bursts and zero-copy; 2: bursts both ways */
	uint64_t spin_ns;
	int err;
	uint64_t *last;       /* consumer: last seq seen per producer */
	_Atomic uint64_t *seen; /* all consumers: messages seen */
};

static void *producer(void *arg)
{
	struct side *s = arg;
	struct shmring *r = s->ring;
	shmring_set_spin(r, s->spin_ns);
	for (uint64_t seq = 0; seq < s->count && !s->err;) {
		struct msg m[8];
		struct iovec v[8];
		size_t n = s->use_burst ? 4u * (unsigned)s->use_burst : 1;
		if (seq + n > s->count)
			n = (size_t)(s->count - seq);
		for (size_t i = 0; i < n; i++) {
			v[i].iov_base = &m[i];
			v[i].iov_len = fill(&m[i], s->id, seq + i);
		}
		int ret = s->use_burst ? shmring_send_burst(r, v, n, -1) :
					 shmring_send(r, v[0].iov_base,
						      v[0].iov_len, -1);
		if (ret < 0)
			s->err = ret;
		else
			seq += s->use_burst ? (uint64_t)ret : 1;
	}
	shmring_close(r);
	return NULL;
}

/* Is @m, of @n bytes or an error, the next message? Records it if so. */
static int take(struct side *s, const struct msg *m, ssize_t n)
{
	if (n < 0 || !verify(m, (size_t)n) ||
	    (s->last[m->producer] != UINT64_MAX &&
	     m->seq <= s->last[m->producer])) {
		s->err = n < 0 ? (int)n : -EBADMSG;
		return -1;
	}
	s->last[m->producer] = m->seq;
	s->count++;
	atomic_fetch_add_explicit(s->seen, 1, memory_order_relaxed);
	return 0;
}

/*
 * Bursts on the consumer's side too: a receive burst walks the records
 * of the producer's bursts on the one acquire of the first header (SC0
 * of SP1 in spsc.c). Storing that header first, or relaxed, makes TSan
 * report the copies of the records after it as races (tried).
 */
static void *burst_consumer(struct side *s)
{
	struct shmring *r = s->ring;
	for (;;) {
		struct msg m[8];
		struct iovec v[8];
		for (int i = 0; i < 8; i++)
			v[i] = (struct iovec){ &m[i], sizeof(m[i]) };
		int n = shmring_recv_burst(r, v, 1 + s->count % 8, -1);
		if (n == -EPIPE)
			break;
		if (n <= 0) {
			s->err = n ? n : -EPROTO;
			break;
		}
		for (int i = 0; i < n; i++)
			if (take(s, &m[i], (ssize_t)v[i].iov_len))
				goto out;
	}
out:
	shmring_close(r);
	return NULL;
}

static void *consumer(void *arg)
{
	struct side *s = arg;
	struct shmring *r = s->ring;
	shmring_set_spin(r, s->spin_ns);
	if (s->use_burst == 2)
		return burst_consumer(s);
	for (;;) {
		struct msg m;
		const void *p;
		ssize_t n;
		if (s->use_burst && (s->count & 1)) {
			/* Zero-copy on every other message. */
			n = shmring_peek(r, &p, -1);
			if (n >= 0 && (size_t)n <= sizeof(m)) {
				memcpy(&m, p, (size_t)n);
				shmring_release(r);
			}
		} else {
			n = shmring_recv(r, &m, sizeof(m), -1);
		}
		if (n == -EPIPE || take(s, &m, n))
			break;
	}
	shmring_close(r);
	return NULL;
}

/* P producer threads and C consumer threads on one ring of @kind. */
static int run(enum shmring_kind kind, unsigned np, unsigned nc,
	       uint64_t per_producer, int use_burst, uint64_t spin_ns)
{
	char name[64];
	snprintf(name, sizeof(name), "/shmring-t-%d-threads", (int)getpid());
	struct shmring_opts o = { .kind = kind,
				  .capacity = kind == SHMRING_SPSC ? 4096 : 16,
				  .max_msg = sizeof(struct msg) };
	struct shmring *ring;
	int ret = shmring_create(name, &o, 0, &ring);
	CHECK(ret == 0, "create: %s", shmring_strerror(ret));
	shmring_unlink(name); /* the handles keep it; nothing to clean up */

	_Atomic uint64_t seen = 0;
	struct side ps[8], cs[8];
	uint64_t last[8][8];
	pthread_t pt[8], ct[8];
	/*
	 * Every handle is attached before any thread runs: a producer that
	 * finished before another one attached would otherwise be, rightly,
	 * an end of stream for the consumers.
	 */
	struct shmring *ph[8], *ch[8];
	for (unsigned i = 0; i < np; i++) {
		ret = shmring_attach(ring, SHMRING_PRODUCER, &ph[i]);
		CHECK(ret == 0, "attach producer: %s", shmring_strerror(ret));
	}
	for (unsigned i = 0; i < nc; i++) {
		ret = shmring_attach(ring, SHMRING_CONSUMER, &ch[i]);
		CHECK(ret == 0, "attach consumer: %s", shmring_strerror(ret));
	}
	for (unsigned i = 0; i < nc; i++) {
		for (unsigned k = 0; k < 8; k++)
			last[i][k] = UINT64_MAX;
		cs[i] = (struct side){ .ring = ch[i], .use_burst = use_burst,
				       .spin_ns = spin_ns, .last = last[i],
				       .seen = &seen };
		pthread_create(&ct[i], NULL, consumer, &cs[i]);
	}
	for (unsigned i = 0; i < np; i++) {
		ps[i] = (struct side){ .ring = ph[i], .id = i,
				       .count = per_producer,
				       .use_burst = use_burst, .spin_ns = spin_ns };
		pthread_create(&pt[i], NULL, producer, &ps[i]);
	}
	int bad = 0;
	for (unsigned i = 0; i < np; i++) {
		pthread_join(pt[i], NULL);
		bad |= ps[i].err;
	}
	for (unsigned i = 0; i < nc; i++) {
		pthread_join(ct[i], NULL);
		bad |= cs[i].err;
	}
	shmring_close(ring);
	CHECK(!bad, "a thread failed: %s", shmring_strerror(bad));
	uint64_t total = atomic_load(&seen);
	CHECK(total == np * per_producer, "received %llu of %llu",
	      (unsigned long long)total,
	      (unsigned long long)(np * per_producer));
	return 0;
}

static void report(const char *what, int ret)
{
	printf("%s %s\n", ret ? "FAIL" : "PASS", what);
	if (ret)
		failed++;
	else
		passed++;
}

int main(void)
{
	uint64_t n = 200000 / SCALE;
	report("spsc 1x1 copy, spinning", run(SHMRING_SPSC, 1, 1, n, 0, 50000));
	report("spsc 1x1 burst and zero-copy, sleeping",
	       run(SHMRING_SPSC, 1, 1, n, 1, 0));
	report("spsc 1x1 bursts both ways, spinning",
	       run(SHMRING_SPSC, 1, 1, n, 2, 50000));
	report("mpmc 4x4 copy, spinning", run(SHMRING_MPMC, 4, 4, n / 4, 0, 50000));
	report("mpmc 3x2 burst and zero-copy, sleeping",
	       run(SHMRING_MPMC, 3, 2, n / 8, 1, 0));
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
