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

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

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

int wait_for(struct shmring *r, struct wait_line *w, wait_cond_fn cond,
	     void *arg, int64_t timeout_ns)
{
	int ret = cond(r, arg);
	if (ret)
		return ret < 0 ? ret : 0;
	if (timeout_ns == 0)
		return -EAGAIN;

	int64_t start = now_ns();
	int64_t deadline = timeout_ns < 0 || timeout_ns > INT64_MAX - start ?
				   INT64_MAX :
				   start + timeout_ns;

	/*
	 * Spin first: a cache line crosses cores in ~100 ns, a futex wake-up
	 * of an idle CPU costs tens of microseconds.
	 */
	if (r->spin_ns) {
		int64_t spin_end = r->spin_ns > (uint64_t)(INT64_MAX - start) ?
					   INT64_MAX :
					   start + (int64_t)r->spin_ns;
		if (spin_end > deadline)
			spin_end = deadline;
		/*
		 * Look at the ring after every pause (a message is seen
		 * ~100 ns after it is published), at the clock every 16.
		 */
		for (unsigned i = 1;; i++) {
			caa_cpu_relax();
			ret = cond(r, arg);
			if (ret)
				return ret < 0 ? ret : 0;
			if (!(i & 15) && now_ns() >= spin_end)
				break;
		}
	}

	/*
	 * W1: announce once for the whole wait, by the bit of the peer
	 * entry we wait in; pairs with P3.
	 */
	bool for_data = w == &r->hdr->data_wait;
	uint32_t bit = UINT32_C(1) << r->entry[for_data];
	fetch_or_seqcst(&w->waiters, bit);
	/* W2: full fence; pairs with P2 in wait_wake(). */
	fence_full();
	/* W2': the other half of P2 for fence-free publishers. */
	int64_t max_slice = SLEEP_SLICE_NS;
	if (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) < 0)
		max_slice = NSEC_PER_MSEC;
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
		/*
		 * W5: sleep. A peer killed with SIGKILL wakes nobody: the
		 * kernel wakes us when a watched one exits, and cond() looks
		 * at it when it runs again. Where the peers cannot be watched,
		 * sleep a slice at most and look then. EINTR and spurious
		 * wake-ups just go round the loop with the time that remains.
		 */
		int64_t slice = deadline - now;
		count(&r->line[for_data]->sleeps, 1);
		if (max_slice == SLEEP_SLICE_NS) {
			int watch[PEER_SLOTS];
			int n = peer_watch(r, for_data ? SHMRING_PRODUCER :
							 SHMRING_CONSUMER,
					   watch);
			if (n >= 0 &&
			    uring_sleep(r, &w->seq, v, watch, n,
					slice < WATCH_SLICE_NS ? slice :
								 WATCH_SLICE_NS) >= 0)
				continue;
		}
		if (slice > max_slice)
			slice = max_slice;
		futex_wait(&w->seq, v, slice);
	}
	/* W6: release: nothing to order, the bit is advisory now. */
	fetch_and_release(&w->waiters, ~bit);
	return ret < 0 ? ret : 0;
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
	atomic_fetch_add_explicit(&r->hdr->totals.wakeups, 1,
				  memory_order_relaxed);
}
