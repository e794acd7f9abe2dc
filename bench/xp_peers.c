/*
 * xp_peers.c - what a user would otherwise pick: Boost.Interprocess
 * message_queue (through boost_mq.cc), ZeroMQ over ipc://, and liburcu's
 * wait-free concurrent queue between two threads of one process, the
 * in-process reference. Boost and ZeroMQ are optional (configure finds
 * them or not; the table then says "not built").
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "xp.h"

#ifdef BENCH_WITH_BOOST
#include "boost_mq.h"
#endif
#ifdef BENCH_WITH_ZMQ
#include <zmq.h>
#endif

#define _LGPL_SOURCE /* the queue's inline fast paths, as users build it */
#include <urcu/wfcqueue.h>

/* Messages a queue may hold: about one ring's worth, 16 to 1024. */
static size_t queue_depth(const struct run *run)
{
	size_t n = run->capacity / (run->size + 64);

	return n < 16 ? 16 : n > 1024 ? 1024 : n;
}

/* ---------------------------------------------------------------- */
/* Boost.Interprocess message_queue                                 */

#ifdef BENCH_WITH_BOOST
static int bmq_make(struct run *run, int i)
{
	char shm[sizeof(run->path[i]) + 1];
	int err;

	make_name(run->path[i], sizeof(run->path[i]), "", "");
	/* Boost keeps the queue in /dev/shm under the same name */
	snprintf(shm, sizeof(shm), "/%s", run->path[i]);
	run->res[i] = res_add(RES_SHM, shm, -1);
	err = bmq_create(run->path[i], queue_depth(run), run->size);
	if (err < 0)
		die("message_queue(%s): %s", run->path[i], strerror(-err));
	return 0;
}

int boost_prepare(struct run *run)
{
	bmq_make(run, 0);
	if (run->t->kind == RTT)
		bmq_make(run, 1);
	return 0;
}

static void bq_open(struct run *run, struct bmq **q, int i)
{
	int err = bmq_open(run->path[i], q);

	if (err < 0)
		die("message_queue(%s): %s", run->path[i], strerror(-err));
}

/* h[0]: the queue this worker reads; h[1]: the one it writes */
static void boost_open(struct run *run, struct worker *w)
{
	struct bmq *a = NULL, *b = NULL;

	bq_open(run, &a, 0);
	if (run->t->kind == RTT)
		bq_open(run, &b, 1);
	switch (w->role) {
	case R_CONS:
		w->h[0] = a;
		break;
	case R_PROD:
		w->h[1] = a;
		break;
	case R_PING:
		w->h[1] = a;
		w->h[0] = b;
		break;
	case R_ECHO:
		w->h[0] = a;
		w->h[1] = b;
		break;
	case R_SOLO:
		die("no solo loop for a queue (internal)");
	}
}

static int boost_send(struct worker *w, const void *m, size_t len)
{
	return bmq_send(w->h[1], m, len);
}

static ssize_t boost_recv(struct worker *w, void *buf, size_t cap)
{
	return bmq_recv(w->h[0], buf, cap);
}

static void boost_close(struct run *run, struct worker *w)
{
	(void)run;
	for (int i = 0; i < 2; i++) {
		if (w->h[i])
			bmq_close(w->h[i]);
		w->h[i] = NULL;
	}
}

void boost_finish(struct run *run)
{
	/* Boost's own removal, then the slot is let go without a second */
	for (int i = 0; i < 2; i++) {
		if (run->res[i] < 0)
			continue;
		bmq_remove(run->path[i]);
		res_release(run->res[i]);
		run->res[i] = -1;
	}
}

const struct chan_ops boost_chan = {
	boost_open, boost_send, boost_recv, boost_close, false, NULL, NULL
};
#endif /* BENCH_WITH_BOOST */

/* ---------------------------------------------------------------- */
/* ZeroMQ over ipc://                                               */

#ifdef BENCH_WITH_ZMQ
int zmq_prepare(struct run *run)
{
	make_name(run->path[0], sizeof(run->path[0]), "/tmp/", ".zmq");
	run->res[0] = res_add(RES_PATH, run->path[0], -1);
	return 0;
}

