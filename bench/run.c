/*
 * run.c - the fork engine: one measurement is a set of worker processes
 * forked from the parent, which waits for them with wait4() and adds up
 * their CPU time. Also what every exit path must undo (children, names
 * in /dev/shm, FIFOs, message queues), and the tools the workers share:
 * the start barrier, the stop flag, the sequence checks.
 *
 * Each run starts from fresh transports: nothing but the control block
 * outlives it. The workers die with the parent (PR_SET_PDEATHSIG); the
 * parent kills and reaps them on any failure; a watchdog (alarm) bounds
 * every run; names are removed on every path, signals included.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring.h"
#include "bench.h"

struct ctl *ctl;
_Atomic unsigned char *seen;
uint64_t seen_per_prod;
bool in_child;
bool single_cpu;
const char *volatile current_test = "setup";
static pid_t parent_pid;

/*
 * What the signal handler must undo. Plain volatile sig_atomic_t flags,
 * set before the thing they guard exists and cleared after it is gone:
 * a signal in between removes a name that is not there yet, which is
 * harmless, rather than leaking one that is.
 */
#define MAX_RES 16
static struct {
	volatile sig_atomic_t live;
	enum res_kind kind;
	int id;
	char name[112];
} res[MAX_RES];
static volatile sig_atomic_t child_pid[MAX_WORKERS];
static volatile sig_atomic_t prog_pid; /* run_program's child, 0 if none */

/* ---------------------------------------------------------------- */
/* Failure and cleanup                                              */

static void res_remove(int i)
{
	/*
	 * Plain system calls only: this runs in a signal handler. The shm
	 * names are all "/name", so shm_unlink does what shmring_unlink and
	 * Boost's remove() would.
	 */
	switch (res[i].kind) {
	case RES_SHM:
		shm_unlink(res[i].name);
		break;
	case RES_PATH:
		unlink(res[i].name);
		break;
	case RES_MQ:
		mq_unlink(res[i].name);
		break;
	case RES_SYSV:
		msgctl(res[i].id, IPC_RMID, NULL);
		break;
	case RES_PID:
		/* a helper daemon (iox-roudi): it removes what it made */
		kill((pid_t)res[i].id, SIGTERM);
		while (waitpid((pid_t)res[i].id, NULL, 0) < 0 && errno == EINTR)
			;
		break;
	}
}

int res_add(enum res_kind kind, const char *name, int id)
{
	for (int i = 0; i < MAX_RES; i++) {
		if (res[i].live)
			continue;
		res[i].kind = kind;
		res[i].id = id;
		snprintf(res[i].name, sizeof(res[i].name), "%s",
			 name ? name : "");
		res[i].live = 1;
		return i;
	}
	die("too many live names (internal)");
}

void res_release(int slot)
{
	if (slot < 0 || slot >= MAX_RES || !res[slot].live)
		return;
	res_remove(slot);
	res[slot].live = 0;
}

void res_forget(int slot)
{
	if (slot >= 0 && slot < MAX_RES)
		res[slot].live = 0;
}

/* Kill and reap the children, remove live names: async-signal-safe. */
void cleanup_async(void)
{
	if (in_child)
		return;
	if (prog_pid > 0) {
		pid_t pid = (pid_t)prog_pid;

		/* SIGTERM, not SIGKILL: it is a build of this program, and
		 * removes its own workers and names on the way out */
		kill(pid, SIGTERM);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		prog_pid = 0;
	}
	for (int i = 0; i < MAX_WORKERS; i++)
		if (child_pid[i] > 0)
			kill((pid_t)child_pid[i], SIGKILL);
	for (int i = 0; i < MAX_WORKERS; i++) {
		pid_t pid = (pid_t)child_pid[i];

		if (pid <= 0)
			continue;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		child_pid[i] = 0;
	}
	/* processes first: a daemon stopped may leave names to remove */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < MAX_RES; i++) {
			if (res[i].live && (res[i].kind == RES_PID) == !pass) {
				res_remove(i);
				res[i].live = 0;
			}
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
		say("\n" PROG ": ");
		say(current_test);
		say(": run exceeded its time limit (see --timeout); cleaned up\n");
		_exit(1);
	}
	say("\n" PROG ": interrupted; cleaned up\n");
	_exit(128 + sig);
}

