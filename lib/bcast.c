/*
 * bcast.c - the broadcast ring: one publisher, many subscribers, each of
 * which receives every message, in order, at its own pace.
 *
 * The data area is an SPSC byte ring (spsc.c's framing: 8-byte header,
 * payload padded to 8, a PAD over the tail instead of wrapping) whose
 * records start with the message's number (layout.h); after it comes the
 * subscriber table, one line per peer entry, where each subscriber keeps
 * its cursor. The publisher holds entry 0 (a second live one gets
 * -EBUSY at attach); subscribers any other.
 *
 * Publishing: the publisher writes records past prod_pos, then stores
 * prod_pos with release (P1'); a subscriber reads prod_pos with acquire
 * (C1) and trusts the records below it. Unlike spsc.c, it never takes a
 * header on its own: in overwrite mode any header may be a ring old.
 *
 * Back-pressure (default): the publisher writes only below its bound +
 * capacity, where the bound (cached_cons) is a position no live
 * subscriber's cursor was below when it last looked. It looks at the
 * cursors (refresh_bound()) only when that room is used up. A subscriber
 * that moves its cursor back (attach, seek) meets the refresh in a
 * Dekker pair (B6/B7, below), so the publisher never overwrites what it
 * is about to read. A closed subscriber's entry is free, so it no longer
 * counts at the next refresh; a dead one is found by peer_side_gone()
 * when the publisher finds the ring full, and reaped by ring.c, within the
 * end-of-stream bound.
 *
 * Overwrite (SHMRING_OVERWRITE): the publisher never looks at a cursor.
 * Before it writes bytes it stores how far it is going (prod_intent, B0)
 * and, behind a release fence (B1), writes. A subscriber copies a
 * record, then, behind an acquire fence (B8), loads prod_intent: if that
 * is more than a capacity past the record, the publisher may have been
 * writing over it during the copy, and the copy is thrown away. This is
 * a seqlock's reader check, the order Agrona's broadcast receiver
 * validates in. (As with any seqlock in C11, the payload bytes are read
 * while they may be written; the fences, not the language's data-race
 * rules, are what makes a torn copy detectable.) The publisher also
 * keeps prod_tail, the oldest record still intact, by walking its own
 * headers as it overwrites them: an overtaken subscriber resumes there,
 * and the message numbers say how many it missed. The publisher's work
 * per message is the same with 1 or 31 subscribers.
 *
 * Waiting: the protocol of wait.c, unchanged, with every sleeping
 * subscriber announced by its own bit of data_wait.waiters and marked
 * past its re-check by its own bit of data_wait.asleep. Each of them
 * forms with the publisher the two Dekker pairs wait.c (and
 * model/wait.pml) proves for one sleeper: its W1..W4 against the
 * publisher's P1 (the store of prod_pos), P2 (the fence in wait_wake())
 * and P3 (the load of the whole waiters word); and its S1-S2 against the
 * publisher's P4-P6. The publisher takes the whole word at once (P3', an
 * exchange with 0), so every announcement it saw is its own to serve:
 * it bumps seq (P4) whatever it took, and if any owner it took is marked
 * asleep (P6, the asleep word masked by what it took) it issues one
 * FUTEX_WAKE for INT_MAX sleepers. Every taken sleeper is then either
 * woken by that call, or its futex_wait reads the moved seq and returns,
 * or it is still before W5 and its re-check (W4) saw the new prod_pos,
 * or, announcing again after the take, its W1 follows the exchange and
 * its W4 sees prod_pos. A sleeper whose announcement the publisher did
 * not see (P3 read 0, or the bit was set after the exchange) sees the
 * new prod_pos in its W4 and does not sleep. So n sleepers need
 * nothing the one-sleeper proof does not cover: the pairs do not
 * interact (each sleeper reads only seq and the ring, and writes only
 * its own bits), provided the publisher takes and wakes for the whole
 * word. Taking one bit, or waking one sleeper, loses wake-ups:
 * model/wait.pml checks one publisher and two subscribers (SUBS=2), and
 * that both of those break it (TAKE_ONE, WAKE_ONE). With no bit set, no
 * system call. The publisher, in back-pressure mode, sleeps on
 * space_wait, and a subscriber that moves its cursor wakes it the same
 * way.
 *
 * Everything read from the region is bounded before it indexes memory: a
 * cursor, position or record that cannot be right is -EBADMSG, never an
 * access outside the mapping.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"
#include "spsc_fast.h"

/*
 * The seqlock read of a payload the publisher may be writing over
 * (overwrite mode): a race by design, which the check after it (B8)
 * detects. ThreadSanitizer would report it as the data race it is in
 * C11's terms, so under it the copy is a byte loop it does not watch;
 * elsewhere it is the usual copy.
 */
