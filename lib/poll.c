/*
 * poll.c - readiness: a pollable descriptor per handle and direction, and
 * waiting on many rings at once (shmring_poll_fd(), shmring_poll()).
 *
 * A descriptor is a sleeper of the wait protocol (wait.c) whose sleep the
 * kernel does on the caller's behalf. Arming it is W1-W4 of that protocol
 * (announce, fence, read seq, re-check), then, instead of W5, a futex
 * wait submitted to an io_uring instance of the descriptor's own without
 * waiting for it (IORING_OP_FUTEX_WAIT, Linux 6.7), beside polls of the
 * peers' pidfds. The instance's descriptor is the one handed out: it
 * polls readable once a completion is posted, which happens when a
 * publisher takes the announcement and wakes the word (P3'-P4), when a
 * watched peer exits, or at once (a no-op) when the re-check found the
 * ring ready. Nothing is armed or woken by the caller's own thread, and
 * nothing runs in the library between the caller's calls.
 *
 * The re-arming rule: a call in the descriptor's direction that returns
 * -EAGAIN or -ETIMEDOUT takes the completions posted (the descriptor
 * stops polling readable) and arms again (ring.c calls poll_rearm()).
 * Until then the descriptor stays readable: level-triggered users see it
 * readable until they have drained the ring, edge-triggered ones get one
 * edge per arming. Spurious readiness is allowed (an attach, a detach, a
 * publish the caller raced with); a missed one is not: the announcement
 * is up before the re-check, as for any sleeper.
 *
 * An armed descriptor is a waiter only while armed: the publisher that
 * wakes it takes its announcement (wait.c, P3'), so a producer streaming
 * to a consumer that drains with try calls wakes it once per time the
 * consumer found the ring empty and armed it, never once per message.
 *
 * Fallback, where io_uring or its futex wait is missing (before Linux
 * 6.7, or forbidden by a seccomp filter or io_uring_disabled), or forced
 * with SHMRING_POLL_FALLBACK=1 in the environment (for tests): the
 * descriptor is an eventfd, and a thread of the library's (one per
 * descriptor, started at the first arming) does the futex wait and writes
 * the eventfd when it returns. Its costs: a thread and its stack per
 * descriptor, one more wake-up hop per readiness (the thread, then the
 * caller), and a wake-up of that thread every SLEEP_SLICE_NS while armed
 * to notice a peer killed by SIGKILL (which also shows as a spurious
 * readiness: the caller's try call then finds the peer gone), so a killed
 * peer is noticed within about 100 ms as by a blocking call. Closing may
 * wait up to one slice for the thread.
 *
 * shmring_poll() announces on the futex word of every item, re-checks
 * them all, then sleeps on all of them at once with futex_waitv (Linux
 * 5.16), in SLEEP_SLICE_NS slices so that a killed peer is noticed; where
 * futex_waitv is missing (or forced off as above) it sleeps on the first
 * item's word in 1 ms slices (wait_many()), so that readiness of the
 * others is seen within 1 ms.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"

/* [0]: POLLOUT, room, on space_wait; [1]: POLLIN, data, on data_wait. */
struct poll_dir {
	int fd;          /* what the caller polls */
	pid_t owner;     /* the process that set it up */
	struct uring *u; /* the mechanism; NULL in the fallback */
	/* Fallback: a thread sleeps on the futex and writes the eventfd fd. */
	pthread_t thread;
	bool started;
	_Atomic uint32_t req;  /* bumped to hand the thread a sleep (futex) */
	_Atomic uint32_t val;  /* the seq value to sleep on */
	_Atomic bool busy;     /* the thread holds a sleep not yet over */
	_Atomic bool stop;
	_Atomic uint32_t *word; /* the ring's seq word */
};

static bool fallback_forced(void)
{
	const char *e = getenv("SHMRING_POLL_FALLBACK");
	return e && *e == '1';
}

static struct wait_line *line_of(struct shmring *r, int dir)
{
	return dir ? &r->hdr->data_wait : &r->hdr->space_wait;
}

static uint32_t bit_of(struct shmring *r, int dir)
{
	return UINT32_C(1) << r->entry[dir];
}

/* ---- the fallback's thread ------------------------------------------ */

static void *sleeper(void *arg)
{
	struct poll_dir *d = arg;
	uint32_t seen = 0;
	for (;;) {
		uint32_t req;
		/* T1: acquire pairs with T0 (the arming's release of req):
		 * val is the one written before it. */
		while ((req = load_acquire(&d->req)) == seen)
			wait_private(&d->req, seen);
		seen = req;
		/* Relaxed: T0/T1 order it. */
		if (atomic_load_explicit(&d->stop, memory_order_relaxed))
			return NULL;
		wait_sleep(d->word,
			   atomic_load_explicit(&d->val, memory_order_relaxed),
			   SLEEP_SLICE_NS);
		/* T2: release pairs with T3: the sleep is over. */
		atomic_store_explicit(&d->busy, false, memory_order_release);
		uint64_t one = 1;
		if (write(d->fd, &one, sizeof(one)) < 0) {
			/* Full (2^64 - 2 writes): it is readable anyway. */
		}
	}
}

