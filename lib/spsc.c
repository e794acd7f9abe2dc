/*
 * spsc.c - the single-producer/single-consumer byte ring.
 *
 * Records are an 8-byte header (length, type) and the payload padded to 8
 * bytes; a record never wraps: where it would not fit before the end of
 * the data area, the producer writes a PAD record over the tail and starts
 * again at offset 0 (layout.h describes the header).
 *
 * Publication is the record's header: the producer writes the payload,
 * clears the header word after the record when those bytes are free
 * (REC_NEXT_CLEAR), then stores the header with one release (SP1). The
 * consumer loads the header at its own position (SC0) and takes it when
 * it names that position; it reads prod_pos, stored after the headers
 * (SP1'), only when the header does not match or cannot be trusted alone
 * (SC1). A consumer that keeps up thus touches the record's lines and not
 * the producer's line, which the producer writes on every send. A burst
 * is published by the header at its start alone, stored last
 * (spsc_send_burst()); a consumer that waits watches that one word
 * (spin_hdr()).
 *
 * Only the producer writes the data area and prod_pos; only the consumer
 * writes cons_pos. Each side keeps its own position in the handle and
 * reads the other's only when its cached copy says the ring is full (or
 * when the header cannot tell).
 *
 * The consumer's cached_prod is either a prod_pos it read (headers below
 * it are published) or PROD_TRUSTED: the header word at cpos was cleared
 * by the producer before it published the record before it, so a header
 * that matches there is published. PROD_TRUSTED is only ever set at an
 * aligned cpos, so the fast path need not look at alignment.
 *
 * prod_pos trails the headers by at most the records of one call, so a
 * consumer may run ahead of it: prod_pos up to a ring behind the consumer
 * reads as "nothing new", not as corruption. A producer that attaches
 * after one that died between a header and prod_pos walks the headers
 * past prod_pos that a consumer may have taken (spsc_init()).
 *
 * Everything read from the region is bounded before it indexes memory: a
 * position or record length that cannot be right is -EBADMSG, never an
 * access outside the mapping.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <urcu/arch.h>

#include "atomics.h"
#include "hooks.h"
#include "internal.h"
#include "spsc_fast.h"

/*
 * A producer's first look at the ring: its position is prod_pos, unless
 * the producer before it died after publishing headers past prod_pos
 * (prod_pos is stored after them). A consumer may have taken those on
 * their headers alone, which it does only along a chain of cleared
 * header words starting at a cleared prod_pos (prod_clear): follow the
 * same chain, and start after it. Records it finds become published by
 * the first send's prod_pos. Anything that does not look like an honest
 * record ends the walk; the positions are checked again by the first
 * send (has_room()).
 */
static uint64_t recover_ppos(struct shmring *r, uint64_t prod)
{
	/* Relaxed: see spsc_init(); the values are only a starting point. */
	uint64_t cons = load_relaxed(&r->hdr->cons_pos);
	bool clear = load_relaxed(&r->hdr->prod_clear) == prod;
	uint64_t pos = prod;
	while (clear && !(pos & (REC_ALIGN - 1))) {
		uint64_t idx = pos & r->mask;
		struct rec_hdr h = load_hdr(r, pos);
		uint32_t kind = kind_of(pos, h);
		uint64_t size = kind_is(kind, REC_KIND_PAD) ? r->cap - idx :
							       rec_size(h.len);
		if (kind_is(kind, REC_KIND_PAD) ? h.len != size - REC_HDR_SIZE :
						  !data_rec_ok(r, idx, kind, h.len))
			break;
		/* A consumer may be past the record (it took it, or more of
		 * the dead producer's call); where it is not, the record lies
		 * within a ring of it. */
		uint64_t end = pos + size;
		if ((end > cons && end - cons > r->cap) || end - prod > r->cap)
			break;
		pos = end;
		clear = kind & REC_NEXT_CLEAR;
	}
	return pos;
}

