/*
 * xp_shmring.c - shmring's rings and the floors they are held against.
 *
 * The rings: SPSC with copy, burst and zero-copy calls (reserve/commit,
 * peek/release), each in the default spin-then-sleep mode and in the
 * blocking mode (spin 0: every wait sleeps on the futex at once); MPMC
 * with several producer and consumer processes on one ring. End of
 * stream is the library's own: the last producer's close.
 *
 * The floors use no library at all: a bare SPSC ring of fixed slots for
 * throughput, one cache line flipped between two CPUs for latency, and
 * memcpy of the message into a ring-sized buffer for bandwidth. Nothing
 * built on shared memory beats them on this machine; they say how much
 * of what remains is shmring's.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "shmring.h"
#include "bench.h"
#include "xp.h"

/* ---------------------------------------------------------------- */
/* Rings                                                            */

static void ring_create(struct run *run, int i)
{
	struct shmring_opts o = {
		.kind = (enum shmring_kind)run->t->ring_kind,
		.max_msg = run->size,
	};
	struct shmring *r;
	int err;

	if (o.kind == SHMRING_MPMC) {
		/* slots: about 4 MiB of them, 16 to 1024 */
		size_t slots = 16;

		while (slots < 1024 && slots * 2 * (run->size + 64) <= 4u << 20)
			slots *= 2;
		o.capacity = slots;
	} else {
		o.capacity = run->capacity;
	}
	make_name(run->path[i], sizeof(run->path[i]), "/", "");
	run->res[i] = res_add(RES_SHM, run->path[i], -1);
	/* role 0: create only; each worker attaches with its own role */
	err = shmring_create(run->path[i], &o, 0, &r);
	if (err < 0)
		die("shmring_create(%s): %s", run->path[i],
		    shmring_strerror(err));
	check_shm(shmring_close(r), "shmring_close");
}

int ring_prepare(struct run *run)
{
	ring_create(run, 0);
	if (run->t->kind == RTT)
		ring_create(run, 1);
	return 0;
}

static struct shmring *ring_attach(struct run *run, int i, int role)
{
	struct shmring *r;

	check_shm(shmring_open(run->path[i], role, &r), "shmring_open");
	/* spin 0: every wait sleeps on the futex, the worst case */
	if (run->t->block)
		check_shm(shmring_set_spin(r, 0), "shmring_set_spin");
	/* a consumer that looks again at once when it catches up */
	if (run->t->noslip)
		check_shm(shmring_set_slip(r, 0), "shmring_set_slip");
	return r;
}

/* Once every worker holds the rings, their names can go: a crash from
 * here on leaves nothing in /dev/shm. The parent removes them anyway. */
static void ring_forget(struct run *run, struct worker *w)
{
	int n = run->t->kind == RTT ? 2 : 1;

	if (w->idx != 0)
		return;
	for (int i = 0; i < n; i++) {
		int err = shmring_unlink(run->path[i]);

		if (err < 0 && err != -ENOENT)
			check_shm(err, "shmring_unlink");
	}
}

/*
 * Zero-copy: build message @seq in place at @p, as much of it as the
 * test touches (with --verify, always all of it: it is checked).
 */
static void zc_fill(const struct run *run, const struct worker *w,
		    unsigned char *p, uint64_t seq)
{
	if (run->t->touch != TOUCH_WORD)
		memcpy(p + 8, w->buf + 8, run->size - 8);
	stamp(p, run->size, seq);
}

/* Zero-copy: read what the test reads of a message beyond its number. */
static void zc_read(const struct run *run, const unsigned char *m, size_t n)
{
	uint64_t sum = 0;

	if (run->t->touch != TOUCH_ALL)
		return;
	for (size_t j = 0; j + 8 <= n; j += 8) {
		uint64_t v;

		memcpy(&v, m + j, 8);
		sum += v;
	}
	/* the reads must happen although nothing uses the sum */
	__asm__ __volatile__("" : : "r"(sum) : "memory");
}