/* Hand the thread a sleep on @v, unless it still holds one. */
static int fallback_arm(struct poll_dir *d, uint32_t v)
{
	/* T3: acquire pairs with T2. A sleep still held sleeps on an older
	 * value: it ends when the word moves, which a wake needs anyway. */
	if (atomic_load_explicit(&d->busy, memory_order_acquire))
		return 0;
	atomic_store_explicit(&d->busy, true, memory_order_relaxed);
	/* Relaxed: published by T0. */
	atomic_store_explicit(&d->val, v, memory_order_relaxed);
	/* T0: release pairs with T1. */
	fetch_add_release(&d->req, 1);
	wake_private(&d->req);
	if (!d->started) {
		if (pthread_create(&d->thread, NULL, sleeper, d))
			return -ENOMEM;
		d->started = true;
	}
	return 0;
}

static void fallback_stop(struct poll_dir *d)
{
	if (!d->started)
		return;
	/* Relaxed: published by T0. */
	atomic_store_explicit(&d->stop, true, memory_order_relaxed);
	fetch_add_release(&d->req, 1);
	wake_private(&d->req);
	/* Asleep on the ring: wake it (others so woken just re-check). */
	wait_kick(d->word);
	pthread_join(d->thread, NULL);
}

/* ---- a descriptor --------------------------------------------------- */

static void dir_free(struct poll_dir *d)
{
	if (d->u) {
		wait_uring_close(d->u);
	} else {
		if (d->owner == getpid())
			fallback_stop(d);
		close(d->fd);
	}
	free(d);
}

static int dir_new(struct shmring *r, int dir, struct poll_dir **out)
{
	struct poll_dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->owner = getpid();
	d->word = &line_of(r, dir)->seq;
	if (!fallback_forced())
		d->u = wait_uring_open();
	if (d->u) {
		d->fd = wait_uring_fd(d->u);
	} else {
		d->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->fd < 0) {
			int err = -errno;
			free(d);
			return err;
		}
	}
	*out = d;
	return 0;
}

/* Make the descriptor readable now. */
static void post(struct poll_dir *d)
{
	if (d->u) {
		if (wait_uring_post(d->u) == 0)
			return;
	}
	uint64_t one = 1;
	if (!d->u && write(d->fd, &one, sizeof(one)) < 0) {
		/* Full: readable anyway. */
	}
}

/* Take what was posted: the descriptor stops polling readable. */
static void take(struct shmring *r, struct poll_dir *d)
{
	bool fired = false;
	if (d->u) {
		wait_uring_drain(d->u, &fired);
	} else {
		uint64_t n;
		if (read(d->fd, &n, sizeof(n)) < 0) {
			/* -EAGAIN: nothing posted. */
		}
	}
	if (fired)
		peer_look_soon(r); /* a watched peer exited: look now */
}

/*
 * Arm: W1-W4 of the wait protocol, then the sleep handed to the kernel
 * (or the fallback's thread). Readable at once where the re-check finds
 * the ring ready, or where arming fails: a spurious readiness costs the
 * caller one try call, a missed one a hang.
 */
static void arm(struct shmring *r, struct poll_dir *d, int dir,
		wait_cond_fn ready)
{
	struct wait_line *w = line_of(r, dir);
	take(r, d);
	/* W3: acquire pairs with P4, as in wait_for(); before W1 (wait.c). */
	uint32_t v = load_acquire(&w->seq);
	/* W1-W2' (wait.c). */
	wait_announce(r, w, bit_of(r, dir));
	/*
	 * Counted as a sleep: the caller found the ring empty (full) and
	 * armed; the stats then show one wake call at most per arming.
	 */
	count(&r->line[dir]->sleeps, 1);
	/*
	 * W4: re-check after announcing. Ready: readable now, and the
	 * announcement withdrawn (W6), so that publishers stop waking us.
	 */
	if (ready(r, &dir)) {
		wait_withdraw(w, bit_of(r, dir));
		post(d);
		return;
	}
	/* S1-S2 (wait.c): a publisher that takes the announcement wakes. */
	wait_asleep(w, bit_of(r, dir));
	int ret;
	if (d->u) {
		struct peer_fd watch[PEER_SLOTS];
		int n = peer_watch(r, dir ? SHMRING_PRODUCER : SHMRING_CONSUMER,
				   watch);
		ret = n < 0 ? n : wait_uring_arm(d->u, &w->seq, v, watch, n);
	} else {
		ret = fallback_arm(d, v);
	}
	if (ret)
		post(d);
}

