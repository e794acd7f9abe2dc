/*
 * shmring-stress.c - the multi-process stress harness.
 *
 * The parent creates one ring, forks P producer and C consumer processes
 * on it, optionally SIGKILLs a random child every few milliseconds and
 * forks a replacement that carries on its role, and watches progress.
 * Every message is checked on receipt (header, length, checksum and every
 * payload byte, which are all deterministic from producer id and sequence
 * number) and recorded in a shared bitmap; at the end the parent counts
 * what was lost, duplicated, reordered or torn, prints one SUMMARY line
 * and exits non-zero on any violation.
 *
 * Exit status: 0 pass, 1 violation (or a child failed), 2 hang (watchdog),
 * 3 usage or setup error, 77 ring kind not supported by the library,
 * 128+N interrupted by signal N. Every path removes the ring's name and
 * kills and reaps every child.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"
#include "../../util/util.h"
#include "stress.h"

/* How long a child waits, at most, for a replacement peer per round. */
#define GEN_WAIT_NS (50 * NSEC_PER_MSEC)
/* How long a child retries an open refused with -EBUSY or -EUSERS. */
#define OPEN_RETRY_NS (5 * NSEC_PER_SEC)
/* The parent's tick: watchdog and progress checks. */
#define TICK_NS (100 * NSEC_PER_MSEC)
/* Spin mode: the library spins this long inside a blocking call. */
#define SPIN_NS (10 * NSEC_PER_MSEC)
/* Spin mode: failed tries before one bounded blocking call. */
#define SPIN_TRIES 1024

#if defined(__SANITIZE_ADDRESS__)
#define BUILD_SANITIZERS "address"
#elif defined(__SANITIZE_THREAD__)
#define BUILD_SANITIZERS "thread"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILD_SANITIZERS "address"
#elif __has_feature(thread_sanitizer)
#define BUILD_SANITIZERS "thread"
#endif
#endif
#ifndef BUILD_SANITIZERS
#define BUILD_SANITIZERS "none"
#endif

/* ---- configuration ------------------------------------------------- */

static const char *const inject_names[] = { "none", "drop", "dup",
					     "reorder", "tear", "stall" };

struct config cfg = {
	.kind = SHMRING_SPSC,
	.producers = 1,
	.consumers = 1,
	.messages = 1000000,
	.min_size = 24,
	.max_size = 256,
	.seed = 1,
	.timeout = 30,
};

/* ---- messages ------------------------------------------------------ */

static inline uint64_t msg_key(uint32_t p, uint64_t seq)
{
	return mix64(mix64(cfg.seed ^ ((uint64_t)(p + 1) * GOLDEN)) +
		     seq * GOLDEN);
}

static inline uint32_t msg_len(uint64_t key)
{
	uint64_t span = (uint64_t)cfg.max_size - cfg.min_size + 1;
	return cfg.min_size + (uint32_t)(mix64(key ^ UINT64_C(0x5bd1e995)) % span);
}

static inline uint64_t payload_word(uint64_t key, uint64_t i)
{
	return mix64(key + (i + 1) * GOLDEN);
}

/* Word-at-a-time multiply-rotate hash (xxhash-like), finalised by mix64. */
static inline uint64_t sum_step(uint64_t h, uint64_t w)
{
	h ^= w * UINT64_C(0xc2b2ae3d27d4eb4f);
	h = (h << 31) | (h >> 33);
	return h * GOLDEN;
}

static inline uint64_t sum_head(const struct msg_hdr *h)
{
	uint64_t s = sum_step(UINT64_C(0x27d4eb2f165667c5),
			      ((uint64_t)h->producer << 32) | h->len);
	return sum_step(s, h->seq);
}

/* Build message seq of producer p into buf; returns its length. */
static uint32_t msg_build(unsigned char *buf, uint32_t p, uint64_t seq)
{
	uint64_t key = msg_key(p, seq);
	struct msg_hdr h = { .producer = p, .len = msg_len(key), .seq = seq };
	uint64_t s = sum_head(&h);
	unsigned char *pl = buf + MSG_HDR;
	size_t n = h.len - MSG_HDR, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = payload_word(key, i / 8);
		memcpy(pl + i, &w, 8);
		s = sum_step(s, w);
	}
	if (i < n) {
		uint64_t w = payload_word(key, i / 8), t = 0;
		memcpy(pl + i, &w, n - i);
		memcpy(&t, pl + i, n - i);
		s = sum_step(s, t);
	}
	h.sum = mix64(s);
	memcpy(buf, &h, MSG_HDR);
	return h.len;
}

/*
 * Check a received message of n bytes against what its producer must
 * have sent. Returns 0 with *p and *seq set, or -1 for a torn message
 * (anything that is not exactly a message some producer could send).
 */
int msg_check(const unsigned char *buf, size_t n, const uint64_t *limit,
	      uint32_t *p, uint64_t *seq)
{
	struct msg_hdr h;
	if (n < MSG_HDR)
		return -1;
	memcpy(&h, buf, MSG_HDR);
	if (h.len != n || h.producer >= cfg.producers ||
	    h.seq >= limit[h.producer])
		return -1;
	uint64_t key = msg_key(h.producer, h.seq);
	if (msg_len(key) != n)
		return -1;
	uint64_t s = sum_head(&h);
	const unsigned char *pl = buf + MSG_HDR;
	size_t len = n - MSG_HDR, i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = payload_word(key, i / 8), got;
		memcpy(&got, pl + i, 8);
		if (got != w)
			return -1;
		s = sum_step(s, got);
	}
	if (i < len) {
		uint64_t w = payload_word(key, i / 8), t = 0;
		if (memcmp(pl + i, &w, len - i))
			return -1;
		memcpy(&t, pl + i, len - i);
		s = sum_step(s, t);
	}
	if (mix64(s) != h.sum)
		return -1;
	*p = h.producer;
	*seq = h.seq;
	return 0;
}

/* ---- state shared by the parent and every child -------------------- */