static void ring_producer(struct run *run, struct worker *w)
{
	struct shmring *r = ring_attach(run, 0, SHMRING_PRODUCER);
	struct iovec iov[BURST];
	size_t size = run->size;
	uint64_t i = 0;

	barrier(run, w);
	switch (run->t->variant) {
	case V_COPY:
	case V_TRY:
		for (; more(run, i); i++) {
			stamp(w->buf, size, seq_of(w->rank, i));
			check_shm(shmring_send(r, w->buf, size, -1),
				  "shmring_send");
		}
		break;
	case V_BURST:
		while (more(run, i)) {
			size_t k = BURST, off = 0;

			if (run->count && run->count - i < k)
				k = (size_t)(run->count - i);
			for (size_t j = 0; j < k; j++) {
				stamp(w->buf + j * size, size,
				      seq_of(w->rank, i + j));
				iov[j].iov_base = w->buf + j * size;
				iov[j].iov_len = size;
			}
			while (off < k) {
				int n = shmring_send_burst(r, iov + off, k - off,
							   -1);

				check_shm(n, "shmring_send_burst");
				off += (size_t)n;
			}
			i += k;
		}
		break;
	case V_ZC:
		for (; more(run, i); i++) {
			void *p;

			check_shm(shmring_reserve(r, size, &p, -1),
				  "shmring_reserve");
			/* the message is built in place */
			zc_fill(run, w, p, seq_of(w->rank, i));
			check_shm(shmring_commit(r, size), "shmring_commit");
		}
		break;
	}
	producer_finished(run, w, i);
	/* closing the producer is the consumers' end of stream */
	check_shm(shmring_close(r), "shmring_close");
}

static void ring_consumer(struct run *run, struct worker *w)
{
	struct shmring *r = ring_attach(run, 0, SHMRING_CONSUMER);
	struct iovec iov[BURST];
	size_t size = run->size;
	ssize_t n;

	barrier(run, w);
	ring_forget(run, w);
	consumer_begin(w);
	/* one loop per variant, as for the producer: the measured loop
	 * holds nothing but the calls and the checks */
	switch (run->t->variant) {
	case V_COPY:
	case V_TRY:
		while ((n = shmring_recv(r, w->buf, size, -1)) != -EPIPE) {
			check_shm(n, "shmring_recv");
			check_seq(run, w, w->buf, (size_t)n);
			if ((w->got & TICK_MASK) == 0)
				tick(run, w);
		}
		break;
	case V_BURST:
		for (;;) {
			for (size_t j = 0; j < BURST; j++) {
				iov[j].iov_base = w->buf + j * size;
				iov[j].iov_len = size;
			}
			n = shmring_recv_burst(r, iov, BURST, -1);
			if (n == -EPIPE)
				break; /* end of stream */
			check_shm(n, "shmring_recv_burst");
			for (ssize_t j = 0; j < n; j++)
				check_seq(run, w, iov[j].iov_base,
					  iov[j].iov_len);
			if ((w->got & TICK_MASK) < BURST)
				tick(run, w);
		}
		break;
	case V_ZC:
		for (;;) {
			const void *m;

			n = shmring_peek(r, &m, -1);
			if (n == -EPIPE)
				break;
			check_shm(n, "shmring_peek");
			/* read in place: nothing is copied out */
			check_seq(run, w, m, (size_t)n);
			zc_read(run, m, (size_t)n);
			check_shm(shmring_release(r), "shmring_release");
			if ((w->got & TICK_MASK) == 0)
				tick(run, w);
		}
		break;
	}
	consumer_end(run, w);
	check_shm(shmring_close(r), "shmring_close");
}

static void ring_send(struct run *run, struct shmring *r, const void *m,
		      size_t len)
{
	int err;

	if (run->t->variant == V_TRY) {
		while ((err = shmring_try_send(r, m, len)) == -EAGAIN)
			spin_pause(run);
	} else {
		err = shmring_send(r, m, len, -1);
	}
	check_shm(err, "shmring_send");
}

