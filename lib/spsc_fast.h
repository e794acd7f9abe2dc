/*
 * spsc_fast.h - the SPSC ring's record helpers and its single-message
 * fast paths, in line.
 *
 * Internal header, for spsc.c and ring.c only. shmring_send() and
 * shmring_recv() (ring.c) take the fast paths below in line, so that the
 * common case of a message is one call from the application, not two;
 * everything else (full, empty, padding, a peer to look for, a bad
 * record) leaves through the out-of-line spsc_*_slow() in ring.c, to the
 * general path in spsc.c. The
 * ring's protocol and the pairings named here (SP1, SP1', SC0, SC2) are
 * described at the top of spsc.c.
 */
#ifndef SHMRING_SPSC_FAST_H
#define SHMRING_SPSC_FAST_H

#include <sys/types.h>

#include "atomics.h"
#include "internal.h"

#define PROD_TRUSTED UINT64_MAX

/* The header word at data index @idx (8-aligned: the area is page aligned). */
static inline _Atomic uint64_t *hdr_word(const struct shmring *r, uint64_t idx)
{
	return (_Atomic uint64_t *)(void *)(r->data + idx);
}

static inline uint64_t rec_word(uint32_t len, uint32_t type)
{
	struct rec_hdr h = { .len = len, .type = type };
	uint64_t w;
	memcpy(&w, &h, sizeof(w));
	return w;
}

static inline struct rec_hdr rec_of(uint64_t w)
{
	struct rec_hdr h;
	memcpy(&h, &w, sizeof(h));
	return h;
}

/* The record header at @pos; the kind bits when it names @pos. */
static inline struct rec_hdr load_hdr(const struct shmring *r, uint64_t pos)
{
	/*
	 * SC0: acquire pairs with SP1 (the producer's release store of this
	 * header): the payload written before it is visible once it is.
	 */
	return rec_of(load_acquire(hdr_word(r, pos & r->mask)));
}

static inline uint32_t kind_of(uint64_t pos, struct rec_hdr h)
{
	return h.type ^ rec_type(pos, 0);
}

static inline bool kind_is(uint32_t kind, uint32_t want)
{
	return (kind & ~REC_NEXT_CLEAR) == want;
}

/*
 * Before a record is published: clear @next, the header word after it,
 * if it is ours to write (@next_free, see next_free()). Returns the
 * REC_NEXT_CLEAR bit the record's header must carry.
 */
static inline uint32_t clear_after(_Atomic uint64_t *next, bool next_free)
{
	if (!next_free)
		return 0;
	/*
	 * Relaxed: ordered before the consumer's load of this word by SP1
	 * (put_hdr()), which the consumer acquires (SC0) before it looks
	 * here. The consumer is done with these 8 bytes (next_free() read
	 * cached_cons, which SP0 read) and cannot be reading them.
	 */
	store_relaxed(next, 0);
	return REC_NEXT_CLEAR;
}

/*
 * Publish the record of @len bytes at position @pos (its header word at
 * @at), its payload written and the word after it cleared (@clear, from
 * clear_after()): store its header, then the PAD before it at @pad_pos
 * (header word @pad_at), if any. The words come as pointers so that a
 * caller holding them in registers keeps them there across the atomics.
 */
static inline void put_hdr(_Atomic uint64_t *at, uint64_t pos,
			   _Atomic uint64_t *pad_at, uint64_t pad_pos,
			   uint32_t len, uint32_t clear)
{
	/* SP1: release pairs with SC0: the payload, and the cleared word
	 * after it, are visible before the header that covers them. */
	store_release(at, rec_word(len, rec_type(pos, REC_KIND_DATA | clear)));
	if (pad_pos != pos) {
		/*
		 * SP1 for the PAD, after the record it leads to: a consumer
		 * that acquires the PAD (SC0) sees that record's header, so
		 * the PAD always vouches for the word after it.
		 */
		store_release(pad_at,
			      rec_word((uint32_t)(pos - pad_pos - REC_HDR_SIZE),
				       rec_type(pad_pos, REC_KIND_PAD |
							 REC_NEXT_CLEAR)));
	}
}

/*
 * Can the DATA record at index @idx, of kind @kind and @len bytes, be
 * taken on its header? Its kind, length and extent are bounded before
 * they index anything.
 */