/*
 * Accounting across kills. Every number the verifier needs lives in this
 * shared mapping, so that it survives the SIGKILL of the process that
 * wrote it; the parent reads a dead child's state only after reaping it,
 * when nothing writes it any more, and before forking its replacement.
 *
 * Producer p, sending sequence number s:
 *   1. inflight = s       (the send may now happen at any moment)
 *   2. shmring_send(s)    (published: s may be received from here on)
 *   3. next = s + 1       (s is counted as sent)
 * Killed before 1, or after 3: inflight != next, nothing is in flight,
 * and the replacement resumes at next: no loss allowed. Killed between 1
 * and 3: inflight == next == s, and s may or may not have reached the
 * ring. Resending it could duplicate it, so the parent marks s "allowed
 * missing" and the replacement resumes at s + 1. Hence: at most one
 * message per producer kill may be missing, and it is exactly the one
 * named then; every other sequence number below the final next must be
 * delivered exactly once.
 *
 * Consumer c, receiving:
 *   1. phase = RECV          (the ring may hand us a message any moment)
 *   2. shmring_recv()        (the message is out of the ring)
 *   3. cur = (p, s); phase = HAVE
 *   4. fetch_or of s's bit in got[p]  (recorded: a second one is a duplicate)
 *   5. FIFO check, counters; phase = IDLE
 * Killed in IDLE: nothing was lost. Killed in RECV: one message, which
 * only the dead process saw, may be gone, and nobody can name it: the
 * parent adds one to an anonymous allowance. Killed in HAVE: the parent
 * knows the message; if its bit is not set yet, the parent sets it (so
 * that a second delivery still counts as a duplicate) and counts it lost
 * in flight. Hence: at most one message per consumer kill may be missing.
 *
 * The verifier: a missing sequence number marked allowed is lost in
 * flight; the others are lost in flight up to the anonymous allowance,
 * and violations beyond it. Duplicates, torn messages and reordering are
 * violations whatever was killed.
 *
 * The state itself (struct prod_state, struct cons_state, struct ctl)
 * is declared in stress.h, for bcast.c shares it.
 *
 * Unlike the library, the harness uses sequentially consistent atomics
 * (the plain <stdatomic.h> calls) for every step above, on purpose: the
 * parent must see them in program order whatever point a SIGKILL cut
 * them at, and what the harness costs is not what it measures. Relaxed
 * accesses are left for progress counters and flags that are polled.
 */
enum { PH_IDLE = 0, PH_RECV = 1, PH_HAVE = 2 };

struct ctl *ctl;
static _Atomic uint64_t *got_map;   /* P bitmaps: seq received */
_Atomic uint64_t *allow_map;
uint64_t bitmap_words;
static size_t ctl_size;

static char ring_name[64];
static struct shmring *parent_ring;

/* ---- small helpers -------------------------------------------------- */

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void futex_wait_u32(_Atomic uint32_t *w, uint32_t val, int64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC),
			       (long)(ns % NSEC_PER_SEC) };
	/* Shared futex (no PRIVATE flag): the waker is another process. */
	syscall(SYS_futex, (void *)w, FUTEX_WAIT, val, &ts, NULL, 0);
}

void gen_bump(void)
{
	atomic_fetch_add(&ctl->gen, 1);
	syscall(SYS_futex, (void *)&ctl->gen, FUTEX_WAKE, INT_MAX, NULL, NULL,
		0);
}

static const char *kind_name(enum shmring_kind k)
{
	return k == SHMRING_MPMC ? "mpmc" : k == SHMRING_BCAST ? "bcast" : "spsc";
}

_Noreturn void die_child(const char *what, long err)
{
	fprintf(stderr, "shmring-stress[%d]: %s: %s\n", (int)getpid(), what,
		shmring_strerror((int)err));
	_exit(EXIT_VIOLATION);
}

/* ---- children ------------------------------------------------------ */

struct shmring *child_open(int role, _Atomic int32_t *attached)
{
	struct shmring *r;
	int64_t deadline = now_ns() + OPEN_RETRY_NS;
	for (;;) {
		uint32_t g = atomic_load(&ctl->gen);
		int ret = shmring_open(ring_name, role, &r);
		if (ret == 0)
			break;
		/*
		 * -EBUSY: the SPSC role of a dead predecessor not yet seen
		 * dead; -EUSERS: dead peers still fill the table. Both clear
		 * when the library notices the death: wait, bounded.
		 */
		if ((ret != -EBUSY && ret != -EUSERS) || now_ns() > deadline)
			die_child("shmring_open", ret);
		atomic_fetch_add(&ctl->open_retries, 1);
		futex_wait_u32(&ctl->gen, g, 5 * NSEC_PER_MSEC);
	}
	if (cfg.spin)
		shmring_set_spin(r, SPIN_NS);
	atomic_store(attached, (int32_t)getpid());
	gen_bump();
	return r;
}

bool all_producers_done(void)
{
	for (unsigned p = 0; p < cfg.producers; p++)
		if (!atomic_load(&ctl->prod[p].done))
			return false;
	return true;
}

/*
 * -EPIPE while the run is not over means the other side is between a
 * killed process and its replacement: wait for an attach, bounded, then
 * try again. The parent's watchdog bounds the whole.
 */
void wait_replacement(uint32_t gen_seen)
{
	futex_wait_u32(&ctl->gen, gen_seen, GEN_WAIT_NS);
}

/*
 * After -EPIPE from a receive: true if the stream is over. An -EPIPE is
 * final only from a receive that began once every producer was done. One
 * that began before may have found a killed producer gone while its
 * replacement had yet to attach, and that replacement may since have
 * sent the rest of its share and finished: stopping then would leave its
 * messages unread. So the first time every producer is seen done,
 * receive once more (done is stored after a producer's last send: that
 * receive drains everything); otherwise wait, bounded, for a replacement.
 */
bool eos_final(bool *done_seen, uint32_t gen_seen)
{
	if (*done_seen)
		return true;
	if (all_producers_done()) {
		*done_seen = true;
		return false;
	}
	if (atomic_load(&ctl->abort))
		_exit(EXIT_VIOLATION);
	wait_replacement(gen_seen);
	return false;
}