#if defined(__SANITIZE_THREAD__)
#define BCAST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BCAST_TSAN 1
#endif
#endif
#ifdef BCAST_TSAN
__attribute__((no_sanitize("thread"), noinline)) static void
seqlock_copy(void *dst, const void *src, size_t len)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *p = src;
	for (size_t i = 0; i < len; i++)
		d[i] = p[i];
}

/* A header or number word read the same way (see ring_word()). */
__attribute__((no_sanitize("thread"), noinline)) static uint64_t
seqlock_word(_Atomic uint64_t *w)
{
	return *(volatile uint64_t *)(void *)w;
}
#else
static inline void seqlock_copy(void *dst, const void *src, size_t len)
{
	copy_payload(dst, src, len);
}
#endif

/* next_record(): the subscriber was overtaken (overwrite mode). */
#define LAPPED 2

/* Rounds of a Dekker loop before a peer that keeps moving is corrupt. */
#define SYNC_TRIES 4096

static struct bcast_sub *my_sub(struct shmring *r)
{
	return &r->subs[r->entry[1]];
}

/*
 * A header or number word of the ring. C0: acquire pairs with P1, the
 * header's release store, though what subscribers rely on is C1 (they
 * read below prod_pos only). In overwrite mode the word may be payload
 * the publisher is writing now: a seqlock read, kept from TSan as the
 * copy is, and checked by B8 like it.
 */
static uint64_t ring_word(const struct shmring *r, _Atomic uint64_t *w)
{
#ifdef BCAST_TSAN
	if (r->overwrite)
		return seqlock_word(w);
#endif
	(void)r;
	return load_acquire(w);
}

/* The message number of the record at @pos (8 bytes after its header). */
static _Atomic uint64_t *seq_word(const struct shmring *r, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(r->data +
					    ((pos + REC_HDR_SIZE) & r->mask));
}

static unsigned char *payload_at(const struct shmring *r, uint64_t pos)
{
	return r->data + ((pos + REC_HDR_SIZE + BCAST_SEQ_SIZE) & r->mask);
}

/*
 * The record at @pos: its size, and its header in *out, or 0 when it
 * does not look like a record of that position (it is then not one, or,
 * in overwrite mode, it may be being overwritten).
 */
static uint64_t rec_span(const struct shmring *r, uint64_t pos,
			 struct rec_hdr *out)
{
	uint64_t idx = pos & r->mask, size;
	struct rec_hdr h = rec_of(ring_word(r, hdr_word(r, idx)));
	uint32_t kind = kind_of(pos, h);
	if (kind_is(kind, REC_KIND_PAD)) {
		size = r->cap - idx;
		if (h.len != size - REC_HDR_SIZE)
			return 0;
	} else if (kind_is(kind, REC_KIND_DATA)) {
		size = bcast_rec_size(h.len);
		if (h.len > r->max_msg || size > r->cap - idx)
			return 0;
	} else {
		return 0;
	}
	*out = h;
	return size;
}

/* Bytes a message of @len takes at @pos: a PAD first (*pad) if needed. */
static uint64_t room_for(const struct shmring *r, uint64_t pos, uint64_t len,
			 uint64_t *pad)
{
	uint64_t need = bcast_rec_size(len), tail = r->cap - (pos & r->mask);
	*pad = need > tail ? tail : 0;
	return *pad + need;
}

/* ---- publisher -------------------------------------------------------- */

/*
 * Move the tail (the oldest record intact) to the first record at or
 * after @lo, walking our own headers below @upto. A header that is not
 * ours (scribbled on) starts the history again at @upto.
 */
static void advance_tail(struct shmring *r, uint64_t lo, uint64_t upto)
{
	uint64_t t = r->ptail;
	while (t < lo && t < upto) {
		struct rec_hdr h;
		uint64_t size = rec_span(r, t, &h);
		if (!size) {
			t = upto;
			break;
		}
		t += size;
	}
	r->ptail = t > upto ? upto : t;
}

/*
 * Overwrite mode, before writing [pos, @end): say how far the writing
 * goes, so that a subscriber copying what lies a ring earlier finds out.
 */
static void ow_intend(struct shmring *r, uint64_t pos, uint64_t end)
{
	struct shmring_hdr *h = r->hdr;
	/* Never back: bytes a longer reservation wrote stay covered. */
	if (end > r->intent_floor)
		r->intent_floor = end;
	uint64_t intent = r->intent_floor;
	if (intent > r->cap)
		advance_tail(r, intent - r->cap, pos);
	/* Relaxed: read after B0 below, which orders it. */
	store_relaxed(&h->prod_tail, r->ptail);
	/*
	 * B0: release pairs with the acquire in overtaken(): a subscriber
	 * that sees this intent sees the tail stored above.
	 */
	store_release(&h->prod_intent, intent);
	/*
	 * B1: release fence pairs with B8 (the subscriber's acquire fence
	 * after its copy): the intent is visible before any byte written
	 * below, so a copy that read one of them sees the intent too.
	 */
	atomic_thread_fence(memory_order_release);
}