static inline bool data_rec_ok(const struct shmring *r, uint64_t idx,
			       uint32_t kind, uint64_t len)
{
	return kind_is(kind, REC_KIND_DATA) && len <= r->max_msg &&
	       rec_size(len) <= r->cap - idx;
}

/*
 * What the consumer's cached_prod becomes past a record ending at @end
 * whose header says whether it cleared the word after it (@next_clear):
 * that word is then trusted alone; else a trust held so far ends there.
 */
static inline uint64_t trust_after(uint64_t cached_prod, bool next_clear,
				   uint64_t end)
{
	if (next_clear)
		return PROD_TRUSTED;
	return cached_prod == PROD_TRUSTED ? end : cached_prod;
}

/* Whether the word after a record ending at @end is free to clear. */
static inline bool next_free(const struct shmring *r, uint64_t end)
{
	return end + REC_HDR_SIZE - r->cached_cons <= r->cap;
}

/* Make the records up to @pos published; the wake-up is the caller's. */
static inline void publish_pos(struct shmring *r, uint64_t pos,
			       uint32_t clear, uint64_t msgs, uint64_t bytes)
{
	struct shmring_hdr *h = r->hdr;
	count(&r->line[0]->sent, msgs);
	count(&r->line[0]->sent_bytes, bytes);
	r->ppos = pos;
	/*
	 * SP1': release pairs with SC1 (the consumer's acquire of prod_pos):
	 * the headers stored above are visible before the position that
	 * covers them.
	 */
	store_release(&h->prod_pos, pos);
	/*
	 * Relaxed: read only by a later producer, after our detach (A4)
	 * or our death; stored after prod_pos so that a death between the
	 * two leaves prod_clear != prod_pos, which only stops a walk that
	 * has nothing to find.
	 */
	store_relaxed(&h->prod_clear, clear ? pos : ~pos);
	/*
	 * The wait protocol's P1 (wait.c) is the header store, SP1: it comes
	 * before P2 in wait_wake(), and a sleeper's re-check (W4, cond_data)
	 * loads that header first, so either it sees the record or we see
	 * the waiter. prod_pos, also stored before P2, serves the same way
	 * for a re-check that cannot trust the header alone.
	 */
}

/* Hand the records before @pos back; the wake-up is the caller's. */
static inline void consume_pos(struct shmring *r, uint64_t pos, uint64_t msgs,
			       uint64_t bytes)
{
	r->taken += msgs;
	count(&r->line[1]->recvd, msgs);
	count(&r->line[1]->recvd_bytes, bytes);
	r->cpos = pos;
	/*
	 * SC2: release pairs with SP0: our reads of the records before pos
	 * are done before the producer may overwrite them.
	 */
	store_release(&r->hdr->cons_pos, pos);
}

/* The fast paths' ways out: ring.c (the general path), spsc.c (wakes). */
int spsc_send1_slow(struct shmring *r, const void *msg, size_t len,
		    int64_t timeout_ns);
ssize_t spsc_recv1_slow(struct shmring *r, void *buf, size_t cap,
			int64_t timeout_ns);
int spsc_send1_large(struct shmring *r, const void *msg, size_t len,
		     int64_t timeout_ns);
ssize_t spsc_recv1_large(struct shmring *r, void *buf, size_t cap,
			 int64_t timeout_ns);
ssize_t spsc_recv1_await(struct shmring *r, void *buf, size_t cap,
			 int64_t *timeout_ns);
int spsc_wake_consumer(struct shmring *r);
ssize_t spsc_wake_producer(struct shmring *r, ssize_t len);

/*
 * Each fast path comes twice. In line in shmring_send() and shmring_recv()
 * (@small true), it copies up to 64 bytes itself and hands anything
 * larger to its out-of-line twin spsc_*1_large() (@small false), which
 * calls memcpy(): a call in the in-line copy would make it save and
 * restore registers on every message.
 */

/*
 * One message, the common case, in a straight line: no padding, room
 * for it and the word after it known from the cached consumer position,
 * no iovec, a consumer known to be open. Anything else (full, a consumer
 * to look for, a position to check) takes the general path. The first
 * send after attach takes it too (cached_cons starts a ring behind), so
 * that ppos is checked there once and stays 8-aligned after.
 */