/*
 * Streaming is PUSH to PULL, the round trip a PAIR. The consumer (the
 * echoer) binds, the producer (the pinger) connects; a connect before the
 * bind would wait for ZeroMQ's reconnect timer, so the binders bind before
 * an extra barrier and the connectors connect after it.
 */
static void zmq_open(struct run *run, struct worker *w)
{
	bool binds = w->role == R_CONS || w->role == R_ECHO;
	int type = run->t->kind == RTT ? ZMQ_PAIR :
		   binds ? ZMQ_PULL : ZMQ_PUSH;
	char ep[sizeof(run->path[0]) + 8];
	void *s;

	snprintf(ep, sizeof(ep), "ipc://%s", run->path[0]);
	w->ctx = zmq_ctx_new();
	if (!w->ctx)
		die("zmq_ctx_new: %s", zmq_strerror(errno));
	s = zmq_socket(w->ctx, type);
	if (!s)
		die("zmq_socket: %s", zmq_strerror(errno));
	w->h[0] = s;
	if (binds && zmq_bind(s, ep) < 0)
		die("zmq_bind(%s): %s", ep, zmq_strerror(errno));
	barrier(run, w);
	if (!binds && zmq_connect(s, ep) < 0)
		die("zmq_connect(%s): %s", ep, zmq_strerror(errno));
}

static int zmq_chan_send(struct worker *w, const void *m, size_t len)
{
	int n;

	while ((n = zmq_send(w->h[0], m, len, 0)) < 0 && errno == EINTR)
		;
	return n < 0 ? -errno : 0;
}