/* The signals on_signal() takes: it kills and reaps every child. */
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM };

/*
 * Hold those signals off, so that none comes between a fork and the
 * recording of the child's pid; the mask before goes to @old.
 */
static void block_cleanup_signals(sigset_t *old)
{
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
		sigaddset(&block, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &block, old);
}

void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	parent_pid = getpid();
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
		sigaction(cleanup_signals[i], &sa, NULL);
	/* a write to a dead peer fails with EPIPE rather than killing */
	signal(SIGPIPE, SIG_IGN);
}

_Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s: %s%s: ", isatty(STDERR_FILENO) ? "\n" : "",
		PROG, current_test, in_child ? " (worker)" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (in_child) {
		/* relaxed: a hint for the others; the exit status is the truth */
		if (ctl)
			atomic_store_explicit(&ctl->failed, 1,
					      memory_order_relaxed);
		_exit(1);
	}
	cleanup_async();
	exit(1);
}

void check_shm(long err, const char *what)
{
	if (err < 0)
		die("%s: %s", what, shmring_strerror((int)err));
}

void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

void spin_yield(void)
{
	sched_yield();
}

void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		die("sched_setaffinity(CPU %d): %s", cpu, strerror(errno));
}

ssize_t read_full(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);

		if (k > 0)
			got += (size_t)k;
		else if (k == 0)
			return got == 0 ? 0 : -EPROTO; /* EOF inside a message */
		else if (errno != EINTR)
			return -errno;
	}
	return (ssize_t)n;
}

