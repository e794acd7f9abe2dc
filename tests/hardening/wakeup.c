/*
 * wakeup.c - no lost wake-ups: two processes hand a message back and
 * forth over two tiny rings, in strict alternation, neither spinning
 * (shmring_set_spin(r, 0)), so that the receiver of nearly every hand-off
 * goes to sleep on its futex and the sender must wake it.
 *
 *   usage: hardening-wakeup [-n HANDOFFS] [-k spsc|mpmc|bcast] [-s SUBS]
 *                           [-w WATCHDOG_S] [-j JITTER_US] [-v]
 *
 * Before each send the sender waits a pseudo-random 0..JITTER_US (default
 * 10); three times in four it also waits until the receiver is entering
 * its receive, then another random delay: its publication falls anywhere
 * on the receiver's way to sleep (first look, announce, re-check, futex
 * call, asleep) rather than always at one point.
 *
 * A lost wake-up is not a hang here: the library sleeps in slices of at
 * most 50 ms, so a sleeper whose wake-up was lost finds the message when
 * its slice ends. The program therefore looks at every hand-off from the
 * receiver's side: did it sleep (its ring's sleep counter moved), did the
 * futex word it sleeps on move (a waker bumps it before the wake call),
 * and how long after the sender's send had returned (the message
 * published, its wake-up issued; noted in the ring's application area)
 * did the receive return, less the time the receiver spent waiting for a
 * CPU meanwhile (/proc/thread-self/schedstat: a busy machine delays a
 * woken process, which is not a lost wake-up). A hand-off that slept and
 * returned 20 ms or more after the send was complete, not counting that,
 * slept through a published message: a lost wake-up.
 *
 * A receive that waits longer than the watchdog (10 s) is a hang.
 * Exit status 0 when there was neither; the last line of output is
 * "N passed, N failed" for the test harness, the line before it the
 * result (kept in last-long-run.txt by `make stress-hardening`).
 *
 * It also checks one wake per sleep: the wake calls counted in the two
 * rings' stats stay within twice the sleeps.
 *
 * With -k bcast, one publisher and SUBS (default 3) subscriber processes
 * share a tiny broadcast ring: HANDOFFS messages, each of which every
 * subscriber receives (HANDOFFS x SUBS hand-offs). Three times in four
 * the publisher waits until every subscriber is entering its receive of
 * the next message, so that they all sleep between messages, announced
 * by their own bits of one waiters word and woken by one wake call. Each
 * subscriber checks it gets every message, in order, and tallies its
 * hand-offs as above, its sleeps read from its own peer line. Checked
 * against a scratch copy of lib/wait.c whose publisher wakes one sleeper
 * instead of all (model/wait.pml's WAKE_ONE): 2e4 messages to 3
 * subscribers took 54 s instead of 2, with 861 hand-offs of 20 ms or
 * more (up to 2 s), a lost wake-up among them, and the program failed.
 *
 * Checked against a scratch copy of lib/wait.c without the re-check W4
 * (the sleeper sleeps on the value it read after announcing, without
 * looking at the ring again): 2e4 hand-offs show 19 to 51 lost wake-ups a
 * run, and the program fails; the library as it is shows none in 1e7.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"
#include "layout.h"

#define LOST_NS 20000000 /* a hand-off this late, unwoken: lost */

struct msg {
	uint64_t seq;
	int64_t t_send; /* CLOCK_MONOTONIC before the send */
};



struct tally {
	uint64_t handoffs, waited, slept, woken, unwoken, lost, stalls, hangs, errors;
	int64_t max_ns, sum_ns;
	uint64_t max_seq;
};

static char name_a[64], name_b[64];
static int kind = SHMRING_SPSC;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cleanup(void)
{
	shm_unlink(name_a);
	shm_unlink(name_b);
}