void spsc_init(struct shmring *r)
{
	/*
	 * Relaxed: each position has a single writer; a previous holder of
	 * our role published it with release and our attach CAS (A1/A2 in
	 * peer.c) acquired it.
	 */
	r->ppos = load_relaxed(&r->hdr->prod_pos);
	if (r->role & SHMRING_PRODUCER)
		r->ppos = recover_ppos(r, r->ppos);
	r->cpos = load_relaxed(&r->hdr->cons_pos);
	/*
	 * The other side's position is not cached yet: the first call reads
	 * it again and checks it against ours (has_room(), next_record())
	 * before trusting anything that lies between the two. The consumer
	 * starts untrusted: nothing says the word at cpos was cleared.
	 */
	r->cached_cons = r->ppos - r->cap;
	/* Aligned down: a scribbled cons_pos must not read as PROD_TRUSTED. */
	r->cached_prod = r->cpos & ~(uint64_t)(REC_ALIGN - 1);
}

/* ---- producer ------------------------------------------------------ */

/*
 * Where a record of @need bytes goes: bytes to skip with a PAD first
 * (0 if it fits before the end) and the total room it takes.
 */
static uint64_t room_needed(const struct shmring *r, uint64_t pos,
			    uint64_t need, uint64_t *pad)
{
	uint64_t tail = r->cap - (pos & r->mask);
	*pad = need > tail ? tail : 0;
	return *pad + need;
}

/* Is there room for @total more bytes after ppos? Re-reads cons_pos. */
static int has_room(struct shmring *r, uint64_t pos, uint64_t total)
{
	/* As for the consumer (next_record): positions are 8-aligned. */
	if (pos & (REC_ALIGN - 1))
		return -EBADMSG;
	if (pos + total - r->cached_cons <= r->cap)
		return 1;
	/*
	 * SP0: acquire pairs with SC2 (the consumer's release of cons_pos):
	 * without it we could overwrite a record the consumer is still
	 * copying out.
	 */
	uint64_t cons = load_acquire(&r->hdr->cons_pos);
	if (cons > pos || pos - cons > r->cap || (cons & (REC_ALIGN - 1)))
		return -EBADMSG;
	r->cached_cons = cons;
	return pos + total - cons <= r->cap;
}

/* Publish the records up to @pos, then wake a sleeping consumer. */
static inline void publish_wake(struct shmring *r, uint64_t pos,
				uint32_t clear, uint64_t msgs, uint64_t bytes)
{
	publish_pos(r, pos, clear, msgs, bytes);
	wait_wake(r, &r->hdr->data_wait, 1);
}

/*
 * The fast paths' rare ends (spsc_fast.h), out of line: the fast paths
 * then call nothing but these, as tail calls, and save no registers.
 */
__attribute__((noinline)) int spsc_wake_consumer(struct shmring *r)
{
	wait_wake_slow(r, &r->hdr->data_wait, 1);
	return 0;
}

__attribute__((noinline)) ssize_t spsc_wake_producer(struct shmring *r,
						     ssize_t len)
{
	wait_wake_slow(r, &r->hdr->space_wait, 1);
	return len;
}

struct room_arg {
	uint64_t total;
};

/* wait_for() condition: room for arg->total bytes, or no consumer left. */
static int cond_room(struct shmring *r, void *arg)
{
	struct room_arg *a = arg;
	int ret = has_room(r, r->ppos, a->total);
	if (ret)
		return ret;
	ret = peer_side_gone(r, SHMRING_CONSUMER);
	return ret > 0 ? -EPIPE : ret;
}

/* Wait until @total bytes fit; fail fast if every consumer is gone. */
static int wait_room(struct shmring *r, uint64_t total, int64_t timeout_ns)
{
	struct shmring_hdr *h = r->hdr;
	int ret = consumers_gone(r);
	if (ret)
		return ret;
	ret = has_room(r, r->ppos, total);
	if (ret)
		return ret < 0 ? ret : 0;
	count(&r->line[0]->full, 1);
	struct room_arg a = { .total = total };
	return wait_for(r, &h->space_wait, cond_room, &a, timeout_ns);
}

/*
 * A burst is published by one release store: SP1 on the header word at
 * the burst's first position, stored last. Every other header of the
 * burst (and the PAD of a record that wraps) is stored before it with a
 * relaxed store, SP1b, and needs no order of its own: a consumer reaches
 * one only by walking from that first word, which it acquires (SC0), or
 * below prod_pos, stored after it (SP1'). So each record but the last
 * says REC_NEXT_CLEAR: the word after it holds the next header, stored
 * before the first word. The producer's position is stored once and the
 * counters move once, for the whole burst (burst_end()).
 */