static ssize_t ring_recv(struct run *run, struct shmring *r, void *buf)
{
	ssize_t n;

	if (run->t->variant == V_TRY) {
		while ((n = shmring_try_recv(r, buf, run->size)) == -EAGAIN)
			spin_pause(run);
	} else {
		n = shmring_recv(r, buf, run->size, -1);
	}
	return n;
}

static void ring_pinger(struct run *run, struct worker *w)
{
	struct shmring *ping = ring_attach(run, 0, SHMRING_PRODUCER);
	struct shmring *pong = ring_attach(run, 1, SHMRING_CONSUMER);
	bool zc = run->t->variant == V_ZC, going = true;
	size_t size = run->size;

	barrier(run, w);
	ring_forget(run, w);
	for (uint64_t i = 0; going; i++) {
		uint64_t t0, t1;
		const void *m;
		void *p;
		ssize_t n;

		if (!zc)
			stamp(w->buf, size, i);
		t0 = now_ns();
		if (zc) {
			check_shm(shmring_reserve(ping, size, &p, -1),
				  "shmring_reserve");
			zc_fill(run, w, p, i);
			check_shm(shmring_commit(ping, size), "shmring_commit");
			n = shmring_peek(pong, &m, -1);
			check_shm(n, "shmring_peek");
			zc_read(run, m, (size_t)n);
			t1 = now_ns();
			check_echo(run, m, (size_t)n, i);
			check_shm(shmring_release(pong), "shmring_release");
		} else {
			ring_send(run, ping, w->buf, size);
			n = ring_recv(run, pong, w->buf);
			t1 = now_ns();
			check_shm(n, "shmring_recv");
			check_echo(run, w->buf, (size_t)n, i);
		}
		going = rtt_record(run, i, t0, t1);
	}
	/* closing the producer is the echoer's end of stream */
	check_shm(shmring_close(ping), "shmring_close");
	check_shm(shmring_close(pong), "shmring_close");
}

static void ring_echoer(struct run *run, struct worker *w)
{
	struct shmring *ping = ring_attach(run, 0, SHMRING_CONSUMER);
	struct shmring *pong = ring_attach(run, 1, SHMRING_PRODUCER);
	bool zc = run->t->variant == V_ZC;

	barrier(run, w);
	for (;;) {
		const void *m;
		void *p;
		ssize_t n;

		if (zc) {
			n = shmring_peek(ping, &m, -1);
			if (n == -EPIPE)
				break;
			check_shm(n, "shmring_peek");
			check_shm(shmring_reserve(pong, (size_t)n, &p, -1),
				  "shmring_reserve");
			/* the reply: the message, or its number only */
			memcpy(p, m, run->t->touch == TOUCH_WORD && !cfg.verify ?
					     8 : (size_t)n);
			check_shm(shmring_commit(pong, (size_t)n),
				  "shmring_commit");
			check_shm(shmring_release(ping), "shmring_release");
		} else {
			n = ring_recv(run, ping, w->buf);
			if (n == -EPIPE)
				break; /* the pinger closed: done */
			check_shm(n, "shmring_recv");
			ring_send(run, pong, w->buf, (size_t)n);
		}
	}
	check_shm(shmring_close(ping), "shmring_close");
	check_shm(shmring_close(pong), "shmring_close");
}

void ring_work(struct run *run, struct worker *w)
{
	switch (w->role) {
	case R_PROD:
		ring_producer(run, w);
		break;
	case R_CONS:
		ring_consumer(run, w);
		break;
	case R_PING:
		ring_pinger(run, w);
		break;
	case R_ECHO:
		ring_echoer(run, w);
		break;
	case R_SOLO:
		die("no solo loop for a ring (internal)");
	}
}

/*
 * The copy API as a channel, for paired trials (paired.c): h[0] the ring
 * this side reads, h[1] the one it writes, each attached once and kept
 * for every block of the trial.
 */
static struct run *shm_chan_run;

