/*
 * test_claim_tries.c - the MPMC claim loops give up after a bounded
 * number of tries (MAX_CLAIM_TRIES in lib/mpmc.c, 2^24, as shmring(7)
 * documents) against a peer that moves the position on every try.
 *
 * The claim loop also stops when a re-read finds the position unmoved,
 * so a peer that is only sometimes running (another process on a busy
 * machine: test_hostile.c's mpmc_claim_bounded_*) lets it stop early
 * whether the bound is there or not. Here the peer is the test hook on
 * the loop's retry path (HOOK_*_RETRY in lib/hooks.h): it moves the
 * position between the loop's read of the slot and its re-read of the
 * position, every time, which a peer running on another core can do at
 * any moment. Every slot's sequence runs far ahead, so no try can
 * succeed, the ring never reads as full, and the position never stands
 * still: only the bound ends the call.
 *
 * Checked to fail without the protection: with the
 * "tries < MAX_CLAIM_TRIES" bound of claim() (the one claim loop of
 * both sides) removed from lib/mpmc.c, both tests hang in the claim loop until
 * Criterion's timeout kills them, and are reported failed ("Timed
 * out"); restored, each passes in well under a second (unsanitized).
 */
#include "hutil.h"

#include <stdatomic.h>

#include "hooks.h" /* HOOK_*_RETRY: the claim loop's retry path */
#include "layout.h"

/* The bound shmring(7) promises: a claim loop gives up after 2^24 tries. */
#define DOCUMENTED_TRIES (UINT64_C(1) << 24)

#define MPMC_SLOTS 64u
#define MPMC_MAX 112u

static const struct shmring_opts mpmc_o = {
	.kind = SHMRING_MPMC, .capacity = MPMC_SLOTS, .max_msg = MPMC_MAX,
};

/* The peer the hook plays: the position it moves, and how often it did. */
static _Atomic uint64_t *chase_pos;
static int chase_where;
static uint64_t chase_calls;

static void chase_hook(int where)
{
	if (where != chase_where)
		return;
	chase_calls++;
	/* Relaxed: the loop re-reads the position right after us. */
	atomic_fetch_add_explicit(chase_pos, 1, memory_order_relaxed);
}

static void claim_against_chaser(int consumer_side)
{
	struct guarded g = hu_region(&mpmc_o);
	struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct shmring_hdr *h = (struct shmring_hdr *)(void *)g.base;
	char buf[MPMC_MAX] = { 0 };
	int64_t t0, el;
	long rc;

	cr_assert_eq(h->capacity, MPMC_SLOTS);
	cr_assert_leq(h->data_off + MPMC_SLOTS * h->slot_size, g.size);
	/* Sequences no position this test reaches can match. */
	for (unsigned i = 0; i < MPMC_SLOTS; i++) {
		struct mpmc_slot *s = (struct mpmc_slot *)(void *)(
			g.base + h->data_off + i * h->slot_size);

		atomic_store(&s->seq, UINT64_C(1) << 62);
	}
	chase_pos = consumer_side ? &h->cons_pos : &h->prod_pos;
	chase_where = consumer_side ? HOOK_CONSUMER_RETRY : HOOK_PRODUCER_RETRY;
	chase_calls = 0;
	shmring_test_hook = chase_hook;
	t0 = tu_now_ns();
	/* No timeout: the call must return on its own, not by the clock. */
	rc = consumer_side ? shmring_recv(r, buf, sizeof(buf), -1) :
			     shmring_send(r, buf, 16, -1);
	el = tu_now_ns() - t0;
	shmring_test_hook = NULL;
	cr_log_info("%s claim against a peer moving the position every try: "
		    "%s after %llu tries, %.1f ms",
		    consumer_side ? "consumer" : "producer",
		    shmring_strerror((int)rc), (unsigned long long)chase_calls,
		    (double)el / 1e6);
	cr_assert_eq(rc, -EBADMSG, "%s", shmring_strerror((int)rc));
	/* The peer did drive the loop: it did not stop at its first retry. */
	cr_assert_gt(chase_calls, 1000, "only %llu retries",
		     (unsigned long long)chase_calls);
	cr_assert_leq(chase_calls, DOCUMENTED_TRIES, "%llu retries",
		      (unsigned long long)chase_calls);
	shmring_close(r);
	tu_unguard(&g);
}

Test(claim_tries, producer, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	claim_against_chaser(0);
}

Test(claim_tries, consumer, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	claim_against_chaser(1);
}