static void on_fatal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The header of ring @name, read-only. */
static const struct shmring_hdr *map_hdr(const char *name)
{
	char path[100];
	struct shmring_hdr *h;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	h = mmap(NULL, SHMRING_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return h == MAP_FAILED ? NULL : h;
}

/* The futex word the consumers of ring @name sleep on, read-only. */
static const _Atomic uint32_t *data_seq(const char *name)
{
	const struct shmring_hdr *h = map_hdr(name);

	return h ? &h->data_wait.seq : NULL;
}

/* Sleeps, and receives that found the ring empty, on ring @r so far. */
static uint64_t sleeps(struct shmring *r, uint64_t *empty)
{
	struct shmring_stats st;

	shmring_stats(r, &st);
	*empty = st.times_empty;
	return st.sleeps;
}

/*
 * Where a sender notes, in its ring's application area, when its send of
 * message @seq returned: the message was published and its wake-up, if a
 * sleeper was announced, issued.
 */
struct sent_note {
	_Atomic uint64_t seq;
	_Atomic int64_t t_done;
	uint8_t pad[48];
	/* Written by the receiver: the message it is now waiting for. */
	_Atomic uint64_t receiving;
};

static struct sent_note *note_of(struct shmring *r)
{
	void *area = NULL;
	size_t size = 0;

	if (shmring_app_area(r, &area, &size) != 0 || size < sizeof(struct sent_note))
		return NULL;
	return area;
}

static int64_t jitter_ns = 10000;

/*
 * Wait a pseudo-random 0..jitter_ns before a send, busily, so that the
 * publication lands anywhere in the other side's way to sleep: before
 * its announcement, between the announcement and its re-check, between
 * the re-check and the futex call, or once it sleeps.
 */
static void jitter(uint64_t *state)
{
	uint64_t x = *state;
	int64_t until;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	if (jitter_ns <= 0)
		return;
	/* Short delays as often as long ones: the bound itself varies. */
	until = now_ns() + (int64_t)((x >> 2) % (uint64_t)(jitter_ns >> (x & 3) | 1));
	while (now_ns() < until)
		;
}

static int send_one(struct shmring *out, struct sent_note *note, uint64_t seq,
		    int64_t watchdog_ns)
{
	static uint64_t state = 0x2545f4914f6cdd1dull;
	int64_t give_up = now_ns() + 1000000;
	struct msg m;
	int rc;

	/*
	 * Three times in four, publish only once the receiver is on its way
	 * into the receive (a millisecond at most: it may be kept from a
	 * CPU), then after a random delay, so that the publication falls at
	 * a random point of its way to sleep; otherwise at once, so that it
	 * also races the receiver's first look at the ring.
	 */
	jitter(&state);
	while ((state & 0x30) && now_ns() < give_up &&
	       atomic_load_explicit(&note->receiving, memory_order_relaxed) != seq)
		sched_yield(); /* the receiver may need this CPU */
	if (state & 0x30)
		jitter(&state);
	m.seq = seq;
	m.t_send = now_ns();
	rc = shmring_send(out, &m, sizeof(m), watchdog_ns);

	if (rc == 0) {
		atomic_store_explicit(&note->t_done, now_ns(), memory_order_relaxed);
		/* Release pairs with the receiver's acquire of seq: t_done
		 * is the one written for this message. */
		atomic_store_explicit(&note->seq, seq, memory_order_release);
	}
	return rc;
}

/*
 * Nanoseconds this thread has spent runnable but waiting for a CPU
 * (second field of /proc/thread-self/schedstat), or -1 if unknown. A
 * receive that returns late because the machine is busy waited there; a
 * receive whose wake-up was lost slept instead.
 */
static int schedstat_fd = -1;

static int64_t run_delay(void)
{
	char buf[128];
	unsigned long long on_cpu, waiting;
	ssize_t n;

	if (schedstat_fd < 0)
		return -1;
	n = pread(schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &on_cpu, &waiting) != 2)
		return -1;
	return (int64_t)waiting;
}

/*
 * One side of the game: receive on @in, send back on @out, @n times (the
 * starter sends first). Every receive is one hand-off, tallied.
 *
 * A hand-off whose receiver slept and returned LOST_NS or more after the
 * sender's send had returned, not counting the time it waited for a CPU
 * meanwhile, slept through a published message: its wake-up was lost.
 */