static int send_one(struct shmring *r, const unsigned char *buf, uint32_t len)
{
	if (!cfg.spin)
		return shmring_send(r, buf, len, -1);
	for (unsigned i = 0;; i++) {
		int ret = shmring_try_send(r, buf, len);
		if (ret != -EAGAIN)
			return ret;
		if (i % 64 == 63)
			sched_yield();
		if (i >= SPIN_TRIES) {
			/* Exercise the library's own spin, then sleep. */
			ret = shmring_send(r, buf, len, 2 * SPIN_NS);
			if (ret != -ETIMEDOUT)
				return ret;
			i = 0;
		}
	}
}

ssize_t recv_one(struct shmring *r, unsigned char *buf, size_t cap)
{
	if (!cfg.spin)
		return shmring_recv(r, buf, cap, -1);
	for (unsigned i = 0;; i++) {
		ssize_t ret = shmring_try_recv(r, buf, cap);
		if (ret != -EAGAIN)
			return ret;
		if (i % 64 == 63)
			sched_yield();
		if (i >= SPIN_TRIES) {
			ret = shmring_recv(r, buf, cap, 2 * SPIN_NS);
			if (ret != -ETIMEDOUT)
				return ret;
			i = 0;
		}
	}
}

/* Send message seq of producer p, waiting out a replacement consumer. */
static void send_msg(struct shmring *r, unsigned char *buf, uint32_t p,
		     uint64_t seq)
{
	uint32_t len = msg_build(buf, p, seq);
	for (;;) {
		uint32_t g = atomic_load(&ctl->gen);
		int ret = send_one(r, buf, len);
		if (ret == 0)
			return;
		if (ret != -EPIPE)
			die_child("shmring_send", ret);
		if (atomic_load(&ctl->abort))
			_exit(EXIT_VIOLATION);
		wait_replacement(g);
	}
}

static void inject_fault(struct shmring *r, unsigned char *buf, uint32_t p,
			 uint64_t seq)
{
	switch (cfg.inject) {
	case INJ_DROP:
		break;
	case INJ_DUP:
		send_msg(r, buf, p, seq);
		send_msg(r, buf, p, seq);
		break;
	case INJ_REORDER:
		send_msg(r, buf, p, seq + 1);
		send_msg(r, buf, p, seq);
		break;
	case INJ_TEAR: {
		uint32_t len = msg_build(buf, p, seq);
		buf[len - 1] ^= 0x20;
		int ret = shmring_send(r, buf, len, -1);
		if (ret)
			die_child("shmring_send", ret);
		break;
	}
	case INJ_STALL:
		/* Until the watchdog's SIGKILL. */
		for (;;)
			pause();
	default:
		send_msg(r, buf, p, seq);
		break;
	}
}

static int run_producer(uint32_t p)
{
	struct prod_state *ps = &ctl->prod[p];
	unsigned char *buf = malloc(cfg.max_size);
	if (!buf)
		die_child("malloc", -ENOMEM);
	struct shmring *r = child_open(SHMRING_PRODUCER, &ps->pid);
	if (cfg.kind == SHMRING_BCAST)
		bcast_wait_subscribers();
	uint64_t limit = ctl->limit[p];
	uint64_t fault_at = p == 0 && cfg.inject ? limit / 2 : SEQ_NONE;
	for (uint64_t seq = atomic_load(&ps->next); seq < limit; seq++) {
		if (atomic_load_explicit(&ctl->stop, memory_order_relaxed))
			break;
		/* Step 1 of the accounting above: seq is in flight. */
		atomic_store(&ps->inflight, seq);
		if (seq == fault_at && seq + 1 < limit) {
			inject_fault(r, buf, p, seq);
			if (cfg.inject == INJ_REORDER)
				seq++;
		} else {
			send_msg(r, buf, p, seq);
		}
		/* Step 3: seq is counted as sent. */
		atomic_store(&ps->next, seq + 1);
	}
	/* Done before close: a consumer's final -EPIPE then sees it. */
	atomic_store(&ps->done, 1);
	shmring_close(r);
	free(buf);
	return EXIT_PASS;
}

static int run_consumer(uint32_t c)
{
	struct cons_state *cs = &ctl->cons[c];
	struct shmring_info info;
	struct shmring *r = child_open(SHMRING_CONSUMER, &cs->pid);
	int ret = shmring_info(r, &info);
	if (ret)
		die_child("shmring_info", ret);
	/* Room for anything the ring accepts: a longer one is torn, not an error. */
	size_t cap = info.max_msg;
	unsigned char *buf = malloc(cap ? cap : 1);
	if (!buf)
		die_child("malloc", -ENOMEM);
	bool done_seen = false;
	for (;;) {
		uint32_t g = atomic_load(&ctl->gen);
		atomic_store(&cs->phase, PH_RECV);
		ssize_t n = recv_one(r, buf, cap);
		if (n < 0) {
			atomic_store(&cs->phase, PH_IDLE);
			if (n != -EPIPE)
				die_child("shmring_recv", n);
			if (eos_final(&done_seen, g))
				break;
			continue;
		}
		uint32_t p;
		uint64_t seq;
		if (msg_check(buf, (size_t)n, ctl->limit, &p, &seq)) {
			atomic_fetch_add(&ctl->torn, 1);
			atomic_store(&cs->phase, PH_IDLE);
			continue;
		}
		atomic_store(&cs->cur_p, p);
		atomic_store(&cs->cur_seq, seq);
		atomic_store(&cs->phase, PH_HAVE);
		uint64_t m = bit_mask(seq);
		/* A duplicate is counted as that alone, not also as reordered. */
		if (atomic_fetch_or(bit_word(got_map, p, seq), m) & m)
			atomic_fetch_add(&ctl->duplicated, 1);
		else if (seq < cs->last[p])
			atomic_fetch_add(&ctl->reordered, 1);
		else
			cs->last[p] = seq + 1;
		atomic_fetch_add_explicit(&cs->received, 1,
					  memory_order_relaxed);
		atomic_store(&cs->phase, PH_IDLE);
	}
	atomic_store(&cs->finished, 1);
	shmring_close(r);
	free(buf);
	return EXIT_PASS;
}

/* ---- the parent ---------------------------------------------------- */

struct child {
	pid_t pid;      /* 0 when not running */
	bool producer;
	uint32_t idx;   /* producer or consumer number */
	bool finished;  /* its role is complete: never respawned */
};

