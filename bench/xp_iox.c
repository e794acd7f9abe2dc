/*
 * xp_iox.c - iceoryx publish/subscribe through its C binding, the
 * zero-copy middleware: the publisher loans a chunk in shared memory,
 * writes the message into it and publishes it; the subscriber takes the
 * chunk, reads the message where it lies and releases it. iceoryx itself
 * copies nothing; what the loops copy, they copy as shmring-zc's do (the
 * payload into the loan, and the echoer the message into its reply).
 *
 * iceoryx needs its daemon, RouDi: each run starts `iox-roudi` (found
 * on PATH) with a configuration of its own, waits until it says that it
 * is ready, and stops it by its pid when the run is over (or when this
 * program is interrupted: run.c's cleanup knows the pid). RouDi's
 * management segment has a fixed name, so one RouDi runs at a time on a
 * host: where another already runs, the rows say n/a and why.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "xp.h"

#ifdef BENCH_WITH_IOX
#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>

#define IOX_READY "RouDi is ready for clients"
#define IOX_START_S 20 /* RouDi reserves its memory first */
#define IOX_QUEUE 256  /* the subscriber queue's largest capacity */
#define IOX_LARGEST 65536 /* the largest pool's payload, below */

/* RouDi of the current run: its pid, its stdout, its cleanup slots */
#define ROUDI_NAMES 5
static pid_t roudi_pid;
static int roudi_out = -1, roudi_res = -1, roudi_names[ROUDI_NAMES] = {
	-1, -1, -1, -1, -1
};

/*
 * What RouDi makes, and removes when it stops cleanly: its management
 * segment, the payload segment named after the user, its socket and
 * locks. RouDi stopped while processes it believes attached are gone
 * (the workers, killed when this program is interrupted) fails to
 * notify them and aborts, leaving these behind; run.c's cleanup then
 * removes them after it has stopped RouDi. They are registered only
 * once this run's RouDi is ready, that is, holds the lock on them.
 */
static void roudi_names_add(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char seg[112];
	int n = 0;

	roudi_names[n++] = res_add(RES_SHM, "/iceoryx_mgmt", -1);
	if (pw) {
		snprintf(seg, sizeof(seg), "/%s", pw->pw_name);
		roudi_names[n++] = res_add(RES_SHM, seg, -1);
	}
	roudi_names[n++] = res_add(RES_PATH, "/tmp/roudi", -1);
	roudi_names[n++] = res_add(RES_PATH, "/tmp/roudi.lock", -1);
	roudi_names[n++] = res_add(RES_PATH, "/tmp/iox-unique-roudi.lock", -1);
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

/*
 * One segment with pools for the sizes the benchmark sends (a chunk
 * carries a header of its own before the payload).
 */
static void iox_write_config(const char *path)
{
	static const char cfg_text[] =
		"[general]\nversion = 1\n\n[[segment]]\n\n"
		"[[segment.mempool]]\nsize = 256\ncount = 2048\n\n"
		"[[segment.mempool]]\nsize = 1280\ncount = 512\n\n"
		"[[segment.mempool]]\nsize = 4352\ncount = 512\n\n"
		"[[segment.mempool]]\nsize = 66816\ncount = 300\n";
	FILE *f = fopen(path, "w");

	if (!f || fputs(cfg_text, f) < 0 || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

static _Noreturn void roudi_exec(const char *config, int out)
{
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	/* RouDi must not outlive this program, whatever kills it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execlp("iox-roudi", "iox-roudi", "-c", config, "-m", "off", "-l",
	       "warning", (char *)NULL);
	printf("cannot run iox-roudi: %s\n", strerror(errno));
	_exit(127);
}

/* @text without its colour codes (ESC [ ... letter), in place. */
static void strip_colours(char *text)
{
	size_t n = 0;

	for (size_t i = 0; text[i]; i++) {
		if (text[i] == '\033') {
			while (text[i + 1] && !((text[i] | 32) >= 'a' &&
						(text[i] | 32) <= 'z'))
				i++;
			continue;
		}
		text[n++] = text[i];
	}
	text[n] = 0;
}

/* Why RouDi stopped: its fatal message, else its first error, else its
 * last line; into @out. */
static void roudi_reason(char *text, size_t got, char *out, size_t len)
{
	static const char *const marks[] = { "[ Fatal ]: ", "[ Error ]: " };
	const char *line = NULL;

	text[got] = 0;
	strip_colours(text);
	for (int k = 0; k < 2 && !line; k++)
		if ((line = strstr(text, marks[k])))
			line += strlen(marks[k]);
	if (!line) {
		size_t n = strlen(text);

		while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
			text[--n] = 0;
		line = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
	}
	snprintf(out, len, "%.*s", (int)strcspn(line, "\n"), line);
}

/* Read RouDi's output until it says it is ready: 0, or -ENOTSUP. */
static int roudi_wait_ready(struct run *run)
{
	char text[4096];
	size_t got = 0;
	uint64_t end = now_ns() + IOX_START_S * UINT64_C(1000000000);

	while (!memmem(text, got, IOX_READY, sizeof(IOX_READY) - 1)) {
		struct pollfd p = { .fd = roudi_out, .events = POLLIN };
		uint64_t t = now_ns();
		ssize_t n;

		if (t >= end || poll(&p, 1, (int)((end - t) / 1000000)) == 0) {
			snprintf(run->na, sizeof(run->na),
				 "iox-roudi not ready in %d s", IOX_START_S);
			return -ENOTSUP;
		}
		if (got == sizeof(text) - 1)
			got = 0; /* only the last lines matter */
		n = read(roudi_out, text + got, sizeof(text) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			char last[100] = "exited";

			if (got)
				roudi_reason(text, got, last, sizeof(last));
			snprintf(run->na, sizeof(run->na), "iox-roudi: %s", last);
			return -ENOTSUP;
		}
		got += (size_t)n;
	}
	return 0;
}

int iox_prepare(struct run *run)
{
	int fd[2];

	if (run->size > IOX_LARGEST) {
		snprintf(run->na, sizeof(run->na),
			 "the RouDi configuration's chunks carry %d bytes",
			 IOX_LARGEST);
		return -ENOTSUP;
	}
	make_name(run->path[0], sizeof(run->path[0]), "/tmp/", ".toml");
	run->res[0] = res_add(RES_PATH, run->path[0], -1);
	iox_write_config(run->path[0]);
	iox_app_files_add(run);
	if (pipe2(fd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	roudi_pid = fork();
	if (roudi_pid < 0)
		die("fork: %s", strerror(errno));
	if (roudi_pid == 0)
		roudi_exec(run->path[0], fd[1]);
	roudi_res = res_add(RES_PID, NULL, roudi_pid);
	close(fd[1]);
	roudi_out = fd[0];
	/* a failure here still goes through iox_finish, which stops it */
	if (roudi_wait_ready(run) < 0)
		return -ENOTSUP;
	roudi_names_add();
	return 0;
}

/* Stop RouDi: SIGTERM, then read what it says until it exits. */
void iox_finish(struct run *run)
{
	char sink[512];
	ssize_t n = 1;

	(void)run;
	if (roudi_pid > 0) {
		kill(roudi_pid, SIGTERM);
		while (roudi_out >= 0 && n != 0) {
			n = read(roudi_out, sink, sizeof(sink));
			if (n < 0 && errno != EINTR)
				break;
		}
		while (waitpid(roudi_pid, NULL, 0) < 0 && errno == EINTR)
			;
		roudi_pid = 0;
	}
	close_fd(&roudi_out);
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