static void play(struct shmring *in, struct shmring *out,
		 const _Atomic uint32_t *seq, uint64_t n, int starter,
		 int64_t watchdog_ns, int verbose, struct tally *t)
{
	struct sent_note *in_note = note_of(in), *out_note = note_of(out);
	struct msg m = { 0 };
	uint64_t next = 0;

	memset(t, 0, sizeof(*t));
	schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (!in_note || !out_note) {
		t->errors++;
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t s0, s1, e0, e1;
		uint32_t v0, v1;
		int64_t lat, t_recv, late = 0, rd0, rd1;
		ssize_t rc;

		if (starter || i > 0) {
			/* The other side answers with the next number. */
			if (send_one(out, out_note, next++, watchdog_ns) != 0) {
				t->errors++;
				return;
			}
		}
		/* Relaxed: counters sampled around the call, nothing more. */
		v0 = atomic_load_explicit(seq, memory_order_relaxed);
		s0 = sleeps(in, &e0);
		rd0 = run_delay();
		atomic_store_explicit(&in_note->receiving, next, memory_order_relaxed);
		rc = shmring_recv(in, &m, sizeof(m), watchdog_ns);
		t_recv = now_ns();
		rd1 = run_delay();
		v1 = atomic_load_explicit(seq, memory_order_relaxed);
		s1 = sleeps(in, &e1);
		if (rc == -ETIMEDOUT) {
			t->hangs++;
			return;
		}
		if (rc != (ssize_t)sizeof(m) || m.seq != next) {
			/* An error, or a message lost or duplicated. */
			t->errors++;
			return;
		}
		lat = t_recv - m.t_send;
		/* A send not yet returned cannot have lost its wake-up yet. */
		if (atomic_load_explicit(&in_note->seq, memory_order_acquire) == m.seq)
			late = t_recv - atomic_load_explicit(&in_note->t_done,
							     memory_order_relaxed);
		/* Time spent waiting for a CPU is the machine's, not ours. */
		if (rd0 >= 0 && rd1 >= rd0)
			late -= rd1 - rd0;
		next = m.seq + 1;
		t->handoffs++;
		t->sum_ns += lat;
		if (lat > t->max_ns) {
			t->max_ns = lat;
			t->max_seq = m.seq;
		}
		if (lat >= LOST_NS)
			t->stalls++;
		/* Found the ring empty: went the announce/re-check way. */
		if (e1 != e0)
			t->waited++;
		if (s1 != s0) {
			t->slept++;
			if (v1 != v0)
				t->woken++;
			else
				t->unwoken++;
			if (late >= LOST_NS)
				t->lost++;
		}
		if (verbose && starter && (i + 1) % 1000000 == 0)
			fprintf(stderr, "wakeup: %llu round trips\n",
				(unsigned long long)(i + 1));
	}
	/* The starter's last message is still to be received. */
	if (!starter && send_one(out, out_note, next, watchdog_ns) != 0)
		t->errors++;
}

static void add(struct tally *a, const struct tally *b)
{
	a->handoffs += b->handoffs;
	a->waited += b->waited;
	a->slept += b->slept;
	a->woken += b->woken;
	a->unwoken += b->unwoken;
	a->lost += b->lost;
	a->stalls += b->stalls;
	a->hangs += b->hangs;
	a->errors += b->errors;
	a->sum_ns += b->sum_ns;
	if (b->max_ns > a->max_ns) {
		a->max_ns = b->max_ns;
		a->max_seq = b->max_seq;
	}
}

#define MAX_SUBS 8

/* The broadcast game's notes, in the ring's application area. */
struct bcast_note {
	struct sent_note sent; /* seq, t_done: the publisher's last send */
	/* Each subscriber's message it now waits for, plus one (0: none). */
	_Atomic uint64_t receiving[MAX_SUBS];
};