static ssize_t zmq_chan_recv(struct worker *w, void *buf, size_t cap)
{
	int n;

	while ((n = zmq_recv(w->h[0], buf, cap, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	if ((size_t)n > cap)
		return -EMSGSIZE; /* ZeroMQ truncated it */
	return n;
}

static void zmq_close_all(struct run *run, struct worker *w)
{
	(void)run;
	/* linger: the default waits until what was sent is delivered */
	zmq_close(w->h[0]);
	while (zmq_ctx_term(w->ctx) < 0 && errno == EINTR)
		;
	w->h[0] = w->ctx = NULL;
}

const struct chan_ops zmq_chan = {
	zmq_open, zmq_chan_send, zmq_chan_recv, zmq_close_all, false,
	NULL, NULL
};
#endif /* BENCH_WITH_ZMQ */

/* ---------------------------------------------------------------- */
/* liburcu wfcqueue between two threads                             */

/*
 * The in-process reference: the same process, two threads on two CPUs,
 * each message a malloc'd node, the queue unbounded. To keep the memory
 * bounded the consumer publishes how many it took, every 32 (fewer for
 * a shallow queue), and the producer keeps within queue_depth() of it,
 * as a ring would.
 */
struct uq {
	struct cds_wfcq_head head;
	_Alignas(LINE) struct cds_wfcq_tail tail;
};

struct unode {
	struct cds_wfcq_node node; /* first: a node is its message */
	unsigned char data[];
};
_Static_assert(offsetof(struct unode, node) == 0, "node first");

struct urcu_state {
	struct run *run;
	struct uq q[2];
	_Alignas(LINE) _Atomic uint64_t consumed; /* consumer writes */
	_Alignas(LINE) uint64_t sent;
	int cpu;
};

/*
 * The queue publishes a node with liburcu's own atomics (inline assembly),
 * which ThreadSanitizer cannot see; these tell it that a node's contents
 * pass from the thread that enqueued it to the one that dequeued it.
 */
#ifdef BENCH_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define handoff_release(p) __tsan_release(p)
#define handoff_acquire(p) __tsan_acquire(p)
#else
#define handoff_release(p) ((void)(p))
#define handoff_acquire(p) ((void)(p))
#endif

static void uq_init(struct uq *q)
{
	cds_wfcq_init(&q->head, &q->tail);
}

static struct unode *uq_take(const struct run *run, struct uq *q)
{
	struct cds_wfcq_node *n;

	/* one dequeuer per queue: the unlocked variant is allowed */
	while (!(n = __cds_wfcq_dequeue_blocking(&q->head, &q->tail)))
		spin_pause(run);
	handoff_acquire(n);
	return (struct unode *)(void *)n;
}

static void uq_put(struct uq *q, struct unode *m)
{
	cds_wfcq_node_init(&m->node);
	handoff_release(&m->node);
	cds_wfcq_enqueue(&q->head, &q->tail, &m->node);
}

static struct unode *unode_new(size_t size)
{
	struct unode *m = malloc(sizeof(*m) + size);

	if (!m)
		die("out of memory");
	return m;
}

static void *urcu_producer(void *arg)
{
	struct urcu_state *st = arg;
	struct run *run = st->run;
	uint64_t depth = queue_depth(run), i, done = 0;
	struct unode *m;

	pin_to(st->cpu);
	for (i = 0; more(run, i); i++) {
		while (i - done >= depth) {
			/* U1: acquire, pairs with U2: those nodes are freed */
			done = atomic_load_explicit(&st->consumed,
						    memory_order_acquire);
			if (i - done >= depth)
				spin_pause(run);
		}
		m = unode_new(run->size);
		memset(m->data, 0xa5, run->size); /* the payload is written */
		stamp(m->data, run->size, seq_of(0, i));
		uq_put(&st->q[0], m);
	}
	st->sent = i;
	m = unode_new(run->size);
	memcpy(m->data, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
	uq_put(&st->q[0], m);
	return NULL;
}

static void *urcu_echoer(void *arg)
{
	struct urcu_state *st = arg;

	pin_to(st->cpu);
	for (;;) {
		struct unode *m = uq_take(st->run, &st->q[0]);

		if (seq_in(m->data) == SEQ_END) {
			free(m);
			break;
		}
		uq_put(&st->q[1], m);
	}
	return NULL;
}

void urcu_work(struct run *run, struct worker *w)
{
	struct urcu_state *st = aligned_alloc(LINE, sizeof(*st));
	pthread_t th;
	int err;

	if (!st)
		die("out of memory");
	memset(st, 0, sizeof(*st));
	st->run = run;
	st->cpu = run->pinned ? mach.cpus[1] : -1;
	uq_init(&st->q[0]);
	uq_init(&st->q[1]);
	barrier(run, w);

	if (run->t->kind == TPUT) {
		/* publish often enough that the producer's window reopens */
		uint64_t every = 32;

		while (every > 1 && every * 2 > queue_depth(run))
			every /= 2;
		w->rank = 0;
		consumer_begin(w);
		err = pthread_create(&th, NULL, urcu_producer, st);
		if (err)
			die("pthread_create: %s", strerror(err));
		for (;;) {
			struct unode *m = uq_take(run, &st->q[0]);

			if (seq_in(m->data) == SEQ_END) {
				free(m);
				break;
			}
			check_seq(run, w, m->data, run->size);
			free(m);
			if ((w->got & (every - 1)) == 0)
				/* U2: release, pairs with U1 */
				atomic_store_explicit(&st->consumed, w->got,
						      memory_order_release);
			if ((w->got & TICK_MASK) == 0)
				tick(run, w);
		}
		consumer_end(run, w);
		pthread_join(th, NULL);
		producer_finished(run, w, st->sent);
	} else {
		struct unode *m = unode_new(run->size);
		bool going = true;

		memset(m->data, 0xa5, run->size);
		err = pthread_create(&th, NULL, urcu_echoer, st);
		if (err)
			die("pthread_create: %s", strerror(err));
		for (uint64_t i = 0; going; i++) {
			uint64_t t0, t1;

			stamp(m->data, run->size, i);
			t0 = now_ns();
			uq_put(&st->q[0], m);
			m = uq_take(run, &st->q[1]);
			t1 = now_ns();
			check_echo(run, m->data, run->size, i);
			going = rtt_record(run, i, t0, t1);
		}
		memcpy(m->data, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
		uq_put(&st->q[0], m);
		pthread_join(th, NULL);
	}
	free(st);
}
