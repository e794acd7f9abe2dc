/*
 * mpmc.c - the multi-producer/multi-consumer ring of fixed-size slots.
 *
 * Vyukov's bounded queue: each slot carries a sequence word (layout.h
 * lists its values). A producer claims position p with a CAS on prod_pos
 * when slot p's sequence reads p, copies its message in, then publishes
 * the sequence p + 1; a consumer claims p with a CAS on cons_pos when the
 * sequence reads p + 1, copies out, then frees the slot for the next lap
 * with p + cap. A stalled producer blocks only its own slot: the others
 * claim past it.
 *
 * Killed peers: before each claim a handle writes the position it is
 * claiming to its claim word in the peer table. When a process dies
 * holding a claim, a survivor that finds the ring stuck finds the dead
 * entry (peer.c), and ring.c has the slot recovered here (mpmc_recover()):
 * an unpublished producer slot becomes a SKIP that consumers pass over, an
 * unreleased consumer slot is freed. Publishing and freeing are CASes, so a late writer can never
 * overwrite a slot a recoverer already decided about. Only the message in
 * flight in the dead process is lost; nothing is duplicated or torn.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"

/*
 * A claim loop goes round once per position another process took first.
 * Millions of those in one call do not happen between honest peers; a
 * peer scribbling on the positions must not keep us here for ever.
 */
#define MAX_CLAIM_TRIES (UINT32_C(1) << 24)

static struct mpmc_slot *slot_at(const struct shmring *r, uint64_t pos)
{
	/* Slots are 64-byte aligned in a page-aligned data area. */
	return (struct mpmc_slot *)(void *)(r->data +
					    (pos & r->mask) * r->slot_size);
}

static _Atomic uint64_t *my_claim(struct shmring *r, int k)
{
	return &r->hdr->claims[r->entry[k]].pos;
}

/* Creator only, before READY: slot i starts free for position i. */
void mpmc_format(struct shmring_hdr *h, unsigned char *data)
{
	for (uint64_t i = 0; i < h->capacity; i++) {
		struct mpmc_slot *s =
			(struct mpmc_slot *)(void *)(data + i * h->slot_size);
		/* Relaxed: published by the READY store-release (I1). */
		store_relaxed(&s->seq, i);
	}
}

/* ---- claims --------------------------------------------------------- */

/* The ring's two sides, as the claim loop and its callers name them. */
#define SIDE_PROD 0
#define SIDE_CONS 1

/* A claimed slot: its position, the sequence read, a message's length. */
struct claim {
	size_t cap; /* consumers: the largest message the caller takes */
	uint64_t pos, seq;
	uint32_t len;
};

/*
 * A consumer's look at the published slot @s (read as @seq) before it
 * claims it: its length into *len; -EMSGSIZE if the message exceeds
 * @cap (it stays in the ring), -EBADMSG if no producer wrote that. A
 * skipped slot holds no message.
 */
static inline int check_message(const struct shmring *r,
				struct mpmc_slot *s, uint64_t seq, size_t cap,
				uint32_t *len)
{
	*len = 0;
	if (seq & SEQ_SKIP)
		return 0;
	/* Relaxed: ordered by M1; re-validated by the CAS (M2): another
	 * consumer may take the slot first. */
	*len = load_relaxed(&s->len);
	return *len > r->max_msg ? -EBADMSG : *len > cap ? -EMSGSIZE : 0;
}

/* A consumer claimed the skipped slot @s at @pos (read as @seq): free it. */
static inline void pass_skip(struct shmring *r, struct mpmc_slot *s,
			     uint64_t pos, uint64_t seq)
{
	/* M6': release, as M6 (free_slot()), for a slot with no message. */
	cas_release(&s->seq, &seq, pos + r->cap);
	wait_wake(r, &r->hdr->space_wait, 1);
}