/* The sleeps of the peer entry that process @pid holds on @h. */
static const _Atomic uint64_t *own_sleeps(const struct shmring_hdr *h, pid_t pid)
{
	for (unsigned i = 0; i < PEER_SLOTS; i++) {
		/* Relaxed: our own attach, made before this call. */
		uint64_t id = atomic_load_explicit(&h->peer_id[i], memory_order_relaxed);
		if (id && ((id >> PEER_START_BITS) & PEER_PID_MASK) == (uint64_t)pid)
			return &h->claims[i].sleeps;
	}
	return NULL;
}

/*
 * Subscriber @k: receive @n messages, each the next number, tallying each
 * hand-off as play() does; the tally goes up @fd.
 */
static void subscribe(const char *name, int k, uint64_t n, int64_t watchdog_ns,
		      int fd)
{
	const struct shmring_hdr *h = map_hdr(name);
	const _Atomic uint32_t *seq = h ? &h->data_wait.seq : NULL;
	const _Atomic uint64_t *slept = NULL;
	struct shmring *r = NULL;
	struct bcast_note *note = NULL;
	struct tally t;
	void *area = NULL;
	size_t size = 0;

	memset(&t, 0, sizeof(t));
	schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (!seq || shmring_open(name, SHMRING_CONSUMER, &r) ||
	    shmring_app_area(r, &area, &size) || size < sizeof(*note))
		t.errors++;
	else
		slept = own_sleeps(h, getpid());
	if (!slept)
		t.errors++;
	note = area;
	if (r)
		shmring_set_spin(r, 0);
	for (uint64_t i = 0; i < n && !t.errors && !t.hangs; i++) {
		struct msg m = { 0 };
		/* Relaxed: counters sampled around the call, nothing more. */
		uint32_t v0 = atomic_load_explicit(seq, memory_order_relaxed);
		uint64_t s0 = atomic_load_explicit(slept, memory_order_relaxed);
		int64_t rd0 = run_delay(), late = 0;
		/* Relaxed: a hint for the publisher's timing, not an order. */
		atomic_store_explicit(&note->receiving[k], i + 1, memory_order_relaxed);
		ssize_t rc = shmring_recv(r, &m, sizeof(m), watchdog_ns);
		int64_t t_recv = now_ns(), rd1 = run_delay();
		uint32_t v1 = atomic_load_explicit(seq, memory_order_relaxed);
		uint64_t s1 = atomic_load_explicit(slept, memory_order_relaxed);
		if (rc == -ETIMEDOUT) {
			t.hangs++;
			break;
		}
		if (rc != (ssize_t)sizeof(m) || m.seq != i) {
			t.errors++; /* an error, or a message lost or duplicated */
			break;
		}
		/* Acquire pairs with the publisher's release of seq. */
		if (atomic_load_explicit(&note->sent.seq, memory_order_acquire) == i)
			late = t_recv - atomic_load_explicit(&note->sent.t_done,
							     memory_order_relaxed);
		if (rd0 >= 0 && rd1 >= rd0)
			late -= rd1 - rd0;
		t.handoffs++;
		t.sum_ns += t_recv - m.t_send;
		if (t_recv - m.t_send > t.max_ns) {
			t.max_ns = t_recv - m.t_send;
			t.max_seq = m.seq;
		}
		if (t_recv - m.t_send >= LOST_NS)
			t.stalls++;
		if (s1 != s0) {
			t.slept++;
			t.woken += v1 != v0;
			t.unwoken += v1 == v0;
			t.lost += late >= LOST_NS;
		}
	}
	if (write(fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		_exit(3);
	_exit(0);
}

/* Publish @n messages to @subs subscribers, as send_one() paces them. */
static int publish(struct shmring *r, struct bcast_note *note, int subs,
		   uint64_t n, int64_t watchdog_ns, int verbose)
{
	static uint64_t state = 0x9e3779b97f4a7c15ull;
	int64_t give_up = now_ns() + watchdog_ns;

	/* Every subscriber attached: it receives from the first message. */
	for (int k = 0; k < subs; k++)
		while (atomic_load_explicit(&note->receiving[k],
					    memory_order_relaxed) == 0)
			if (now_ns() > give_up)
				return -ETIMEDOUT;
			else
				sched_yield();
	for (uint64_t i = 0; i < n; i++) {
		struct msg m = { .seq = i };
		int rc;

		jitter(&state);
		give_up = now_ns() + 1000000;
		for (int k = 0; (state & 0x30) && k < subs && now_ns() < give_up;)
			if (atomic_load_explicit(&note->receiving[k],
						 memory_order_relaxed) == i + 1)
				k++;
			else
				sched_yield(); /* they may need this CPU */
		if (state & 0x30)
			jitter(&state);
		m.t_send = now_ns();
		rc = shmring_send(r, &m, sizeof(m), watchdog_ns);
		if (rc)
			return rc;
		atomic_store_explicit(&note->sent.t_done, now_ns(), memory_order_relaxed);
		/* Release pairs with the subscribers' acquire of seq. */
		atomic_store_explicit(&note->sent.seq, i, memory_order_release);
		if (verbose && (i + 1) % 1000000 == 0)
			fprintf(stderr, "wakeup: %llu messages\n",
				(unsigned long long)(i + 1));
	}
	return 0;
}

/* The broadcast game (-k bcast); returns the exit status. */
static int run_bcast(uint64_t n, int subs, int64_t watchdog_ns, int verbose)
{
	struct shmring_opts o = { .kind = SHMRING_BCAST, .capacity = 256,
				  .max_msg = 64 };
	struct shmring *r = NULL;
	struct tally all, t;
	pid_t pids[MAX_SUBS];
	void *area = NULL;
	size_t size = 0;
	int fds[2], rc, st, alive = 0;
	int64_t t0, el;

	memset(&all, 0, sizeof(all));
	rc = shmring_create(name_a, &o, SHMRING_PRODUCER, &r);
	if (!rc)
		rc = shmring_app_area(r, &area, &size);
	if (rc || size < sizeof(struct bcast_note) || pipe(fds) != 0) {
		fprintf(stderr, "wakeup: cannot set up the broadcast ring\n");
		return 1;
	}
	shmring_set_spin(r, 0);
	/* Relaxed: the fork below orders it for the children. */
	atomic_store_explicit(&((struct bcast_note *)area)->sent.seq, UINT64_MAX,
			      memory_order_relaxed);
	fflush(NULL);
	for (int k = 0; k < subs; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(fds[0]);
			subscribe(name_a, k, n, watchdog_ns, fds[1]);
		}
		if (pids[k] < 0)
			all.errors++;
		else
			alive++;
	}
	close(fds[1]);
	t0 = now_ns();
	if (!all.errors && publish(r, area, subs, n, watchdog_ns, verbose))
		all.hangs++;
	el = now_ns() - t0;
	for (int k = 0; k < subs; k++) {
		if (pids[k] > 0 && (all.hangs || all.errors))
			kill(pids[k], SIGKILL);
	}
	for (int k = 0; k < alive; k++) {
		if (read(fds[0], &t, sizeof(t)) != (ssize_t)sizeof(t)) {
			all.errors++;
			break;
		}
		add(&all, &t);
	}
	for (int k = 0; k < subs; k++)
		while (pids[k] > 0 && waitpid(pids[k], &st, 0) < 0 && errno == EINTR)
			;
	struct shmring_stats ss;
	shmring_stats(r, &ss);
	shmring_close(r);
	printf("wakeup: %llu wake calls for %llu sleeps\n",
	       (unsigned long long)ss.wakeups, (unsigned long long)ss.sleeps);
	/* One wake call wakes every sleeper: never more calls than sleeps. */
	if (ss.wakeups > 2 * ss.sleeps + 8)
		all.errors++;
	printf("wakeup: BCAST, %d subscribers, spin 0, jitter %lld us: %llu messages, "
	       "%llu hand-offs in %.1f s, %llu slept (%.1f%%), %llu woken, %llu unwoken, "
	       "%llu lost wake-ups, %llu stalls >= 20 ms (max %.3f ms), %llu hangs, "
	       "%llu errors\n",
	       subs, (long long)(jitter_ns / 1000), (unsigned long long)n,
	       (unsigned long long)all.handoffs, (double)el / 1e9,
	       (unsigned long long)all.slept,
	       all.handoffs ? 100.0 * (double)all.slept / (double)all.handoffs : 0.0,
	       (unsigned long long)all.woken, (unsigned long long)all.unwoken,
	       (unsigned long long)all.lost, (unsigned long long)all.stalls,
	       (double)all.max_ns / 1e6, (unsigned long long)all.hangs,
	       (unsigned long long)all.errors);
	rc = all.lost || all.hangs || all.errors || all.handoffs != n * (uint64_t)subs;
	printf("%d passed, %d failed\n", !rc, rc);
	return rc;
}

static int open_pair(int role_a, int role_b, struct shmring **a,
		     struct shmring **b)
{
	int rc = shmring_open(name_a, role_a, a);

	if (!rc)
		rc = shmring_open(name_b, role_b, b);
	if (!rc) {
		shmring_set_spin(*a, 0);
		shmring_set_spin(*b, 0);
	}
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t handoffs = 20000;
	int64_t watchdog_ns = 10000000000;
	int verbose = 0, opt, fds[2], st, subs = 3;
	struct shmring_opts o = { .kind = SHMRING_SPSC, .max_msg = 64 };
	struct shmring *a = NULL, *b = NULL;
	struct sent_note *note_a, *note_b;
	struct tally mine, theirs, all;
	int64_t t0, el;
	pid_t pid;
	int rc;

	while ((opt = getopt(argc, argv, "n:k:s:w:j:v")) != -1) {
		switch (opt) {
		case 'n':
			handoffs = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			kind = !strcmp(optarg, "mpmc")  ? SHMRING_MPMC :
			       !strcmp(optarg, "bcast") ? SHMRING_BCAST :
							  SHMRING_SPSC;
			break;
		case 's':
			subs = atoi(optarg);
			if (subs < 1 || subs > MAX_SUBS)
				subs = 3;
			break;
		case 'w':
			watchdog_ns = (int64_t)(atof(optarg) * 1e9);
			break;
		case 'j':
			jitter_ns = (int64_t)(atof(optarg) * 1e3);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-n HANDOFFS] [-k spsc|mpmc|bcast] "
				"[-s SUBS] [-w WATCHDOG_S] [-j JITTER_US] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	/* Each side receives half: an even number of hand-offs. */
	handoffs &= ~(uint64_t)1;
	if (handoffs < 2)
		handoffs = 2;
	/* Tiny rings: 256 bytes, or 2 slots. */
	o.kind = (enum shmring_kind)kind;
	o.capacity = kind == SHMRING_MPMC ? 2 : 256;
	snprintf(name_a, sizeof(name_a), "/shmring-h-wake-%ld-a", (long)getpid());
	snprintf(name_b, sizeof(name_b), "/shmring-h-wake-%ld-b", (long)getpid());
	atexit(cleanup);
	signal(SIGINT, on_fatal);
	signal(SIGTERM, on_fatal);
	signal(SIGHUP, on_fatal);
	if (kind == SHMRING_BCAST)
		return run_bcast(handoffs, subs, watchdog_ns, verbose);
	rc = shmring_create(name_a, &o, SHMRING_PRODUCER, &a);
	if (!rc)
		rc = shmring_create(name_b, &o, SHMRING_CONSUMER, &b);
	if (rc) {
		fprintf(stderr, "wakeup: cannot create the rings: %s\n",
			shmring_strerror(rc));
		return 1;
	}
	shmring_set_spin(a, 0);
	shmring_set_spin(b, 0);
	/*
	 * No send has been noted yet: a note of seq 0 (the zeroed area)
	 * would pass for the first message's, with t_done 0, and a first
	 * receive that slept and got its message before the sender noted
	 * it would count as hours late, a lost wake-up that was not.
	 */
	note_a = note_of(a);
	note_b = note_of(b);
	if (!note_a || !note_b) {
		fprintf(stderr, "wakeup: no room for the notes in the rings\n");
		return 1;
	}
	/* Relaxed: the fork below orders it for the child. */
	atomic_store_explicit(&note_a->seq, UINT64_MAX, memory_order_relaxed);
	atomic_store_explicit(&note_b->seq, UINT64_MAX, memory_order_relaxed);
	if (pipe(fds) != 0) {
		perror("wakeup: pipe");
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("wakeup: fork");
		return 1;
	}
	if (pid == 0) {
		struct shmring *ca = NULL, *cb = NULL;
		const _Atomic uint32_t *seq = data_seq(name_a);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		/*
		 * The parent's handles are left alone: closing them here
		 * would detach the parent (its peer entries carry its pid,
		 * which the close does not check against ours).
		 */
		memset(&mine, 0, sizeof(mine));
		if (!seq || open_pair(SHMRING_CONSUMER, SHMRING_PRODUCER, &ca, &cb))
			mine.errors = 1;
		else
			play(ca, cb, seq, handoffs / 2, 0, watchdog_ns, 0, &mine);
		if (write(fds[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	{
		const _Atomic uint32_t *seq = data_seq(name_b);

		if (!seq) {
			fprintf(stderr, "wakeup: cannot map %s\n", name_b);
			kill(pid, SIGKILL);
			return 1;
		}
		t0 = now_ns();
		play(b, a, seq, handoffs - handoffs / 2, 1, watchdog_ns, verbose,
		     &mine);
		el = now_ns() - t0;
	}
	memset(&theirs, 0, sizeof(theirs));
	if (mine.hangs || mine.errors)
		kill(pid, SIGKILL);
	if (read(fds[0], &theirs, sizeof(theirs)) != (ssize_t)sizeof(theirs))
		theirs.errors++;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/*
	 * One wake per sleep: each wake call takes the announcements it
	 * finds (lib/wait.c, P3'), so the wake calls on both rings stay
	 * within twice the sleeps (a few more for attach and detach).
	 */
	struct shmring_stats sa, sb;
	shmring_stats(a, &sa);
	shmring_stats(b, &sb);
	uint64_t wakes = sa.wakeups + sb.wakeups, slept = sa.sleeps + sb.sleeps;
	shmring_close(a);
	shmring_close(b);
	all = mine;
	add(&all, &theirs);
	printf("wakeup: %llu wake calls for %llu sleeps\n",
	       (unsigned long long)wakes, (unsigned long long)slept);
	if (wakes > 2 * slept + 8)
		all.errors++;
	printf("wakeup: %s, spin 0, jitter %lld us: %llu hand-offs in %.1f s (%.1f us each), "
	       "%llu waited (%.1f%%), %llu slept (%.1f%%), %llu woken, %llu unwoken, %llu lost "
	       "wake-ups, %llu stalls >= 20 ms (max %.3f ms), %llu hangs, "
	       "%llu errors\n",
	       kind == SHMRING_MPMC ? "MPMC" : "SPSC", (long long)(jitter_ns / 1000),
	       (unsigned long long)all.handoffs, (double)el / 1e9,
	       all.handoffs ? (double)el / 1e3 / (double)all.handoffs : 0.0,
	       (unsigned long long)all.waited,
	       all.handoffs ? 100.0 * (double)all.waited / (double)all.handoffs : 0.0,
	       (unsigned long long)all.slept,
	       all.handoffs ? 100.0 * (double)all.slept / (double)all.handoffs : 0.0,
	       (unsigned long long)all.woken, (unsigned long long)all.unwoken,
	       (unsigned long long)all.lost, (unsigned long long)all.stalls,
	       (double)all.max_ns / 1e6, (unsigned long long)all.hangs,
	       (unsigned long long)all.errors);
	rc = all.lost || all.hangs || all.errors || all.handoffs != handoffs;
	printf("%d passed, %d failed\n", !rc, rc);
	return rc;
}
