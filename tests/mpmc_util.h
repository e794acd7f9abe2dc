/*
 * mpmc_util.h - what the MPMC test programs share on top of testutil.h:
 * creating MPMC rings, self-checking messages (producer id, per-producer
 * sequence, checksum), the shared scoreboard in which consumer processes
 * record what they received, and the producer and consumer loops run by
 * child processes (or threads).
 *
 * A child reports failure through its exit status, never through cr_*: a
 * loop below returns 0, or the step that went wrong (and says which call
 * failed, and how, on stderr), for the child to _exit() with.
 */
#ifndef SHMRING_MPMC_UTIL_H
#define SHMRING_MPMC_UTIL_H

#include "testutil.h"

#include <stdatomic.h>
#include <sys/uio.h>

/* (LeakSanitizer and Criterion's runner: see testutil.h.) */

/* Create an MPMC ring; asserts success. */
static inline struct shmring *mu_create(const char *name, size_t slots,
					size_t max_msg, int role)
{
	return tu_create_kind(name, SHMRING_MPMC, slots, max_msg, role);
}

/* ---- self-checking messages ---------------------------------------- */

/*
 * A message is this header and a payload of pattern bytes whose length
 * and content follow from (producer, sequence). The checksum covers the
 * header (sum taken as 0) and the payload, so a torn or stale slot shows.
 */
struct mu_msg {
	uint32_t prod;
	uint32_t len; /* whole message, header included */
	uint64_t seq;
	uint32_t sum;
	uint32_t magic;
};
#define MU_MAGIC 0x4d504d43u /* "MPMC" */
#define MU_HDR sizeof(struct mu_msg)
#define MU_BUF 4096

static inline uint64_t mu_seed(uint32_t prod, uint64_t seq)
{
	return ((uint64_t)prod << 40) ^ seq ^ 0x5eedull;
}

static inline uint32_t mu_sum(const unsigned char *buf, size_t len)
{
	struct mu_msg h;
	uint32_t s;

	memcpy(&h, buf, MU_HDR);
	h.sum = 0;
	s = tu_fnv1a(&h, MU_HDR);
	for (size_t i = MU_HDR; i < len; i++) {
		s ^= buf[i];
		s *= 16777619u;
	}
	return s;
}

/* Write message (prod, seq) of at most max bytes (>= MU_HDR) into buf. */
static inline size_t mu_make(void *buf, uint32_t prod, uint64_t seq,
			     size_t max)
{
	unsigned char *p = buf;
	uint64_t s = mu_seed(prod, seq);
	size_t room = max - MU_HDR;
	size_t len = MU_HDR + (size_t)(tu_splitmix(&s) % (room + 1));
	struct mu_msg h = { .prod = prod, .len = (uint32_t)len, .seq = seq,
			    .magic = MU_MAGIC };

	memcpy(p, &h, MU_HDR);
	tu_fill(p + MU_HDR, len - MU_HDR, mu_seed(prod, seq));
	h.sum = mu_sum(p, len);
	memcpy(p, &h, MU_HDR);
	return len;
}

/* 0 if buf holds a whole message of n bytes; its id goes to *prod, *seq. */
static inline int mu_check(const void *buf, size_t n, uint32_t *prod,
			   uint64_t *seq)
{
	const unsigned char *p = buf;
	struct mu_msg h;

	if (n < MU_HDR)
		return 1;
	memcpy(&h, p, MU_HDR);
	if (h.magic != MU_MAGIC || h.len != n)
		return 2;
	if (h.sum != mu_sum(p, n))
		return 3;
	if (tu_check(p + MU_HDR, n - MU_HDR, mu_seed(h.prod, h.seq)))
		return 4;
	*prod = h.prod;
	*seq = h.seq;
	return 0;
}

/* ---- the scoreboard ------------------------------------------------- */

#define MU_MAX_PROD 16

