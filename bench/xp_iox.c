/*
 * xp_iox.c - iceoryx publish/subscribe through its C binding, the
 * zero-copy middleware: the publisher loans a chunk in shared memory,
 * writes the message into it and publishes it; the subscriber takes the
 * chunk, reads the message where it lies and releases it. iceoryx itself
 * copies nothing; what the loops copy, they copy as shmring-zc's do (the
 * payload into the loan, and the echoer the message into its reply).
 *
 * iceoryx needs its daemon, RouDi (bench/roudi.c): each run starts it
 * with a configuration of its own, waits until it says that it is ready,
 * and stops it by its pid when the run is over (or when this program is
 * interrupted: run.c's cleanup knows the pid). One RouDi runs at a time
 * on a host: where another already runs, the rows say n/a and why.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "roudi.h"
#include "xp.h"

#ifdef BENCH_WITH_IOX
#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>

#define IOX_QUEUE 256  /* the subscriber queue's largest capacity */

/* RouDi of the current run (bench/roudi.c): its cleanup slots */
static int roudi_res = -1, roudi_names[ROUDI_NAMES] = { -1, -1, -1, -1, -1 };

/*
 * What RouDi makes (roudi_name), registered with run.c's cleanup, which
 * removes them after it has stopped RouDi, where RouDi aborted (the
 * workers killed when this program is interrupted). Registered only once
 * this run's RouDi is ready, that is, holds the lock on them.
 */
static void roudi_names_add(void)
{
	char name[112];
	bool shm;

	for (int i = 0; i < ROUDI_NAMES; i++)
		if (roudi_name(i, name, sizeof(name), &shm) == 0)
			roudi_names[i] = res_add(shm ? RES_SHM : RES_PATH,
						 name, -1);
}

/*
 * A worker's runtime name, unique per run: "shmring-bench-<pid>-<n>-w<i>".
 * The runtime makes a socket and a lock in /tmp by that name, which a
 * worker killed (the program interrupted) leaves behind: the parent
 * registers both for removal before the workers start.
 */
static void iox_app_name(const struct run *run, unsigned idx, char *buf,
			 size_t len)
{
	const char *base = strrchr(run->path[0], '/');

	snprintf(buf, len, "%s", base ? base + 1 : run->path[0]);
	buf[strcspn(buf, ".")] = 0;
	snprintf(buf + strlen(buf), len - strlen(buf), "-w%u", idx);
}

static void iox_app_files_add(struct run *run)
{
	char name[sizeof(run->path[0]) + 8], path[sizeof(name) + 16];

	for (unsigned i = 0; i < run->nw && i < 2; i++) {
		iox_app_name(run, i, name, sizeof(name));
		snprintf(path, sizeof(path), "/tmp/%s", name);
		run->res[1 + 2 * i] = res_add(RES_PATH, path, -1);
		snprintf(path, sizeof(path), "/tmp/%s.lock", name);
		run->res[2 + 2 * i] = res_add(RES_PATH, path, -1);
	}
}

int iox_prepare(struct run *run)
{
	pid_t pid;
	int err;

	if (run->size > ROUDI_LARGEST) {
		snprintf(run->na, sizeof(run->na),
			 "the RouDi configuration's chunks carry %d bytes",
			 ROUDI_LARGEST);
		return -ENOTSUP;
	}
	make_name(run->path[0], sizeof(run->path[0]), "/tmp/", ".toml");
	run->res[0] = res_add(RES_PATH, run->path[0], -1);
	if ((err = roudi_config(run->path[0])) < 0)
		die("%s: %s", run->path[0], strerror(-err));
	iox_app_files_add(run);
	if ((pid = roudi_spawn(run->path[0])) < 0)
		die("iox-roudi: %s", strerror((int)-pid));
	roudi_res = res_add(RES_PID, NULL, pid);
	/* a failure here still goes through iox_finish, which stops it */
	if (roudi_ready(run->na, sizeof(run->na)) < 0)
		return -ENOTSUP;
	roudi_names_add();
	return 0;
}

