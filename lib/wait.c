/*
 * wait.c - spin, then sleep on a shared futex; and the matching wake.
 *
 * The only file that issues futex calls. The futexes are shared (no
 * FUTEX_PRIVATE_FLAG): the sleeper and the waker are different processes.
 *
 * The protocol, for one direction (consumers waiting for data; the other
 * direction is the same with the roles swapped):
 *
 *   sleeper                          publisher
 *   W3 v = seq                       P1 store position (release)
 *   W1 waiters |= bit                P2 full fence
 *   W2 full fence                    P3 if waiters != 0:
 *   W4 re-check the ring             P3'    claim = xchg(waiters, 0)
 *   S1 asleep |= bit                 P4     if claim: seq += 1
 *   S2 full fence                    P5         full fence
 *   W5 futex_wait(seq, v)            P6         if asleep & claim:
 *   S3 asleep &= ~bit                               futex_wake(seq, all)
 *   (woken: back to W3)
 *   W6 waiters &= ~bit
 *
 * W2 and P2 make W1/W4 and P1/P3 a Dekker pair: either the publisher sees
 * the announced waiter (and wakes it), or the sleeper's re-check sees the
 * published position (and does not sleep). Without either fence both can
 * read the old value and the sleeper misses the wake-up for good.
 *
 * One wake per sleep: an announcement is a token. The first publisher to
 * find it takes it (P3') and wakes every sleeper it took (each announced
 * sleeper's bit; a pollable descriptor's pending wait counts as one);
 * later publishes find no announcement and make no system call until a
 * sleeper announces again, which it does before every re-check. A
 * publisher that finds the bits already taken does nothing: whoever took
 * them wakes their owners, who announce again and re-check, and the
 * re-check sees this publication (the Dekker pair again, against the new
 * W1). So a sleeper costs its wakers one wake call per time it slept,
 * not one per message moved while it was waking up.
 *
 * Only a sleeper that went past its re-check costs a wake call: the
 * asleep word (S1) tells the publisher that took an announcement (P6)
 * whether its owner is on its way into the futex wait. Without it, a
 * sleeper whose re-check finds the ring ready (with spin 0, a producer
 * on a full ring mostly finds room there, the membarrier having given
 * the consumer time) would still cost a wake call for its announcement.
 * S1-S2 against P4-P5-P6 is a second Dekker pair: either the publisher
 * sees the asleep bit and wakes, or the sleeper's futex_wait reads the
 * seq that P4 moved and returns at once. So P4 comes with every take,
 * asleep or not. The asleep bit is the sleeper's own: set before each
 * futex wait, cleared after it (S3), before it announces again, so that
 * a publisher that takes the next announcement (acquire, P3') sees it
 * cleared unless the sleeper sleeps again. A wake call per sleep, at
 * most; with nobody announced the publisher's cost is unchanged (P2, P3).
 *
 * W3 comes before W1: a publisher's P3 may read an announcement made
 * long after its own publication was consumed, and take it at P3'. The
 * sleeper it belongs to then re-checks, finds nothing, and must not sleep
 * on a seq read after that publisher's P4, or no later publish would wake
 * it (its announcement is gone): with v read before the announcement,
 * every P4 that follows a take makes seq != v, and W5 returns at once.
 * model/wait.pml checks both orders, and the asleep word.

 * The fence is asymmetric where the kernel allows: publishers run on every
 * message, sleepers rarely, so a publisher whose process registered for
 * membarrier(2) GLOBAL_EXPEDITED replaces P2 by a compiler barrier, and
 * every sleeper adds W2' = membarrier(GLOBAL_EXPEDITED) after W2. That
 * call runs a full barrier on every CPU running a registered process (or
 * the CPU passes through a context switch, which is one): each publisher
 * has then either made P1 visible before W4 reads it, or will execute P3
 * after W1 is visible. This is the scheme liburcu's memb flavour uses
 * between readers and synchronize_rcu(). A sleeper whose membarrier call
 * fails sleeps in 1 ms slices, so a missed wake-up costs at most that.
 * A publisher then pays one load of a line nobody writes while nobody
 * sleeps, and makes no system call.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <urcu/arch.h>

#include "atomics.h"
#include "internal.h"

static int futex_wait(_Atomic uint32_t *word, uint32_t val, int64_t rel_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(rel_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(rel_ns % NSEC_PER_SEC),
	};
	/* FUTEX_WAIT's relative timeout runs on CLOCK_MONOTONIC. */
	long ret = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, val, &ts,
			   NULL, 0);
	return ret < 0 ? -errno : 0;
}

static void futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
}

static long membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

