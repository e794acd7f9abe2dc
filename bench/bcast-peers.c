/*
 * bcast-peers.c - the broadcast benchmark's peers (bench/bcast-bench.c),
 * measured as its rings are: one publisher process, N subscriber
 * processes, each subscriber checks the number of every message.
 *
 * zmq-pubsub: ZeroMQ PUB bound to an ipc:// socket in a folder of this
 * run in /tmp, SUB sockets connected to it and subscribed to everything.
 * PUB drops what it sends before a subscription has arrived, and what
 * goes over its high-water mark: both marks are off (0, no limit), and
 * the publisher sends probes until every subscriber has taken one (a
 * hand-shake on the board), before it starts its clock.
 *
 * iceoryx-pubsub: iceoryx through its C binding, as bench/xp_iox.c uses
 * it: the publisher loans a chunk, writes the message into it and
 * publishes it; each subscriber takes the chunk, reads the number where
 * it lies and releases it. Lossless: the publisher waits for a full
 * subscriber queue. iceoryx needs its daemon, RouDi (bench/roudi.c),
 * started once for the program; where it cannot run (another RouDi runs
 * on the host) the rows say n/a and why.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bcast-bench.h"
#include "roudi.h"
#include "tsan.h"

#if defined(BENCH_WITH_ZMQ) && defined(BENCH_TSAN)
/* its hand-offs happen inside the library, out of the sanitizer's sight
 * (as in shmring-bench) */
#define ZMQ_NEEDS "a build without ThreadSanitizer (ZeroMQ)"
#undef BENCH_WITH_ZMQ
#else
#define ZMQ_NEEDS "ZeroMQ (libzmq, found by configure)"
#endif
#ifdef BENCH_WITH_ZMQ
#include <zmq.h>
#endif
#ifdef BENCH_WITH_IOX
#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>
#endif

#if defined(BENCH_WITH_ZMQ) || defined(BENCH_WITH_IOX)
/* The folder of this program in /tmp: ZeroMQ's sockets, RouDi's
 * configuration; "/tmp/shmring-bcast-<pid>-XXXXXX". */
static char tmpdir[64];
static unsigned run_no; /* names each run's socket, topic and runtimes */

static int tmpdir_make(void)
{
	if (tmpdir[0])
		return 0;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/shmring-bcast-%d-XXXXXX",
		 (int)getpid());
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		return -errno;
	}
	return 0;
}

/* Gone once both peers have stopped (rmdir fails while one still has a
 * file in it). */
static void tmpdir_remove(void)
{
	if (tmpdir[0] && rmdir(tmpdir) == 0)
		tmpdir[0] = 0;
}

/* Spin on what another process will do; where the processes of a run
 * outnumber the CPUs, let the others run. */
static void relax(unsigned *spins)
{
	if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	*spins = 0;
	sched_yield();
}

/* The publisher's clock and CPU, on the board. */
static void pub_begin(int64_t *cpu0)
{
	*cpu0 = self_cpu_ns();
	bd->t0 = now_ns();
	atomic_store(&bd->go, 1);
}

static void pub_end(int64_t cpu0)
{
	bd->t1 = now_ns();
	bd->pub_cpu = self_cpu_ns() - cpu0;
}

#endif /* either peer */

/* ---------------------------------------------------------------- */
/* ZeroMQ PUB/SUB                                                   */

#ifdef BENCH_WITH_ZMQ
static char zmq_ep[128]; /* this run's "ipc://<tmpdir>/pub-<n>.ipc" */

int zmq_ps_start(char *why, size_t len)
{
	int err = tmpdir_make();

	if (err < 0) {
		snprintf(why, len, "n/a: %s: %s", tmpdir, strerror(-err));
		return -ENOTSUP;
	}
	return 0;
}

/* Safe in a signal handler. */
void zmq_ps_stop(void)
{
	if (zmq_ep[0])
		unlink(zmq_ep + strlen("ipc://"));
	tmpdir_remove();
}