struct burst {
	unsigned char *data;           /* the handle's, in locals: the */
	uint64_t mask, cap, max_msg;   /* copies write through char */
	uint64_t cons;                 /* pointers, which may alias it */
	uint64_t start;  /* ppos: the word stored last */
	uint64_t first;  /* the header word that goes there */
	uint64_t pos;    /* the end of the records so far */
	uint64_t bytes;  /* their payload */
	uint64_t last;   /* where the last record's header is */
	uint32_t len;    /* the last record's length */
};

/* Header word @w at @pos: kept for the end if it is the first word. */
static inline void burst_hdr(struct burst *b, uint64_t pos, uint64_t w)
{
	if (pos == b->start)
		b->first = w;
	else
		/* SP1b: relaxed, see above: ordered by SP1 of the burst. */
		store_relaxed((_Atomic uint64_t *)(void *)(b->data +
							   (pos & b->mask)),
			      w);
}

/* Add message @m to the burst, if it is sound and fits: true if so. */
static inline bool burst_put(struct shmring *r, struct burst *b,
			     const struct iovec *m)
{
	size_t len = m->iov_len;
	if (len > b->max_msg || (len && !m->iov_base))
		return false;
	uint64_t pos = b->pos, tail = b->cap - (pos & b->mask);
	uint64_t need = rec_size(len);
	uint64_t at = need > tail ? pos + tail : pos; /* after a PAD */
	/* The cached look first; has_room() reads cons_pos again. */
	if (at + need - b->cons > b->cap) {
		if (has_room(r, pos, at + need - pos) != 1)
			return false;
		b->cons = r->cached_cons;
	}
	copy_payload(b->data + (at & b->mask) + REC_HDR_SIZE, m->iov_base, len);
	burst_hdr(b, at, rec_word((uint32_t)len,
				     rec_type(at, REC_KIND_DATA | REC_NEXT_CLEAR)));
	if (at != pos)
		burst_hdr(b, pos,
			  rec_word((uint32_t)(tail - REC_HDR_SIZE),
				   rec_type(pos, REC_KIND_PAD | REC_NEXT_CLEAR)));
	b->last = at;
	b->len = (uint32_t)len;
	b->pos = at + need;
	b->bytes += len;
	return true;
}

/* Publish the burst of @msgs records in @b, then wake the consumer. */
static void burst_end(struct shmring *r, struct burst *b, size_t msgs)
{
	uint32_t clear = clear_after(hdr_word(r, b->pos & r->mask),
				     next_free(r, b->pos));
	/* Nothing follows the last record: its header says whether the
	 * word after it was cleared. */
	if (!clear)
		burst_hdr(b, b->last,
			  rec_word(b->len, rec_type(b->last, REC_KIND_DATA)));
	/*
	 * SP1: release pairs with SC0 (the consumer's acquire of this word):
	 * every payload and header of the burst (SP1b), and the cleared word
	 * after it, are visible before the word that leads to them.
	 */
	store_release(hdr_word(r, b->start & r->mask), b->first);
	publish_wake(r, b->pos, clear, msgs, b->bytes);
}

int spsc_send_burst(struct shmring *r, const struct iovec *msgs, size_t n,
		    int64_t timeout_ns)
{
	if (n == 0)
		return 0;
	if (msgs[0].iov_len > r->max_msg)
		return -EMSGSIZE;
	uint64_t pad;
	uint64_t need = rec_size(msgs[0].iov_len);
	int ret = wait_room(r, room_needed(r, r->ppos, need, &pad), timeout_ns);
	if (ret)
		return ret;
	struct burst b = { .data = r->data, .mask = r->mask, .cap = r->cap,
			   .max_msg = r->max_msg, .cons = r->cached_cons,
			   .start = r->ppos, .pos = r->ppos };
	size_t i = 0;
	while (i < n && burst_put(r, &b, &msgs[i]))
		i++;
	if (i == 0)
		return -EINVAL;
	burst_end(r, &b, i);
	return (int)i;
}