static struct child kids[2 * MAX_SIDE];
static unsigned nkids;
static pid_t parent_pid;
static int sig_fd = -1;
static sigset_t handled;

struct tally {
	uint64_t kills, kills_p, kills_c;
	uint64_t anon_allow;     /* consumer killed in RECV */
	uint64_t cons_inflight;  /* consumer killed in HAVE, unrecorded */
	uint64_t child_errors;
	int hangs;
	int interrupted;
};
static struct tally t;

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state += GOLDEN;
	return mix64(rng_state);
}

static void spawn(struct child *k)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "shmring-stress: fork: %s\n", strerror(errno));
		k->pid = 0;
		t.child_errors++;
		return;
	}
	if (pid > 0) {
		k->pid = pid;
		return;
	}
	/* Child: die with the parent, take default signal handling back. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent_pid)
		_exit(EXIT_VIOLATION);
	sigprocmask(SIG_UNBLOCK, &handled, NULL);
	close(sig_fd);
	/* The parent's handle is role 0: closing it detaches nothing. */
	shmring_close(parent_ring);
	if (k->producer)
		_exit(run_producer(k->idx));
	_exit(cfg.kind == SHMRING_BCAST ? run_subscriber(k->idx) :
					  run_consumer(k->idx));
}

static void kill_all(void)
{
	atomic_store(&ctl->abort, 1);
	for (unsigned i = 0; i < nkids; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGKILL);
	for (unsigned i = 0; i < nkids; i++) {
		if (kids[i].pid <= 0)
			continue;
		while (waitpid(kids[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
		kids[i].pid = 0;
	}
}

/* A child left on its own (not killed by us): check how. */
static void child_exited(struct child *k, int status)
{
	k->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (k->producer && !atomic_load(&ctl->prod[k->idx].done)) {
			fprintf(stderr, "shmring-stress: producer %u exited "
				"without finishing\n", k->idx);
			t.child_errors++;
		}
		k->finished = true;
		return;
	}
	t.child_errors++;
	if (WIFEXITED(status))
		fprintf(stderr, "shmring-stress: %s %u exited with status %d\n",
			k->producer ? "producer" : "consumer", k->idx,
			WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "shmring-stress: %s %u killed by signal %d\n",
			k->producer ? "producer" : "consumer", k->idx,
			WTERMSIG(status));
}

/* The post-mortem of a child we killed; see "Accounting across kills". */
static void account_kill(struct child *k)
{
	t.kills++;
	if (k->producer) {
		struct prod_state *ps = &ctl->prod[k->idx];
		t.kills_p++;
		if (atomic_load(&ps->done)) {
			k->finished = true;
			return;
		}
		uint64_t next = atomic_load(&ps->next);
		if (atomic_load(&ps->inflight) == next && next < ctl->limit[k->idx]) {
			atomic_fetch_or(bit_word(allow_map, k->idx, next),
					bit_mask(next));
			atomic_store(&ps->next, next + 1);
		}
		atomic_store(&ps->inflight, SEQ_NONE);
		return;
	}
	struct cons_state *cs = &ctl->cons[k->idx];
	t.kills_c++;
	if (atomic_load(&cs->finished)) {
		k->finished = true;
		return;
	}
	switch (atomic_load(&cs->phase)) {
	case PH_RECV:
		t.anon_allow++;
		break;
	case PH_HAVE: {
		uint32_t p = atomic_load(&cs->cur_p);
		uint64_t seq = atomic_load(&cs->cur_seq);
		/* cur was checked against limit before HAVE was stored. */
		uint64_t m = bit_mask(seq);
		if (!(atomic_fetch_or(bit_word(got_map, p, seq), m) & m))
			t.cons_inflight++;
		if (seq >= cs->last[p])
			cs->last[p] = seq + 1;
		break;
	}
	default:
		break;
	}
	atomic_store(&cs->phase, PH_IDLE);
}

/*
 * Victims are children that have attached: killing one still starting
 * (a fork costs far more than a kill under a sanitizer) would only keep
 * the run from making progress. Returns false if there was none.
 */
static bool kill_one(void)
{
	unsigned live[2 * MAX_SIDE], n = 0;
	for (unsigned i = 0; i < nkids; i++) {
		struct child *k = &kids[i];
		_Atomic int32_t *attached = k->producer ?
			&ctl->prod[k->idx].pid : &ctl->cons[k->idx].pid;
		if (k->pid > 0 && !k->finished && atomic_load(attached) == k->pid)
			live[n++] = i;
	}
	if (!n)
		return false;
	struct child *k = &kids[live[rng_next() % n]];
	int status;
	kill(k->pid, SIGKILL);
	while (waitpid(k->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "shmring-stress: waitpid: %s\n",
				strerror(errno));
			t.child_errors++;
			k->pid = 0;
			return true;
		}
	}
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		/* It had exited on its own just before. */
		child_exited(k, status);
		return true;
	}
	k->pid = 0;
	account_kill(k);
	if (!k->finished)
		spawn(k);
	return true;
}

static void reap_exited(void)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		for (unsigned i = 0; i < nkids; i++)
			if (kids[i].pid == pid) {
				child_exited(&kids[i], status);
				break;
			}
	}
}

static bool all_finished(void)
{
	for (unsigned i = 0; i < nkids; i++)
		if (!kids[i].finished)
			return false;
	return true;
}

static uint64_t total_received(void)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < cfg.consumers; c++)
		n += atomic_load_explicit(&ctl->cons[c].received,
					  memory_order_relaxed);
	return n;
}

static void cleanup(void)
{
	kill_all();
	if (parent_ring) {
		shmring_close(parent_ring);
		parent_ring = NULL;
	}
	if (ring_name[0]) {
		shmring_unlink(ring_name);
		ring_name[0] = '\0';
	}
	if (ctl) {
		munmap(ctl, ctl_size);
		ctl = NULL;
	}
}

static void setup_error(const char *what, int err)
{
	fprintf(stderr, "shmring-stress: %s: %s\n", what,
		err < 0 ? shmring_strerror(err) : strerror(err));
	cleanup();
	exit(EXIT_ERROR);
}