static void shm_chan_open(struct run *run, struct worker *w)
{
	bool rtt = run->t->kind == RTT;

	shm_chan_run = run;
	switch (w->role) {
	case R_CONS:
	case R_ECHO:
		w->h[0] = ring_attach(run, 0, SHMRING_CONSUMER);
		w->h[1] = rtt ? ring_attach(run, 1, SHMRING_PRODUCER) : NULL;
		break;
	case R_PROD:
	case R_PING:
		w->h[1] = ring_attach(run, 0, SHMRING_PRODUCER);
		w->h[0] = rtt ? ring_attach(run, 1, SHMRING_CONSUMER) : NULL;
		break;
	case R_SOLO:
		die("no solo loop for a ring (internal)");
	}
}

static int shm_chan_send(struct worker *w, const void *m, size_t len)
{
	return shmring_send(w->h[1], m, len, -1);
}

static ssize_t shm_chan_recv(struct worker *w, void *buf, size_t cap)
{
	return shmring_recv(w->h[0], buf, cap, -1);
}

static void shm_chan_close(struct run *run, struct worker *w)
{
	(void)run;
	for (int i = 0; i < 2; i++)
		if (w->h[i])
			check_shm(shmring_close(w->h[i]), "shmring_close");
	w->h[0] = w->h[1] = NULL;
}

static void shm_chan_send_burst(struct worker *w, const unsigned char *msgs,
				size_t size, unsigned n)
{
	struct iovec iov[BURST];
	unsigned off = 0;

	for (unsigned j = 0; j < n && j < BURST; j++) {
		iov[j].iov_base = (void *)(uintptr_t)(msgs + j * size);
		iov[j].iov_len = size;
	}
	while (off < n) {
		int k = shmring_send_burst(w->h[1], iov + off, n - off, -1);

		check_shm(k, "shmring_send_burst");
		off += (unsigned)k;
	}
}

static unsigned shm_chan_recv_burst(struct worker *w, unsigned char *buf,
				    size_t size, unsigned max)
{
	struct iovec iov[BURST];
	ssize_t n;

	for (unsigned j = 0; j < max && j < BURST; j++) {
		iov[j].iov_base = buf + j * size;
		iov[j].iov_len = size;
	}
	n = shmring_recv_burst(w->h[0], iov, max, -1);
	check_shm(n, "shmring_recv_burst");
	(void)shm_chan_run;
	return (unsigned)n;
}

const struct chan_ops shmring_chan = {
	shm_chan_open, shm_chan_send, shm_chan_recv, shm_chan_close, true,
	shm_chan_send_burst, shm_chan_recv_burst
};

/* ---------------------------------------------------------------- */
/* The throughput floor                                             */

#define RAW_DATA_OFF 4096 /* slots start one page in */

/*
 * The least a shared-memory SPSC ring can do. Fixed slots (so no framing
 * and no padding records), one position per side on its own line, each
 * side caching the other's position, a release store per message (as
 * shmring publishes per send).
 */
struct raw_ring {
	_Alignas(LINE) _Atomic uint64_t head; /* producer writes */
	_Atomic unsigned closed;              /* producer writes, once */
	_Alignas(LINE) _Atomic uint64_t tail; /* consumer writes */
};

/* A round trip (paired trials only) takes two rings, one each way. */
int raw_ring_prepare(struct run *run)
{
	size_t slot = (run->size + 63) & ~(size_t)63, n = 2;

	while (n * 2 * slot <= run->capacity)
		n *= 2;
	run->slot = slot;
	run->nslots = n;
	run->map_len = (RAW_DATA_OFF + n * slot) * (run->t->kind == RTT ? 2 : 1);
	run->map = map_shared(run->map_len);
	return 0;
}

static inline unsigned char *raw_slot(const struct run *run, uint64_t pos)
{
	return (unsigned char *)run->map + RAW_DATA_OFF +
	       (pos & (run->nslots - 1)) * run->slot;
}