/* Subscriber @k: counts the first probe as "subscribed", skips the others. */
static void zmq_sub(int k)
{
	void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
	char buf[65536];
	bool subscribed = false;
	int zero = 0, idle_ms = IDLE_S * 1000, n;
	uint64_t seq;

	/* no message for IDLE_S (the end message lost): fail, not hang */
	if (!s || zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof(zero)) ||
	    zmq_setsockopt(s, ZMQ_RCVTIMEO, &idle_ms, sizeof(idle_ms)) ||
	    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0))
		_exit(1);
	for (unsigned spins = 0; !atomic_load(&bd->bound);)
		relax(&spins);
	if (zmq_connect(s, zmq_ep))
		_exit(1);
	while ((n = zmq_recv(s, buf, sizeof(buf), 0)) >= 0 || errno == EINTR) {
		if (n < 0)
			continue;
		if ((size_t)n != msize)
			bd->sub[k].err = -EMSGSIZE;
		memcpy(&seq, buf, sizeof(seq));
		if (seq == SEQ_END)
			break;
		if (seq != SEQ_PROBE)
			sub_took(k, seq, false);
		else if (!subscribed && (subscribed = true))
			atomic_fetch_add(&bd->ready, 1);
	}
	atomic_fetch_add(&bd->done, 1);
	zmq_close(s);
	zmq_ctx_term(ctx);
	_exit(n < 0);
}

/* Probes, each followed by a millisecond's look at the board, until all
 * @n subscribers have taken one. */
static void zmq_handshake(void *s, int n, char *msg)
{
	uint64_t probe = SEQ_PROBE;

	memcpy(msg, &probe, sizeof(probe));
	while (atomic_load(&bd->ready) < n) {
		int64_t until = now_ns() + 1000000;

		zmq_send(s, msg, msize, ZMQ_DONTWAIT);
		while (atomic_load(&bd->ready) < n && now_ns() < until)
			sched_yield();
	}
}