void iox_finish(struct run *run)
{
	(void)run;
	roudi_stop();
	res_forget(roudi_res);
	roudi_res = -1;
	/* gone if RouDi stopped cleanly; if it did not, removed now */
	for (int i = 0; i < ROUDI_NAMES; i++) {
		res_release(roudi_names[i]);
		roudi_names[i] = -1;
	}
}

/* ---------------------------------------------------------------- */
/* The workers                                                      */

/* A worker's two ends: a publisher and a subscriber, either unused. */
struct iox_ends {
	iox_pub_storage_t pub_store;
	iox_sub_storage_t sub_store;
	iox_pub_t pub;
	iox_sub_t sub;
};

/* The topic of queue i of this run; the run's config path is unique. */
static void iox_topic(const struct run *run, int i, char *inst, size_t len,
		      const char **event)
{
	const char *base = strrchr(run->path[0], '/');

	snprintf(inst, len, "%s", base ? base + 1 : run->path[0]);
	inst[strcspn(inst, ".")] = 0;
	*event = i ? "pong" : "ping";
}

static void iox_publisher(struct run *run, struct iox_ends *e, int i)
{
	iox_pub_options_t o;
	const char *event;
	char inst[sizeof(run->path[0])];

	iox_topic(run, i, inst, sizeof(inst), &event);
	iox_pub_options_init(&o);
	o.historyCapacity = 0;
	/* lossless, as every transport here: wait while the queue is full */
	o.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	e->pub = iox_pub_init(&e->pub_store, "shmring-bench", inst, event, &o);
}

static void iox_subscriber(struct run *run, struct iox_ends *e, int i)
{
	iox_sub_options_t o;
	const char *event;
	char inst[sizeof(run->path[0])];

	iox_topic(run, i, inst, sizeof(inst), &event);
	iox_sub_options_init(&o);
	o.queueCapacity = IOX_QUEUE;
	o.historyRequest = 0;
	o.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	e->sub = iox_sub_init(&e->sub_store, "shmring-bench", inst, event, &o);
}

/* Until each side's peer is there; the watchdog bounds the wait. */
static void iox_connect(struct iox_ends *e)
{
	while ((e->pub && !iox_pub_has_subscribers(e->pub)) ||
	       (e->sub && iox_sub_get_subscription_state(e->sub) !=
				  SubscribeState_SUBSCRIBED))
		spin_yield();
}

/* Producer and pinger publish on queue 0, the echoer answers on 1. */
static void iox_open(struct run *run, struct worker *w, struct iox_ends *e)
{
	char name[sizeof(run->path[0]) + 8];

	iox_app_name(run, w->idx, name, sizeof(name));
	iox_set_loglevel(Iceoryx_LogLevel_Warn);
	iox_runtime_init(name);
	memset(e, 0, sizeof(*e));
	if (w->role == R_PROD || w->role == R_PING)
		iox_publisher(run, e, 0);
	if (w->role == R_CONS || w->role == R_ECHO)
		iox_subscriber(run, e, 0);
	if (w->role == R_PING)
		iox_subscriber(run, e, 1);
	if (w->role == R_ECHO)
		iox_publisher(run, e, 1);
	iox_connect(e);
	barrier(run, w);
}

/*
 * No side leaves before the last message is taken (the barrier, as
 * chan.c's hold_until_received), then each lets its ends go.
 */
static void iox_close(struct run *run, struct worker *w, struct iox_ends *e)
{
	barrier(run, w);
	if (e->pub)
		iox_pub_deinit(e->pub);
	if (e->sub)
		iox_sub_deinit(e->sub);
	/* no iox_runtime_shutdown(): the exit below unregisters */
}

static void *iox_loan(const struct run *run, iox_pub_t pub)
{
	enum iox_AllocationResult r;
	void *p;

	while ((r = iox_pub_loan_chunk(pub, &p, (uint32_t)run->size)) !=
	       AllocationResult_SUCCESS) {
		/* every chunk is in a queue or held: wait for one back */
		if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS &&
		    r != AllocationResult_TOO_MANY_CHUNKS_ALLOCATED_IN_PARALLEL)
			die("iox_pub_loan_chunk: error %d", (int)r);
		spin_pause(run);
	}
	return p;
}

