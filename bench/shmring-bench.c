/*
 * shmring-bench.c - the headline benchmark: shmring's SPSC ring against
 * pipe(2), a UNIX stream socketpair and two raw shared-memory floors, all
 * measured in one run between two processes pinned to different CPUs.
 *
 * Two figures per transport:
 *  - streaming throughput: the child sends as fast as it can, the parent
 *    receives and checks the sequence number of every message;
 *  - ping-pong round trip: the parent sends one message, the child echoes
 *    it, the parent times each round trip on its own (CLOCK_MONOTONIC),
 *    then sorts the samples for percentiles.
 * The floors use no library at all: a bare SPSC ring of fixed slots for
 * throughput, and one cache line flipped between the two CPUs for latency.
 * Nothing built on shared memory beats them on this machine; they say how
 * much of the remaining cost is shmring's.
 *
 * Every run forks a fresh child, so each trial starts from new rings and
 * new descriptors. Ring names are unique per run and unlinked on every
 * exit path, signals included; the child dies with the parent
 * (PR_SET_PDEATHSIG), and the parent kills and reaps it on any failure.
 * A watchdog (alarm) bounds every run.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"

#define PROG "shmring-bench"
#define BURST 32          /* messages per shmring_send/recv_burst call */
#define MAX_TRIALS 101
#define TICK_EVERY 1024   /* messages between looks at the clock */
#define RAW_DATA_OFF 4096 /* raw ring: slots start one page in */
#define LINE 128          /* x86 fetches lines in pairs: keep writers 128 apart */

/* ---------------------------------------------------------------- */
/* Configuration and shared state                                   */

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON };

static struct config {
	size_t size;          /* message bytes */
	size_t capacity;      /* ring data bytes, shmring and raw alike */
	unsigned trials;      /* measured streaming trials per transport */
	double trial_s;       /* length of a streaming trial (count == 0) */
	double warm_s;        /* streaming warm-up trial; RTT lead-in */
	double rtt_s;         /* length of an RTT run (count == 0) */
	uint64_t messages;    /* fixed messages per trial, 0 = by time */
	uint64_t round_trips; /* fixed round trips, 0 = by time */
	size_t max_samples;   /* RTT samples kept when running by time */
	unsigned timeout_s;   /* watchdog for one forked run */
	enum out_format out;
	bool quick;
	bool check;
} cfg = {
	.size = 64,
	.trials = 5,
	.trial_s = 0.5,
	.warm_s = 0.1,
	.rtt_s = 2.0,
	.max_samples = 1000000,
	.timeout_s = 60,
};

/* The machine, as printed in the header. */
static struct {
	char cpu_model[128];
	long online;
	int usable;
	int cpu_parent, cpu_child; /* -1: not pinned */
	struct utsname uts;
	uint64_t clock_ns;         /* cost of one clock_gettime, median */
	char loadavg[32];          /* 1, 5, 15 min, at start: is it quiet? */
} mach;

static bool single_cpu; /* spin loops yield instead of pausing */

/*
 * Control block shared by parent and child (anonymous MAP_SHARED, made
 * before any fork). Each field has its own 128 bytes, so the polling of
 * one never slows the writer of another.
 */
struct ctl {
	_Alignas(LINE) _Atomic unsigned ready; /* start barrier count */
	_Alignas(LINE) _Atomic unsigned stop;  /* consumer -> producer: time is up */
	_Alignas(LINE) _Atomic uint64_t sent;  /* producer's final count */
	_Atomic unsigned failed;               /* the child hit an error */
};
static struct ctl *ctl;

/*
 * What the signal handler must undo: ring names not yet unlinked and the
 * child not yet reaped. Plain volatile sig_atomic_t flags, set before the
 * thing they guard exists and cleared after it is gone.
 */
#define MAX_NAMES 2
static char ring_names[MAX_NAMES][64];
static volatile sig_atomic_t ring_live[MAX_NAMES];
static volatile sig_atomic_t child_pid;
static const char *volatile current_test = "setup";
static bool in_child;
static pid_t parent_pid;
static unsigned name_seq;

static unsigned char *msgbuf; /* BURST messages, each process its own copy */
static uint64_t *samples;     /* RTT samples, parent only */

/* ---------------------------------------------------------------- */
/* Failure and cleanup                                              */

/* Kill and reap the child, unlink live names: async-signal-safe. */
static void cleanup_async(void)
{
	pid_t pid = (pid_t)child_pid;

	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		child_pid = 0;
	}
	/*
	 * shm_unlink rather than shmring_unlink: the library does not promise
	 * async-signal safety, and every name here is a plain "/name".
	 */
	for (int i = 0; i < MAX_NAMES; i++) {
		if (ring_live[i]) {
			shm_unlink(ring_names[i]);
			ring_live[i] = 0;
		}
	}
}

static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n; /* nothing better to do in a handler */
}

static void on_signal(int sig)
{
	cleanup_async();
	if (sig == SIGALRM) {
		say(PROG ": ");
		say(current_test);
		say(": run exceeded its time limit (see --timeout); cleaned up\n");
		_exit(1);
	}
	say(PROG ": interrupted; cleaned up\n");
	_exit(128 + sig);
}

__attribute__((format(printf, 1, 2))) static _Noreturn void
die(const char *fmt, ...);

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s: ", PROG, current_test,
		in_child ? " (child)" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (in_child) {
		/* relaxed: the parent only needs to see it eventually */
		atomic_store_explicit(&ctl->failed, 1, memory_order_relaxed);
		_exit(1);
	}
	cleanup_async();
	exit(1);
}

static void check_shm(long err, const char *what)
{
	if (err < 0)
		die("%s: %s", what, shmring_strerror((int)err));
}

