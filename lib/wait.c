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
 *   W1 waiters += 1                  P1 store position (release)
 *   W2 full fence                    P2 full fence
 *   W3 v = seq                       P3 if waiters != 0:
 *   W4 re-check the ring             P4     seq += 1; futex_wake(seq)
 *   W5 futex_wait(seq, v)
 *   W6 waiters -= 1
 *
 * W2 and P2 make W1/W4 and P1/P3 a Dekker pair: either the publisher sees
 * the announced waiter (and wakes it), or the sleeper's re-check sees the
 * published position (and does not sleep). Without either fence both can
 * read the old value and the sleeper misses the wake-up for good. If P4
 * runs between W3 and W5, futex_wait finds seq != v and returns at once.
 *
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

/*
 * W1, W2, W2': announce once for the whole wait, by bit @bit (our peer
 * entry's). Returns the longest a sleep may last: a sleeper whose
 * membarrier call fails sleeps in 1 ms slices (see the top of the file).
 */
static int64_t wait_announce(struct wait_line *w, uint32_t bit)
{
	/* W1: pairs with P3. */
	fetch_or_seqcst(&w->waiters, bit);
	/* W2: full fence; pairs with P2 in wait_wake(). */
	fence_full();
	/* W2': the other half of P2 for fence-free publishers. */
	if (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) < 0)
		return NSEC_PER_MSEC;
	return SLEEP_SLICE_NS;
}

/*
 * W5: sleep on @w->seq while it reads @v, for @slice at most. A peer
 * killed with SIGKILL wakes nobody: the kernel wakes us when a watched
 * one exits, and the condition looks at it when it runs again. Where the
 * peers cannot be watched, sleep @max_slice at most and look then. EINTR
 * and spurious wake-ups just return: the caller goes round again with
 * the time that remains.
 */
static void wait_sleep(struct shmring *r, struct wait_line *w, uint32_t v,
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

int wait_for(struct shmring *r, struct wait_line *w, wait_cond_fn cond,
	     void *arg, int64_t timeout_ns)
{
	r->wait_left = timeout_ns;
	int ret = cond(r, arg);
	if (ret)
		return wait_result(r, ret, INT64_MIN);
	if (timeout_ns == 0)
		return -EAGAIN;
	int64_t start = now_ns();
	int64_t deadline = deadline_of(start, timeout_ns);
	ret = wait_spin(r, cond, arg, start, deadline);
	if (ret)
		return wait_result(r, ret, deadline);

	bool for_data = w == &r->hdr->data_wait;
	uint32_t bit = UINT32_C(1) << r->entry[for_data];
	int64_t max_slice = wait_announce(w, bit);
	/*
	 * The announcement stays up across wake-ups: every publish after it
	 * bumps seq, so each round only needs a fresh v (W3) and a re-check
	 * (W4) before it sleeps again.
	 */
	for (;;) {
		/*
		 * W3: acquire pairs with P4's release increment, so that a seq
		 * read after the wake also shows the position published
		 * before it.
		 */
		uint32_t v = load_acquire(&w->seq);
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
		wait_sleep(r, w, v, for_data ? SHMRING_PRODUCER : SHMRING_CONSUMER,
			   deadline - now, max_slice);
	}
	/* W6: release: nothing to order, the bit is advisory now. */
	fetch_and_release(&w->waiters, ~bit);
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
	/* Release: as W6, the bit is advisory. */
	fetch_and_release(&r->hdr->data_wait.waiters, ~(UINT32_C(1) << entry));
	fetch_and_release(&r->hdr->space_wait.waiters, ~(UINT32_C(1) << entry));
}

void wait_wake_slow(struct shmring *r, struct wait_line *w, int n)
{
	/* P4: release pairs with W3's acquire. */
	fetch_add_release(&w->seq, 1);
	/*
	 * Wake as many as there is work for: one message, one sleeper. A
	 * sleeper that finds nothing to do simply sleeps again.
	 */
	futex_wake(&w->seq, n);
	/* Relaxed: a statistic; the syscall costs far more. */
	fetch_add_relaxed(&r->hdr->totals.wakeups, 1);
}