static void raw_producer(struct run *run, struct worker *w)
{
	struct raw_ring *rr = run->map;
	uint64_t head = 0, tail = 0;
	size_t size = run->size;

	barrier(run, w);
	for (; more(run, head); head++) {
		while (head - tail >= run->nslots) {
			/* R1: acquire, pairs with R4: the consumer is done
			 * reading the slots before this tail */
			tail = atomic_load_explicit(&rr->tail,
						    memory_order_acquire);
			if (head - tail >= run->nslots)
				spin_pause(run);
		}
		memcpy(raw_slot(run, head) + 8, w->buf + 8, size - 8);
		stamp(raw_slot(run, head), size, head);
		/* R2: release, pairs with R3: the slot is written */
		atomic_store_explicit(&rr->head, head + 1, memory_order_release);
	}
	producer_finished(run, w, head);
	/* R5: release, pairs with R6: every head store is before it */
	atomic_store_explicit(&rr->closed, 1, memory_order_release);
}

static void raw_consumer(struct run *run, struct worker *w)
{
	struct raw_ring *rr = run->map;
	uint64_t tail = 0, head = 0;

	barrier(run, w);
	consumer_begin(w);
	for (;;) {
		if (tail == head) {
			/* R3: acquire, pairs with R2 */
			head = atomic_load_explicit(&rr->head,
						    memory_order_acquire);
			if (tail == head) {
				/* R6: acquire, pairs with R5; then one more
				 * look at head, which R5 ordered before */
				if (atomic_load_explicit(&rr->closed,
							 memory_order_acquire)) {
					head = atomic_load_explicit(
						&rr->head, memory_order_acquire);
					if (tail == head)
						break;
				} else {
					spin_pause(run);
				}
				continue;
			}
		}
		/* copied out, as shmring_recv copies */
		memcpy(w->buf, raw_slot(run, tail), run->size);
		check_seq(run, w, w->buf, run->size);
		tail++;
		/* R4: release, pairs with R1: done with the slot */
		atomic_store_explicit(&rr->tail, tail, memory_order_release);
		if ((tail & TICK_MASK) == 0)
			tick(run, w);
	}
	consumer_end(run, w);
}

void raw_ring_work(struct run *run, struct worker *w)
{
	if (w->role == R_PROD)
		raw_producer(run, w);
	else
		raw_consumer(run, w);
}

/*
 * The raw ring as a channel, for paired trials: the same ring and the
 * same orderings as the loops above, one message per call, so that its
 * blocks run beside shmring's in one process pair.
 */
struct raw_end {
	struct raw_ring *rr;
	unsigned char *slots;
	size_t slot, nslots;
	uint64_t pos;   /* this side's position */
	uint64_t other; /* the other side's, as last read */
};
static struct raw_end raw_ends[2];
static struct run *raw_chan_run;

static void raw_chan_open(struct run *run, struct worker *w)
{
	size_t one = RAW_DATA_OFF + run->nslots * run->slot;

	raw_chan_run = run;
	for (int i = 0; i < 2; i++) {
		unsigned char *base = (unsigned char *)run->map + i * one;

		raw_ends[i] = (struct raw_end){
			(struct raw_ring *)(void *)base, base + RAW_DATA_OFF,
			run->slot, run->nslots, 0, 0
		};
	}
	if (w->role == R_CONS || w->role == R_ECHO) {
		w->h[0] = &raw_ends[0];
		w->h[1] = &raw_ends[1];
	} else {
		w->h[1] = &raw_ends[0];
		w->h[0] = &raw_ends[1];
	}
}

static int raw_chan_send(struct worker *w, const void *m, size_t len)
{
	struct raw_end *e = w->h[1];

	while (e->pos - e->other >= e->nslots) {
		/* RC1: acquire, pairs with RC4: the consumer is done
		 * reading the slots before this tail */
		e->other = atomic_load_explicit(&e->rr->tail,
						memory_order_acquire);
		if (e->pos - e->other >= e->nslots)
			spin_pause(raw_chan_run);
	}
	memcpy(e->slots + (e->pos & (e->nslots - 1)) * e->slot, m, len);
	e->pos++;
	/* RC2: release, pairs with RC3: the slot is written */
	atomic_store_explicit(&e->rr->head, e->pos, memory_order_release);
	return 0;
}