/* ---------------------------------------------------------------- */
/* Small tools                                                      */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tell the CPU we are spinning; with one CPU, let the other side run. */
static inline void spin_pause(void)
{
	if (single_cpu) {
		sched_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* The first 8 bytes of a message carry its sequence number. */
static inline void stamp(unsigned char *m, uint64_t seq)
{
	if (cfg.size >= sizeof(seq))
		memcpy(m, &seq, sizeof(seq));
}

static inline void verify(const unsigned char *m, uint64_t want)
{
	uint64_t seq;

	if (cfg.size < sizeof(seq))
		return;
	memcpy(&seq, m, sizeof(seq));
	if (seq != want)
		die("message %" PRIu64 " arrived as %" PRIu64, want, seq);
}

/*
 * Has the child exited or been killed? Leaves it unreaped (WNOWAIT), so
 * that run_one() still collects its status.
 */
static bool child_gone(void)
{
	siginfo_t si = { .si_pid = 0 };

	/* relaxed: a hint only; the child's exit status is the truth */
	if (atomic_load_explicit(&ctl->failed, memory_order_relaxed))
		return true;
	if (child_pid <= 0)
		return false;
	return waitid(P_PID, (id_t)child_pid, &si,
		      WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0;
}

/* Both sides meet here before anything is timed. */
static void barrier(void)
{
	/* B1: acq_rel pairs with the other side's B1/B2, so that all each
	 * side set up before (opens, closes) is done when timing starts. */
	atomic_fetch_add_explicit(&ctl->ready, 1, memory_order_acq_rel);
	/* B2: acquire, pairs with the other side's B1. */
	for (unsigned n = 1;
	     atomic_load_explicit(&ctl->ready, memory_order_acquire) < 2; n++) {
		if (!in_child && (n & 4095) == 0 && child_gone())
			die("child failed before the start");
		spin_pause();
	}
}

static ssize_t read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);

		if (k > 0)
			got += (size_t)k;
		else if (k == 0)
			return got == 0 ? 0 : -EPROTO; /* EOF inside a message */
		else if (errno != EINTR)
			return -errno;
	}
	return (ssize_t)n;
}