bool wait_register(void)
{
	long cmds = membarrier(MEMBARRIER_CMD_QUERY);
	long need = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
		    MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	if (cmds < 0 || (cmds & need) != need)
		return false;
	return membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

/*
 * Temporal slipping: a consumer that has caught up with a producer in
 * the middle of a stream waits r->slip_ns before it looks at the ring
 * again, and reads nothing while it waits. Looking at once would read
 * the cache line the producer is writing the next record into, and then
 * the line moves back and forth between the two CPUs on every message,
 * which slows both; after the slip the producer is some records ahead
 * and the consumer reads lines the producer has finished with.
 *
 * A kind of spinning: none where the handle does not spin, and never
 * longer than the spin (which follows in full) or @timeout_ns. Returns
 * the timeout left for the wait that follows.
 */
int64_t wait_slip(struct shmring *r, int64_t timeout_ns)
{
	uint64_t ns = r->slip_ns < r->spin_ns ? r->slip_ns : r->spin_ns;
	if (ns > INT64_MAX)
		ns = INT64_MAX;
	if (timeout_ns >= 0 && (uint64_t)timeout_ns < ns)
		ns = (uint64_t)timeout_ns;
	if (!ns)
		return timeout_ns;
	test_hook(HOOK_CONSUMER_SLIP);
	int64_t start = now_ns(), now;
	for (unsigned i = 1;; i++) {
		caa_cpu_relax();
		if (!(i & 7) && (now = now_ns()) - start >= (int64_t)ns)
			break;
	}
	if (timeout_ns < 0)
		return timeout_ns;
	/* At least 1 ns: 0 would make the wait a try. */
	return timeout_ns - (now - start) > 0 ? timeout_ns - (now - start) : 1;
}

/*
 * What wait_for() returns for a condition's answer @ret: 0 done, or the
 * error. A dead peer (PEER_DEAD) goes up to ring.c, which reaps it and
 * calls again for the time that was left (r->wait_left).
 */
static int wait_result(struct shmring *r, int ret, int64_t deadline)
{
	if (ret != PEER_DEAD)
		return ret < 0 ? ret : 0;
	if (deadline == INT64_MAX) {
		r->wait_left = -1;
	} else if (deadline > INT64_MIN) {
		int64_t left = deadline - now_ns();
		/* At least 1 ns: 0 would make the next call a try. */
		r->wait_left = left > 0 ? left : 1;
	}
	return ret;
}

/* When a wait of @timeout_ns begun at @start ends: INT64_MAX for never. */
static int64_t deadline_of(int64_t start, int64_t timeout_ns)
{
	if (timeout_ns < 0 || timeout_ns > INT64_MAX - start)
		return INT64_MAX;
	return start + timeout_ns;
}

/*
 * Spin first: a cache line crosses cores in ~100 ns, a futex wake-up of
 * an idle CPU costs tens of microseconds. Returns the condition's answer,
 * or 0 once the spin (r->spin_ns, at most until @deadline) ran out.
 */
static int wait_spin(struct shmring *r, wait_cond_fn cond, void *arg,
		     int64_t start, int64_t deadline)
{
	if (!r->spin_ns)
		return 0;
	int64_t spin_end = deadline_of(start, r->spin_ns > INT64_MAX ?
						      -1 : (int64_t)r->spin_ns);
	if (spin_end > deadline)
		spin_end = deadline;
	/*
	 * Look at the ring after every pause (a message is seen ~100 ns
	 * after it is published), at the clock every 16.
	 */
	for (unsigned i = 1;; i++) {
		caa_cpu_relax();
		int ret = cond(r, arg);
		if (ret)
			return ret;
		if (!(i & 15) && now_ns() >= spin_end)
			return 0;
	}
}

/* W1: announce a sleeper by @bit (its peer entry's) on @w. */
void wait_mark(struct wait_line *w, uint32_t bit)
{
	/* W1: pairs with P3 (and P3', which takes it). */
	fetch_or_seqcst(&w->waiters, bit);
}

/*
 * W2-W2', after one or more W1. Returns the longest a sleeper may then
 * sleep without missing a wake-up: SLEEP_SLICE_NS, or 1 ms where the
 * membarrier that fence-free publishers rely on failed.
 */
int64_t wait_fence(struct shmring *r)
{
	(void)r;
	/* W2: full fence; pairs with P2 in wait_wake(). */
	fence_full();
	/* W2': the other half of P2 for fence-free publishers. */
	if (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) < 0)
		return NSEC_PER_MSEC;
	return SLEEP_SLICE_NS;
}

/* W1-W2' for one sleeper; returns as wait_fence(). */
int64_t wait_announce(struct shmring *r, struct wait_line *w, uint32_t bit)
{
	wait_mark(w, bit);
	return wait_fence(r);
}

/*
 * W6: withdraw an announcement, and S3 with it for a pollable
 * descriptor's (release: the bits are advisory now; pairs with P3').
 */