int write_full(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t put = 0;

	while (put < n) {
		ssize_t k = write(fd, p + put, n - put);

		if (k >= 0)
			put += (size_t)k;
		else if (errno != EINTR)
			return -errno;
	}
	return 0;
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---------------------------------------------------------------- */
/* What the workers share                                           */

/*
 * Every worker meets here before anything is timed. A worker that comes
 * early spins a little, then sleeps on the count (a futex: the block is
 * MAP_SHARED, so the word is the same for every process), so that a late
 * one, still starting on a busy machine, costs the others no CPU time.
 */
void barrier(struct run *run, struct worker *w)
{
	unsigned want = ++w->phase * run->nw, now;

	/* B1: acq_rel pairs with the others' B1/B2, so that all each side
	 * set up before (opens, binds, closes) is done when timing starts */
	now = atomic_fetch_add_explicit(&ctl->ready, 1,
					 memory_order_acq_rel) + 1;
	if (now == want) {
		syscall(SYS_futex, &ctl->ready, FUTEX_WAKE, INT_MAX, NULL,
			NULL, 0);
		return;
	}
	for (unsigned n = 0;; n++) {
		/* B2: acquire, pairs with the others' B1 */
		now = atomic_load_explicit(&ctl->ready, memory_order_acquire);
		if (now >= want)
			return;
		if (n < 1000) {
			spin_pause(run);
			continue;
		}
		/* sleeps only while the count is still what was read: the
		 * last arrival's increment comes before its wake */
		syscall(SYS_futex, &ctl->ready, FUTEX_WAIT, now, NULL, NULL,
			0);
	}
}

bool more(const struct run *run, uint64_t i)
{
	if (run->count)
		return i < run->count;
	/* relaxed: the flag carries no data, it only ends the loop */
	return !atomic_load_explicit(&ctl->stop, memory_order_relaxed);
}

/* The first consumer keeps the time: after budget_ns, producers stop. */
void tick(struct run *run, struct worker *w)
{
	if (w->stopped || run->count || w->rank != 0)
		return;
	if (now_ns() - w->t0 >= run->budget_ns) {
		/* relaxed: see more() */
		atomic_store_explicit(&ctl->stop, 1, memory_order_relaxed);
		w->stopped = true;
	}
}

/* Keep one RTT sample unless still warming up; false once enough. */
bool rtt_record(struct run *run, uint64_t i, uint64_t t0, uint64_t t1)
{
	struct hist *h = &ctl->hist;

	ctl->w[0].rounds = i + 1;
	if (run->count) {
		if (i < run->warm_count)
			return true;
		hist_record(h, t1 - t0);
		return h->count < run->count;
	}
	if (!run->t_start)
		run->t_start = t0;
	if (t1 - run->t_start < run->warm_ns)
		return true;
	if (!run->t_measure)
		run->t_measure = t0;
	hist_record(h, t1 - t0);
	return h->count < run->max_samples &&
	       t1 - run->t_measure < run->budget_ns;
}

void producer_finished(struct run *run, struct worker *w, uint64_t sent)
{
	(void)run;
	/* plain store: the parent reads it after wait4, which orders it */
	ctl->w[w->idx].sent = sent;
}

void consumer_begin(struct worker *w)
{
	w->t0 = now_ns();
	ctl->w[w->idx].t_begin = w->t0;
}

void consumer_end(struct run *run, struct worker *w)
{
	(void)run;
	ctl->w[w->idx].t_end = now_ns();
	ctl->w[w->idx].recvd = w->got;
}

void fill_payload(unsigned char *m, size_t len, uint64_t seq)
{
	unsigned char b = (unsigned char)(seq * 131 + (seq >> 32));

	for (size_t j = sizeof(seq); j < len; j++)
		m[j] = (unsigned char)(b + j);
}

void check_payload(const struct run *run, const unsigned char *m,
		   uint64_t seq)
{
	unsigned char b = (unsigned char)(seq * 131 + (seq >> 32));
	unsigned p = (unsigned)(seq >> SEQ_PROD_SHIFT);
	uint64_t n = seq & ((UINT64_C(1) << SEQ_PROD_SHIFT) - 1);

	for (size_t j = sizeof(seq); j < run->size; j++)
		if (m[j] != (unsigned char)(b + j))
			die("message %u:%" PRIu64 " corrupt at byte %zu", p, n,
			    j);
	if (!seen || n >= seen_per_prod)
		return;
	/* relaxed: only the value matters, read by the parent after wait4 */
	if (atomic_exchange_explicit(&seen[p * seen_per_prod + n], 1,
				     memory_order_relaxed))
		die("message %u:%" PRIu64 " delivered twice", p, n);
}

_Noreturn void bad_seq(struct run *run, struct worker *w, uint64_t seq,
		       size_t len)
{
	unsigned p = (unsigned)(seq >> SEQ_PROD_SHIFT);
	uint64_t n = seq & ((UINT64_C(1) << SEQ_PROD_SHIFT) - 1);

	if (len != run->size)
		die("message of %zu bytes, want %zu", len, run->size);
	if (p >= run->np)
		die("message from producer %u of %u (corrupt?)", p, run->np);
	die("producer %u's message %" PRIu64 " arrived when %" PRIu64
	    " was %s", p, n, w->next[p], run->nc == 1 ? "due" : "passed");
}

void check_echo(struct run *run, const unsigned char *m, size_t len,
		uint64_t want)
{
	if (len != run->size)
		die("echo of %zu bytes, want %zu", len, run->size);
	if (seq_in(m) != want)
		die("echo of message %" PRIu64 " came back as %" PRIu64, want,
		    seq_in(m));
	if (cfg.verify)
		check_payload(run, m, want);
}

/* ---------------------------------------------------------------- */
/* One forked run                                                   */

void init_run(struct run *run, const struct test *t, size_t size)
{
	unsigned sides;

	memset(run, 0, sizeof(*run));
	run->t = t;
	run->size = size;
	if (t->threads || (t->kind == TPUT && !t->np && !t->nc)) {
		run->nw = 1; /* one process: a solo loop, or threads */
		run->np = t->np ? t->np : 1;
		run->nc = t->nc ? t->nc : 1;
	} else if (t->kind == RTT) {
		run->nw = 2;
		run->np = run->nc = 1;
	} else {
		run->np = t->np;
		run->nc = t->nc;
		run->nw = t->np + t->nc;
	}
	sides = t->threads ? t->threads : run->nw;
	run->pinned = !single_cpu && (int)sides <= mach.ncpus;
	run->oversub = !run->pinned && (int)sides > mach.usable;
	run->max_samples = cfg.max_samples;
	for (int i = 0; i < 4; i++)
		run->fd[i] = -1;
	for (int i = 0; i < RUN_RES; i++)
		run->res[i] = -1;
	run->id[0] = run->id[1] = -1;
	/* ring bytes: room for several messages, never below the default */
	run->capacity = SHMRING_DEFAULT_CAPACITY;
	while (run->capacity < 8 * (size + 64))
		run->capacity *= 2;
	current_test = t->name;
}

static _Noreturn void child_main(struct run *run, unsigned idx)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	struct worker w = { .idx = idx, .rd = -1, .wr = -1, .cpu = -1 };
	sigset_t none;

	in_child = true;
	/* the parent undoes everything; a worker just dies with it */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent_pid)
		_exit(1);
	if (run->pinned)
		w.cpu = mach.cpus[idx];
	pin_to(w.cpu);

	if (run->nw == 1) {
		w.role = R_SOLO;
	} else if (run->t->kind == RTT) {
		w.role = idx == 0 ? R_PING : R_ECHO;
	} else if (idx < run->nc) {
		w.role = R_CONS;
		w.rank = idx;
	} else {
		w.role = R_PROD;
		w.rank = idx - run->nc;
	}
	w.buf = aligned_alloc(64, (run->size * BURST + 63) & ~(size_t)63);
	w.next = calloc(run->np, sizeof(*w.next));
	if (!w.buf || !w.next)
		die("out of memory");
	memset(w.buf, 0xa5, run->size * BURST);
	run->t->work(run, &w);
	_exit(0);
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static double ru_cpu(const struct rusage *ru)
{
	return tv_s(&ru->ru_utime) + tv_s(&ru->ru_stime);
}