/*
 * Shared by every process of a test (MAP_SHARED | MAP_ANONYMOUS, made
 * before fork): one bit per (producer, sequence), set with fetch_or, so a
 * message received twice, by any two consumers, is counted as a duplicate.
 */
struct mu_board {
	_Atomic uint64_t received;
	_Atomic uint64_t dups;
	_Atomic uint64_t torn;      /* failed mu_check() */
	_Atomic uint64_t unordered; /* a producer's seq went back, per consumer */
	_Atomic uint64_t unknown;   /* producer or seq out of range */
	_Atomic int64_t last_ns;    /* CLOCK_MONOTONIC of the last message */
	uint32_t nprod;
	uint64_t per_prod; /* bits per producer */
	uint64_t words;    /* words per producer */
	size_t size;       /* bytes mapped */
	_Atomic uint64_t bits[];
};

static struct mu_board *mu_board_cur;

/* Run by tu_fini() once the children are gone: they may write to it. */
static inline void mu_board_free(void)
{
	if (mu_board_cur) {
		munmap(mu_board_cur, mu_board_cur->size);
		mu_board_cur = NULL;
	}
}

static inline struct mu_board *mu_board_new(uint32_t nprod, uint64_t per_prod)
{
	uint64_t words = (per_prod + 63) / 64;
	size_t size = sizeof(struct mu_board) +
		      (size_t)(nprod * words) * sizeof(uint64_t);
	struct mu_board *b;

	cr_assert_leq(nprod, MU_MAX_PROD);
	cr_assert_null(mu_board_cur, "one scoreboard per test");
	b = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(b, MAP_FAILED, "mmap %zu: %s", size, strerror(errno));
	/* Fresh anonymous pages are zero: every counter and bit starts 0. */
	b->nprod = nprod;
	b->per_prod = per_prod;
	b->words = words;
	b->size = size;
	mu_board_cur = b;
	tu.at_fini = mu_board_free;
	return b;
}

/* Record one received message (producer and sequence already checked). */
static inline void mu_record(struct mu_board *b, uint32_t prod, uint64_t seq)
{
	uint64_t bit, old;

	if (prod >= b->nprod || seq >= b->per_prod) {
		atomic_fetch_add(&b->unknown, 1);
		return;
	}
	bit = UINT64_C(1) << (seq % 64);
	old = atomic_fetch_or(&b->bits[prod * b->words + seq / 64], bit);
	if (old & bit)
		atomic_fetch_add(&b->dups, 1);
	atomic_store(&b->last_ns, tu_now_ns());
	atomic_fetch_add(&b->received, 1);
}

static inline int mu_has(struct mu_board *b, uint32_t prod, uint64_t seq)
{
	uint64_t w = atomic_load(&b->bits[prod * b->words + seq / 64]);

	return (int)((w >> (seq % 64)) & 1);
}

/*
 * Assert the board is clean and that producer p's messages [0, sent[p])
 * all arrived, except the one numbered lost[p] (UINT64_MAX: none lost),
 * which must not have. Nothing beyond sent[p] may have arrived either.
 */