static const unsigned char *iox_take(const struct run *run, iox_sub_t sub)
{
	enum iox_ChunkReceiveResult r;
	const void *m;

	while ((r = iox_sub_take_chunk(sub, &m)) ==
	       ChunkReceiveResult_NO_CHUNK_AVAILABLE)
		spin_pause(run);
	if (r != ChunkReceiveResult_SUCCESS)
		die("iox_sub_take_chunk: error %d", (int)r);
	return m;
}

/* Written in place, as shmring-zc writes into its reservation. */
static void iox_publish(const struct run *run, const struct worker *w,
			iox_pub_t pub, uint64_t seq)
{
	unsigned char *p = iox_loan(run, pub);

	memcpy(p + 8, w->buf + 8, run->size - 8);
	stamp(p, run->size, seq);
	iox_pub_publish_chunk(pub, p);
}

static void iox_producer(struct run *run, struct worker *w,
			 struct iox_ends *e)
{
	uint64_t i;

	for (i = 0; more(run, i); i++)
		iox_publish(run, w, e->pub, seq_of(w->rank, i));
	producer_finished(run, w, i);
	memcpy(w->buf, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
	iox_publish(run, w, e->pub, SEQ_END);
}

static void iox_consumer(struct run *run, struct worker *w,
			 struct iox_ends *e)
{
	consumer_begin(w);
	for (;;) {
		const unsigned char *m = iox_take(run, e->sub);
		bool end = seq_in(m) == SEQ_END;

		if (!end)
			check_seq(run, w, m, run->size);
		iox_sub_release_chunk(e->sub, m);
		if (end)
			break;
		if ((w->got & TICK_MASK) == 0)
			tick(run, w);
	}
	consumer_end(run, w);
}

static void iox_pinger(struct run *run, struct worker *w, struct iox_ends *e)
{
	bool going = true;

	for (uint64_t i = 0; going; i++) {
		const unsigned char *m;
		uint64_t t0, t1;

		t0 = now_ns();
		iox_publish(run, w, e->pub, i);
		m = iox_take(run, e->sub);
		t1 = now_ns();
		check_echo(run, m, run->size, i);
		iox_sub_release_chunk(e->sub, m);
		going = rtt_record(run, i, t0, t1);
	}
	iox_publish(run, w, e->pub, SEQ_END);
}

static void iox_echoer(struct run *run, struct iox_ends *e)
{
	for (;;) {
		const unsigned char *m = iox_take(run, e->sub);
		unsigned char *p;

		if (seq_in(m) == SEQ_END) {
			iox_sub_release_chunk(e->sub, m);
			break;
		}
		p = iox_loan(run, e->pub);
		memcpy(p, m, run->size);
		iox_pub_publish_chunk(e->pub, p);
		iox_sub_release_chunk(e->sub, m);
	}
}

_Noreturn void iox_work(struct run *run, struct worker *w)
{
	struct iox_ends *e = calloc(1, sizeof(*e));

	if (!e)
		die("out of memory");
	iox_open(run, w, e);
	switch (w->role) {
	case R_PROD:
		iox_producer(run, w, e);
		break;
	case R_CONS:
		iox_consumer(run, w, e);
		break;
	case R_PING:
		iox_pinger(run, w, e);
		break;
	case R_ECHO:
		iox_echoer(run, e);
		break;
	case R_SOLO:
		die("no solo loop for iceoryx (internal)");
	}
	iox_close(run, w, e);
	free(e);
	/* the runtime unregisters from RouDi in its destructor, which only
	 * exit() runs; unregistered, RouDi would try to kill this process
	 * when it stops, and fail, leaving its shared memory behind */
	exit(0);
}
#endif /* BENCH_WITH_IOX */