static void zmq_pub(int n)
{
	void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_PUB) : NULL;
	char msg[65536];
	int zero = 0;
	int64_t cpu0;

	if (!s || zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof(zero)) ||
	    zmq_bind(s, zmq_ep))
		_exit(1);
	atomic_store(&bd->bound, 1);
	memset(msg, 0x5a, msize);
	zmq_handshake(s, n, msg);
	pub_begin(&cpu0);
	for (uint64_t i = 0; i < nmsgs; i++) {
		memcpy(msg, &i, sizeof(i));
		while (zmq_send(s, msg, msize, 0) < 0)
			if (errno != EINTR)
				_exit(1);
	}
	pub_end(cpu0);
	memcpy(msg, &(uint64_t){ SEQ_END }, sizeof(uint64_t));
	while (zmq_send(s, msg, msize, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	zmq_close(s); /* lingers until the subscribers have it all */
	zmq_ctx_term(ctx);
	_exit(0);
}

int zmq_ps_run(int n, struct result *res)
{
	int rc;

	snprintf(zmq_ep, sizeof(zmq_ep), "ipc://%s/pub-%u.ipc", tmpdir,
		 run_no++);
	rc = run_procs(n, zmq_sub, zmq_pub, res);
	unlink(zmq_ep + strlen("ipc://"));
	return rc;
}
#else
int zmq_ps_start(char *why, size_t len)
{
	snprintf(why, len, "not built: needs " ZMQ_NEEDS);
	return -ENOTSUP;
}

void zmq_ps_stop(void)
{
}

int zmq_ps_run(int n, struct result *res)
{
	(void)n;
	(void)res;
	return -1;
}
#endif /* BENCH_WITH_ZMQ */

/* ---------------------------------------------------------------- */
/* iceoryx publish/subscribe                                        */

#ifdef BENCH_WITH_IOX
#define IOX_QUEUE 256 /* the subscriber queue's largest capacity */

/*
 * A subscriber's wait for the next message, in a peer without an end of
 * stream of its own: relax; a wait longer than IDLE_S (the end message
 * lost) fails it, rather than hang the run. *@since: when the wait
 * began, 0 once a message came (the clock is read only when it yields).
 */
static void sub_wait(unsigned *spins, int64_t *since)
{
	relax(spins);
	if (*spins)
		return;
	if (!*since)
		*since = now_ns();
	else if (now_ns() - *since > IDLE_S * INT64_C(1000000000))
		exit(1);
}

static char roudi_cfg[96];
static bool roudi_up;
static char iox_inst[64]; /* this run's topic instance: "<pid>-<n>" */

/* The names RouDi makes, and the runtimes' files of the current run
 * (bench/roudi.h): worked out beforehand, for iox_ps_stop. */
static char roudi_names[ROUDI_NAMES][112], iox_files[2 * MAXSUBS + 2][128];
static bool roudi_shm[ROUDI_NAMES];

int iox_ps_start(char *why, size_t len)
{
	char reason[128];
	pid_t pid;
	int err = tmpdir_make();

	if (err == 0) {
		snprintf(roudi_cfg, sizeof(roudi_cfg), "%s/roudi.toml", tmpdir);
		err = roudi_config(roudi_cfg);
	}
	if (err < 0 || (pid = roudi_spawn(roudi_cfg)) < 0) {
		snprintf(why, len, "n/a: iox-roudi: %s",
			 strerror(err < 0 ? -err : errno));
		unlink(roudi_cfg);
		return -ENOTSUP;
	}
	if (roudi_ready(reason, sizeof(reason)) < 0) {
		snprintf(why, len, "n/a: %s", reason);
		/* not ready: another RouDi may hold its names, keep them */
		roudi_stop();
		unlink(roudi_cfg);
		return -ENOTSUP;
	}
	for (int i = 0; i < ROUDI_NAMES; i++)
		if (roudi_name(i, roudi_names[i], sizeof(roudi_names[i]),
			       &roudi_shm[i]) < 0)
			roudi_names[i][0] = 0;
	roudi_up = true;
	return 0;
}

/*
 * Stop RouDi; what it makes is gone if it stopped cleanly, else removed;
 * the runtimes' files of a run that was stopped too. Safe in a signal
 * handler.
 */
void iox_ps_stop(void)
{
	for (size_t i = 0; i < sizeof(iox_files) / sizeof(iox_files[0]); i++)
		if (iox_files[i][0])
			unlink(iox_files[i]);
	if (!roudi_up)
		return;
	roudi_up = false;
	bool aborted = roudi_stop() < 0;

	for (int i = 0; aborted && i < ROUDI_NAMES; i++) {
		if (roudi_names[i][0] && roudi_shm[i])
			shm_unlink(roudi_names[i]);
		else if (roudi_names[i][0])
			unlink(roudi_names[i]);
	}
	unlink(roudi_cfg);
	tmpdir_remove();
}

/*
 * Process @k's runtime name in this run, "shmring-bcast-<pid>-<n>-<k>"
 * (the publisher's k is MAXSUBS); the runtime makes /tmp/<name> and
 * /tmp/<name>.lock, which the parent removes after the run where a
 * process killed left them.
 */
static void iox_app(int k, char *buf, size_t len)
{
	snprintf(buf, len, "shmring-bcast-%s-%d", iox_inst, k);
}

static void iox_start(int k)
{
	char app[96];

	iox_app(k, app, sizeof(app));
	iox_set_loglevel(Iceoryx_LogLevel_Warn);
	iox_runtime_init(app);
}

static void iox_sub_proc(int k)
{
	iox_sub_storage_t store;
	iox_sub_options_t o;
	const void *m;
	uint64_t seq;

	iox_start(k);
	iox_sub_options_init(&o);
	o.queueCapacity = IOX_QUEUE;
	o.historyRequest = 0;
	o.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	iox_sub_t sub = iox_sub_init(&store, "shmring-bcast", iox_inst, "data",
				     &o);
	while (iox_sub_get_subscription_state(sub) != SubscribeState_SUBSCRIBED)
		sched_yield();
	atomic_fetch_add(&bd->ready, 1);
	int64_t idle = 0;
	for (unsigned spins = 0;;) {
		enum iox_ChunkReceiveResult r = iox_sub_take_chunk(sub, &m);
		if (r == ChunkReceiveResult_NO_CHUNK_AVAILABLE) {
			sub_wait(&spins, &idle);
			continue;
		}
		if (r != ChunkReceiveResult_SUCCESS)
			exit(1);
		idle = 0;
		memcpy(&seq, m, sizeof(seq));
		iox_sub_release_chunk(sub, m);
		if (seq == SEQ_END)
			break;
		sub_took(k, seq, false);
	}
	atomic_fetch_add(&bd->done, 1);
	iox_sub_deinit(sub);
	/* exit(), not _exit(): the runtime unregisters from RouDi in its
	 * destructor (bench/xp_iox.c) */
	exit(0);
}

/* A chunk for @seq, the message written into it, published. */
static void iox_send(iox_pub_t pub, char *msg, uint64_t seq)
{
	enum iox_AllocationResult r;
	unsigned spins = 0;
	void *p;

	while ((r = iox_pub_loan_chunk(pub, &p, (uint32_t)msize)) !=
	       AllocationResult_SUCCESS) {
		/* every chunk is in a queue or held: wait for one back */
		if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS &&
		    r != AllocationResult_TOO_MANY_CHUNKS_ALLOCATED_IN_PARALLEL)
			exit(1);
		relax(&spins);
	}
	memcpy(msg, &seq, sizeof(seq));
	memcpy(p, msg, msize);
	iox_pub_publish_chunk(pub, p);
}