static inline void mu_board_verify(struct mu_board *b, const uint64_t *sent,
				   const uint64_t *lost)
{
	uint64_t expect = 0;

	cr_assert_eq(atomic_load(&b->dups), 0, "%llu duplicated messages",
		     (unsigned long long)atomic_load(&b->dups));
	cr_assert_eq(atomic_load(&b->torn), 0, "%llu torn messages",
		     (unsigned long long)atomic_load(&b->torn));
	cr_assert_eq(atomic_load(&b->unordered), 0,
		     "%llu messages out of their producer's order",
		     (unsigned long long)atomic_load(&b->unordered));
	cr_assert_eq(atomic_load(&b->unknown), 0, "%llu messages never sent",
		     (unsigned long long)atomic_load(&b->unknown));
	for (uint32_t p = 0; p < b->nprod; p++) {
		uint64_t missing = 0, first = UINT64_MAX;

		cr_assert_leq(sent[p], b->per_prod);
		for (uint64_t s = 0; s < b->per_prod; s++) {
			int want = s < sent[p] && s != lost[p];

			if (mu_has(b, p, s) == want)
				continue;
			cr_assert(want, "producer %u: message %llu arrived but "
				  "was %s", p, (unsigned long long)s,
				  s == lost[p] ? "the lost one" : "never sent");
			if (first == UINT64_MAX)
				first = s;
			missing++;
		}
		cr_assert_eq(missing, 0, "producer %u: %llu of %llu messages "
			     "missing, the first %llu", p,
			     (unsigned long long)missing,
			     (unsigned long long)sent[p],
			     (unsigned long long)first);
		expect += sent[p] - (lost[p] < sent[p]);
	}
	cr_assert_eq(atomic_load(&b->received), expect,
		     "received %llu messages, expected %llu",
		     (unsigned long long)atomic_load(&b->received),
		     (unsigned long long)expect);
}

/* ---- child loops ---------------------------------------------------- */

/* In a child: say on stderr which call failed and how; returns @step. */
static inline int mu_fail(int step, const char *call, int err)
{
	fprintf(stderr, "child %ld: %s: %d (%s), step %d\n", (long)getpid(),
		call, err, shmring_strerror(err), step);
	return step;
}

/* How a child sends or receives. */
enum mu_mode {
	MU_COPY,  /* shmring_send / shmring_recv */
	MU_BURST, /* shmring_send_burst / shmring_recv_burst */
	MU_ZERO,  /* shmring_reserve+commit / shmring_peek+release */
};
#define MU_BURST_N 8

/*
 * In a child: send messages [from, to) of producer prod, blocking, each
 * of at most max bytes. Returns 0 or the failing step (10..19).
 */
static inline int mu_produce(struct shmring *r, uint32_t prod, uint64_t from,
			     uint64_t to, size_t max, enum mu_mode mode)
{
	unsigned char buf[MU_BURST_N][MU_BUF]; /* per thread: 32 KiB */
	uint64_t s = from;

	if (max > MU_BUF || max < MU_HDR)
		return 10;
	while (s < to) {
		if (mode == MU_BURST) {
			struct iovec v[MU_BURST_N];
			size_t n = 0;
			int rc;

			while (n < MU_BURST_N && s + n < to) {
				v[n].iov_base = buf[n];
				v[n].iov_len = mu_make(buf[n], prod, s + n, max);
				n++;
			}
			rc = shmring_send_burst(r, v, n, -1);
			if (rc < 1 || (size_t)rc > n)
				return mu_fail(11, "send_burst", rc);
			s += (uint64_t)rc;
		} else if (mode == MU_ZERO) {
			void *p = NULL;
			size_t len;

			int rc = shmring_reserve(r, max, &p, -1);

			if (rc != 0)
				return mu_fail(12, "reserve", rc);
			len = mu_make(p, prod, s, max);
			rc = shmring_commit(r, len);
			if (rc != 0)
				return mu_fail(13, "commit", rc);
			s++;
		} else {
			size_t len = mu_make(buf[0], prod, s, max);
			int rc = shmring_send(r, buf[0], len, -1);

			if (rc != 0)
				return mu_fail(14, "send", rc);
			s++;
		}
	}
	return 0;
}

/* Check and record one message; keeps last[] for the FIFO check. */
static inline void mu_take(struct mu_board *b, const void *msg, size_t n,
			   uint64_t *last)
{
	uint32_t prod;
	uint64_t seq;

	if (mu_check(msg, n, &prod, &seq)) {
		atomic_fetch_add(&b->torn, 1);
		return;
	}
	if (prod < MU_MAX_PROD) {
		/* One consumer claims positions in order, and a producer
		 * publishes its messages at increasing positions. */
		if (last[prod] != UINT64_MAX && seq <= last[prod])
			atomic_fetch_add(&b->unordered, 1);
		last[prod] = seq;
	}
	mu_record(b, prod, seq);
}