void wait_withdraw(struct wait_line *w, uint32_t bit)
{
	fetch_and_release(&w->waiters, ~bit);
	/* Relaxed: only the bit's owner sets it (or it is dead, reaped). */
	if (load_relaxed(&w->asleep) & bit)
		fetch_and_release(&w->asleep, ~bit);
}

/*
 * S1-S2, after a re-check (W4) that found nothing: the sleeper goes into
 * the futex wait, so a publisher that takes its announcement must wake it.
 */
void wait_asleep(struct wait_line *w, uint32_t bit)
{
	/* S1: pairs with P6 (read after P3' took the announcement). */
	fetch_or_seqcst(&w->asleep, bit);
	/* S2: full fence; pairs with P5: S1 is visible before W5 reads seq. */
	fence_full();
}

/*
 * W5: sleep on @w->seq while it reads @v, for @slice at most. A peer
 * killed with SIGKILL wakes nobody: the kernel wakes us when a watched
 * one exits, and the condition looks at it when it runs again. Where the
 * peers cannot be watched, sleep @max_slice at most and look then. EINTR
 * and spurious wake-ups just return: the caller goes round again with
 * the time that remains.
 */
static void sleep_round(struct shmring *r, struct wait_line *w, uint32_t v,
			int watch_role, int64_t slice, int64_t max_slice)
{
	if (max_slice == SLEEP_SLICE_NS) {
		struct peer_fd fds[PEER_SLOTS];
		int n = peer_watch(r, watch_role, fds);
		int ret = n < 0 ? n :
			  wait_uring_sleep(r, &w->seq, v, fds, n,
					   slice < WATCH_SLICE_NS ? slice :
								    WATCH_SLICE_NS);
		if (ret > 0)
			peer_look_soon(r); /* a watched peer exited */
		if (ret >= 0)
			return;
	}
	futex_wait(&w->seq, v, slice > max_slice ? max_slice : slice);
}

/*
 * S1-S2, W5, S3: sleep as the announced @bit on @w (one round, as
 * sleep_round()), marked asleep for the publisher that takes the
 * announcement.
 */
static void sleep_asleep(struct shmring *r, struct wait_line *w, uint32_t v,
			 uint32_t bit, int64_t slice, int64_t max_slice)
{
	bool for_data = w == &r->hdr->data_wait;
	wait_asleep(w, bit);
	sleep_round(r, w, v, for_data ? SHMRING_PRODUCER : SHMRING_CONSUMER,
		    slice, max_slice);
	/*
	 * S3: release pairs with P3' through the next W1: the publisher
	 * that takes that announcement sees us awake.
	 */
	fetch_and_release(&w->asleep, ~bit);
}