int spsc_reserve(struct shmring *r, size_t len, void **buf,
		 int64_t timeout_ns)
{
	if (r->rsv_open)
		return -EBUSY;
	if (len > r->max_msg)
		return -EMSGSIZE;
	uint64_t pad;
	uint64_t need = rec_size(len);
	int ret = wait_room(r, room_needed(r, r->ppos, need, &pad), timeout_ns);
	if (ret)
		return ret;
	/* The PAD (from ppos to rsv_pos), if any, is written by the commit. */
	uint64_t pos = r->ppos + pad;
	r->rsv_pos = pos;
	r->rsv_len = len;
	r->rsv_open = true;
	*buf = r->data + (pos & r->mask) + REC_HDR_SIZE;
	return 0;
}

int spsc_commit(struct shmring *r, size_t len)
{
	if (!r->rsv_open || len > r->rsv_len)
		return -EINVAL;
	uint64_t end = r->rsv_pos + rec_size(len);
	uint32_t clear = clear_after(hdr_word(r, end & r->mask),
				     next_free(r, end));
	put_hdr(hdr_word(r, r->rsv_pos & r->mask), r->rsv_pos,
		hdr_word(r, r->ppos & r->mask), r->ppos, (uint32_t)len, clear);
	r->rsv_open = false;
	publish_wake(r, end, clear, 1, len);
	return 0;
}

/* ---- consumer ------------------------------------------------------ */

/*
 * The slow look at prod_pos, for a header at @pos that does not match or
 * cannot be trusted alone. Returns 1 if prod_pos covers @pos (its header
 * must then be there), 0 if not (yet), or -EBADMSG.
 */
static int read_prod(struct shmring *r, uint64_t pos)
{
	/*
	 * SC1: acquire pairs with SP1' (the producer's release of prod_pos):
	 * the headers below it, and what they cover, are visible.
	 */
	uint64_t prod = load_acquire(&r->hdr->prod_pos);
	if (prod & (REC_ALIGN - 1))
		return -EBADMSG;
	if (prod <= pos) {
		/* Behind us by the records of the producer's current call
		 * at most, which we may have taken on their headers. */
		if (pos - prod > r->cap)
			return -EBADMSG;
		if (r->cached_prod != PROD_TRUSTED)
			r->cached_prod = prod;
		return 0;
	}
	if (prod - pos > r->cap)
		return -EBADMSG;
	r->cached_prod = prod;
	return 1;
}

/*
 * Find the next DATA record at or after r->cpos, skipping a PAD locally.
 * Returns 1 and its header, 0 if the ring is empty, or -EBADMSG.
 */
static int next_record_slow(struct shmring *r, uint64_t *pos_out,
			    struct rec_hdr *out)
{
	for (;;) {
		uint64_t pos = r->cpos;
		/* Taken from the region at attach: a scribbled one is caught
		 * here, before a header is read across the end of the area. */
		if (pos & (REC_ALIGN - 1))
			return -EBADMSG;
		uint64_t idx = pos & r->mask;
		/* One load of the header, then only the copy is trusted. */
		struct rec_hdr h = load_hdr(r, pos);
		uint32_t kind = kind_of(pos, h);
		bool known = kind_is(kind, REC_KIND_DATA) ||
			     kind_is(kind, REC_KIND_PAD);
		if (!known || (r->cached_prod != PROD_TRUSTED &&
			       pos >= r->cached_prod)) {
			int ret = read_prod(r, pos);
			if (ret <= 0)
				return ret;
			/* prod_pos covers it: the header was stored first. */
			h = load_hdr(r, pos);
			kind = kind_of(pos, h);
		}
		/* Room the record may take: all, where the header alone
		 * says it is published; up to prod_pos otherwise. */
		uint64_t avail = r->cached_prod - pos;
		if (kind_is(kind, REC_KIND_PAD)) {
			uint64_t skip = r->cap - idx;
			if (h.len != skip - REC_HDR_SIZE || skip > avail)
				return -EBADMSG;
			r->cpos = pos + skip;
			if (kind & REC_NEXT_CLEAR)
				r->cached_prod = PROD_TRUSTED;
			continue;
		}
		if (!data_rec_ok(r, idx, kind, h.len) || rec_size(h.len) > avail)
			return -EBADMSG;
		*pos_out = pos;
		*out = h;
		return 1;
	}
}

/*
 * next_record(), in line for the common case: a DATA record at cpos that
 * is published (its header trusted alone, or below cached_prod) and
 * sound; everything else (empty, a PAD, prod_pos to read, an odd cpos)
 * goes the long way. One load of the header, as there.
 */