/*
 * Claim the next position of @side whose slot is ready for it: its
 * sequence reads pos for a producer (free for this lap), pos + 1 for a
 * consumer (published). Returns 1 with the claim in *c; 0 if there is
 * none (full, or empty); -EMSGSIZE (consumers, see check_message());
 * -EBADMSG for positions and sequences no honest peer writes.
 * Consumers pass over skipped slots, freeing them on the way.
 *
 * One loop for both sides, as DPDK's __rte_ring_headtail_move_head();
 * always in line, with @side a constant, so that each side's copy keeps
 * only its own branches.
 */
static inline __attribute__((always_inline)) int
claim(struct shmring *r, int side, struct claim *c)
{
	struct shmring_hdr *h = r->hdr;
	_Atomic uint64_t *head = side == SIDE_CONS ? &h->cons_pos : &h->prod_pos;
	_Atomic uint64_t *mine = my_claim(r, side);
	uint64_t tag = side == SIDE_CONS ? CLAIM_CONSUMER : 0;
	int ret = -EBADMSG;
	/* Relaxed: the slot's sequence and the CAS validate it. */
	uint64_t pos = load_relaxed(head);
	for (uint32_t tries = 0; tries < MAX_CLAIM_TRIES; tries++) {
		/* M0: relaxed: published to recoverers by M2's release. */
		store_relaxed(mine, pos | tag);
		struct mpmc_slot *s = slot_at(r, pos);
		/* M1: acquire pairs, for a producer, with M6 (the consumer's
		 * copy-out is done before we write the slot again); for a
		 * consumer, with M3 (payload and length visible). */
		uint64_t seq = load_acquire(&s->seq);
		/* A SKIP of the previous lap not yet passed reads as full. */
		int64_t dif = (int64_t)((seq & ~SEQ_SKIP) - (pos + (uint64_t)side));
		if (dif == 0) {
			int err = side == SIDE_CONS ?
					  check_message(r, s, seq, c->cap, &c->len) :
					  0;
			if (err) {
				ret = err;
				break;
			}
			/*
			 * M2: release makes M0 visible to a recoverer that
			 * acquires the position (M-R); a failed CAS reloads pos.
			 */
			if (!cas_acq_rel(head, &pos, pos + 1))
				continue;
			if (side == SIDE_CONS && (seq & SEQ_SKIP)) {
				pass_skip(r, s, pos++, seq);
				continue;
			}
			c->pos = pos;
			c->seq = seq;
			return 1;
		}
		if (dif < 0) {
			/* Full: the slot still holds the previous lap; or
			 * empty: claimed and not yet published. */
			ret = 0;
			break;
		}
		/* Another process took pos; a position that did not move is
		 * a sequence nobody could have written. */
		test_hook(side == SIDE_CONS ? HOOK_CONSUMER_RETRY :
					      HOOK_PRODUCER_RETRY);
		uint64_t now = load_relaxed(head);
		if (now == pos)
			break;
		pos = now;
	}
	store_relaxed(mine, CLAIM_NONE);
	return ret;
}

/* Publish the claimed slot @pos holding @len bytes; -EAGAIN if lost. */
static int publish_slot(struct shmring *r, uint64_t pos, size_t len)
{
	struct mpmc_slot *s = slot_at(r, pos);
	/* Relaxed: published by M3 below. */
	store_relaxed(&s->len, (uint32_t)len);
	uint64_t expect = pos;
	/*
	 * M3: release pairs with M1 (a consumer's claim): payload and
	 * length are visible before the sequence that hands the slot to
	 * consumers. A CAS, not a store: a recoverer that judged us dead
	 * and skipped the slot wins.
	 */
	bool ok = cas_release(&slot_at(r, pos)->seq, &expect, pos + 1);
	/* Relaxed: the claim is advisory once the sequence has moved. */
	store_relaxed(my_claim(r, 0), CLAIM_NONE);
	return ok ? 0 : -EAGAIN;
}