static int write_full(int fd, const unsigned char *buf, size_t n)
{
	size_t put = 0;

	while (put < n) {
		ssize_t k = write(fd, buf + put, n - put);

		if (k >= 0)
			put += (size_t)k;
		else if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Tests                                                            */

enum kind { TPUT, RTT };
enum variant { V_PLAIN, V_BURST, V_BLOCK, V_TRY };

struct run;
struct test {
	const char *name; /* transport, as in the tables and SUMMARY */
	enum kind kind;
	enum variant variant;
	const char *what;
	void (*prepare)(struct run *);
	void (*parent)(struct run *);
	void (*child)(struct run *);
};

struct run {
	const struct test *t;
	uint64_t count;      /* fixed messages/round trips; 0 = by time */
	uint64_t warm_count; /* RTT: leading round trips not sampled */
	uint64_t budget_ns;  /* measuring time when count == 0 */
	uint64_t warm_ns;    /* RTT: leading time not sampled */
	/* pipe/socket descriptors, -1 when not used or closed */
	int p_rd, p_wr, c_rd, c_wr;
	/* raw floors */
	void *map;
	size_t map_len, nslots, slot;
	/* results, parent side */
	uint64_t done;  /* messages received */
	double secs;
	uint64_t t_start, t_measure;
	size_t nsamples;
};

/* --- shmring rings --- */

static void ring_create(int slot)
{
	struct shmring_opts o = {
		.kind = SHMRING_SPSC,
		.capacity = cfg.capacity,
		.max_msg = cfg.size,
	};
	struct shmring *r;
	int err;

	snprintf(ring_names[slot], sizeof(ring_names[slot]),
		 "/shmring-bench-%ld-%u", (long)getpid(), name_seq++);
	/* live before it exists: a signal in between unlinks a missing name,
	 * which is harmless, rather than leaking an existing one */
	ring_live[slot] = 1;
	/* role 0: create only; each process attaches its own role after
	 * the fork, so no handle is shared across it */
	err = shmring_create(ring_names[slot], &o, 0, &r);
	if (err < 0) {
		ring_live[slot] = 0;
		die("shmring_create(%s): %s", ring_names[slot],
		    shmring_strerror(err));
	}
	check_shm(shmring_close(r), "shmring_close");
}

/* Unlink a name once both sides hold the ring: a crash leaves nothing. */
static void ring_forget(int slot)
{
	if (!ring_live[slot])
		return;
	check_shm(shmring_unlink(ring_names[slot]), "shmring_unlink");
	ring_live[slot] = 0;
}

static struct shmring *ring_attach(const struct run *run, int slot, int role)
{
	struct shmring *r;

	check_shm(shmring_open(ring_names[slot], role, &r), "shmring_open");
	/* spin 0: every wait sleeps on the futex, the worst case */
	if (run->t->variant == V_BLOCK)
		check_shm(shmring_set_spin(r, 0), "shmring_set_spin");
	return r;
}

static void prep_ring1(struct run *run)
{
	(void)run;
	ring_create(0);
}

static void prep_ring2(struct run *run)
{
	(void)run;
	ring_create(0);
	ring_create(1);
}

/* Producer keeps going until its count, or until the consumer says stop. */
static inline bool more(const struct run *run, uint64_t i)
{
	if (run->count)
		return i < run->count;
	/* relaxed: the flag carries no data, it only ends the loop */
	return !atomic_load_explicit(&ctl->stop, memory_order_relaxed);
}

/* Consumer side: after budget_ns, tell the producer to stop. */
static void tick(const struct run *run, uint64_t t0, bool *stopped)
{
	if (*stopped || run->count)
		return;
	if (now_ns() - t0 >= run->budget_ns) {
		atomic_store_explicit(&ctl->stop, 1, memory_order_relaxed);
		*stopped = true;
	}
}

static void producer_done(uint64_t sent)
{
	/* release: read by the parent after waitpid, which orders anyway */
	atomic_store_explicit(&ctl->sent, sent, memory_order_release);
}

static void shm_tput_child(struct run *run)
{
	struct shmring *r = ring_attach(run, 0, SHMRING_PRODUCER);
	struct iovec iov[BURST];
	uint64_t i = 0;

	barrier();
	if (run->t->variant != V_BURST) {
		for (; more(run, i); i++) {
			stamp(msgbuf, i);
			check_shm(shmring_send(r, msgbuf, cfg.size, -1),
				  "shmring_send");
		}
	} else {
		while (more(run, i)) {
			size_t k = BURST, off = 0;

			if (run->count && run->count - i < k)
				k = (size_t)(run->count - i);
			for (size_t j = 0; j < k; j++) {
				stamp(msgbuf + j * cfg.size, i + j);
				iov[j].iov_base = msgbuf + j * cfg.size;
				iov[j].iov_len = cfg.size;
			}
			while (off < k) {
				int n = shmring_send_burst(r, iov + off, k - off,
							   -1);

				check_shm(n, "shmring_send_burst");
				off += (size_t)n;
			}
			i += k;
		}
	}
	producer_done(i);
	check_shm(shmring_close(r), "shmring_close");
}

static void shm_tput_parent(struct run *run)
{
	struct shmring *r = ring_attach(run, 0, SHMRING_CONSUMER);
	struct iovec iov[BURST];
	uint64_t got = 0, next_tick = TICK_EVERY, t0;
	bool stopped = false;

	barrier();
	ring_forget(0);
	t0 = now_ns();
	for (;;) {
		ssize_t n;

		if (run->t->variant != V_BURST) {
			n = shmring_recv(r, msgbuf, cfg.size, -1);
			if (n == -EPIPE)
				break; /* end of stream: the child closed */
			check_shm(n, "shmring_recv");
			if ((size_t)n != cfg.size)
				die("shmring_recv: %zd bytes, want %zu", n,
				    cfg.size);
			verify(msgbuf, got++);
		} else {
			for (size_t j = 0; j < BURST; j++) {
				iov[j].iov_base = msgbuf + j * cfg.size;
				iov[j].iov_len = cfg.size;
			}
			n = shmring_recv_burst(r, iov, BURST, -1);
			if (n == -EPIPE)
				break;
			check_shm(n, "shmring_recv_burst");
			for (ssize_t j = 0; j < n; j++) {
				if (iov[j].iov_len != cfg.size)
					die("shmring_recv_burst: %zu bytes, want %zu",
					    iov[j].iov_len, cfg.size);
				verify(iov[j].iov_base, got++);
			}
		}
		if (got >= next_tick) {
			next_tick = got + TICK_EVERY;
			tick(run, t0, &stopped);
		}
	}
	run->secs = (double)(now_ns() - t0) / 1e9;
	run->done = got;
	check_shm(shmring_close(r), "shmring_close");
}

static void shm_rtt_child(struct run *run)
{
	struct shmring *ping = ring_attach(run, 0, SHMRING_CONSUMER);
	struct shmring *pong = ring_attach(run, 1, SHMRING_PRODUCER);
	bool busy = run->t->variant == V_TRY;

	barrier();
	for (;;) {
		ssize_t n;
		int err;

		if (busy) {
			while ((n = shmring_try_recv(ping, msgbuf, cfg.size)) ==
			       -EAGAIN)
				spin_pause();
		} else {
			n = shmring_recv(ping, msgbuf, cfg.size, -1);
		}
		if (n == -EPIPE)
			break; /* the parent closed: done */
		check_shm(n, "shmring_recv");
		if (busy) {
			while ((err = shmring_try_send(pong, msgbuf,
						       (size_t)n)) == -EAGAIN)
				spin_pause();
		} else {
			err = shmring_send(pong, msgbuf, (size_t)n, -1);
		}
		check_shm(err, "shmring_send");
	}
	check_shm(shmring_close(ping), "shmring_close");
	check_shm(shmring_close(pong), "shmring_close");
}

/* Keep one RTT sample unless still warming up; false once enough. */
static bool rtt_record(struct run *run, uint64_t i, uint64_t t0, uint64_t t1)
{
	if (run->count) {
		if (i < run->warm_count)
			return true;
		samples[run->nsamples++] = t1 - t0;
		return run->nsamples < run->count;
	}
	if (t1 - run->t_start < run->warm_ns)
		return true;
	if (!run->t_measure)
		run->t_measure = t0;
	samples[run->nsamples++] = t1 - t0;
	return run->nsamples < cfg.max_samples &&
	       t1 - run->t_measure < run->budget_ns;
}

static void shm_rtt_parent(struct run *run)
{
	struct shmring *ping = ring_attach(run, 0, SHMRING_PRODUCER);
	struct shmring *pong = ring_attach(run, 1, SHMRING_CONSUMER);
	bool busy = run->t->variant == V_TRY, going = true;

	barrier();
	ring_forget(0);
	ring_forget(1);
	run->t_start = now_ns();
	for (uint64_t i = 0; going; i++) {
		uint64_t t0, t1;
		ssize_t n;
		int err;

		stamp(msgbuf, i);
		t0 = now_ns();
		if (busy) {
			while ((err = shmring_try_send(ping, msgbuf,
						       cfg.size)) == -EAGAIN)
				spin_pause();
		} else {
			err = shmring_send(ping, msgbuf, cfg.size, -1);
		}
		check_shm(err, "shmring_send");
		if (busy) {
			while ((n = shmring_try_recv(pong, msgbuf, cfg.size)) ==
			       -EAGAIN)
				spin_pause();
		} else {
			n = shmring_recv(pong, msgbuf, cfg.size, -1);
		}
		t1 = now_ns();
		check_shm(n, "shmring_recv");
		if ((size_t)n != cfg.size)
			die("echo of %zd bytes, want %zu", n, cfg.size);
		verify(msgbuf, i);
		going = rtt_record(run, i, t0, t1);
	}
	/* closing the producer is the child's end of stream */
	check_shm(shmring_close(ping), "shmring_close");
	check_shm(shmring_close(pong), "shmring_close");
}

/* --- pipe and socketpair --- */

static void prep_pipe_tput(struct run *run)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe2: %s", strerror(errno));
	run->p_rd = p[0];
	run->c_wr = p[1];
}

static void prep_sock_tput(struct run *run)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	run->p_rd = sv[0];
	run->c_wr = sv[1];
}

static void prep_pipe_rtt(struct run *run)
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
		die("pipe2: %s", strerror(errno));
	run->p_wr = down[1];
	run->c_rd = down[0];
	run->c_wr = up[1];
	run->p_rd = up[0];
}

static void prep_sock_rtt(struct run *run)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	run->p_rd = run->p_wr = sv[0];
	run->c_rd = run->c_wr = sv[1];
}

static void close_ends(int *rd, int *wr)
{
	if (*rd >= 0)
		close(*rd);
	if (*wr >= 0 && *wr != *rd)
		close(*wr);
	*rd = *wr = -1;
}

static void fd_tput_child(struct run *run)
{
	uint64_t i;

	barrier();
	for (i = 0; more(run, i); i++) {
		int err;

		stamp(msgbuf, i);
		err = write_full(run->c_wr, msgbuf, cfg.size);
		if (err < 0)
			die("write: %s", strerror(-err));
	}
	producer_done(i);
	close_ends(&run->c_rd, &run->c_wr); /* the parent's end of stream */
}