static inline int next_record(struct shmring *r, uint64_t *pos_out,
			      struct rec_hdr *out)
{
	uint64_t pos = r->cpos, prod = r->cached_prod;
	/* PROD_TRUSTED is above every position. An odd cpos (taken from
	 * the region at attach) is for the long way, before any load: its
	 * header could run past the end of the area. */
	if (pos >= prod || (pos & (REC_ALIGN - 1)))
		return next_record_slow(r, pos_out, out);
	struct rec_hdr h = load_hdr(r, pos);
	if (!data_rec_ok(r, pos & r->mask, kind_of(pos, h), h.len) ||
	    rec_size(h.len) > prod - pos)
		return next_record_slow(r, pos_out, out);
	*pos_out = pos;
	*out = h;
	return 1;
}

static void consume_to(struct shmring *r, uint64_t pos, uint64_t msgs,
		       uint64_t bytes)
{
	consume_pos(r, pos, msgs, bytes);
	wait_wake(r, &r->hdr->space_wait, 1);
}

/* wait_for() condition: a record, or end of stream. */
static int cond_data(struct shmring *r, void *arg)
{
	(void)arg;
	uint64_t pos;
	struct rec_hdr h;
	int ret = next_record(r, &pos, &h);
	if (ret)
		return ret;
	/*
	 * Empty: while we wait, ask for the 64-byte cache line after the
	 * one holding the next header. A record that does not fit in the
	 * header's line (a 64-byte message does not) goes on there, and the
	 * producer writes it before the header (SP1): asked for now, it
	 * crosses to us beside the header's line, not after it. A hint,
	 * not a read: it orders nothing and races with nothing.
	 */
	__builtin_prefetch(r->data + ((r->cpos + 64) & r->mask));
	ret = peer_side_gone(r, SHMRING_PRODUCER);
	if (ret <= 0)
		return ret;
	/*
	 * The producer is gone, but may have published just before going:
	 * look again now that C-EOS (peer.c) made its last store visible.
	 */
	ret = next_record(r, &pos, &h);
	return ret ? ret : -EPIPE;
}

/* How long a wait of @timeout_ns spins: the handle's spin, at most. */
static int64_t spin_left(const struct shmring *r, int64_t timeout_ns)
{
	int64_t spin = r->spin_ns > INT64_MAX ? INT64_MAX : (int64_t)r->spin_ns;
	return timeout_ns >= 0 && timeout_ns < spin ? timeout_ns : spin;
}

/*
 * The spin of a receive that waits, for the common case: an empty ring
 * whose header word at cpos is trusted alone (PROD_TRUSTED). Watch that
 * one word, and nothing else of the ring: not prod_pos (the line the
 * producer writes on every send), not the general condition (cond_data)
 * that wait_for() runs. Returns 1 once the word names a record (DATA or
 * PAD) for the caller to take, or 0 where it must wait the general way:
 * the word not trusted, no spin, a try, the producer side changed (an end
 * of stream), the spin over; *@timeout_ns is then what is left.
 */
static int spin_hdr(struct shmring *r, int64_t *timeout_ns)
{
	if (r->cached_prod != PROD_TRUSTED || !r->spin_ns || !*timeout_ns ||
	    peer_side_closed(r, SHMRING_PRODUCER))
		return 0;
	test_hook(HOOK_CONSUMER_AWAIT);
	uint64_t pos = r->cpos;
	_Atomic uint64_t *word = hdr_word(r, pos & r->mask);
	/* The record's second line, as in cond_data(). */
	__builtin_prefetch(r->data + ((pos + 64) & r->mask));
	int64_t start = now_ns(), spin = spin_left(r, *timeout_ns), now;
	for (unsigned i = 1;; i++) {
		/* SC0: acquire pairs with SP1, as in load_hdr(). */
		uint32_t kind = kind_of(pos, rec_of(load_acquire(word)));
		if (kind_is(kind, REC_KIND_DATA) || kind_is(kind, REC_KIND_PAD))
			return 1;
		caa_cpu_relax();
		if (!(i & 15) && (now = now_ns()) - start >= spin) {
			r->spun = true; /* for wait_for(): spun out */
			break;
		}
		if (!(i & 15) && !peer_side_open_cached(r, SHMRING_PRODUCER))
			break;
	}
	/* What the spin took comes off the wait (at least 1 ns: 0 is a try). */
	if (*timeout_ns > 0) {
		now = now_ns() - start;
		*timeout_ns = *timeout_ns > now ? *timeout_ns - now : 1;
	}
	return 0;
}