/* The lowest cursor of the live subscribers, if any (*any). */
static uint64_t scan_cursors(struct shmring *r, bool *any)
{
	struct shmring_hdr *h = r->hdr;
	uint64_t min = r->ppos;
	*any = false;
	for (unsigned i = 1; i < PEER_SLOTS; i++) {
		/* A6: acquire pairs with A2: the entry as claimed. */
		uint64_t id = load_acquire(&h->peer_id[i]);
		if (!id || !((id >> 62) & SHMRING_CONSUMER))
			continue;
		/*
		 * B2: acquire pairs with B3 (a subscriber's release of its
		 * cursor): its reads of what lies below are done before we
		 * overwrite it.
		 */
		uint64_t c = load_acquire(&r->subs[i].pos);
		/* A cursor from the future reads as ours; one more than a
		 * ring behind (left by a previous holder of the entry, or
		 * scribbled) as a full ring, until it is stored again. */
		if (c > r->ppos)
			c = r->ppos;
		else if (r->ppos - c > r->cap)
			c = r->ppos - r->cap;
		if (c < min)
			min = c;
		*any = true;
	}
	return min;
}

/*
 * Back-pressure: look at the cursors and take a new bound. The tail goes
 * to the bound first (a subscriber moving back checks it, B5), then the
 * cursors are read again behind a full fence until no lower one turns
 * up. So the tail is never below a bound in force, and what lies from
 * the tail to prod_pos is intact.
 */
static int refresh_bound(struct shmring *r)
{
	struct shmring_hdr *h = r->hdr;
	bool any;
	uint64_t b = scan_cursors(r, &any);
	/* A3': pairs with A3. Nobody yet: what is in the ring stays, for a
	 * first subscriber's SHMRING_SEEK_OLDEST. */
	if (!any && !(load_acquire(&h->ever_roles) & SHMRING_CONSUMER))
		b = r->cached_cons;
	for (int i = 0; i < SYNC_TRIES; i++) {
		advance_tail(r, b, r->ppos);
		/* B4: relaxed; the fence below orders it before the scan. */
		store_relaxed(&h->prod_tail, r->ptail);
		/*
		 * B6: full fence pairs with B7 in sync_cursor(): either the
		 * scan below sees a cursor a subscriber stored before its
		 * B7, or that subscriber's B5 sees the tail stored above
		 * and moves on to it.
		 */
		fence_full();
		uint64_t again = scan_cursors(r, &any);
		if (!any || again >= b) {
			r->cached_cons = b;
			/* Relaxed: the bound, for shmring_info() only. */
			store_relaxed(&h->cons_pos, b);
			return 0;
		}
		b = again;
	}
	return -EBADMSG;
}

static bool bp_fits(const struct shmring *r, uint64_t end)
{
	return end - r->cached_cons <= r->cap;
}

/* wait_for() condition: room for *arg more bytes, or no subscriber left. */
static int cond_room(struct shmring *r, void *arg)
{
	uint64_t end = r->ppos + *(uint64_t *)arg;
	if (bp_fits(r, end))
		return 1;
	/*
	 * Every subscriber closed: an end of stream, even where their
	 * going freed the room (the refresh below would find it), for the
	 * message would reach no one.
	 */
	if (peer_side_closed(r, SHMRING_CONSUMER))
		return -EPIPE;
	int ret = refresh_bound(r);
	if (ret)
		return ret;
	if (bp_fits(r, end))
		return 1;
	/*
	 * Marks dead subscribers on the way (PEER_DEAD: ring.c reaps them
	 * and calls again); the next refresh skips them.
	 */
	ret = peer_side_gone(r, SHMRING_CONSUMER);
	return ret > 0 ? -EPIPE : ret;
}

/* Back-pressure: wait until @total bytes fit. Overwrite: never waits. */
static int wait_room(struct shmring *r, uint64_t total, int64_t timeout_ns)
{
	if (r->overwrite)
		return 0;
	int gone = consumers_gone(r);
	if (gone)
		return gone;
	int ret = cond_room(r, &total);
	if (ret)
		return ret < 0 ? ret : 0;
	count(&r->line[0]->full, 1);
	return wait_for(r, &r->hdr->space_wait, cond_room, &total, timeout_ns);
}

/*
 * Make the record of @len at @pos + @pad (payload written) and its PAD
 * live. Relaxed number: ordered before prod_pos by P1'.
 */