static void fd_tput_parent(struct run *run)
{
	uint64_t got = 0, t0;
	bool stopped = false;

	barrier();
	t0 = now_ns();
	for (;;) {
		ssize_t n = read_full(run->p_rd, msgbuf, cfg.size);

		if (n == 0)
			break;
		if (n < 0)
			die("read: %s", strerror((int)-n));
		verify(msgbuf, got++);
		if ((got & (TICK_EVERY - 1)) == 0)
			tick(run, t0, &stopped);
	}
	run->secs = (double)(now_ns() - t0) / 1e9;
	run->done = got;
	close_ends(&run->p_rd, &run->p_wr);
}

static void fd_rtt_child(struct run *run)
{
	barrier();
	for (;;) {
		ssize_t n = read_full(run->c_rd, msgbuf, cfg.size);
		int err;

		if (n == 0)
			break;
		if (n < 0)
			die("read: %s", strerror((int)-n));
		err = write_full(run->c_wr, msgbuf, cfg.size);
		if (err < 0)
			die("write: %s", strerror(-err));
	}
	close_ends(&run->c_rd, &run->c_wr);
}

static void fd_rtt_parent(struct run *run)
{
	bool going = true;

	barrier();
	run->t_start = now_ns();
	for (uint64_t i = 0; going; i++) {
		uint64_t t0, t1;
		ssize_t n;
		int err;

		stamp(msgbuf, i);
		t0 = now_ns();
		err = write_full(run->p_wr, msgbuf, cfg.size);
		if (err < 0)
			die("write: %s", strerror(-err));
		n = read_full(run->p_rd, msgbuf, cfg.size);
		t1 = now_ns();
		if (n == 0)
			die("the child closed early");
		if (n < 0)
			die("read: %s", strerror((int)-n));
		verify(msgbuf, i);
		going = rtt_record(run, i, t0, t1);
	}
	close_ends(&run->p_rd, &run->p_wr); /* the child's end of stream */
}

/* --- raw floors --- */

/*
 * The throughput floor: the least a shared-memory SPSC ring can do. Fixed
 * slots (so no framing and no padding records), one position per side on
 * its own line, each side caching the other's position, a release store
 * per message (as shmring publishes per send).
 */
struct raw_ring {
	_Alignas(LINE) _Atomic uint64_t head; /* producer writes */
	_Atomic unsigned closed;              /* producer writes, once */
	_Alignas(LINE) _Atomic uint64_t tail; /* consumer writes */
};

static void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

static void prep_raw_ring(struct run *run)
{
	size_t slot = (cfg.size + 63) & ~(size_t)63, n = 2;

	while (n * 2 * slot <= cfg.capacity)
		n *= 2;
	run->slot = slot;
	run->nslots = n;
	run->map_len = RAW_DATA_OFF + n * slot;
	run->map = map_shared(run->map_len);
}

static inline unsigned char *raw_slot(const struct run *run, uint64_t pos)
{
	return (unsigned char *)run->map + RAW_DATA_OFF +
	       (pos & (run->nslots - 1)) * run->slot;
}

static void raw_tput_child(struct run *run)
{
	struct raw_ring *rr = run->map;
	uint64_t head = 0, tail = 0;

	barrier();
	for (; more(run, head); head++) {
		while (head - tail >= run->nslots) {
			/* R1: acquire, pairs with R4: the consumer is done
			 * reading the slots before this tail */
			tail = atomic_load_explicit(&rr->tail,
						    memory_order_acquire);
			if (head - tail >= run->nslots)
				spin_pause();
		}
		stamp(raw_slot(run, head), head);
		memcpy(raw_slot(run, head) + 8, msgbuf + 8,
		       cfg.size > 8 ? cfg.size - 8 : 0);
		/* R2: release, pairs with R3: the slot is written */
		atomic_store_explicit(&rr->head, head + 1, memory_order_release);
	}
	producer_done(head);
	/* R5: release, pairs with R6: every head store is before it */
	atomic_store_explicit(&rr->closed, 1, memory_order_release);
}

static void raw_tput_parent(struct run *run)
{
	struct raw_ring *rr = run->map;
	uint64_t tail = 0, head = 0, next_tick = TICK_EVERY, t0;
	bool stopped = false;

	barrier();
	t0 = now_ns();
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
					spin_pause();
				}
				continue;
			}
		}
		memcpy(msgbuf, raw_slot(run, tail), cfg.size);
		verify(msgbuf, tail);
		tail++;
		/* R4: release, pairs with R1: done with the slot */
		atomic_store_explicit(&rr->tail, tail, memory_order_release);
		if (tail >= next_tick) {
			next_tick = tail + TICK_EVERY;
			tick(run, t0, &stopped);
		}
	}
	run->secs = (double)(now_ns() - t0) / 1e9;
	run->done = tail;
}

/*
 * The latency floor: one word on one line. The parent writes an odd
 * number, the child answers with the next even one; a round trip is the
 * line crossing to the other CPU and back, nothing else.
 */
struct raw_line {
	_Alignas(LINE) _Atomic uint64_t word;
};
#define RAW_STOP UINT64_MAX

static void prep_raw_line(struct run *run)
{
	run->map_len = 4096;
	run->map = map_shared(run->map_len);
}

static void raw_rtt_child(struct run *run)
{
	struct raw_line *rl = run->map;
	uint64_t last = 0, x;

	barrier();
	for (;;) {
		/* L2: acquire, pairs with L1 (and the stop store) */
		while ((x = atomic_load_explicit(&rl->word,
						 memory_order_acquire)) == last)
			spin_pause();
		if (x == RAW_STOP)
			break;
		last = x + 1;
		/* L3: release, pairs with L4 */
		atomic_store_explicit(&rl->word, last, memory_order_release);
	}
}