/*
 * shmring_recv() that found the ring empty (ring.c): spin on the next
 * header (spin_hdr()), then take the record as the fast path does, with
 * no general path on either side of the wait. Anything else (a record
 * the buffer cannot take, a PAD, a slip due, no spin to do) returns
 * -EAGAIN for the general path, with *@timeout_ns what is left of it.
 */
ssize_t spsc_recv1_await(struct shmring *r, void *buf, size_t cap,
			 int64_t *timeout_ns)
{
	if (r->taken - r->taken_empty >= SLIP_STREAK || !spin_hdr(r, timeout_ns))
		return -EAGAIN;
	uint64_t pos = r->cpos, idx = pos & r->mask;
	struct rec_hdr h = load_hdr(r, pos);
	uint32_t kind = kind_of(pos, h);
	if (!data_rec_ok(r, idx, kind, h.len) || h.len > cap)
		return -EAGAIN;
	count(&r->line[1]->empty, 1);
	r->taken_empty = r->taken;
	return spsc_take1(r, buf, pos, h, kind, h.len <= 64);
}

static int wait_data(struct shmring *r, uint64_t *pos, struct rec_hdr *h,
		     int64_t timeout_ns)
{
	int ret = next_record(r, pos, h);
	if (ret) {
		r->spun = false; /* a spin out before this call is over */
		return ret < 0 ? ret : 0;
	}
	count(&r->line[1]->empty, 1);
	/*
	 * Caught up with a producer after a run of messages: it is likely
	 * still sending, so let it get ahead before we look again (see
	 * wait_slip()). Not for a try (timeout 0).
	 */
	if (r->taken - r->taken_empty >= SLIP_STREAK && timeout_ns)
		timeout_ns = wait_slip(r, timeout_ns);
	r->taken_empty = r->taken;
	/* The next header alone first (unless spsc_recv1_await() just
	 * spun on it), then the general way. */
	if (!r->spun && spin_hdr(r, &timeout_ns) &&
	    (ret = next_record(r, pos, h)))
		return ret < 0 ? ret : 0;
	ret = wait_for(r, &r->hdr->data_wait, cond_data, NULL, timeout_ns);
	if (ret)
		return ret;
	ret = next_record(r, pos, h);
	return ret == 1 ? 0 : (ret < 0 ? ret : -EAGAIN);
}

/*
 * A receive burst's walk keeps the handle's fields in locals: the copies
 * write through char pointers, which may alias the handle, and its
 * fields would otherwise be loaded again for every record.
 */
struct walk {
	const unsigned char *data;
	uint64_t mask, cap, max_msg;
};

/*
 * Is the record at @pos, header @h, below @prod (cached_prod) to be
 * taken on the spot into @buf? As next_record(): published, DATA,
 * bounded; then the buffer.
 */
static inline bool walk_ok(const struct walk *w, uint64_t pos, uint64_t prod,
			   struct rec_hdr h, const struct iovec *buf)
{
	uint64_t size = rec_size(h.len);
	return pos < prod && kind_is(kind_of(pos, h), REC_KIND_DATA) &&
	       h.len <= w->max_msg && size <= w->cap - (pos & w->mask) &&
	       size <= prod - pos && h.len <= buf->iov_len &&
	       (!h.len || buf->iov_base);
}

/*
 * Take records into @bufs from the first one, @h at r->cpos (checked
 * against bufs[0]), while they are there and fit, up to @n. Returns how
 * many; r->cpos ends past the last one taken, and *@bytes holds theirs.
 */