static void put_msg(struct shmring *r, uint64_t pos, uint64_t pad,
		    uint32_t len)
{
	uint64_t at = pos + pad;
	store_relaxed(seq_word(r, at), r->pseq++);
	/* P1: release, as in spsc.c; subscribers read below prod_pos only,
	 * so prod_pos (P1') is what they pair with. */
	store_release(hdr_word(r, at & r->mask),
		      rec_word(len, rec_type(at, REC_KIND_DATA)));
	if (pad)
		store_release(hdr_word(r, pos & r->mask),
			      rec_word((uint32_t)(pad - REC_HDR_SIZE),
				       rec_type(pos, REC_KIND_PAD)));
}

static void publish(struct shmring *r, uint64_t pos, uint64_t msgs,
		    uint64_t bytes)
{
	struct shmring_hdr *h = r->hdr;
	count(&r->line[0]->sent, msgs);
	count(&r->line[0]->sent_bytes, bytes);
	r->ppos = pos;
	/*
	 * The count of messages around prod_pos, as a seqlock's two
	 * counters: a subscriber that reads the same count before (B9)
	 * and after (B10) prod_pos has the count that goes with it. B11:
	 * relaxed, ordered before prod_pos by P1'.
	 */
	store_relaxed(&h->prod_seq_begin, r->pseq);
	/* P1': release pairs with C1: the records below pos are visible. */
	store_release(&h->prod_pos, pos);
	/* B12: release pairs with B9: prod_pos is visible before it. */
	store_release(&h->prod_seq, r->pseq);
	/* One call wakes every sleeping subscriber (see the top). */
	wait_wake(r, &h->data_wait, INT_MAX);
}

int bcast_send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		     int64_t timeout_ns)
{
	if (n == 0)
		return 0;
	if (msgs[0].iov_len > r->max_msg)
		return -EMSGSIZE;
	uint64_t pad, total = room_for(r, r->ppos, msgs[0].iov_len, &pad);
	int ret = wait_room(r, total, timeout_ns);
	if (ret)
		return ret;
	uint64_t pos = r->ppos, bytes = 0;
	size_t i = 0;
	for (; i < n; i++) {
		size_t len = msgs[i].iov_len;
		if (len > r->max_msg || (len && !msgs[i].iov_base))
			break;
		total = room_for(r, pos, len, &pad);
		if (r->overwrite) {
			/* Half a ring at most: a burst never laps itself. */
			if (i > 0 && pos + total - r->ppos > r->cap / 2)
				break;
			ow_intend(r, pos, pos + total);
		} else if (i > 0 && !bp_fits(r, pos + total)) {
			break;
		}
		copy_payload(payload_at(r, pos + pad), msgs[i].iov_base, len);
		put_msg(r, pos, pad, (uint32_t)len);
		pos += total;
		bytes += len;
	}
	if (i == 0)
		return -EINVAL;
	publish(r, pos, i, bytes);
	return (int)i;
}

int bcast_reserve(struct shmring *r, size_t len, void **buf,
		  int64_t timeout_ns)
{
	if (r->rsv_open)
		return -EBUSY;
	if (len > r->max_msg)
		return -EMSGSIZE;
	uint64_t pad, total = room_for(r, r->ppos, len, &pad);
	int ret = wait_room(r, total, timeout_ns);
	if (ret)
		return ret;
	/* The caller writes from now on: overwrite mode says so first. */
	if (r->overwrite)
		ow_intend(r, r->ppos, r->ppos + total);
	r->rsv_pos = r->ppos;
	r->rsv_len = len;
	r->rsv_open = true;
	*buf = payload_at(r, r->ppos + pad);
	return 0;
}

int bcast_commit(struct shmring *r, size_t len)
{
	if (!r->rsv_open || len > r->rsv_len)
		return -EINVAL;
	uint64_t pad, total = room_for(r, r->rsv_pos, r->rsv_len, &pad);
	/* The PAD, if any, is where the reservation put it. */
	total = pad + bcast_rec_size(len);
	put_msg(r, r->rsv_pos, pad, (uint32_t)len);
	r->rsv_open = false;
	publish(r, r->rsv_pos + total, 1, len);
	return 0;
}

/* ---- subscribers ------------------------------------------------------- */

/*
 * B8: has the publisher written over the record at @pos since it was
 * read? The acquire fence pairs with B1: the copy's loads come before
 * the intent's, so a copy that read a byte written after the intent was
 * stored sees that intent (or a later one) here.
 */
static bool overwritten(struct shmring *r, uint64_t pos)
{
	atomic_thread_fence(memory_order_acquire);
	/* Relaxed: the fence above orders it. */
	uint64_t intent = load_relaxed(&r->hdr->prod_intent);
	return intent > pos && intent - pos > r->cap;
}