/*
 * In a child: receive until end of stream, recording into the board.
 * Returns 0 when recv said -EPIPE, else the failing step (20..29).
 */
static inline int mu_consume(struct shmring *r, struct mu_board *b,
			     enum mu_mode mode)
{
	unsigned char buf[MU_BURST_N][MU_BUF]; /* per thread: 32 KiB */
	uint64_t last[MU_MAX_PROD];

	for (int i = 0; i < MU_MAX_PROD; i++)
		last[i] = UINT64_MAX;
	for (;;) {
		if (mode == MU_BURST) {
			struct iovec v[MU_BURST_N];
			int rc;

			for (int i = 0; i < MU_BURST_N; i++) {
				v[i].iov_base = buf[i];
				v[i].iov_len = MU_BUF;
			}
			rc = shmring_recv_burst(r, v, MU_BURST_N, -1);
			if (rc == -EPIPE)
				return 0;
			if (rc < 1 || rc > MU_BURST_N)
				return mu_fail(21, "recv_burst", rc);
			for (int i = 0; i < rc; i++)
				mu_take(b, buf[i], v[i].iov_len, last);
		} else if (mode == MU_ZERO) {
			const void *p = NULL;
			ssize_t n = shmring_peek(r, &p, -1);

			if (n == -EPIPE)
				return 0;
			if (n < 0)
				return mu_fail(22, "peek", (int)n);
			mu_take(b, p, (size_t)n, last);
			n = shmring_release(r);
			if (n != 0)
				return mu_fail(23, "release", (int)n);
		} else {
			ssize_t n = shmring_recv(r, buf[0], MU_BUF, -1);

			if (n == -EPIPE)
				return 0;
			if (n < 0)
				return mu_fail(24, "recv", (int)n);
			mu_take(b, buf[0], (size_t)n, last);
		}
	}
}

/* ---- children that start together ---------------------------------- */

/*
 * Every child opens its handle, says ready on one pipe, then waits for a
 * byte on another before it starts, so that no consumer can see an end of
 * stream before every producer has attached.
 */
struct mu_gate {
	int ready[2];
	int go[2];
	int n; /* children started through it */
};

static inline void mu_gate_init(struct mu_gate *g)
{
	tu_pipe(g->ready);
	tu_pipe(g->go);
	g->n = 0;
}

/* In a child, once attached: say ready, wait for go. */
static inline void mu_gate_pass(struct mu_gate *g)
{
	tu_signal(g->ready[1]);
	if (tu_await(g->go[0]) != 0)
		_exit(96);
}

/* In the parent: wait for every child to be ready, then open the gate. */
static inline void mu_gate_open(struct mu_gate *g)
{
	for (int i = 0; i < g->n; i++)
		cr_assert_eq(tu_await(g->ready[0]), 0,
			     "a child died before it was ready");
	for (int i = 0; i < g->n; i++)
		cr_assert_eq(tu_write_all(g->go[1], "!", 1), 0, "go: %s",
			     strerror(errno));
}

static inline void mu_gate_close(struct mu_gate *g)
{
	close(g->ready[0]);
	close(g->ready[1]);
	close(g->go[0]);
	close(g->go[1]);
}

/* Open @name in @role in a child, or _exit(95). */
static inline struct shmring *mu_child_open(const char *name, int role,
					    uint64_t spin_ns)
{
	struct shmring *r = NULL;

	if (tu_ring_open(name, role, &r) != 0)
		_exit(95);
	if (spin_ns != SHMRING_DEFAULT_SPIN_NS && shmring_set_spin(r, spin_ns))
		_exit(94);
	return r;
}

#endif /* SHMRING_MPMC_UTIL_H */