/* ---- options ------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: shmring-stress [options]\n"
"  --kind spsc|mpmc|bcast  ring kind (default spsc; spsc forces 1 producer,\n"
"                       1 consumer; bcast 1 publisher, C subscribers)\n"
"  --overwrite          bcast: SHMRING_OVERWRITE (default back-pressure)\n"
"  --producers P        producer processes (default 1, at most %d)\n"
"  --consumers C        consumer processes (default 1, at most %d;\n"
"                       bcast: subscribers, at most %d)\n"
"  --messages N         messages in all, split among producers (default 1e6;\n"
"                       accepts 1e8, 10M, 500k); with --duration an upper\n"
"                       bound (default then 1e9)\n"
"  --min-size B         smallest message, header included (default 24, >= 24)\n"
"  --max-size B         largest message (default 256); also the ring's max_msg\n"
"  --duration SECS      stop producing after SECS (default: when N are sent)\n"
"  --blocking           blocking calls, default spin then futex sleep (default)\n"
"  --spin               try_send/try_recv loops, long library spin\n"
"  --kill-every MS      SIGKILL a random child every MS ms and replace it\n"
"                       (bcast: a replaced subscriber is a new one)\n"
"  --seed S             seed of sizes, payloads and kill choices (default 1)\n"
"  --capacity N         SPSC, BCAST: data bytes (default 65536); MPMC: slots\n"
"                       (default 256)\n"
"  --timeout SECS       watchdog: no message received for SECS = hang (default 30)\n"
"  --time-limit SECS    watchdog: whole run longer than SECS = hang\n"
"                       (default: timeout + N/20000, or duration + timeout + 30)\n"
"  --quiet              no progress lines on stderr\n"
"  --inject FAULT       self-test of the verifier: producer 0 deliberately\n"
"                       commits FAULT (drop|dup|reorder|tear|stall)\n"
"                       mid-stream; the run must then fail (stall: hang)\n"
"  --build-info         print the sanitizers this program was built with\n"
"  --help               this text\n"
"Prints one SUMMARY line. Exit: 0 pass, 1 violation, 2 hang, 3 error,\n"
"77 kind not supported by the library, 128+N interrupted by signal N.\n",
		MAX_SIDE, MAX_SIDE, SHMRING_MAX_PEERS - 1);
}

static void bad_opt(const char *opt, const char *val)
{
	fprintf(stderr, "shmring-stress: invalid value for --%s: '%s'\n", opt,
		val);
	exit(EXIT_ERROR);
}

/* A count: 1000000, 1e6, 1.5e6, 10M, 500k, 2G (util/parse.c). */
static uint64_t parse_count(const char *opt, const char *s)
{
	uint64_t v;

	if (unum_u64(s, UNUM_METRIC | UNUM_EXP, 0, UINT64_MAX, &v) < 0)
		bad_opt(opt, s);
	return v;
}

static double parse_secs(const char *opt, const char *s)
{
	double v;

	if (unum_secs(s, 0, 1e7, &v) < 0)
		bad_opt(opt, s);
	return v;
}

enum opt_id {
	O_KIND = 256, O_PROD, O_CONS, O_MSGS, O_MIN, O_MAX, O_DUR,
	O_BLOCK, O_SPIN, O_KILL, O_SEED, O_CAP, O_TIMEOUT, O_LIMIT,
	O_QUIET, O_BUILD, O_HELP, O_INJECT, O_OVERWRITE,
};

/* Which options shaped the run, for check_args(). */
struct given {
	bool sides;
	bool messages;
};

static void check_args(const struct given *given);

/* A count or size option. */
static void take_count(int o, const char *arg, struct given *given)
{
	uint64_t v;
	switch (o) {
	case O_PROD:
	case O_CONS:
		v = parse_count(o == O_PROD ? "producers" : "consumers", arg);
		if (v < 1 || v > MAX_SIDE)
			bad_opt(o == O_PROD ? "producers" : "consumers", arg);
		if (o == O_PROD)
			cfg.producers = (unsigned)v;
		else
			cfg.consumers = (unsigned)v;
		given->sides = true;
		break;
	case O_MSGS:
		cfg.messages = parse_count("messages", arg);
		given->messages = true;
		break;
	case O_MIN:
	case O_MAX:
		v = parse_count(o == O_MIN ? "min-size" : "max-size", arg);
		if (v > SHMRING_MAX_MSG_LIMIT)
			bad_opt(o == O_MIN ? "min-size" : "max-size", arg);
		if (o == O_MIN)
			cfg.min_size = (uint32_t)v;
		else
			cfg.max_size = (uint32_t)v;
		break;
	default:
		break;
	}
}