/* Look at prod_pos (C1): 1 if it is past @pos, 0 if not, or LAPPED. */
static int read_prod(struct shmring *r, uint64_t pos)
{
	/* C1: acquire pairs with P1': the records below it are visible. */
	uint64_t prod = load_acquire(&r->hdr->prod_pos);
	if (prod & (REC_ALIGN - 1))
		return -EBADMSG;
	if (prod <= pos) {
		/* Ahead by a record at most: an overtaken subscriber that
		 * resumed at the record being written. */
		if (pos - prod > r->cap)
			return -EBADMSG;
		r->cached_prod = prod;
		return 0;
	}
	if (prod - pos > r->cap)
		return r->overwrite ? LAPPED : -EBADMSG;
	r->cached_prod = prod;
	return 1;
}

/*
 * The next DATA record at or after cpos, passing PADs: 1 and its header,
 * 0 if there is none yet, LAPPED, or -EBADMSG.
 */
static int next_record(struct shmring *r, uint64_t *pos_out,
		       struct rec_hdr *out)
{
	for (;;) {
		uint64_t pos = r->cpos;
		/* Taken from the region (attach, seek, tail): checked before
		 * a header is read across the end of the area. */
		if (pos & (REC_ALIGN - 1))
			return -EBADMSG;
		if (pos >= r->cached_prod) {
			int ret = read_prod(r, pos);
			if (ret != 1)
				return ret;
		}
		struct rec_hdr h;
		uint64_t size = rec_span(r, pos, &h);
		if (!size || size > r->cached_prod - pos)
			return r->overwrite && overwritten(r, pos) ? LAPPED :
								     -EBADMSG;
		if (kind_is(kind_of(pos, h), REC_KIND_PAD)) {
			r->cpos = pos + size;
			continue;
		}
		*pos_out = pos;
		*out = h;
		return 1;
	}
}

/* Message @seq is the next one: count a gap before it as lost. */
static void account(struct shmring *r, uint64_t seq)
{
	if (r->overwrite && !r->fresh && seq > r->rseq) {
		r->lost += seq - r->rseq;
		/* Relaxed: a figure for monitors; only we write it. */
		store_relaxed(&my_sub(r)->lost, r->lost);
	}
	r->fresh = false;
	r->rseq = seq;
}

/*
 * Overtaken: resume at the publisher's tail, the oldest record intact,
 * and count what was missed if that record can be read now (otherwise
 * its number is counted when it is received). -EOVERFLOW; or 0 where the
 * record there is the very one expected: what was written over was a
 * PAD the subscriber had not passed yet, and nothing was lost.
 */
static int overtaken(struct shmring *r)
{
	struct shmring_hdr *h = r->hdr;
	/* Acquire pairs with B0: the tail stored before this intent. */
	uint64_t intent = load_acquire(&h->prod_intent);
	/* Relaxed: ordered by the acquire above; checked as any cursor.
	 * Past the lapped position, always: so a retry makes progress. */
	uint64_t t = load_relaxed(&h->prod_tail);
	if ((t & (REC_ALIGN - 1)) || t <= r->cpos ||
	    (int64_t)(intent - t) > (int64_t)r->cap)
		return -EBADMSG;
	r->cpos = t;
	r->cached_prod = t; /* prod_pos is read (C1) before anything at t */
	r->peeked = false;
	/* B3: as in consume(). */
	store_release(&my_sub(r)->pos, r->cpos);
	uint64_t pos, lost = r->lost;
	struct rec_hdr hd;
	if (next_record(r, &pos, &hd) != 1)
		return -EOVERFLOW;
	/* Relaxed: validated below, as a copy is. */
	uint64_t seq = ring_word(r, seq_word(r, pos));
	if (overwritten(r, pos))
		return -EOVERFLOW;
	bool expected = !r->fresh && seq == r->rseq;
	account(r, seq);
	return expected && r->lost == lost ? 0 : -EOVERFLOW;
}

/* next_record(), resuming after an overtaking that lost nothing. */
static int next_msg(struct shmring *r, uint64_t *pos, struct rec_hdr *h)
{
	for (;;) {
		int ret = next_record(r, pos, h);
		if (ret != LAPPED)
			return ret;
		ret = overtaken(r);
		if (ret)
			return ret;
	}
}

/* Records up to cpos are read: say so, and wake a waiting publisher. */
static void consume(struct shmring *r, uint64_t msgs, uint64_t bytes)
{
	r->taken += msgs;
	count(&r->line[1]->recvd, msgs);
	count(&r->line[1]->recvd_bytes, bytes);
	/*
	 * B3: release pairs with B2 (the publisher's acquire of cursors):
	 * our reads of the records below cpos are done before it may
	 * overwrite them.
	 */
	store_release(&my_sub(r)->pos, r->cpos);
	if (!r->overwrite)
		wait_wake(r, &r->hdr->space_wait, 1);
}

