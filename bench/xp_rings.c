/*
 * xp_rings.c - the lock-free rings a performance-minded user weighs
 * shmring against: DPDK's rte_ring and Concurrency Kit's ck_ring, each
 * placed in a MAP_SHARED mapping made before the fork, so that the two
 * processes meet in it as they would in a hugepage or a shm object.
 *
 * rte_ring is used without DPDK's environment (no rte_eal_init): the
 * ring is sized with rte_ring_get_memsize_elem() and initialised in
 * place with rte_ring_init(); everything after that is inline code of
 * the headers. Elements are whole messages (64 bytes at the head size),
 * copied in and out as shmring_send/recv copy. ck_ring stores one
 * message per entry through CK_RING_PROTOTYPE, which makes the entry
 * a struct of the message's size.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "xp.h"

/* Entries a ring holds: about one shmring ring's bytes of messages. */
static unsigned ring_entries(const struct run *run, size_t esize)
{
	unsigned n = 16;

	while ((size_t)n * 2 * esize <= run->capacity && n < (1u << 20))
		n *= 2;
	return n;
}

/* Which of the two rings each side reads (h[0]) and writes (h[1]). */
static void pick_ends(struct worker *w, void *a, void *b)
{
	switch (w->role) {
	case R_CONS:
	case R_ECHO:
		w->h[0] = a;
		w->h[1] = b;
		break;
	case R_PROD:
	case R_PING:
		w->h[1] = a;
		w->h[0] = b;
		break;
	case R_SOLO:
		die("no solo loop for a ring (internal)");
	}
}

#ifdef BENCH_WITH_DPDK
#include <rte_config.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

/* ---------------------------------------------------------------- */
/* DPDK rte_ring                                                    */

static struct run *dpdk_run; /* this worker's run, for spin_pause */

static int dpdk_prepare(struct run *run, unsigned flags)
{
	unsigned n = ring_entries(run, run->size);
	ssize_t one = rte_ring_get_memsize_elem((unsigned)run->size, n);
	size_t len;

	if (one < 0) {
		snprintf(run->na, sizeof(run->na),
			 "rte_ring_get_memsize_elem: %s", strerror((int)-one));
		return -ENOTSUP;
	}
	len = ((size_t)one + 4095) & ~(size_t)4095;
	run->slot = len;
	run->map_len = len * (run->t->kind == RTT ? 2 : 1);
	run->map = map_shared(run->map_len);
	for (size_t off = 0; off < run->map_len; off += len) {
		int err = rte_ring_init((struct rte_ring *)(void *)
					((char *)run->map + off),
					"shmring-bench", n, flags);

		if (err < 0)
			die("rte_ring_init: %s", strerror(-err));
	}
	return 0;
}