static void raw_rtt_parent(struct run *run)
{
	struct raw_line *rl = run->map;
	bool going = true;

	barrier();
	run->t_start = now_ns();
	for (uint64_t i = 0; going; i++) {
		uint64_t v = 2 * i + 1, t0, t1;

		t0 = now_ns();
		/* L1: release, pairs with L2 */
		atomic_store_explicit(&rl->word, v, memory_order_release);
		/* L4: acquire, pairs with L3 */
		while (atomic_load_explicit(&rl->word, memory_order_acquire) !=
		       v + 1)
			spin_pause();
		t1 = now_ns();
		going = rtt_record(run, i, t0, t1);
	}
	atomic_store_explicit(&rl->word, RAW_STOP, memory_order_release);
}

static const struct test tests[] = {
	{ "shmring", TPUT, V_PLAIN, "shmring_send/recv, default spin",
	  prep_ring1, shm_tput_parent, shm_tput_child },
	{ "shmring-burst", TPUT, V_BURST, "shmring_send/recv_burst, 32 a call",
	  prep_ring1, shm_tput_parent, shm_tput_child },
	{ "shmring-block", TPUT, V_BLOCK, "spin 0: waits sleep on a futex",
	  prep_ring1, shm_tput_parent, shm_tput_child },
	{ "pipe", TPUT, V_PLAIN, "pipe(2), a write/read per message",
	  prep_pipe_tput, fd_tput_parent, fd_tput_child },
	{ "socketpair", TPUT, V_PLAIN, "AF_UNIX stream, a write/read per message",
	  prep_sock_tput, fd_tput_parent, fd_tput_child },
	{ "raw-ring", TPUT, V_PLAIN, "floor: bare ring, fixed slots, no API",
	  prep_raw_ring, raw_tput_parent, raw_tput_child },
	{ "shmring", RTT, V_PLAIN, "shmring_send/recv, default spin",
	  prep_ring2, shm_rtt_parent, shm_rtt_child },
	{ "shmring-try", RTT, V_TRY, "shmring_try_send/try_recv polling",
	  prep_ring2, shm_rtt_parent, shm_rtt_child },
	{ "shmring-block", RTT, V_BLOCK, "spin 0: each receive sleeps on a futex",
	  prep_ring2, shm_rtt_parent, shm_rtt_child },
	{ "pipe", RTT, V_PLAIN, "two pipes, one each way",
	  prep_pipe_rtt, fd_rtt_parent, fd_rtt_child },
	{ "socketpair", RTT, V_PLAIN, "one AF_UNIX stream socketpair",
	  prep_sock_rtt, fd_rtt_parent, fd_rtt_child },
	{ "raw-line", RTT, V_PLAIN, "floor: one cache line flipped",
	  prep_raw_line, raw_rtt_parent, raw_rtt_child },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

/* ---------------------------------------------------------------- */
/* Running one forked measurement                                   */

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity(CPU %d): %s", cpu, strerror(errno));
}

static _Noreturn void child_main(struct run *run)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;

	in_child = true;
	/* the parent undoes everything; the child just dies with it */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent_pid)
		_exit(1);
	pin_to(mach.cpu_child);
	close_ends(&run->p_rd, &run->p_wr);
	run->t->child(run);
	_exit(0);
}

static void run_one(struct run *run)
{
	sigset_t block, old;
	pid_t pid;
	int st;

	atomic_store_explicit(&ctl->ready, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->stop, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->sent, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->failed, 0, memory_order_relaxed);
	run->t->prepare(run);

	/* no signal between fork and recording the child's pid */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL); /* or the child's exit could repeat buffered output */
	pid = fork();
	if (pid == 0)
		child_main(run);
	if (pid > 0)
		child_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		die("fork: %s", strerror(errno));

	alarm(cfg.timeout_s);
	close_ends(&run->c_rd, &run->c_wr);
	run->t->parent(run);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	}
	child_pid = 0;
	alarm(0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (WIFSIGNALED(st))
			die("child killed by signal %d", WTERMSIG(st));
		die("child failed (exit status %d)", WEXITSTATUS(st));
	}
	if (run->t->kind == TPUT) {
		/* acquire: pairs with producer_done (waitpid orders it too) */
		uint64_t sent = atomic_load_explicit(&ctl->sent,
						     memory_order_acquire);

		if (sent != run->done)
			die("sent %" PRIu64 " messages, received %" PRIu64,
			    sent, run->done);
	}

	close_ends(&run->p_rd, &run->p_wr);
	for (int i = 0; i < MAX_NAMES; i++)
		ring_forget(i);
	if (run->map)
		munmap(run->map, run->map_len);
	run->map = NULL;
}

static void init_run(struct run *run, const struct test *t)
{
	memset(run, 0, sizeof(*run));
	run->t = t;
	run->p_rd = run->p_wr = run->c_rd = run->c_wr = -1;
	current_test = t->name;
}

/* ---------------------------------------------------------------- */
/* Measurements and statistics                                      */

struct result {
	bool have;
	/* throughput */
	double mps, mps_min, mps_max; /* median trial, spread */
	uint64_t messages;            /* all measured trials together */
	/* round trip */
	uint64_t min, p50, p99, p999, max;
	size_t nsamples;
};
static struct result results[NTESTS];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples, in thousandths. */
static uint64_t pct(size_t n, unsigned per_mille)
{
	size_t rank = ((size_t)per_mille * n + 999) / 1000;

	return samples[rank ? rank - 1 : 0];
}

static void progress(const char *kind, const char *name)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[Kmeasuring %s %s ...", kind, name);
}

/* One streaming run of test ti: the messages per second it achieved. */
static double tput_once(size_t ti, uint64_t count, double secs)
{
	struct run run;

	init_run(&run, &tests[ti]);
	run.count = count;
	run.budget_ns = (uint64_t)(secs * 1e9);
	run_one(&run);
	if (!run.done || run.secs <= 0)
		die("no messages measured");
	results[ti].messages += run.done;
	return (double)run.done / run.secs;
}

/*
 * Streaming trials go round-robin over the transports rather than all
 * trials of one transport in a row: load from elsewhere on the machine
 * then drifts over all of them alike, and the ratios between them (the
 * "x pipe" column) stay fair.
 */