static inline __attribute__((always_inline)) int
spsc_send1_body(struct shmring *r, const void *msg, size_t len,
		int64_t timeout_ns, bool small)
{
	uint64_t pos = r->ppos, idx = pos & r->mask;
	uint64_t end = pos + rec_size(len);
	uint32_t sends = r->sends + 1;
	/* The general path also takes the 256th send, to look for a dead
	 * consumer (consumers_gone() counts it). The word after the record
	 * free means room for the record too. */
	if (len > r->max_msg || end - pos > r->cap - idx || !next_free(r, end) ||
	    !peer_side_open_cached(r, SHMRING_CONSUMER) || !(sends & 255))
		return spsc_send1_slow(r, msg, len, timeout_ns);
	if (small && len > 64)
		return spsc_send1_large(r, msg, len, timeout_ns);
	r->sends = sends;
	/*
	 * The general path's steps, the word after the record known free
	 * (checked above): the clear before the copy, so that nothing but
	 * the header's word lives across the copy; SP1 after it.
	 */
	unsigned char *data = r->data;
	uint32_t clear = clear_after(
		(_Atomic uint64_t *)(void *)(data + (end & r->mask)), true);
	if (small)
		copy_small(data + idx + REC_HDR_SIZE, msg, len);
	else
		memcpy(data + idx + REC_HDR_SIZE, msg, len);
	_Atomic uint64_t *at = (_Atomic uint64_t *)(void *)(data + idx);
	put_hdr(at, pos, at, pos, (uint32_t)len, clear);
	publish_pos(r, end, clear, 1, len);
	if (wait_wanted(r, &r->hdr->data_wait))
		return spsc_wake_consumer(r);
	return 0;
}

static inline __attribute__((always_inline)) int
spsc_send1(struct shmring *r, const void *msg, size_t len, int64_t timeout_ns)
{
	return spsc_send1_body(r, msg, len, timeout_ns, true);
}

/*
 * Take the DATA record at @pos (cpos, its header word trusted), header
 * @h and kind @kind, checked against the buffer: the fast path's end,
 * and the end of a receive that waited for it (spsc_recv1_await()).
 */
static inline __attribute__((always_inline)) ssize_t
spsc_take1(struct shmring *r, void *buf, uint64_t pos, struct rec_hdr h,
	   uint32_t kind, bool small)
{
	uint64_t len = h.len, end = pos + rec_size(len);
	/* pass_record(), from a trusted word. */
	r->cached_prod = trust_after(PROD_TRUSTED, kind & REC_NEXT_CLEAR, end);
	r->peeked = false;
	if (small)
		copy_small(buf, r->data + (pos & r->mask) + REC_HDR_SIZE, len);
	else
		memcpy(buf, r->data + (pos & r->mask) + REC_HDR_SIZE, len);
	consume_pos(r, end, 1, len);
	if (wait_wanted(r, &r->hdr->space_wait))
		return spsc_wake_producer(r, (ssize_t)len);
	return (ssize_t)len;
}

/*
 * One message into one buffer: the receive side of spsc_send1(). Where
 * the word at cpos is trusted, one load of the header decides; anything
 * else (empty, untrusted, padding, a buffer too small, a bad record)
 * takes the general path, which sorts it out.
 */
static inline __attribute__((always_inline)) ssize_t
spsc_recv1_body(struct shmring *r, void *buf, size_t cap, int64_t timeout_ns,
		bool small)
{
	if (r->cached_prod != PROD_TRUSTED)
		return spsc_recv1_slow(r, buf, cap, timeout_ns);
	uint64_t pos = r->cpos, idx = pos & r->mask;
	struct rec_hdr h = load_hdr(r, pos);
	uint32_t kind = kind_of(pos, h);
	uint64_t len = h.len;
	if (!data_rec_ok(r, idx, kind, len) || len > cap)
		return spsc_recv1_slow(r, buf, cap, timeout_ns);
	if (small && len > 64)
		return spsc_recv1_large(r, buf, cap, timeout_ns);
	return spsc_take1(r, buf, pos, h, kind, small);
}

static inline __attribute__((always_inline)) ssize_t
spsc_recv1(struct shmring *r, void *buf, size_t cap, int64_t timeout_ns)
{
	return spsc_recv1_body(r, buf, cap, timeout_ns, true);
}

#endif