int wait_for(struct shmring *r, struct wait_line *w, wait_cond_fn cond,
	     void *arg, int64_t timeout_ns)
{
	bool spun = r->spun; /* a ring kind spun for this wait already */
	r->spun = false;
	r->wait_left = timeout_ns;
	int ret = cond(r, arg);
	if (ret)
		return wait_result(r, ret, INT64_MIN);
	if (timeout_ns == 0)
		return -EAGAIN;
	int64_t start = now_ns();
	int64_t deadline = deadline_of(start, timeout_ns);
	ret = spun ? 0 : wait_spin(r, cond, arg, start, deadline);
	if (ret)
		return wait_result(r, ret, deadline);

	bool for_data = w == &r->hdr->data_wait;
	uint32_t bit = UINT32_C(1) << r->entry[for_data];
	/*
	 * Every round announces again (W3, W1-W2'): the publisher that woke
	 * us took the announcement (P3'), so without a new one no publish
	 * would wake us again.
	 */
	for (;;) {
		/*
		 * W3: acquire pairs with P4's release increment, so that a seq
		 * read after the wake also shows the position published
		 * before it. Before W1: see the top of the file.
		 */
		uint32_t v = load_acquire(&w->seq);
		int64_t max_slice = wait_announce(r, w, bit);
		/* W4: re-check after announcing. */
		ret = cond(r, arg);
		if (ret)
			break;
		int64_t now = now_ns();
		if (now >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		count(&r->line[for_data]->sleeps, 1);
		sleep_asleep(r, w, v, bit, deadline - now, max_slice);
		/*
		 * Woken: look before announcing again. A wake-up mostly
		 * means there is work; announcing first would hand the next
		 * publisher a token to take and a wake call to make for a
		 * sleeper that is not going to sleep (two wake calls per
		 * sleep). Only a look, never a reason to sleep: the sleep
		 * still follows W3, W1-W2' and W4 above.
		 */
		ret = cond(r, arg);
		if (ret)
			break;
	}
	wait_withdraw(w, bit);
	return wait_result(r, ret, deadline);
}

/*
 * The peer table changed (an attach, a detach, a reap): sleepers on
 * either side re-evaluate. A detach may be an end of stream, an attach
 * the first consumer a producer waits for.
 */
void wait_wake_all(struct shmring *r)
{
	wait_wake(r, &r->hdr->data_wait, INT_MAX);
	wait_wake(r, &r->hdr->space_wait, INT_MAX);
}

/* The handle closes: the wait layer's own state goes (wait_uring.c). */
void wait_fini(struct shmring *r)
{
	wait_uring_fini(r);
}

/* Peer entry @entry was killed in its sleep: take its announcement down. */
void wait_forget(struct shmring *r, int entry)
{
	wait_withdraw(&r->hdr->data_wait, UINT32_C(1) << entry);
	wait_withdraw(&r->hdr->space_wait, UINT32_C(1) << entry);
}

void wait_wake_slow(struct shmring *r, struct wait_line *w, int n)
{
	/*
	 * P3': take every announcement; acq_rel RMW: acquire pairs with W1
	 * (the sleeper's announcement, read before we wake it), release
	 * with the next W1 that finds the word cleared. None left: another
	 * publisher took them and wakes their owners.
	 */
	(void)n;
	uint32_t claim = xchg_acq_rel(&w->waiters, 0);
	if (!claim)
		return;
	/*
	 * P4, on every take: release pairs with W3's acquire; and a sleeper
	 * past S1 that P6 does not see reads this seq in W5 and returns.
	 */
	fetch_add_release(&w->seq, 1);
	/* P5: full fence; pairs with S2. */
	fence_full();
	/*
	 * P6: relaxed after the fence; pairs with S1. No owner asleep: each
	 * is still re-checking (and sees our publication) or awake.
	 */
	if (!(load_relaxed(&w->asleep) & claim))
		return;
	/*
	 * Wake every sleeper whose announcement we took: each must run again
	 * to announce itself; one that finds nothing to do sleeps again.
	 */
	futex_wake(&w->seq, INT_MAX);
	/* Relaxed: a statistic; the syscall costs far more. */
	fetch_add_relaxed(&r->hdr->totals.wakeups, 1);
}

/* W5 alone, for poll.c's fallback thread: EINTR and timeouts return. */
void wait_sleep(_Atomic uint32_t *word, uint32_t val, int64_t rel_ns)
{
	futex_wait(word, val, rel_ns);
}

/* Wake whoever sleeps on @word without a publication: they re-check. */
void wait_kick(_Atomic uint32_t *word)
{
	futex_wake(word, INT_MAX);
}

/* A process-private futex, for a thread of the library's (poll.c). */
void wait_private(_Atomic uint32_t *word, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, NULL,
		NULL, 0);
}

void wake_private(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
		0);
}

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define FUTEX_WAITV_MAX_WORDS 128u
#define FUTEX2_SIZE_U32_FLAG 0x02u

/* struct futex_waitv of <linux/futex.h> (Linux 5.16), for older headers. */
struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

/* futex_waitv is missing here: asked once, then never again. */
static _Atomic bool no_waitv;

/*
 * W5 for many words at once (shmring_poll()): sleep until one of
 * @words[i] no longer holds @vals[i], a wake, @rel_ns, or a signal
 * (-EINTR). futex_waitv (Linux 5.16) where it serves; otherwise, or when
 * @fallback, or for more words than it takes, on the first word alone
 * in 1 ms slices, so that the others are looked at every 1 ms.
 */
int wait_many(_Atomic uint32_t *const *words, const uint32_t *vals, unsigned n,
	      int64_t rel_ns, bool fallback)
{
	/* Relaxed: a hint; a stale false costs one failing system call. */
	if (!fallback && n <= FUTEX_WAITV_MAX_WORDS &&
	    !load_relaxed(&no_waitv)) {
		struct waitv wv[FUTEX_WAITV_MAX_WORDS];
		for (unsigned i = 0; i < n; i++)
			wv[i] = (struct waitv){
				.val = vals[i],
				.uaddr = (uint64_t)(uintptr_t)words[i],
				.flags = FUTEX2_SIZE_U32_FLAG, /* shared */
			};
		int64_t end = now_ns() + rel_ns;
		struct timespec ts = {
			.tv_sec = (time_t)(end / NSEC_PER_SEC),
			.tv_nsec = (long)(end % NSEC_PER_SEC),
		};
		long ret = syscall(SYS_futex_waitv, wv, n, 0, &ts,
				   CLOCK_MONOTONIC);
		if (ret >= 0)
			return 0;
		if (errno == EINTR)
			return -EINTR;
		if (errno != ENOSYS)
			return 0; /* a word moved (EAGAIN), or the time is up */
		store_relaxed(&no_waitv, true);
	}
	if (!n)
		return 0;
	int ret = futex_wait(words[0], vals[0],
			     rel_ns < NSEC_PER_MSEC ? rel_ns : NSEC_PER_MSEC);
	return ret == -EINTR ? -EINTR : 0;
}