struct found {
	uint64_t pos;
	struct rec_hdr h;
};

/* wait_for() condition: a record, an overtaking, or end of stream. */
static int cond_data(struct shmring *r, void *arg)
{
	struct found *f = arg;
	int ret = next_msg(r, &f->pos, &f->h);
	if (ret)
		return ret;
	ret = peer_side_gone(r, SHMRING_PRODUCER);
	if (ret <= 0)
		return ret;
	/* Gone, but maybe after a last publish: look again (C-EOS). */
	ret = next_msg(r, &f->pos, &f->h);
	return ret ? ret : -EPIPE;
}

static int wait_data(struct shmring *r, struct found *f, int64_t timeout_ns)
{
	int ret = next_msg(r, &f->pos, &f->h);
	if (ret)
		return ret < 0 ? ret : 0;
	count(&r->line[1]->empty, 1);
	/* Caught up after a run of messages: slip, as an SPSC consumer
	 * does (wait_slip()), so that the publisher gets ahead. */
	if (r->taken - r->taken_empty >= SLIP_STREAK && timeout_ns)
		timeout_ns = wait_slip(r, timeout_ns);
	r->taken_empty = r->taken;
	return wait_for(r, &r->hdr->data_wait, cond_data, f, timeout_ns);
}

/*
 * Copy the message found at f->pos into @buf and check it was not
 * written over meanwhile: 1 and its number in *seq; 0 if it was, and
 * nothing was lost after all (look again); or -errno.
 */
static int copy_msg(struct shmring *r, const struct found *f,
		    const struct iovec *buf, uint64_t *seq)
{
	uint32_t len = f->h.len;
	if (len > buf->iov_len || (len && !buf->iov_base)) {
		if (r->overwrite && overwritten(r, f->pos))
			return overtaken(r);
		return len > buf->iov_len ? -EMSGSIZE : -EINVAL;
	}
	/* Relaxed: below prod_pos (C1); validated with the copy. */
	*seq = ring_word(r, seq_word(r, f->pos));
	seqlock_copy(buf->iov_base, payload_at(r, f->pos), len);
	if (r->overwrite && overwritten(r, f->pos))
		return overtaken(r);
	return 1;
}

int bcast_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		     int64_t timeout_ns)
{
	if (n == 0)
		return 0;
	struct found f;
	uint64_t seq = 0;
	int ret;
	do {
		ret = wait_data(r, &f, timeout_ns);
		if (ret)
			return ret;
	} while ((ret = copy_msg(r, &f, &bufs[0], &seq)) == 0);
	if (ret < 0)
		return ret;
	size_t i = 0;
	uint64_t bytes = 0;
	for (;;) {
		bufs[i].iov_len = f.h.len;
		bytes += f.h.len;
		account(r, seq);
		r->rseq = seq + 1;
		r->cpos = f.pos + bcast_rec_size(f.h.len);
		/* Anything but a next message intact is for the next call,
		 * an overtaking included: it reports it. */
		if (++i == n || next_record(r, &f.pos, &f.h) != 1 ||
		    f.h.len > bufs[i].iov_len ||
		    (f.h.len && !bufs[i].iov_base))
			break;
		/* Relaxed: as in copy_msg(). */
		seq = ring_word(r, seq_word(r, f.pos));
		seqlock_copy(bufs[i].iov_base, payload_at(r, f.pos), f.h.len);
		if (r->overwrite && overwritten(r, f.pos))
			break;
	}
	/* A copy receive consumes a peeked message like any other. */
	r->peeked = false;
	consume(r, i, bytes);
	return (int)i;
}

ssize_t bcast_peek(struct shmring *r, const void **msg, int64_t timeout_ns)
{
	struct found f;
	for (;;) {
		int ret = wait_data(r, &f, timeout_ns);
		if (ret)
			return ret;
		/* Relaxed: below prod_pos; checked again by the release. */
		r->peek_seq = ring_word(r, seq_word(r, f.pos));
		if (!r->overwrite || !overwritten(r, f.pos))
			break;
		ret = overtaken(r);
		if (ret)
			return ret;
	}
	r->peek_pos = f.pos;
	r->peek_len = f.h.len;
	r->peeked = true;
	*msg = payload_at(r, f.pos);
	return (ssize_t)f.h.len;
}