int poll_fd(struct shmring *r, int dir, wait_cond_fn ready)
{
	struct poll_dir *d = r->pd[dir];
	if (d && d->owner != getpid()) {
		/* Inherited across fork(): the parent's; set up our own. */
		dir_free(d);
		r->pd[dir] = d = NULL;
	}
	if (d)
		return d->fd;
	struct poll_dir *nd = NULL;
	int ret = dir_new(r, dir, &nd);
	if (ret || !nd)
		return ret ? ret : -ENOMEM;
	r->pd[dir] = nd;
	arm(r, nd, dir, ready);
	return nd->fd;
}

void poll_rearm(struct shmring *r, int dir, wait_cond_fn ready)
{
	struct poll_dir *d = r->pd[dir];
	if (d && d->owner == getpid())
		arm(r, d, dir, ready);
}

void poll_fini(struct shmring *r)
{
	for (int dir = 0; dir < 2; dir++) {
		struct poll_dir *d = r->pd[dir];
		if (!d)
			continue;
		if (d->owner == getpid())
			wait_withdraw(line_of(r, dir), bit_of(r, dir));
		dir_free(d);
		r->pd[dir] = NULL;
	}
}

/* ---- many rings ----------------------------------------------------- */

/* Set every item's revents; how many are ready. */
static int scan(struct shmring_pollitem *it, unsigned n, wait_cond_fn ready)
{
	int k = 0;
	for (unsigned i = 0; i < n; i++) {
		short rev = 0;
		for (int dir = 0; dir < 2; dir++) {
			short ev = dir ? POLLIN : POLLOUT;
			if (!(it[i].events & ev))
				continue;
			int ret = ready(it[i].ring, &dir);
			if (ret)
				rev |= ev;
			if (ret == -EPIPE)
				rev |= POLLHUP;
		}
		it[i].revents = rev;
		k += rev != 0;
	}
	return k;
}

enum { WITHDRAW, ANNOUNCE, ASLEEP };

/* Withdraw every item's announcements (W6), make them (W1), or S1-S2. */
static void announce_all(struct shmring_pollitem *it, unsigned n, int how)
{
	for (unsigned i = 0; i < n; i++)
		for (int dir = 0; dir < 2; dir++)
			if (it[i].events & (dir ? POLLIN : POLLOUT)) {
				struct shmring *r = it[i].ring;
				struct wait_line *w = line_of(r, dir);
				if (how == ANNOUNCE)
					wait_mark(w, bit_of(r, dir));
				else if (how == ASLEEP)
					wait_asleep(w, bit_of(r, dir));
				else
					wait_withdraw(w, bit_of(r, dir));
			}
}

int poll_rings(struct shmring_pollitem *it, unsigned n, int64_t timeout_ns,
	       wait_cond_fn ready)
{
	int64_t start = now_ns();
	int64_t deadline = timeout_ns < 0 || timeout_ns > INT64_MAX - start ?
				   INT64_MAX :
				   start + timeout_ns;
	_Atomic uint32_t *words[POLL_MAX_WORDS];
	uint32_t vals[POLL_MAX_WORDS];
	bool fallback = fallback_forced();
	for (;;) {
		int k = scan(it, n, ready);
		if (k || timeout_ns == 0)
			return k;
		/* W3 for every item, before W1 (wait.c). */
		unsigned m = 0;
		for (unsigned i = 0; i < n; i++)
			for (int dir = 0; dir < 2; dir++)
				if (it[i].events & (dir ? POLLIN : POLLOUT) &&
				    m < POLL_MAX_WORDS) {
					struct wait_line *w =
						line_of(it[i].ring, dir);
					/* Acquire pairs with P4. */
					vals[m] = load_acquire(&w->seq);
					words[m++] = &w->seq;
				}
		/* W1 for every item, then W2-W2' once for all. */
		announce_all(it, n, ANNOUNCE);
		wait_fence(it[0].ring);
		/* W4: re-check them all. */
		k = scan(it, n, ready);
		int64_t now = now_ns();
		int ret = 0;
		if (!k && now < deadline) {
			announce_all(it, n, ASLEEP);
			int64_t slice = deadline - now;
			ret = wait_many(words, vals, m,
					slice < SLEEP_SLICE_NS ? slice :
								 SLEEP_SLICE_NS,
					fallback);
		}
		/* W6: each round announces again (wait.c). */
		announce_all(it, n, WITHDRAW);
		if (k)
			return k;
		if (ret == -EINTR)
			return -EINTR;
		if (now_ns() >= deadline)
			return 0;
	}
}