static ssize_t raw_chan_recv(struct worker *w, void *buf, size_t cap)
{
	struct raw_end *e = w->h[0];

	while (e->pos == e->other) {
		/* RC3: acquire, pairs with RC2 */
		e->other = atomic_load_explicit(&e->rr->head,
						memory_order_acquire);
		if (e->pos == e->other)
			spin_pause(raw_chan_run);
	}
	memcpy(buf, e->slots + (e->pos & (e->nslots - 1)) * e->slot, cap);
	e->pos++;
	/* RC4: release, pairs with RC1: done with the slot */
	atomic_store_explicit(&e->rr->tail, e->pos, memory_order_release);
	return (ssize_t)cap;
}

static void raw_chan_close(struct run *run, struct worker *w)
{
	(void)run;
	w->h[0] = w->h[1] = NULL;
}

const struct chan_ops raw_chan = {
	raw_chan_open, raw_chan_send, raw_chan_recv, raw_chan_close, false,
	NULL, NULL
};

/* ---------------------------------------------------------------- */
/* The latency floor                                                */

/*
 * One word on one line. The pinger writes an odd number, the echoer
 * answers with the next even one; a round trip is the line crossing to
 * the other CPU and back, nothing else.
 */
struct raw_line {
	_Alignas(LINE) _Atomic uint64_t word;
};
#define RAW_STOP UINT64_MAX

int raw_line_prepare(struct run *run)
{
	run->map_len = 4096;
	run->map = map_shared(run->map_len);
	return 0;
}

void raw_line_work(struct run *run, struct worker *w)
{
	struct raw_line *rl = run->map;
	bool going = true;

	barrier(run, w);
	if (w->role == R_ECHO) {
		uint64_t last = 0, x;

		for (;;) {
			/* L2: acquire, pairs with L1 (and the stop store) */
			while ((x = atomic_load_explicit(
					&rl->word, memory_order_acquire)) == last)
				spin_pause(run);
			if (x == RAW_STOP)
				break;
			last = x + 1;
			/* L3: release, pairs with L4 */
			atomic_store_explicit(&rl->word, last,
					      memory_order_release);
		}
		return;
	}
	for (uint64_t i = 0; going; i++) {
		uint64_t v = 2 * i + 1, t0, t1;

		t0 = now_ns();
		/* L1: release, pairs with L2 */
		atomic_store_explicit(&rl->word, v, memory_order_release);
		/* L4: acquire, pairs with L3 */
		while (atomic_load_explicit(&rl->word, memory_order_acquire) !=
		       v + 1)
			spin_pause(run);
		t1 = now_ns();
		going = rtt_record(run, i, t0, t1);
	}
	atomic_store_explicit(&rl->word, RAW_STOP, memory_order_release);
}

/* ---------------------------------------------------------------- */
/* The bandwidth floor                                              */

/*
 * One process copying each message into the next slot of a buffer the
 * size of a ring: what a copy into shared memory costs with no other CPU
 * involved. Each copy counts as a message.
 */
void memcpy_work(struct run *run, struct worker *w)
{
	size_t slot = (run->size + 63) & ~(size_t)63;
	size_t nslots = run->capacity / slot;
	unsigned char *dst;
	uint64_t i;

	if (nslots < 2)
		nslots = 2;
	dst = aligned_alloc(64, nslots * slot);
	if (!dst)
		die("out of memory");
	memset(dst, 0, nslots * slot); /* fault it in before timing */
	w->rank = 0;
	barrier(run, w);
	consumer_begin(w);
	for (i = 0; more(run, i); i++) {
		memcpy(dst + (i % nslots) * slot, w->buf, run->size);
		/* the copies must happen although nothing reads them */
		__asm__ __volatile__("" : : "r"(dst) : "memory");
		if ((i & TICK_MASK) == 0)
			tick(run, w);
	}
	w->got = i;
	producer_finished(run, w, i);
	consumer_end(run, w);
	free(dst);
}