int bcast_release(struct shmring *r)
{
	if (!r->peeked)
		return -EINVAL;
	r->peeked = false;
	/* What the caller read may have been written over meanwhile. */
	if (r->overwrite && overwritten(r, r->peek_pos)) {
		int ret = overtaken(r);
		return ret == -EOVERFLOW || ret == 0 ? -ESTALE : ret;
	}
	account(r, r->peek_seq);
	r->rseq = r->peek_seq + 1;
	r->cpos = r->peek_pos + bcast_rec_size(r->peek_len);
	consume(r, 1, r->peek_len);
	return 0;
}

/*
 * Is the record at @pos (past a PAD) message @n, written but not yet
 * published? A publisher stopped between B11 and P1', or dead there,
 * left one. Its header was stored with release (P1) after its number:
 * C0 in ring_word() sees the number once it sees the header.
 */
static bool unpublished_is(const struct shmring *r, uint64_t pos, uint64_t n)
{
	struct rec_hdr h;
	if (pos & (REC_ALIGN - 1))
		return false;
	uint64_t size = rec_span(r, pos, &h);
	if (size && kind_is(kind_of(pos, h), REC_KIND_PAD))
		size = rec_span(r, pos += size, &h);
	return size && kind_is(kind_of(pos, h), REC_KIND_DATA) &&
	       ring_word(r, seq_word(r, pos)) == n;
}

/*
 * prod_pos, and in r->rseq the number of the message that will be
 * published there: the count read before (B9) and after (B10) it agrees.
 */
static uint64_t newest(struct shmring *r)
{
	struct shmring_hdr *h = r->hdr;
	uint64_t p = 0, begin = 0, end = 0;
	/* A few tries: the counts differ only between B11 and B12. */
	for (int i = 0; i < 64; i++) {
		/* B9: acquire pairs with B12: prod_pos at least as new. */
		end = load_acquire(&h->prod_seq);
		/* C1: as in read_prod(). */
		p = load_acquire(&h->prod_pos);
		/* B10: relaxed; C1's acquire orders it after prod_pos, whose
		 * release (P1') came after the B11 of the same publish. */
		begin = load_relaxed(&h->prod_seq_begin);
		if (begin == end)
			break;
	}
	/*
	 * Still apart: the publisher stopped (or died) between B11 and
	 * B12. Before P1', its message `end` waits at p (and a successor
	 * reuses the number); past P1', the next one is `begin`.
	 */
	r->rseq = begin == end || unpublished_is(r, p, end) ? end : begin;
	return p;
}

/*
 * Put the cursor at the newest position or at the tail, and make sure
 * (back-pressure) that the publisher will not write over it: B7 pairs
 * with B6 in refresh_bound(): either the publisher's scan sees our
 * cursor, or we see the tail it moved (B5) and go there.
 */
static int sync_cursor(struct shmring *r, bool oldest)
{
	struct shmring_hdr *h = r->hdr;
	struct bcast_sub *s = my_sub(r);
	uint64_t p;
	if (oldest) {
		/* Acquire pairs with B0: the tail stored before it. */
		(void)load_acquire(&h->prod_intent);
		/* Relaxed: checked below and by next_record(), which
		 * reads prod_pos (C1) before any record there. */
		p = load_relaxed(&h->prod_tail);
	} else {
		p = newest(r);
	}
	for (int i = 0; i < SYNC_TRIES; i++) {
		if (p & (REC_ALIGN - 1))
			return -EBADMSG;
		/* B3: as in consume(). */
		store_release(&s->pos, p);
		if (!r->overwrite) {
			/* B7: full fence, pairs with B6. */
			fence_full();
			/* B5: relaxed after the fence; pairs with B4. */
			uint64_t t = load_relaxed(&h->prod_tail);
			if (t > p) {
				/* The newest again: at or past t. */
				p = oldest ? t : newest(r);
				continue;
			}
		}
		r->cpos = p;
		r->cached_prod = p;
		/* The newest position's number is known; the tail's is not
		 * until its record is read. */
		r->fresh = oldest;
		r->peeked = false;
		return 0;
	}
	return -EBADMSG;
}

int bcast_seek(struct shmring *r, int whence)
{
	if (whence != SHMRING_SEEK_OLDEST && whence != SHMRING_SEEK_NEWEST)
		return -EINVAL;
	int ret = sync_cursor(r, whence == SHMRING_SEEK_OLDEST);
	if (!ret && !r->overwrite)
		wait_wake(r, &r->hdr->space_wait, 1);
	return ret;
}