static void kill_children(void)
{
	for (int i = 0; i < MAX_WORKERS; i++)
		if (child_pid[i] > 0)
			kill((pid_t)child_pid[i], SIGKILL);
}

/* Shared with the workers before any fork: zeroed control block. */
static void reset_ctl(const struct run *run)
{
	atomic_store_explicit(&ctl->ready, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->stop, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->prod_done, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->failed, 0, memory_order_relaxed);
	memset(ctl->w, 0, sizeof(ctl->w));
	if (run->t->kind == RTT)
		hist_init(&ctl->hist);
}

/* --verify: one byte per message, for loss and duplicates */
static size_t map_seen(const struct run *run)
{
	const struct test *t = run->t;

	/* memcpy moves no messages: nothing to record */
	if (!cfg.verify || t->kind != TPUT || !run->count || (!t->np && !t->nc))
		return 0;
	seen_per_prod = run->count;
	seen = map_shared(run->np * run->count);
	return run->np * run->count;
}

static void unmap_seen(size_t len)
{
	if (seen)
		munmap((void *)seen, len);
	seen = NULL;
}

/* Everything the transport holds, on every path: after a failed
 * prepare as after the workers are reaped. */
static void release_run(struct run *run)
{
	if (run->t->finish)
		run->t->finish(run);
	for (int i = 0; i < 4; i++)
		close_fd(&run->fd[i]);
	for (int i = 0; i < RUN_RES; i++)
		res_release(run->res[i]);
	if (run->map)
		munmap(run->map, run->map_len);
	run->map = NULL;
}

static void fork_workers(struct run *run)
{
	sigset_t old;

	block_cleanup_signals(&old);
	fflush(NULL); /* or a child's exit could repeat buffered output */
	for (unsigned i = 0; i < run->nw; i++) {
		pid_t pid = fork();
		int err;

		if (pid == 0)
			child_main(run, i);
		if (pid < 0) {
			err = errno;
			sigprocmask(SIG_SETMASK, &old, NULL);
			die("fork: %s", strerror(err));
		}
		child_pid[i] = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* the workers hold the descriptors now; the parent's copies would
	 * keep pipes and sockets from ever reporting end of stream */
	for (int i = 0; i < 4; i++)
		close_fd(&run->fd[i]);
}

/* Wait for every worker, adding its CPU time; 1 if one failed. */
static int reap_workers(const struct run *run, struct run_out *out)
{
	int failed = 0;

	alarm(cfg.timeout_s);
	for (unsigned left = run->nw; left;) {
		int st, idx = -1;
		struct rusage ru;
		pid_t pid = wait4(-1, &st, 0, &ru);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			die("wait4: %s", strerror(errno));
		}
		for (unsigned i = 0; i < run->nw; i++)
			if (child_pid[i] == pid)
				idx = (int)i;
		if (idx < 0)
			continue; /* not ours */
		child_pid[idx] = 0;
		left--;
		out->cpu_s += ru_cpu(&ru);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		if (!cfg.verify) {
			if (WIFSIGNALED(st))
				die("worker %d killed by signal %d", idx,
				    WTERMSIG(st));
			die("worker %d failed (exit status %d)", idx,
			    WEXITSTATUS(st));
		}
		/* --verify: report it, stop the others, go on to the next */
		if (WIFSIGNALED(st) && !failed)
			fprintf(stderr, PROG ": %s: worker %d killed by signal %d\n",
				run->t->name, idx, WTERMSIG(st));
		failed = 1;
		kill_children();
	}
	alarm(0);
	return failed;
}