/* One option of parse_args(). */
static void take_opt(int o, const char *arg, struct given *given)
{
	switch (o) {
	case O_KIND:
		if (!strcmp(arg, "spsc"))
			cfg.kind = SHMRING_SPSC;
		else if (!strcmp(arg, "mpmc"))
			cfg.kind = SHMRING_MPMC;
		else if (!strcmp(arg, "bcast"))
			cfg.kind = SHMRING_BCAST;
		else
			bad_opt("kind", arg);
		break;
	case O_PROD:
	case O_CONS:
	case O_MSGS:
	case O_MIN:
	case O_MAX:
		take_count(o, arg, given);
		break;
	case O_DUR:
		cfg.duration = parse_secs("duration", arg);
		break;
	case O_BLOCK:
		cfg.spin = false;
		break;
	case O_SPIN:
		cfg.spin = true;
		break;
	case O_KILL:
		cfg.kill_every_ms = parse_count("kill-every", arg);
		break;
	case O_SEED:
		cfg.seed = parse_count("seed", arg);
		break;
	case O_CAP:
		cfg.capacity = parse_count("capacity", arg);
		break;
	case O_TIMEOUT:
		cfg.timeout = parse_secs("timeout", arg);
		if (cfg.timeout <= 0)
			bad_opt("timeout", arg);
		break;
	case O_LIMIT:
		cfg.time_limit = parse_secs("time-limit", arg);
		break;
	case O_QUIET:
		cfg.quiet = true;
		break;
	case O_OVERWRITE:
		cfg.overwrite = true;
		break;
	case O_INJECT:
		cfg.inject = -1;
		for (int i = 1; i <= INJ_STALL; i++)
			if (!strcmp(arg, inject_names[i]))
				cfg.inject = i;
		if (cfg.inject < 0)
			bad_opt("inject", arg);
		break;
	case O_BUILD:
		printf("shmring-stress sanitizers=%s\n", BUILD_SANITIZERS);
		exit(EXIT_PASS);
	case O_HELP:
		usage(stdout);
		exit(EXIT_PASS);
	default:
		/* getopt said what was wrong, on one line. */
		fprintf(stderr, "shmring-stress: see --help\n");
		exit(EXIT_ERROR);
	}
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, O_KIND },
		{ "producers", required_argument, NULL, O_PROD },
		{ "consumers", required_argument, NULL, O_CONS },
		{ "messages", required_argument, NULL, O_MSGS },
		{ "min-size", required_argument, NULL, O_MIN },
		{ "max-size", required_argument, NULL, O_MAX },
		{ "duration", required_argument, NULL, O_DUR },
		{ "blocking", no_argument, NULL, O_BLOCK },
		{ "spin", no_argument, NULL, O_SPIN },
		{ "kill-every", required_argument, NULL, O_KILL },
		{ "seed", required_argument, NULL, O_SEED },
		{ "capacity", required_argument, NULL, O_CAP },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "time-limit", required_argument, NULL, O_LIMIT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "build-info", no_argument, NULL, O_BUILD },
		{ "inject", required_argument, NULL, O_INJECT },
		{ "overwrite", no_argument, NULL, O_OVERWRITE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct given given = { false, false };
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		take_opt(o, optarg, &given);
	if (optind < argc) {
		fprintf(stderr, "shmring-stress: unexpected argument '%s'\n",
			argv[optind]);
		exit(EXIT_ERROR);
	}
	check_args(&given);
}

static void args_error(const char *why)
{
	fprintf(stderr, "shmring-stress: %s\n", why);
	exit(EXIT_ERROR);
}

/* What parse_args() took one option at a time, checked as a whole. */
static void check_args(const struct given *given)
{
	if (cfg.kind == SHMRING_SPSC) {
		if (given->sides && (cfg.producers != 1 || cfg.consumers != 1))
			args_error("an SPSC ring takes exactly 1 producer and "
				   "1 consumer");
		cfg.producers = cfg.consumers = 1;
	}
	if (cfg.kind == SHMRING_BCAST) {
		if (cfg.producers != 1)
			args_error("a broadcast ring takes exactly 1 producer");
		/* The publisher's entry and one per subscriber. */
		if (cfg.consumers > SHMRING_MAX_PEERS - 1)
			args_error("a broadcast ring takes at most "
				   "SHMRING_MAX_PEERS - 1 subscribers");
	} else if (cfg.producers + cfg.consumers >= SHMRING_MAX_PEERS) {
		fprintf(stderr, "shmring-stress: producers + consumers must be "
			"below %d\n", SHMRING_MAX_PEERS);
		exit(EXIT_ERROR);
	}
	if (cfg.overwrite && cfg.kind != SHMRING_BCAST)
		args_error("--overwrite is for --kind bcast only");
	if (cfg.min_size < MSG_HDR || cfg.max_size < cfg.min_size) {
		fprintf(stderr, "shmring-stress: need %u <= --min-size <= "
			"--max-size\n", MSG_HDR);
		exit(EXIT_ERROR);
	}
	if (cfg.inject && cfg.kill_every_ms) {
		fprintf(stderr, "shmring-stress: --inject and --kill-every "
			"do not combine\n");
		exit(EXIT_ERROR);
	}
	/* A timed run's bound; bitmap pages are only touched as used. */
	if (cfg.duration > 0 && !given->messages)
		cfg.messages = 1000000000;
	if (cfg.messages < cfg.producers) {
		fprintf(stderr, "shmring-stress: --messages must be at least "
			"the number of producers\n");
		exit(EXIT_ERROR);
	}
	if (!cfg.capacity)
		cfg.capacity = cfg.kind == SHMRING_MPMC ? 256 : 65536;
	if (!cfg.time_limit)
		cfg.time_limit = cfg.duration > 0 ?
			cfg.duration + cfg.timeout + 30 :
			cfg.timeout + (double)cfg.messages / 20000;
}

/* ---- verification and report --------------------------------------- */

struct verdict {
	uint64_t messages, received, lost, lost_inflight;
	uint64_t inflight_p, inflight_c; /* lost_inflight by side killed */
};

/* The first few violations, named, for whoever debugs the failure. */
#define SHOW_MISSING 10

/*
 * Walk every producer's bitmaps; see "Accounting across kills" for what
 * each missing sequence number may be. Words are counted 64 at a time.
 */
static struct verdict verify(bool aborted)
{
	struct verdict v = { 0 };
	uint64_t unexplained = 0, allowed_missing = 0, got_bits = 0;
	struct { uint32_t p; uint64_t seq; } shown[SHOW_MISSING];
	for (uint32_t p = 0; p < cfg.producers; p++) {
		uint64_t end = atomic_load(&ctl->prod[p].next);
		v.messages += end;
		/*
		 * Words past the one holding end - 1 are never written by
		 * a correct run, and reading them would fault in pages of
		 * a bitmap sized for a duration run's upper bound.
		 */
		uint64_t words = end / 64 + 1;
		if (words > bitmap_words)
			words = bitmap_words;
		for (uint64_t w = 0; w < words; w++) {
			uint64_t g = atomic_load_explicit(&got_map[p * bitmap_words + w],
							  memory_order_relaxed);
			uint64_t a = atomic_load_explicit(&allow_map[p * bitmap_words + w],
							  memory_order_relaxed);
			uint64_t base = w * 64, sent = ~UINT64_C(0);
			if (base >= end)
				sent = 0;
			else if (end - base < 64)
				sent = (UINT64_C(1) << (end - base)) - 1;
			got_bits += (uint64_t)__builtin_popcountll(g & sent);
			/* Received but never sent: not a message anyone wrote. */
			uint64_t phantom = (uint64_t)__builtin_popcountll(g & ~sent);
			if (phantom)
				atomic_fetch_add(&ctl->torn, phantom);
			uint64_t missing = ~g & sent;
			allowed_missing += (uint64_t)__builtin_popcountll(missing & a);
			for (uint64_t m = missing & ~a; m; m &= m - 1) {
				if (unexplained < SHOW_MISSING) {
					shown[unexplained].p = p;
					shown[unexplained].seq =
						base + (uint64_t)__builtin_ctzll(m);
				}
				unexplained++;
			}
		}
	}
	uint64_t anon = unexplained < t.anon_allow ? unexplained : t.anon_allow;
	v.lost = unexplained - anon;
	v.inflight_p = allowed_missing;
	v.inflight_c = anon + t.cons_inflight;
	v.lost_inflight = v.inflight_p + v.inflight_c;
	if (v.lost && !aborted && !cfg.quiet) {
		/* Which ones were the dead consumers' cannot be told apart. */
		fprintf(stderr, "shmring-stress: %" PRIu64 " missing, %" PRIu64
			" of them explained by consumer kills; the first:\n",
			unexplained, anon);
		for (uint64_t i = 0; i < unexplained && i < SHOW_MISSING; i++)
			fprintf(stderr, "shmring-stress:   producer %u seq %"
				PRIu64 "\n", shown[i].p, shown[i].seq);
	}
	v.received = got_bits - t.cons_inflight;
	return v;
}