/* Free slot @pos (read as @seq) for the producers of the next lap. */
static void free_slot(struct shmring *r, uint64_t pos, uint64_t seq)
{
	/*
	 * M6: release pairs with M1 (a producer's claim): our copy-out is done before a producer
	 * writes the slot again. A CAS: a recoverer may already have freed
	 * it, and a plain store could then undo a later lap.
	 */
	cas_release(&slot_at(r, pos)->seq, &seq, pos + r->cap);
	store_relaxed(my_claim(r, 1), CLAIM_NONE);
}

/*
 * Recover the claim @claim of the dead process that held entry @owner.
 * Returns false while a live process holds the same claim: the dead one's
 * is then stale, or the live one is about to move on; ask again later.
 */
bool mpmc_recover(struct shmring *r, uint64_t claim, int owner)
{
	struct shmring_hdr *h = r->hdr;
	bool cons = claim & CLAIM_CONSUMER;
	uint64_t pos = claim & ~CLAIM_CONSUMER;
	/*
	 * M-R: acquire pairs with M2 (a release sequence of CASes): if
	 * position pos was claimed, its winner's claim word is visible now,
	 * so peer_claim_held() below sees a live winner.
	 */
	uint64_t claimed = load_acquire(cons ? &h->cons_pos : &h->prod_pos);
	if (claimed <= pos)
		return true; /* the claim never succeeded */
	if (peer_claim_held(r, claim, owner))
		return false;
	struct mpmc_slot *s = slot_at(r, pos);
	/* M-R': acquire pairs with M3/M6 of whoever moved the sequence last. */
	uint64_t seq = load_acquire(&s->seq);
	if (!cons) {
		/* Claimed, never published: consumers skip it. */
		if (seq == pos &&
		    cas_acq_rel(&s->seq, &seq, (pos + 1) | SEQ_SKIP))
			wait_wake(r, &h->data_wait, INT_MAX);
	} else {
		/* Claimed, never freed: free it (its message is lost). */
		if ((seq & ~SEQ_SKIP) == pos + 1 &&
		    cas_acq_rel(&s->seq, &seq, pos + r->cap))
			wait_wake(r, &h->space_wait, INT_MAX);
	}
	return true;
}

/* ---- waiting conditions --------------------------------------------- */

/*
 * wait_for() condition of @side: claimed a slot into *c; or the other
 * side is gone: a consumer first takes what is left, a producer stops.
 */
static inline __attribute__((always_inline)) int
cond_claim(struct shmring *r, int side, struct claim *c)
{
	int ret = claim(r, side, c);
	if (ret)
		return ret;
	/*
	 * Stuck: a dead peer of the other side may hold the slot; reaping
	 * it (PEER_DEAD, in ring.c) recovers the slot.
	 */
	int gone = peer_side_gone(r, side == SIDE_CONS ? SHMRING_PRODUCER :
							 SHMRING_CONSUMER);
	if (gone < 0)
		return gone;
	if (gone && side == SIDE_PROD)
		return -EPIPE;
	/* Look again: C-EOS (peer.c) made the last publication visible. */
	ret = claim(r, side, c);
	if (ret)
		return ret;
	return gone ? -EPIPE : 0;
}

static int cond_claim_prod(struct shmring *r, void *arg)
{
	return cond_claim(r, SIDE_PROD, arg);
}

static int cond_claim_cons(struct shmring *r, void *arg)
{
	return cond_claim(r, SIDE_CONS, arg);
}

/* Claim for @side, waiting up to @timeout_ns: 0, or -errno. */
static inline __attribute__((always_inline)) int
wait_claim(struct shmring *r, int side, struct claim *c, int64_t timeout_ns)
{
	int ret = side == SIDE_PROD ? consumers_gone(r) : 0;
	if (ret)
		return ret;
	ret = claim(r, side, c);
	if (ret)
		return ret < 0 ? ret : 0;
	if (side == SIDE_PROD) {
		count(&r->line[0]->full, 1);
		return wait_for(r, &r->hdr->space_wait, cond_claim_prod, c,
				timeout_ns);
	}
	count(&r->line[1]->empty, 1);
	return wait_for(r, &r->hdr->data_wait, cond_claim_cons, c, timeout_ns);
}