static void measure_tput_all(void)
{
	static double v[NTESTS][MAX_TRIALS];

	/* warm-up round: fault in pages, wake the CPUs; figures discarded */
	for (size_t ti = 0; ti < NTESTS; ti++) {
		if (tests[ti].kind != TPUT)
			continue;
		progress("warm-up", tests[ti].name);
		tput_once(ti, cfg.messages ? (cfg.messages + 9) / 10 : 0,
			  cfg.warm_s);
		results[ti].messages = 0;
	}
	for (unsigned k = 0; k < cfg.trials; k++) {
		for (size_t ti = 0; ti < NTESTS; ti++) {
			if (tests[ti].kind != TPUT)
				continue;
			progress("throughput", tests[ti].name);
			v[ti][k] = tput_once(ti, cfg.messages, cfg.trial_s);
		}
	}
	for (size_t ti = 0; ti < NTESTS; ti++) {
		struct result *res = &results[ti];
		double *w = v[ti];
		unsigned n = cfg.trials;

		if (tests[ti].kind != TPUT)
			continue;
		qsort(w, n, sizeof(w[0]), cmp_double);
		res->mps = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
		res->mps_min = w[0];
		res->mps_max = w[n - 1];
		res->have = true;
	}
}

static void measure_rtt(size_t ti)
{
	const struct test *t = &tests[ti];
	struct result *res = &results[ti];
	struct run run;
	size_t n;

	progress("round trip", t->name);
	init_run(&run, t);
	run.count = cfg.round_trips;
	run.warm_count = cfg.round_trips / 10;
	run.budget_ns = (uint64_t)(cfg.rtt_s * 1e9);
	run.warm_ns = (uint64_t)(cfg.warm_s * 1e9);
	run_one(&run);
	n = run.nsamples;
	if (!n)
		die("no round trips measured");
	qsort(samples, n, sizeof(samples[0]), cmp_u64);
	res->min = samples[0];
	res->p50 = pct(n, 500);
	res->p99 = pct(n, 990);
	res->p999 = pct(n, 999);
	res->max = samples[n - 1];
	res->nsamples = n;
	res->have = true;
}

/* ---------------------------------------------------------------- */
/* The machine                                                      */

static void read_cpu_model(void)
{
	static const char *const keys[] = { "model name", "Model",
					    "cpu model", "Hardware" };
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(mach.cpu_model, sizeof(mach.cpu_model), "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strncmp(line, keys[k], strlen(keys[k])))
				continue;
			for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
				;
			v[strcspn(v, "\n")] = '\0';
			if (*v) {
				snprintf(mach.cpu_model,
					 sizeof(mach.cpu_model), "%s", v);
				fclose(f);
				return;
			}
		}
	}
	fclose(f);
}

static void read_loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l[3];

	snprintf(mach.loadavg, sizeof(mach.loadavg), "unknown");
	if (f && fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) == 3)
		snprintf(mach.loadavg, sizeof(mach.loadavg), "%.2f %.2f %.2f",
			 l[0], l[1], l[2]);
	if (f)
		fclose(f);
}

static void setup_machine(void)
{
	cpu_set_t set;
	uint64_t d[101];

	read_cpu_model();
	uname(&mach.uts);
	read_loadavg();
	mach.online = sysconf(_SC_NPROCESSORS_ONLN);
	mach.cpu_parent = mach.cpu_child = -1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		mach.usable = CPU_COUNT(&set);
		for (int c = 0, found = 0; c < CPU_SETSIZE && found < 2; c++) {
			if (!CPU_ISSET(c, &set))
				continue;
			if (found++ == 0)
				mach.cpu_parent = c;
			else
				mach.cpu_child = c;
		}
	}
	if (mach.cpu_child < 0) {
		/* one CPU: both processes share it, unpinned */
		mach.cpu_parent = -1;
		single_cpu = true;
	}
	pin_to(mach.cpu_parent);

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		uint64_t a = now_ns(), b = now_ns();

		d[i] = b - a;
	}
	qsort(d, sizeof(d) / sizeof(d[0]), sizeof(d[0]), cmp_u64);
	mach.clock_ns = d[50];
}

/* ---------------------------------------------------------------- */
/* Output                                                           */

static const struct result *find(const char *name, enum kind kind)
{
	for (size_t i = 0; i < NTESTS; i++)
		if (tests[i].kind == kind && !strcmp(tests[i].name, name) &&
		    results[i].have)
			return &results[i];
	return NULL;
}

static double mbps(double mps)
{
	return mps * (double)cfg.size / 1e6;
}

static double tput_x_pipe(const struct result *r)
{
	const struct result *p = find("pipe", TPUT);

	return p && p->mps > 0 ? r->mps / p->mps : 0;
}

static double rtt_x_pipe(const struct result *r)
{
	const struct result *p = find("pipe", RTT);

	return p && r->p50 ? (double)p->p50 / (double)r->p50 : 0;
}