/*
 * Broadcast: each subscriber judged every message it took and its end
 * of stream (bcast.c); what is left is to add up. Lost in flight: what
 * the publisher's kills allow to be missing.
 */
static struct verdict verify_bcast(void)
{
	struct verdict v = { 0 };
	v.messages = atomic_load(&ctl->prod[0].next);
	v.received = total_received();
	v.lost = atomic_load(&ctl->bc.lost);
	v.inflight_p = bcast_allowed(0, v.messages);
	v.lost_inflight = v.inflight_p;
	return v;
}

/* The broadcast fields of the SUMMARY line, or nothing. */
static void bcast_fields(char *out, size_t size)
{
	out[0] = '\0';
	if (cfg.kind != SHMRING_BCAST)
		return;
	snprintf(out, size, " policy=%s overwritten=%" PRIu64 " overflows=%"
		 PRIu64 " miscounted=%" PRIu64,
		 cfg.overwrite ? "overwrite" : "backpressure",
		 atomic_load(&ctl->bc.overwritten),
		 atomic_load(&ctl->bc.overflows),
		 atomic_load(&ctl->bc.miscounted));
}

static void report(int64_t elapsed_ns, const char **result, int *rc)
{
	/* An aborted run's ring still held messages: no need to name them. */
	struct verdict v = cfg.kind == SHMRING_BCAST ? verify_bcast() :
		verify(t.interrupted || t.hangs || t.child_errors);
	uint64_t miscounted = atomic_load(&ctl->bc.miscounted);
	char bc[160];
	bcast_fields(bc, sizeof(bc));
	uint64_t torn = atomic_load(&ctl->torn);
	uint64_t dup = atomic_load(&ctl->duplicated);
	uint64_t reord = atomic_load(&ctl->reordered);
	double secs = (double)elapsed_ns / 1e9;
	uint64_t rec = total_received();

	if (t.interrupted) {
		*result = "INTERRUPTED";
		*rc = 128 + t.interrupted;
	} else if (t.hangs) {
		*result = "HANG";
		*rc = EXIT_HANG;
	} else if (v.lost || torn || dup || reord || miscounted ||
		   t.child_errors) {
		*result = "FAIL";
		*rc = EXIT_VIOLATION;
	} else {
		*result = "PASS";
		*rc = EXIT_PASS;
	}
	printf("SUMMARY kind=%s producers=%u consumers=%u mode=%s "
	       "messages=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
	       " lost_inflight=%" PRIu64 " lost_inflight_producer=%" PRIu64
	       " lost_inflight_consumer=%" PRIu64 " duplicated=%" PRIu64
	       " torn=%" PRIu64 " reordered=%" PRIu64 " hangs=%d"
	       " kills=%" PRIu64 " kills_producer=%" PRIu64
	       " kills_consumer=%" PRIu64 " child_errors=%" PRIu64
	       " open_retries=%" PRIu64 " seconds=%.3f msgs_per_s=%.0f"
	       " min_size=%u max_size=%u capacity=%" PRIu64
	       " seed=%" PRIu64 "%s%s%s result=%s\n",
	       kind_name(cfg.kind), cfg.producers, cfg.consumers,
	       cfg.spin ? "spin" : "blocking", v.messages, v.received, v.lost,
	       v.lost_inflight, v.inflight_p, v.inflight_c, dup, torn, reord, t.hangs, t.kills, t.kills_p,
	       t.kills_c, t.child_errors, atomic_load(&ctl->open_retries),
	       secs, secs > 0 ? (double)rec / secs : 0.0, cfg.min_size,
	       cfg.max_size, cfg.capacity, cfg.seed,
	       cfg.inject ? " inject=" : "",
	       cfg.inject ? inject_names[cfg.inject] : "", bc, *result);
	fflush(stdout);
}

/*
 * The parent's wait until its next tick, kill or stop time, or a signal;
 * false once a signal other than SIGCHLD interrupted the run.
 */
static bool tick_sleep(int64_t now, int64_t next_kill, int64_t stop_at)
{
	int64_t wake = now + TICK_NS;
	if (next_kill < wake)
		wake = next_kill;
	if (stop_at > now && stop_at < wake)
		wake = stop_at;
	int64_t d = wake > now ? wake - now : 0;
	struct timespec ts = { (time_t)(d / NSEC_PER_SEC),
			       (long)(d % NSEC_PER_SEC) };
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };
	if (ppoll(&pfd, 1, &ts, NULL) > 0) {
		struct signalfd_siginfo si;
		while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD)
				t.interrupted = (int)si.ssi_signo;
		if (t.interrupted) {
			fprintf(stderr, "shmring-stress: interrupted "
				"by signal %d\n", t.interrupted);
			return false;
		}
	}
	return true;
}