/* ---- producer ------------------------------------------------------- */

int mpmc_send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		    int64_t timeout_ns)
{
	size_t i = 0;
	uint64_t bytes = 0;
	while (i < n) {
		size_t len = msgs[i].iov_len;
		if (len > r->max_msg || (len && !msgs[i].iov_base)) {
			if (i == 0)
				return len > r->max_msg ? -EMSGSIZE : -EINVAL;
			break;
		}
		struct claim c;
		int ret = i == 0 ? wait_claim(r, SIDE_PROD, &c, timeout_ns) :
			  claim(r, SIDE_PROD, &c) == 1 ? 0 :
							   -EAGAIN;
		if (ret) {
			if (i == 0)
				return ret;
			break;
		}
		test_hook(HOOK_PRODUCER_CLAIMED);
		if (len)
			copy_payload(slot_at(r, c.pos)->payload,
				     msgs[i].iov_base, len);
		if (publish_slot(r, c.pos, len) == 0) {
			i++;
			bytes += len;
		}
		/* else: a recoverer took the slot; send the message again. */
	}
	count(&r->line[0]->sent, i);
	count(&r->line[0]->sent_bytes, bytes);
	wait_wake(r, &r->hdr->data_wait, (int)i);
	return (int)i;
}

int mpmc_reserve(struct shmring *r, size_t len, void **buf,
		 int64_t timeout_ns)
{
	if (r->rsv_open)
		return -EBUSY;
	if (len > r->max_msg)
		return -EMSGSIZE;
	struct claim c;
	int ret = wait_claim(r, SIDE_PROD, &c, timeout_ns);
	if (ret)
		return ret;
	r->rsv_pos = c.pos;
	r->rsv_len = len;
	r->rsv_open = true;
	*buf = slot_at(r, c.pos)->payload;
	return 0;
}

int mpmc_commit(struct shmring *r, size_t len)
{
	if (!r->rsv_open || len > r->rsv_len)
		return -EINVAL;
	r->rsv_open = false;
	int ret = publish_slot(r, r->rsv_pos, len);
	if (ret == 0) {
		count(&r->line[0]->sent, 1);
		count(&r->line[0]->sent_bytes, len);
	}
	wait_wake(r, &r->hdr->data_wait, 1);
	/* Lost only if we were judged dead: report it as a broken ring. */
	return ret ? -EBADMSG : 0;
}

/* ---- consumer ------------------------------------------------------- */

int mpmc_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		    int64_t timeout_ns)
{
	size_t i = 0;
	uint64_t bytes = 0;
	if (r->peeked && n > 0) {
		/* A copy receive after a peek returns the peeked message. */
		if (r->peek_len > bufs[0].iov_len)
			return -EMSGSIZE;
		if (r->peek_len && !bufs[0].iov_base)
			return -EINVAL;
		if (r->peek_len)
			copy_payload(bufs[0].iov_base,
				     slot_at(r, r->peek_pos)->payload,
				     r->peek_len);
		bufs[0].iov_len = r->peek_len;
		bytes = r->peek_len;
		r->peeked = false;
		free_slot(r, r->peek_pos, r->peek_seq);
		i = 1;
	}
	for (; i < n; i++) {
		struct claim a = { .cap = bufs[i].iov_len };
		if (a.cap && !bufs[i].iov_base) {
			if (i == 0)
				return -EINVAL;
			break;
		}
		int ret = i == 0 ? wait_claim(r, SIDE_CONS, &a, timeout_ns) :
				   claim(r, SIDE_CONS, &a);
		if (i == 0 && ret)
			return ret;
		if (i > 0 && ret != 1)
			break;
		test_hook(HOOK_CONSUMER_CLAIMED);
		if (a.len)
			copy_payload(bufs[i].iov_base,
				     slot_at(r, a.pos)->payload, a.len);
		bufs[i].iov_len = a.len;
		bytes += a.len;
		free_slot(r, a.pos, a.seq);
	}
	count(&r->line[1]->recvd, i);
	count(&r->line[1]->recvd_bytes, bytes);
	wait_wake(r, &r->hdr->space_wait, (int)i);
	return (int)i;
}