static void iox_pub_proc(int n)
{
	iox_pub_storage_t store;
	iox_pub_options_t o;
	char msg[65536];
	int64_t cpu0;

	iox_start(MAXSUBS);
	iox_pub_options_init(&o);
	o.historyCapacity = 0;
	/* lossless, as the rings here: wait while a queue is full */
	o.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	iox_pub_t pub = iox_pub_init(&store, "shmring-bcast", iox_inst, "data",
				     &o);
	memset(msg, 0x5a, msize);
	while (atomic_load(&bd->ready) < n)
		sched_yield();
	pub_begin(&cpu0);
	for (uint64_t i = 0; i < nmsgs; i++)
		iox_send(pub, msg, i);
	pub_end(cpu0);
	iox_send(pub, msg, SEQ_END);
	/* no leaving before the last chunk is taken */
	while (atomic_load(&bd->done) < n)
		sched_yield();
	iox_pub_deinit(pub);
	exit(0);
}

int iox_ps_run(int n, struct result *res)
{
	char app[96];
	int rc;

	if (msize > ROUDI_LARGEST)
		return -1;
	snprintf(iox_inst, sizeof(iox_inst), "%d-%u", (int)getpid(), run_no++);
	for (int k = 0; k <= MAXSUBS; k++) {
		iox_app(k, app, sizeof(app));
		snprintf(iox_files[2 * k], sizeof(iox_files[0]), "/tmp/%s", app);
		snprintf(iox_files[2 * k + 1], sizeof(iox_files[0]),
			 "/tmp/%s.lock", app);
	}
	rc = run_procs(n, iox_sub_proc, iox_pub_proc, res);
	/* gone where each process exited; else removed now */
	for (size_t i = 0; i < sizeof(iox_files) / sizeof(iox_files[0]); i++)
		unlink(iox_files[i]);
	return rc;
}
#else
int iox_ps_start(char *why, size_t len)
{
	snprintf(why, len, "not built: needs the iceoryx C binding "
		 "(libiceoryx-binding-c-dev, found by configure)");
	return -ENOTSUP;
}

void iox_ps_stop(void)
{
}

int iox_ps_run(int n, struct result *res)
{
	(void)n;
	(void)res;
	return -1;
}
#endif /* BENCH_WITH_IOX */