/* The workers' figures; 1 if what was sent did not all arrive. */
static int collect_out(const struct run *run, struct run_out *out)
{
	uint64_t b = UINT64_MAX, e = 0;
	bool tput = run->t->kind == TPUT;

	for (unsigned i = 0; i < run->nw; i++) {
		const struct wres *r = &ctl->w[i];

		out->messages += r->recvd;
		out->sent += r->sent;
		out->rounds += r->rounds;
		if (tput && r->t_end) {
			b = r->t_begin < b ? r->t_begin : b;
			e = r->t_end > e ? r->t_end : e;
		}
	}
	if (e > b)
		out->secs = (double)(e - b) / 1e9;
	if (tput && out->sent != out->messages) {
		fprintf(stderr, PROG ": %s: sent %" PRIu64
			" messages, received %" PRIu64 "\n",
			run->t->name, out->sent, out->messages);
		return 1;
	}
	return 0;
}

/* --verify: every message arrived; 1 if one did not. */
static int check_seen(const struct run *run, size_t len)
{
	for (size_t i = 0; seen && i < len; i++) {
		if (!seen[i]) {
			fprintf(stderr, PROG ": %s: message %zu:%zu never arrived\n",
				run->t->name, i / (size_t)run->count,
				i % (size_t)run->count);
			return 1;
		}
	}
	return 0;
}

int run_one(struct run *run, struct run_out *out)
{
	struct rusage ru0, ru1;
	size_t seen_len;
	int err, failed;

	memset(out, 0, sizeof(*out));
	reset_ctl(run);
	seen_len = map_seen(run);
	err = run->t->prepare ? run->t->prepare(run) : 0;
	if (err < 0) {
		unmap_seen(seen_len);
		release_run(run);
		return err;
	}
	getrusage(RUSAGE_SELF, &ru0);
	fork_workers(run);
	failed = reap_workers(run, out);
	getrusage(RUSAGE_SELF, &ru1);
	out->cpu_s += ru_cpu(&ru1) - ru_cpu(&ru0);
	release_run(run);
	if (!failed)
		failed = collect_out(run, out) || check_seen(run, seen_len);
	unmap_seen(seen_len);
	if (failed && !cfg.verify)
		die("the run failed");
	out->status = failed ? -1 : 0;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Another build of this program                                    */

int run_program(const char *const argv[], char *buf, size_t len,
		unsigned limit_s)
{
	sigset_t old;
	siginfo_t info;
	size_t got = 0;
	int fd[2], st, err;
	pid_t pid;

	if (pipe2(fd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	block_cleanup_signals(&old);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* SIGTERM on our death: it cleans up after itself */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
		    getppid() != parent_pid || dup2(fd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		dprintf(STDERR_FILENO, PROG ": %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	err = errno;
	if (pid > 0)
		prog_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		die("fork: %s", strerror(err));
	}

	alarm(limit_s);
	for (;;) {
		char drain[512];
		bool room = got + 1 < len;
		ssize_t k = room ? read(fd[0], buf + got, len - 1 - got) :
				   read(fd[0], drain, sizeof(drain));

		if (k > 0 && room)
			got += (size_t)k;
		else if (k == 0)
			break;
		else if (k < 0 && errno != EINTR)
			die("reading from %s: %s", argv[0], strerror(errno));
	}
	close(fd[0]);
	buf[got] = '\0';
	/* wait without reaping, so that the pid the signal handler would
	 * kill stays this child's until it is cleared below */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			die("waitid: %s", strerror(errno));
	alarm(0);
	block_cleanup_signals(&old);
	if (waitpid(pid, &st, 0) != pid)
		st = -1;
	prog_pid = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