ssize_t mpmc_peek(struct shmring *r, const void **msg, int64_t timeout_ns)
{
	if (r->peeked) {
		/* The length validated at the first peek, not the slot's
		 * again: a scribbling peer may have changed it since. */
		*msg = slot_at(r, r->peek_pos)->payload;
		return (ssize_t)r->peek_len;
	}
	struct claim a = { .cap = SIZE_MAX };
	int ret = wait_claim(r, SIDE_CONS, &a, timeout_ns);
	if (ret)
		return ret;
	r->peek_pos = a.pos;
	r->peek_seq = a.seq;
	r->peek_len = a.len;
	r->peeked = true;
	*msg = slot_at(r, a.pos)->payload;
	return (ssize_t)a.len;
}

int mpmc_release(struct shmring *r)
{
	if (!r->peeked)
		return -EINVAL;
	r->peeked = false;
	free_slot(r, r->peek_pos, r->peek_seq);
	count(&r->line[1]->recvd, 1);
	count(&r->line[1]->recvd_bytes, r->peek_len);
	wait_wake(r, &r->hdr->space_wait, 1);
	return 0;
}

/* Closing with a slot held: give it back so nobody waits for it. */
void mpmc_close(struct shmring *r)
{
	if (r->rsv_open) {
		uint64_t expect = r->rsv_pos;
		/* As mpmc_recover(): an unpublished slot becomes a SKIP. */
		cas_acq_rel(&slot_at(r, r->rsv_pos)->seq, &expect,
			    (r->rsv_pos + 1) | SEQ_SKIP);
		store_relaxed(my_claim(r, 0), CLAIM_NONE);
		r->rsv_open = false;
		wait_wake(r, &r->hdr->data_wait, 1);
	}
	if (r->peeked)
		mpmc_release(r);
}

size_t mpmc_used(struct shmring *r)
{
	/* Relaxed: a snapshot for shmring_info(), bounded below. */
	uint64_t prod = load_relaxed(&r->hdr->prod_pos);
	uint64_t cons = load_relaxed(&r->hdr->cons_pos);
	uint64_t used = prod - cons;
	return (size_t)(used > r->cap ? r->cap : used);
}

/*
 * Readiness, as spsc_ready(): a published (or skipped) slot at the
 * consumers' position (@in), or a free one at the producers'; -EPIPE at
 * end of stream; 0 if a call would return -EAGAIN. Claims nothing: a
 * stale position reads as ready, a spurious readiness poll.c allows.
 */
int mpmc_ready(struct shmring *r, bool in)
{
	struct shmring_hdr *h = r->hdr;
	int gone = in ? 0 : peer_side_gone(r, SHMRING_CONSUMER);
	if (gone)
		return gone > 0 ? -EPIPE : gone; /* PEER_DEAD: for ring.c */
	for (int round = 0;; round++) {
		/* Relaxed: the slot's sequence decides, as in the claims. */
		uint64_t pos = load_relaxed(in ? &h->cons_pos : &h->prod_pos);
		/* M4'/M1': acquire, as M4 and M1 in the claims. */
		uint64_t seq = load_acquire(&slot_at(r, pos)->seq);
		int64_t dif = (int64_t)((seq & ~SEQ_SKIP) - (pos + (in ? 1 : 0)));
		if (dif >= 0)
			return 1;
		if (!in)
			return 0;
		if (round)
			return -EPIPE;
		/* Empty, or stuck on a dead producer's claim, which reaping
		 * turns to SKIP: look again once it is reaped. */
		gone = peer_side_gone(r, SHMRING_PRODUCER);
		if (gone <= 0)
			return gone;
	}
}