int dpdk_sp_prepare(struct run *run)
{
	return dpdk_prepare(run, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int dpdk_mp_prepare(struct run *run)
{
	return dpdk_prepare(run, 0); /* multi-producer, multi-consumer */
}

int dpdk_rts_prepare(struct run *run)
{
	return dpdk_prepare(run, RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ);
}

static void dpdk_open(struct run *run, struct worker *w)
{
	char *base = run->map;

	dpdk_run = run;
	pick_ends(w, base, run->t->kind == RTT ? base + run->slot : NULL);
}

/*
 * The ring's own dispatch on the mode given to rte_ring_init() picks
 * single- or multi-producer code, as an application's would.
 */
static int dpdk_send(struct worker *w, const void *m, size_t len)
{
	while (rte_ring_enqueue_elem(w->h[1], (void *)(uintptr_t)m,
				     (unsigned)len) != 0)
		spin_pause(dpdk_run);
	return 0;
}

static ssize_t dpdk_recv(struct worker *w, void *buf, size_t cap)
{
	while (rte_ring_dequeue_elem(w->h[0], buf, (unsigned)cap) != 0)
		spin_pause(dpdk_run);
	return (ssize_t)cap; /* elements are of the run's size */
}

static void dpdk_close(struct run *run, struct worker *w)
{
	(void)run;
	w->h[0] = w->h[1] = NULL;
}

/* Bursts for paired trials: enqueue what fits until all is in. */
static void dpdk_send_burst(struct worker *w, const unsigned char *msgs,
			    size_t size, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		unsigned k = rte_ring_enqueue_burst_elem(
			w->h[1], msgs + (size_t)done * size, (unsigned)size,
			n - done, NULL);

		if (!k)
			spin_pause(dpdk_run);
		done += k;
	}
}

static unsigned dpdk_recv_burst(struct worker *w, unsigned char *buf,
				size_t size, unsigned max)
{
	unsigned n;

	while (!(n = rte_ring_dequeue_burst_elem(w->h[0], buf, (unsigned)size,
						 max, NULL)))
		spin_pause(dpdk_run);
	return n;
}

const struct chan_ops dpdk_chan = {
	dpdk_open, dpdk_send, dpdk_recv, dpdk_close, false,
	dpdk_send_burst, dpdk_recv_burst
};

/*
 * Bursts of BURST: the producer stamps a burst in its buffer and
 * enqueues what fits, again and again until all of it is in; the
 * consumer dequeues up to BURST at once and checks each message. The
 * last message is numbered SEQ_END.
 */
static void dpdk_burst_producer(struct run *run, struct worker *w)
{
	unsigned esize = (unsigned)run->size;
	uint64_t i = 0;

	barrier(run, w);
	while (more(run, i)) {
		unsigned n = 0, done = 0;

		for (; n < BURST && more(run, i + n); n++)
			stamp(w->buf + (size_t)n * esize, esize, seq_of(0, i + n));
		while (done < n) {
			unsigned k = rte_ring_sp_enqueue_burst_elem(
				w->h[1], w->buf + (size_t)done * esize, esize,
				n - done, NULL);

			if (!k)
				spin_pause(run);
			done += k;
		}
		i += n;
	}
	producer_finished(run, w, i);
	memcpy(w->buf, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
	dpdk_send(w, w->buf, esize);
}

static void dpdk_burst_consumer(struct run *run, struct worker *w)
{
	unsigned esize = (unsigned)run->size;

	barrier(run, w);
	consumer_begin(w);
	for (;;) {
		unsigned n = rte_ring_sc_dequeue_burst_elem(w->h[0], w->buf,
							    esize, BURST, NULL);

		if (!n) {
			spin_pause(run);
			continue;
		}
		for (unsigned k = 0; k < n; k++) {
			const unsigned char *m = w->buf + (size_t)k * esize;

			if (seq_in(m) == SEQ_END) {
				consumer_end(run, w);
				return;
			}
			check_seq(run, w, m, esize);
			if ((w->got & TICK_MASK) == 0)
				tick(run, w);
		}
	}
}

void dpdk_burst_work(struct run *run, struct worker *w)
{
	dpdk_open(run, w);
	if (w->role == R_PROD)
		dpdk_burst_producer(run, w);
	else
		dpdk_burst_consumer(run, w);
}
#endif /* BENCH_WITH_DPDK */

#ifdef BENCH_WITH_CK
#include <ck_ring.h>

/* ---------------------------------------------------------------- */
/* Concurrency Kit ck_ring                                          */

/*
 * CK_RING_PROTOTYPE stores values of one struct type in the ring's
 * buffer: the entry is the message, 64 bytes. Other sizes run in the
 * same 64-byte-entry program only where they fit (n/a above 64).
 */
#define CK_MSG 64
struct ck_msg {
	unsigned char b[CK_MSG];
};
CK_RING_PROTOTYPE(bench, ck_msg)

/* each ring on lines of its own: its read-only size and mask must not
 * share a line with the other ring's consumer head */
struct ck_shared {
	struct {
		_Alignas(LINE) struct ck_ring r;
	} ring[2];
	_Alignas(LINE) struct ck_msg buf[]; /* two buffers of n entries */
};

/* the ends of this worker's rings */
struct ck_end {
	struct ck_ring *ring;
	struct ck_msg *buf;
};
static struct ck_end ck_ends[2];
static struct run *ck_run;

int ck_prepare(struct run *run)
{
	unsigned n = ring_entries(run, CK_MSG);
	struct ck_shared *s;

	if (run->size != CK_MSG) {
		snprintf(run->na, sizeof(run->na),
			 "ck_ring entries here are %d bytes", CK_MSG);
		return -ENOTSUP;
	}
	run->nslots = n;
	run->map_len = sizeof(*s) + 2 * (size_t)n * sizeof(struct ck_msg);
	run->map = map_shared(run->map_len);
	s = run->map;
	ck_ring_init(&s->ring[0].r, n);
	ck_ring_init(&s->ring[1].r, n);
	return 0;
}

static void ck_open(struct run *run, struct worker *w)
{
	struct ck_shared *s = run->map;

	ck_run = run;
	ck_ends[0] = (struct ck_end){ &s->ring[0].r, s->buf };
	ck_ends[1] = (struct ck_end){ &s->ring[1].r, s->buf + run->nslots };
	pick_ends(w, &ck_ends[0], &ck_ends[1]);
}

static int ck_send(struct worker *w, const void *m, size_t len)
{
	struct ck_end *e = w->h[1];
	/* the worker's buffer is 64-byte aligned: the entry is copied
	 * from it straight into the ring */
	struct ck_msg *msg = (struct ck_msg *)(uintptr_t)m;

	(void)len;
	while (!ck_ring_enqueue_spsc_bench(e->ring, e->buf, msg))
		spin_pause(ck_run);
	return 0;
}

static ssize_t ck_recv(struct worker *w, void *buf, size_t cap)
{
	struct ck_end *e = w->h[0];

	(void)cap;
	while (!ck_ring_dequeue_spsc_bench(e->ring, e->buf, buf))
		spin_pause(ck_run);
	return CK_MSG;
}

static void ck_close(struct run *run, struct worker *w)
{
	(void)run;
	w->h[0] = w->h[1] = NULL;
}

const struct chan_ops ck_chan = {
	ck_open, ck_send, ck_recv, ck_close, false, NULL, NULL
};
#endif /* BENCH_WITH_CK */