/* Watch the run until it ends: kills, the duration, the watchdog. */
static void watch(int64_t start)
{
	int64_t kill_ns = (int64_t)cfg.kill_every_ms * NSEC_PER_MSEC;
	int64_t next_kill = kill_ns ? start + kill_ns : INT64_MAX;
	int64_t stop_at = cfg.duration > 0 ?
		start + (int64_t)(cfg.duration * 1e9) : INT64_MAX;
	int64_t limit_at = start + (int64_t)(cfg.time_limit * 1e9);
	int64_t timeout_ns = (int64_t)(cfg.timeout * 1e9);
	int64_t next_report = start + 5 * NSEC_PER_SEC;
	int64_t last_progress = start;
	uint64_t last_count = 0;

	while (!t.child_errors) {
		reap_exited();
		if (t.child_errors || all_finished())
			break;
		int64_t now = now_ns();
		if (now >= stop_at && !atomic_load(&ctl->stop)) {
			atomic_store(&ctl->stop, 1);
			gen_bump();
		}
		if (now >= next_kill) {
			/* Nobody attached to kill: try again at the next tick. */
			bool killed = kill_one();
			now = now_ns();
			next_kill = now + (killed ? kill_ns : TICK_NS / 10);
		}
		uint64_t count = total_received();
		if (count != last_count) {
			last_count = count;
			last_progress = now;
		} else if (now - last_progress >= timeout_ns) {
			fprintf(stderr, "shmring-stress: no message received "
				"for %.1f s: hang\n", cfg.timeout);
			t.hangs = 1;
			break;
		}
		if (now >= limit_at) {
			fprintf(stderr, "shmring-stress: run longer than "
				"%.1f s: hang\n", cfg.time_limit);
			t.hangs = 1;
			break;
		}
		if (!cfg.quiet && now >= next_report) {
			fprintf(stderr, "shmring-stress: %.0f s: %" PRIu64
				" received, %" PRIu64 " kills\n",
				(double)(now - start) / 1e9, count, t.kills);
			next_report = now + 5 * NSEC_PER_SEC;
		}

		if (!tick_sleep(now, next_kill, stop_at))
			break;
	}
}

/* ---- main ---------------------------------------------------------- */

static void setup(void)
{
	/* Shared state and bitmaps; untouched bitmap pages cost nothing. */
	uint64_t per_side = (cfg.messages + cfg.producers - 1) / cfg.producers;
	bitmap_words = (per_side + 63) / 64;
	size_t head = (sizeof(struct ctl) + 4095) & ~(size_t)4095;
	size_t maps = (size_t)(2 * cfg.producers * bitmap_words * 8);
	ctl_size = head + maps;
	void *m = mmap(NULL, ctl_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		ctl = NULL;
		setup_error("mmap of the shared state", errno);
	}
	ctl = m;
	got_map = (_Atomic uint64_t *)(void *)((char *)m + head);
	allow_map = got_map + cfg.producers * bitmap_words;
	for (uint32_t p = 0; p < cfg.producers; p++) {
		ctl->limit[p] = cfg.messages / cfg.producers +
				(p < cfg.messages % cfg.producers);
		atomic_store(&ctl->prod[p].inflight, SEQ_NONE);
	}

	/* The ring: role 0 creates only, so it is no producer of its own. */
	struct shmring_opts o = {
		.kind = cfg.kind,
		.capacity = (size_t)cfg.capacity,
		.max_msg = cfg.max_size,
		.flags = cfg.overwrite ? SHMRING_OVERWRITE : 0,
	};
	for (unsigned n = 0;; n++) {
		snprintf(ring_name, sizeof(ring_name), "/shmring-stress-%d-%u",
			 (int)getpid(), n);
		int ret = shmring_create(ring_name, &o, 0, &parent_ring);
		if (ret == 0)
			break;
		if (ret == -EEXIST && n < 100)
			continue;
		ring_name[0] = '\0';
		if (ret == -EOPNOTSUPP) {
			fprintf(stderr, "shmring-stress: %s rings are not "
				"supported by this library\n",
				kind_name(cfg.kind));
			printf("SUMMARY kind=%s producers=%u consumers=%u "
			       "result=SKIP\n", kind_name(cfg.kind),
			       cfg.producers, cfg.consumers);
			cleanup();
			exit(EXIT_SKIP);
		}
		if (ret == -EINVAL) {
			fprintf(stderr, "shmring-stress: shmring_create: the "
				"library refuses capacity %" PRIu64 " with "
				"messages up to %u bytes\n", cfg.capacity,
				cfg.max_size);
			cleanup();
			exit(EXIT_ERROR);
		}
		setup_error("shmring_create", ret);
	}
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	parent_pid = getpid();
	rng_state = mix64(cfg.seed ^ UINT64_C(0x6b696c6c));

	/* Signals arrive on a descriptor; children unblock them at fork. */
	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGHUP);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	sig_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		setup_error("signalfd", errno);

	setup();
	if (!cfg.quiet)
		fprintf(stderr, "shmring-stress: %s %uP%uC %s, %" PRIu64
			" messages of %u..%u bytes, capacity %" PRIu64
			"%s%s, ring %s\n", kind_name(cfg.kind), cfg.producers,
			cfg.consumers, cfg.spin ? "spin" : "blocking",
			cfg.messages, cfg.min_size, cfg.max_size, cfg.capacity,
			cfg.kill_every_ms ? ", kills" : "",
			cfg.duration > 0 ? ", timed" : "", ring_name);

	/* Consumers first: producers then start on a ring with readers. */
	for (uint32_t c = 0; c < cfg.consumers; c++)
		kids[nkids++] = (struct child){ .producer = false, .idx = c };
	for (uint32_t p = 0; p < cfg.producers; p++)
		kids[nkids++] = (struct child){ .producer = true, .idx = p };

	int64_t start = now_ns();
	for (unsigned i = 0; i < nkids; i++)
		spawn(&kids[i]);

	watch(start);
	int64_t elapsed = now_ns() - start;
	/* Kill what is left (nothing, on success), then judge. */
	kill_all();

	const char *result;
	int rc;
	report(elapsed, &result, &rc);
	cleanup();
	if (!cfg.quiet && rc)
		fprintf(stderr, "shmring-stress: %s\n", result);
	return rc;
}