static size_t walk_take(struct shmring *r, struct iovec *bufs, size_t n,
			struct rec_hdr h, uint64_t *bytes)
{
	const struct walk w = { r->data, r->mask, r->cap, r->max_msg };
	uint64_t pos = r->cpos, prod = r->cached_prod, end = pos, sum = 0;
	size_t i = 0;
	for (;;) {
		copy_payload(bufs[i].iov_base,
			     w.data + (pos & w.mask) + REC_HDR_SIZE, h.len);
		bufs[i].iov_len = h.len;
		sum += h.len;
		end = pos + rec_size(h.len);
		prod = trust_after(prod, kind_of(pos, h) & REC_NEXT_CLEAR, end);
		pos = end;
		if (++i == n)
			break;
		/* SC0: acquire pairs with SP1, as in load_hdr(). */
		h = rec_of(load_acquire(
			(_Atomic uint64_t *)(void *)(w.data + (pos & w.mask))));
		if (walk_ok(&w, pos, prod, h, &bufs[i]))
			continue;
		/* A PAD, prod_pos to read, the end, or a bad record. */
		uint64_t at;
		r->cpos = pos;
		r->cached_prod = prod;
		if (next_record_slow(r, &at, &h) != 1)
			break;
		pos = at;
		prod = r->cached_prod;
		if (h.len > bufs[i].iov_len || (h.len && !bufs[i].iov_base))
			break;
	}
	r->cached_prod = prod;
	/* A PAD skipped after the last record stays for the next call. */
	r->cpos = end;
	*bytes = sum;
	return i;
}

int spsc_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		    int64_t timeout_ns)
{
	if (n == 0)
		return 0;
	uint64_t pos, bytes;
	struct rec_hdr h;
	int ret = wait_data(r, &pos, &h, timeout_ns);
	if (ret)
		return ret;
	if (h.len > bufs[0].iov_len)
		return -EMSGSIZE;
	if (h.len && !bufs[0].iov_base)
		return -EINVAL;
	size_t i = walk_take(r, bufs, n, h, &bytes);
	/* A copy receive consumes a peeked message like any other. */
	r->peeked = false;
	consume_to(r, r->cpos, i, bytes);
	return (int)i;
}

ssize_t spsc_peek(struct shmring *r, const void **msg, int64_t timeout_ns)
{
	uint64_t pos;
	struct rec_hdr h;
	int ret = wait_data(r, &pos, &h, timeout_ns);
	if (ret)
		return ret;
	*msg = r->data + (pos & r->mask) + REC_HDR_SIZE;
	r->peek_next = pos + rec_size(h.len);
	r->peek_len = h.len;
	/* The header's REC_NEXT_CLEAR, for the release: in peek_len's
	 * upper half, as a length is 32 bits. */
	r->peek_len |= (uint64_t)(kind_of(pos, h) & REC_NEXT_CLEAR) << 32;
	r->peeked = true;
	return (ssize_t)h.len;
}

int spsc_release(struct shmring *r)
{
	if (!r->peeked)
		return -EINVAL;
	r->peeked = false;
	uint64_t len = (uint32_t)r->peek_len;
	r->cached_prod = trust_after(r->cached_prod, r->peek_len >> 32,
				     r->peek_next);
	consume_to(r, r->peek_next, 1, len);
	return 0;
}

size_t spsc_used(struct shmring *r)
{
	/* Relaxed: a snapshot for shmring_info(), bounded below. */
	uint64_t prod = load_relaxed(&r->hdr->prod_pos);
	uint64_t cons = load_relaxed(&r->hdr->cons_pos);
	/* The consumer may be ahead of prod_pos by what it took on the
	 * headers of the producer's current call: empty, then. */
	uint64_t used = cons > prod ? 0 : prod - cons;
	return (size_t)(used > r->cap ? r->cap : used);
}

/*
 * Readiness (shmring_poll_fd(), shmring_poll()): would a call in this
 * direction not find the ring empty (@in) or full? 1 if so (a record, or
 * a corrupt one the call reports; room for a max_msg record), -EPIPE at
 * end of stream, 0 if the call would return -EAGAIN. Takes nothing.
 */
int spsc_ready(struct shmring *r, bool in)
{
	if (in) {
		uint64_t pos;
		struct rec_hdr h;
		if (next_record(r, &pos, &h))
			return 1;
		int gone = peer_side_gone(r, SHMRING_PRODUCER);
		if (gone <= 0)
			return gone; /* 0, or PEER_DEAD for ring.c */
		/* As in cond_data(): a last record published before going. */
		return next_record(r, &pos, &h) ? 1 : -EPIPE;
	}
	int gone = peer_side_gone(r, SHMRING_CONSUMER);
	if (gone)
		return gone > 0 ? -EPIPE : gone;
	uint64_t pad;
	uint64_t total = room_needed(r, r->ppos, rec_size(r->max_msg), &pad);
	return has_room(r, r->ppos, total) != 0;
}
