/*
 * atomics.h - the only place memory orders are spelled.
 *
 * Internal header; do not include from applications.
 *
 * Every call site of these wrappers says, in a comment, which operation in
 * the other process it pairs with and what goes wrong without the order.
 * Labels used across lib/, each for one operation: SP* and SC* the SPSC
 * ring's producer and consumer, M* the MPMC ring, P* and W* the waiting
 * protocol's publisher and sleeper (wait.c, model/wait.pml), A* and C-EOS
 * attach, detach and end of stream (peer.c), I* creation (ring.c).
 */
#ifndef SHMRING_ATOMICS_H
#define SHMRING_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

#define load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)

/* Read-modify-writes used only off the fast path. */
#define fetch_add_relaxed(p, v) \
	atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define fetch_sub_acq_rel(p, v) \
	atomic_fetch_sub_explicit((p), (v), memory_order_acq_rel)
#define fetch_add_seqcst(p, v) \
	atomic_fetch_add_explicit((p), (v), memory_order_seq_cst)
#define fetch_sub_release(p, v) \
	atomic_fetch_sub_explicit((p), (v), memory_order_release)
#define fetch_add_release(p, v) \
	atomic_fetch_add_explicit((p), (v), memory_order_release)
#define fetch_or_seqcst(p, v) \
	atomic_fetch_or_explicit((p), (v), memory_order_seq_cst)
#define fetch_and_release(p, v) \
	atomic_fetch_and_explicit((p), (v), memory_order_release)
#define xchg_acq_rel(p, v) \
	atomic_exchange_explicit((p), (v), memory_order_acq_rel)
#define fetch_or_acq_rel(p, v) \
	atomic_fetch_or_explicit((p), (v), memory_order_acq_rel)
#define cas_acq_rel(p, expected, desired)                                \
	atomic_compare_exchange_strong_explicit((p), (expected), (desired), \
						 memory_order_acq_rel,      \
						 memory_order_acquire)

#define cas_release(p, expected, desired)                                \
	atomic_compare_exchange_strong_explicit((p), (expected), (desired), \
						 memory_order_release,      \
						 memory_order_relaxed)

/*
 * A full fence: orders an earlier store before a later load, which neither
 * acquire nor release does. The waiting protocol needs it on both sides.
 */
#define fence_full() atomic_thread_fence(memory_order_seq_cst)

/*
 * A compiler barrier only: orders nothing between CPUs. Where another
 * CPU's barrier stands in for ours (membarrier(2), see wait.c).
 */
#define fence_compiler() atomic_signal_fence(memory_order_seq_cst)

#endif /* SHMRING_ATOMICS_H */