static void print_si(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

struct target {
	const char *what;
	double got, want;
	bool have;
};

static void targets(struct target *t)
{
	const struct result *s = find("shmring", TPUT);
	const struct result *s_rtt = find("shmring", RTT);

	t[0].what = "shmring streaming >= 20x pipe msgs/s";
	t[0].want = 20;
	t[0].have = s && find("pipe", TPUT);
	t[0].got = t[0].have ? tput_x_pipe(s) : 0;
	t[1].what = "shmring spin RTT p50 <= 1/5 of pipe";
	t[1].want = 5;
	t[1].have = s_rtt && find("pipe", RTT);
	t[1].got = t[1].have ? rtt_x_pipe(s_rtt) : 0;
}

static void print_pinning(FILE *f)
{
	if (mach.cpu_child < 0)
		fprintf(f, "unpinned (one usable CPU: both processes share it, spins yield)");
	else
		fprintf(f, "parent on CPU %d, child on CPU %d", mach.cpu_parent,
			mach.cpu_child);
}

static void print_table(void)
{
	struct target tg[2];
	char a[32], b[32];

	printf("shmring-bench: %zu-byte messages between two processes, ",
	       cfg.size);
	print_pinning(stdout);
	printf("\nmachine: %s, %ld CPUs online (%d usable), %s %s %s, "
	       "clock_gettime %" PRIu64 " ns, load average %s\n",
	       mach.cpu_model, mach.online, mach.usable, mach.uts.sysname,
	       mach.uts.release, mach.uts.machine, mach.clock_ns,
	       mach.loadavg);
	if (cfg.messages)
		printf("streaming: %u trials of %" PRIu64 " messages",
		       cfg.trials, cfg.messages);
	else
		printf("streaming: %u trials of %.2f s", cfg.trials, cfg.trial_s);
	printf(" each, round-robin over the transports after a warm-up;\n"
	       "median trial, spread min..max%s\n",
	       cfg.quick ? " (--quick: figures are rough)" : "");
	printf("x pipe: how many times better than pipe (higher is better)\n\n");

	printf("%-14s %14s %10s %8s  %-19s %s\n", "transport", "msgs/s",
	       "MB/s", "x pipe", "spread msgs/s", "how");
	for (size_t i = 0; i < NTESTS; i++) {
		const struct result *r = &results[i];

		if (tests[i].kind != TPUT || !r->have)
			continue;
		print_si(a, sizeof(a), r->mps_min);
		print_si(b, sizeof(b), r->mps_max);
		printf("%-14s %14.0f %10.1f %7.1fx  %8s..%-9s %s\n",
		       tests[i].name, r->mps, mbps(r->mps), tput_x_pipe(r), a, b,
		       tests[i].what);
	}

	printf("\n%-14s %11s %10s %9s %7s %9s  %s\n", "transport",
	       "RTT p50 ns", "p99 ns", "min ns", "x pipe", "samples", "how");
	for (size_t i = 0; i < NTESTS; i++) {
		const struct result *r = &results[i];

		if (tests[i].kind != RTT || !r->have)
			continue;
		printf("%-14s %11" PRIu64 " %10" PRIu64 " %9" PRIu64
		       " %6.1fx %9zu  %s\n",
		       tests[i].name, r->p50, r->p99, r->min, rtt_x_pipe(r),
		       r->nsamples, tests[i].what);
	}

	printf("\n");
	targets(tg);
	for (int k = 0; k < 2; k++) {
		if (!tg[k].have)
			continue;
		printf("target: %-40s %s (%.1fx pipe, want >= %.0fx)\n",
		       tg[k].what, tg[k].got >= tg[k].want ? "met" : "MISSED",
		       tg[k].got, tg[k].want);
	}

	/* one SUMMARY line per transport, in order of first appearance */
	printf("\n");
	for (size_t i = 0; i < NTESTS; i++) {
		const struct result *tp, *rt;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(tests[j].name, tests[i].name);
		if (seen)
			continue;
		tp = find(tests[i].name, TPUT);
		rt = find(tests[i].name, RTT);
		printf("SUMMARY transport=%s", tests[i].name);
		if (tp)
			printf(" msgs_per_s=%.0f", tp->mps);
		else
			printf(" msgs_per_s=na");
		if (rt)
			printf(" rtt_p50_ns=%" PRIu64 " rtt_p99_ns=%" PRIu64,
			       rt->p50, rt->p99);
		else
			printf(" rtt_p50_ns=na rtt_p99_ns=na");
		if (tp)
			printf(" mb_per_s=%.1f", mbps(tp->mps));
		else
			printf(" mb_per_s=na");
		printf(" size=%zu\n", cfg.size);
	}
}

static void print_csv(void)
{
	printf("kind,transport,size,count,msgs_per_s,msgs_per_s_min,"
	       "msgs_per_s_max,mb_per_s,rtt_min_ns,rtt_p50_ns,rtt_p99_ns,"
	       "rtt_p999_ns,rtt_max_ns,x_pipe\n");
	for (size_t i = 0; i < NTESTS; i++) {
		const struct result *r = &results[i];

		if (!r->have)
			continue;
		if (tests[i].kind == TPUT)
			printf("throughput,%s,%zu,%" PRIu64 ",%.0f,%.0f,%.0f,"
			       "%.1f,,,,,,%.2f\n",
			       tests[i].name, cfg.size, r->messages, r->mps,
			       r->mps_min, r->mps_max, mbps(r->mps),
			       tput_x_pipe(r));
		else
			printf("rtt,%s,%zu,%zu,,,,,%" PRIu64 ",%" PRIu64
			       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.2f\n",
			       tests[i].name, cfg.size, r->nsamples, r->min,
			       r->p50, r->p99, r->p999, r->max, rtt_x_pipe(r));
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(void)
{
	struct target tg[2];
	const char *sep = "";

	printf("{\n  \"machine\": {\"cpu\": ");
	json_string(mach.cpu_model);
	printf(", \"cpus_online\": %ld, \"cpus_usable\": %d, \"kernel\": ",
	       mach.online, mach.usable);
	json_string(mach.uts.release);
	printf(", \"arch\": ");
	json_string(mach.uts.machine);
	printf(", \"pinned\": %s, \"cpu_parent\": %d, \"cpu_child\": %d, "
	       "\"clock_gettime_ns\": %" PRIu64 ", \"loadavg\": \"%s\"},\n",
	       mach.cpu_child >= 0 ? "true" : "false", mach.cpu_parent,
	       mach.cpu_child, mach.clock_ns, mach.loadavg);
	printf("  \"config\": {\"size\": %zu, \"trials\": %u, "
	       "\"trial_s\": %.3f, \"messages\": %" PRIu64
	       ", \"round_trips\": %" PRIu64 ", \"quick\": %s},\n",
	       cfg.size, cfg.trials, cfg.trial_s, cfg.messages,
	       cfg.round_trips, cfg.quick ? "true" : "false");
	printf("  \"throughput\": [");
	for (size_t i = 0; i < NTESTS; i++) {
		const struct result *r = &results[i];

		if (tests[i].kind != TPUT || !r->have)
			continue;
		printf("%s\n    {\"transport\": \"%s\", \"msgs_per_s\": %.0f, "
		       "\"msgs_per_s_min\": %.0f, \"msgs_per_s_max\": %.0f, "
		       "\"mb_per_s\": %.1f, \"messages\": %" PRIu64
		       ", \"x_pipe\": %.2f}",
		       sep, tests[i].name, r->mps, r->mps_min, r->mps_max,
		       mbps(r->mps), r->messages, tput_x_pipe(r));
		sep = ",";
	}
	printf("\n  ],\n  \"rtt\": [");
	sep = "";
	for (size_t i = 0; i < NTESTS; i++) {
		const struct result *r = &results[i];

		if (tests[i].kind != RTT || !r->have)
			continue;
		printf("%s\n    {\"transport\": \"%s\", \"min_ns\": %" PRIu64
		       ", \"p50_ns\": %" PRIu64 ", \"p99_ns\": %" PRIu64
		       ", \"p999_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64
		       ", \"samples\": %zu, \"x_pipe\": %.2f}",
		       sep, tests[i].name, r->min, r->p50, r->p99, r->p999,
		       r->max, r->nsamples, rtt_x_pipe(r));
		sep = ",";
	}
	targets(tg);
	printf("\n  ],\n  \"targets\": [");
	sep = "";
	for (int k = 0; k < 2; k++) {
		if (!tg[k].have)
			continue;
		printf("%s\n    {\"what\": \"%s\", \"x_pipe\": %.2f, "
		       "\"want\": %.0f, \"met\": %s}",
		       sep, tg[k].what, tg[k].got, tg[k].want,
		       tg[k].got >= tg[k].want ? "true" : "false");
		sep = ",";
	}
	printf("\n  ]\n}\n");
}

/* ---------------------------------------------------------------- */
/* Options                                                          */

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [options]\n"
"Compare shmring's SPSC ring with pipe(2), a UNIX socketpair and raw\n"
"shared-memory floors, between two processes on different CPUs.\n"
"\n"
"  --quick           tiny runs (a few seconds), for CI\n"
"  --messages N      messages per streaming trial (default: as many as fit\n"
"                    in --time)\n"
"  --round-trips N   round trips per latency run (default: as many as fit\n"
"                    in --rtt-time, at most 1000000)\n"
"  --size BYTES      message size, 8..1048576 (default 64)\n"
"  --trials N        measured streaming trials (default 5)\n"
"  --time SEC        length of one streaming trial (default 0.5)\n"
"  --rtt-time SEC    length of one latency run (default 2)\n"
"  --timeout SEC     abort a run that takes longer (default 60)\n"
"  --csv             CSV on stdout instead of the table\n"
"  --json            JSON on stdout instead of the table\n"
"  --check           exit 1 if a project target is missed\n"
"  --help            this text\n"
"\n"
"MB/s counts 10^6 bytes of payload. RTT samples are single round trips\n"
"timed with CLOCK_MONOTONIC, so each includes one clock read.\n");
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t lo,
			  uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		die("%s: want an integer in %" PRIu64 "..%" PRIu64 ", got '%s'",
		    opt, lo, hi, s);
	return v;
}

static double parse_secs(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 3600)
		die("%s: want seconds in (0, 3600], got '%s'", opt, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	enum { O_MSG = 256, O_RT, O_SIZE, O_TRIALS, O_TIME, O_RTT_TIME,
	       O_TIMEOUT, O_CSV, O_JSON, O_CHECK, O_QUICK, O_HELP };
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, O_QUICK },
		{ "messages", required_argument, NULL, O_MSG },
		{ "round-trips", required_argument, NULL, O_RT },
		{ "size", required_argument, NULL, O_SIZE },
		{ "trials", required_argument, NULL, O_TRIALS },
		{ "time", required_argument, NULL, O_TIME },
		{ "rtt-time", required_argument, NULL, O_RTT_TIME },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "csv", no_argument, NULL, O_CSV },
		{ "json", no_argument, NULL, O_JSON },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool trials_set = false, time_set = false, rtt_set = false,
	     timeout_set = false;
	int c;

	current_test = "options";
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_QUICK:
			cfg.quick = true;
			break;
		case O_MSG:
			cfg.messages = parse_u64("--messages", optarg, 1,
						 UINT64_C(1) << 40);
			break;
		case O_RT:
			cfg.round_trips = parse_u64("--round-trips", optarg, 1,
						    100000000);
			break;
		case O_SIZE:
			cfg.size = (size_t)parse_u64("--size", optarg, 8,
						     1 << 20);
			break;
		case O_TRIALS:
			cfg.trials = (unsigned)parse_u64("--trials", optarg, 1,
							 MAX_TRIALS);
			trials_set = true;
			break;
		case O_TIME:
			cfg.trial_s = parse_secs("--time", optarg);
			time_set = true;
			break;
		case O_RTT_TIME:
			cfg.rtt_s = parse_secs("--rtt-time", optarg);
			rtt_set = true;
			break;
		case O_TIMEOUT:
			cfg.timeout_s = (unsigned)parse_u64("--timeout", optarg,
							    1, 86400);
			timeout_set = true;
			break;
		case O_CSV:
			cfg.out = OUT_CSV;
			break;
		case O_JSON:
			cfg.out = OUT_JSON;
			break;
		case O_CHECK:
			cfg.check = true;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (cfg.quick) {
		/* explicit options still win over --quick */
		if (!trials_set)
			cfg.trials = 2;
		if (!time_set)
			cfg.trial_s = 0.05;
		if (!rtt_set)
			cfg.rtt_s = 0.1;
		if (!timeout_set)
			cfg.timeout_s = 10;
		cfg.warm_s = 0.02;
		cfg.max_samples = 100000;
	}
	/* room for several messages, and never below the default */
	cfg.capacity = SHMRING_DEFAULT_CAPACITY;
	while (cfg.capacity < 8 * (cfg.size + 64))
		cfg.capacity *= 2;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct target tg[2];
	size_t nsamp;

	parent_pid = getpid();
	parse_args(argc, argv);

	current_test = "setup";
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	/* a write to a dead child's pipe fails with EPIPE, not a kill */
	signal(SIGPIPE, SIG_IGN);

	ctl = map_shared(sizeof(*ctl));
	msgbuf = aligned_alloc(64, ((cfg.size * BURST) + 63) & ~(size_t)63);
	nsamp = cfg.round_trips ? (size_t)cfg.round_trips : cfg.max_samples;
	samples = malloc(nsamp * sizeof(*samples));
	if (!msgbuf || !samples)
		die("out of memory");
	memset(msgbuf, 0xa5, cfg.size * BURST);
	setup_machine();

	measure_tput_all();
	for (size_t i = 0; i < NTESTS; i++)
		if (tests[i].kind == RTT)
			measure_rtt(i);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");

	switch (cfg.out) {
	case OUT_TABLE:
		print_table();
		break;
	case OUT_CSV:
		print_csv();
		break;
	case OUT_JSON:
		print_json();
		break;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));

	current_test = "targets";
	targets(tg);
	for (int k = 0; cfg.check && k < 2; k++)
		if (tg[k].have && tg[k].got < tg[k].want)
			die("target missed: %s (%.1fx pipe)", tg[k].what,
			    tg[k].got);
	free(samples);
	free(msgbuf);
	return 0;
}