/* At attach, the role ours (A1/A2 acquired a predecessor's last stores). */
int bcast_init(struct shmring *r)
{
	struct shmring_hdr *h = r->hdr;
	r->subs = (struct bcast_sub *)(void *)(r->data + r->cap);
	if (r->role & SHMRING_PRODUCER) {
		/* Relaxed: as in spsc_init(); each is checked here. */
		uint64_t p = load_relaxed(&h->prod_pos) & ~(uint64_t)7;
		uint64_t t = load_relaxed(&h->prod_tail);
		uint64_t b = load_relaxed(&h->cons_pos);
		uint64_t in = load_relaxed(&h->prod_intent);
		if ((t & (REC_ALIGN - 1)) || t > p || p - t > r->cap)
			t = p;
		r->ppos = p;
		r->ptail = t;
		r->cached_cons = b <= p && p - b <= r->cap ? b : t;
		/* A predecessor may have died writing past prod_pos. */
		r->intent_floor = in > p && in - p <= r->cap ? in : p;
		/*
		 * A predecessor that died publishing stored begin only: past
		 * P1', its last message is out and the next number is begin;
		 * before it, nobody saw its message at p (subscribers read
		 * below prod_pos), and the number is reused, as a subscriber
		 * that joined meanwhile expects (newest()).
		 */
		r->pseq = load_relaxed(&h->prod_seq_begin);
		uint64_t e = load_relaxed(&h->prod_seq);
		if (r->pseq != e && unpublished_is(r, p, e))
			r->pseq = e;
	}
	if (r->role & SHMRING_CONSUMER) {
		/* Relaxed: only we write our line. */
		store_relaxed(&my_sub(r)->lost, 0);
		/* A ring whose positions make no sense cannot be joined. */
		return sync_cursor(r, false) ? -EPROTO : 0;
	}
	return 0;
}

/* ---- readiness and figures --------------------------------------------- */

/*
 * Would a receive return something other than -EAGAIN now (a message,
 * an overtaking, end of stream, an error)? Changes nothing a receive
 * would report: an overtaking is left for the receive to find.
 */
int bcast_can_recv(struct shmring *r)
{
	struct found f;
	if (next_record(r, &f.pos, &f.h) != 0)
		return 1;
	int gone = peer_side_gone(r, SHMRING_PRODUCER);
	if (gone <= 0)
		return gone; /* 0, or PEER_DEAD for ring.c */
	/* As in cond_data(): a last record published before going (C-EOS). */
	return next_record(r, &f.pos, &f.h) != 0 ? 1 : -EPIPE;
}

/* Would a send of max_msg bytes return something other than -EAGAIN? */
int bcast_can_send(struct shmring *r)
{
	if (r->overwrite)
		return 1;
	uint64_t pad, total = room_for(r, r->ppos, r->max_msg, &pad);
	return cond_room(r, &total); /* PEER_DEAD: for ring.c */
}

/* Bytes of history in the ring now. */
size_t bcast_used(struct shmring *r)
{
	/* Relaxed: a snapshot for shmring_info(), bounded below. */
	uint64_t prod = load_relaxed(&r->hdr->prod_pos);
	uint64_t tail = load_relaxed(&r->hdr->prod_tail);
	uint64_t used = tail > prod ? 0 : prod - tail;
	return (size_t)(used > r->cap ? r->cap : used);
}

uint64_t bcast_oldest(struct shmring *r)
{
	/* Relaxed: a snapshot for shmring_info(). */
	return load_relaxed(&r->hdr->prod_tail);
}

/* Each subscriber's cursor, lag and losses, for monitors. */
int bcast_list(struct shmring *r, struct shmring_subscriber *out, size_t n)
{
	/* Relaxed throughout: a snapshot for display. */
	uint64_t prod = load_relaxed(&r->hdr->prod_pos);
	size_t k = 0;
	for (unsigned i = 1; i < PEER_SLOTS && k < n; i++) {
		uint64_t id = load_relaxed(&r->hdr->peer_id[i]);
		if (!id || !((id >> 62) & SHMRING_CONSUMER))
			continue;
		uint64_t pos = load_relaxed(&r->subs[i].pos);
		memset(&out[k], 0, sizeof(out[k]));
		out[k].pid = (pid_t)((id >> PEER_START_BITS) & PEER_PID_MASK);
		out[k].alive = peer_pid_alive((uint32_t)out[k].pid,
					      id & PEER_START_MASK);
		out[k].pos = pos;
		out[k].lag = prod > pos ? prod - pos : 0;
		out[k].lost = load_relaxed(&r->subs[i].lost);
		k++;
	}
	return (int)k;
}

/* What the subscribers attached now have missed. */
uint64_t bcast_lost_sum(struct shmring *r)
{
	uint64_t sum = 0;
	for (unsigned i = 1; i < PEER_SLOTS; i++) {
		/* Relaxed: a snapshot for shmring_stats(). */
		uint64_t id = load_relaxed(&r->hdr->peer_id[i]);
		if (id && ((id >> 62) & SHMRING_CONSUMER))
			sum += load_relaxed(&r->subs[i].lost);
	}
	return sum;
}
