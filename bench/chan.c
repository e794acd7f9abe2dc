/*
 * chan.c - the measuring loops shared by every transport that can be
 * seen as a channel of messages (struct chan_ops): the kernel's IPC and
 * the peer libraries. The shmring rings and the floors have loops of
 * their own (xp_shmring.c), to use what only they offer.
 *
 * Streaming: each producer sends numbered messages until told to stop;
 * each consumer checks every number it gets. Round trip: the pinger
 * sends one message, the echoer sends it back, the pinger times each
 * round trip on its own into the shared histogram.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/types.h>

#include "bench.h"

static void send_or_die(const struct chan_ops *ch, struct worker *w,
			const void *m, size_t len)
{
	int err = ch->send(w, m, len);

	if (err < 0)
		die("send: %s", strerror(-err));
}

/*
 * A transport without end of stream: the last producer to finish sends
 * one SEQ_END per consumer. Each producer counts itself done only after
 * its last send returned, so every message is queued before the first
 * SEQ_END, and each consumer stops at its own.
 */
static void send_ends(struct run *run, struct worker *w)
{
	const struct chan_ops *ch = run->t->ch;
	unsigned done;

	if (ch->eof)
		return;
	/* E1: acq_rel, pairs with the other producers' E1: their sends
	 * are done before the last one sends the ends */
	done = atomic_fetch_add_explicit(&ctl->prod_done, 1,
					 memory_order_acq_rel) + 1;
	if (done != run->np)
		return;
	memset(w->buf, 0, run->size);
	memcpy(w->buf, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
	for (unsigned c = 0; c < run->nc; c++)
		send_or_die(ch, w, w->buf, run->size);
}

/*
 * A transport without end of stream: no side closes before every
 * SEQ_END has been received. Closing is not enough to deliver what is
 * still queued: ZeroMQ's linger can drop the last messages of a socket
 * closed at once (seen here: a consumer waiting forever for its
 * SEQ_END), so the senders wait at one more barrier that the receivers
 * reach only after their SEQ_END. With end of stream, the close is what
 * the receivers wait for: no barrier then.
 */
static void hold_until_received(struct run *run, struct worker *w)
{
	if (!run->t->ch->eof)
		barrier(run, w);
}

static void chan_producer(struct run *run, struct worker *w)
{
	const struct chan_ops *ch = run->t->ch;
	uint64_t i;

	ch->open(run, w);
	barrier(run, w);
	for (i = 0; more(run, i); i++) {
		stamp(w->buf, run->size, seq_of(w->rank, i));
		send_or_die(ch, w, w->buf, run->size);
	}
	producer_finished(run, w, i);
	send_ends(run, w);
	hold_until_received(run, w);
	ch->close(run, w);
}

static void chan_consumer(struct run *run, struct worker *w)
{
	const struct chan_ops *ch = run->t->ch;

	ch->open(run, w);
	barrier(run, w);
	consumer_begin(w);
	for (;;) {
		ssize_t n = ch->recv(w, w->buf, run->size);

		if (n == 0)
			break; /* end of stream: the producer closed */
		if (n < 0)
			die("receive: %s", strerror((int)-n));
		if (n >= 8 && seq_in(w->buf) == SEQ_END)
			break;
		check_seq(run, w, w->buf, (size_t)n);
		if ((w->got & TICK_MASK) == 0)
			tick(run, w);
	}
	consumer_end(run, w);
	hold_until_received(run, w);
	ch->close(run, w);
}

static void chan_pinger(struct run *run, struct worker *w)
{
	const struct chan_ops *ch = run->t->ch;
	bool going = true;

	ch->open(run, w);
	barrier(run, w);
	for (uint64_t i = 0; going; i++) {
		uint64_t t0, t1;
		ssize_t n;

		stamp(w->buf, run->size, i);
		t0 = now_ns();
		send_or_die(ch, w, w->buf, run->size);
		n = ch->recv(w, w->buf, run->size);
		t1 = now_ns();
		if (n == 0)
			die("the echoer closed early");
		if (n < 0)
			die("receive: %s", strerror((int)-n));
		check_echo(run, w->buf, (size_t)n, i);
		going = rtt_record(run, i, t0, t1);
	}
	memcpy(w->buf, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
	send_or_die(ch, w, w->buf, run->size);
	hold_until_received(run, w);
	ch->close(run, w);
}

static void chan_echoer(struct run *run, struct worker *w)
{
	const struct chan_ops *ch = run->t->ch;

	ch->open(run, w);
	barrier(run, w);
	for (;;) {
		ssize_t n = ch->recv(w, w->buf, run->size);

		if (n == 0)
			break;
		if (n < 0)
			die("receive: %s", strerror((int)-n));
		if (n >= 8 && seq_in(w->buf) == SEQ_END)
			break;
		send_or_die(ch, w, w->buf, (size_t)n);
	}
	hold_until_received(run, w);
	ch->close(run, w);
}

void chan_work(struct run *run, struct worker *w)
{
	switch (w->role) {
	case R_PROD:
		chan_producer(run, w);
		break;
	case R_CONS:
		chan_consumer(run, w);
		break;
	case R_PING:
		chan_pinger(run, w);
		break;
	case R_ECHO:
		chan_echoer(run, w);
		break;
	case R_SOLO:
		die("no solo loop for a channel (internal)");
	}
}
