/*
 * spsc.c - the single-producer/single-consumer byte ring.
 *
 * Records are an 8-byte header (length, type) and the payload padded to 8
 * bytes; a record never wraps: where it would not fit before the end of
 * the data area, the producer writes a PAD record over the tail and starts
 * again at offset 0. Both are published by one release store of prod_pos.
 *
 * Only the producer writes prod_pos and only the consumer writes cons_pos,
 * so each side keeps its own position in the handle and reads the other's
 * only when its cached copy says the ring is full (or empty).
 *
 * Everything read from the region is bounded before it indexes memory: a
 * position or record length that cannot be right is -EBADMSG, never an
 * access outside the mapping.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"

void spsc_init(struct shmring *r)
{
	/*
	 * Relaxed: each position has a single writer; a previous holder of
	 * our role published it with release and our attach CAS (A1/A2 in
	 * peer.c) acquired it.
	 */
	r->ppos = load_relaxed(&r->hdr->prod_pos);
	r->cpos = load_relaxed(&r->hdr->cons_pos);
	/*
	 * The other side's position is not cached yet: the first call reads
	 * it again and checks it against ours (has_room(), next_record())
	 * before trusting anything that lies between the two.
	 */
	r->cached_cons = r->ppos - r->cap;
	r->cached_prod = r->cpos;
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
	 * P0: acquire pairs with C2 (the consumer's release of cons_pos):
	 * without it we could overwrite a record the consumer is still
	 * copying out.
	 */
	uint64_t cons = load_acquire(&r->hdr->cons_pos);
	if (cons > pos || pos - cons > r->cap || (cons & (REC_ALIGN - 1)))
		return -EBADMSG;
	r->cached_cons = cons;
	return pos + total - cons <= r->cap;
}

static void put_hdr(struct shmring *r, uint64_t pos, uint32_t len,
		    uint32_t type)
{
	struct rec_hdr h = { .len = len, .type = type };
	memcpy(r->data + (pos & r->mask), &h, sizeof(h));
}

/* Write the PAD (if any) and return where the record itself starts. */
static uint64_t place(struct shmring *r, uint64_t pos, uint64_t pad)
{
	if (pad) {
		put_hdr(r, pos, (uint32_t)(pad - REC_HDR_SIZE), REC_PAD);
		pos += pad;
	}
	return pos;
}

static void publish(struct shmring *r, uint64_t pos, uint64_t msgs,
		    uint64_t bytes)
{
	count(&r->line[0]->sent, msgs);
	count(&r->line[0]->sent_bytes, bytes);
	r->ppos = pos;
	/*
	 * P1: release pairs with C0 (the consumer's acquire of prod_pos):
	 * the record bytes written above are visible before the position
	 * that covers them.
	 */
	store_release(&r->hdr->prod_pos, pos);
	wait_wake(r, &r->hdr->data_wait, 1);
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
	if (peer_side_gone(r, SHMRING_CONSUMER))
		return -EPIPE;
	return 0;
}

/* Wait until @total bytes fit; fail fast if every consumer is gone. */
static int wait_room(struct shmring *r, uint64_t total, int64_t timeout_ns)
{
	struct shmring_hdr *h = r->hdr;
	if (consumers_gone(r))
		return -EPIPE;
	int ret = has_room(r, r->ppos, total);
	if (ret)
		return ret < 0 ? ret : 0;
	count(&r->line[0]->full, 1);
	struct room_arg a = { .total = total };
	return wait_for(r, &h->space_wait, cond_room, &a, timeout_ns);
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

	uint64_t pos = r->ppos, bytes = 0;
	size_t i = 0;
	for (; i < n; i++) {
		size_t len = msgs[i].iov_len;
		if (len > r->max_msg || (len && !msgs[i].iov_base))
			break;
		need = rec_size(len);
		uint64_t total = room_needed(r, pos, need, &pad);
		if (i > 0 && has_room(r, pos, total) != 1)
			break;
		pos = place(r, pos, pad);
		put_hdr(r, pos, (uint32_t)len, REC_DATA);
		if (len)
			memcpy(r->data + (pos & r->mask) + REC_HDR_SIZE,
			       msgs[i].iov_base, len);
		pos += need;
		bytes += len;
	}
	if (i == 0)
		return -EINVAL;
	publish(r, pos, i, bytes);
	return (int)i;
}

/*
 * One message, the common case, in a straight line: room known from the
 * cached consumer position, no iovec. Anything else (full, a consumer to
 * look for, a position to check) takes the general path.
 */
int spsc_send1(struct shmring *r, const void *msg, size_t len,
	       int64_t timeout_ns)
{
	if (len > r->max_msg)
		return -EMSGSIZE;
	uint64_t pos = r->ppos, need = rec_size(len), pad;
	uint64_t total = room_needed(r, pos, need, &pad);
	/* The general path also takes the 256th send, to look for a dead
	 * consumer (consumers_gone() counts it). */
	if ((pos & (REC_ALIGN - 1)) || pos + total - r->cached_cons > r->cap ||
	    peer_side_closed(r, SHMRING_CONSUMER) || (r->sends & 255) == 255) {
		struct iovec v = { .iov_base = (void *)msg, .iov_len = len };
		int ret = spsc_send_burst(r, &v, 1, timeout_ns);
		return ret < 0 ? ret : 0;
	}
	r->sends++;
	pos = place(r, pos, pad);
	put_hdr(r, pos, (uint32_t)len, REC_DATA);
	if (len)
		memcpy(r->data + (pos & r->mask) + REC_HDR_SIZE, msg, len);
	publish(r, pos + need, 1, len);
	return 0;
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
	/* The PAD is written now but only published by the commit. */
	uint64_t pos = place(r, r->ppos, pad);
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
	put_hdr(r, r->rsv_pos, (uint32_t)len, REC_DATA);
	r->rsv_open = false;
	publish(r, r->rsv_pos + rec_size(len), 1, len);
	return 0;
}

/* ---- consumer ------------------------------------------------------ */

/*
 * Find the next DATA record at or after r->cpos, skipping a PAD locally.
 * Returns 1 and its header, 0 if the ring is empty, or -EBADMSG.
 */
static int next_record(struct shmring *r, uint64_t *pos_out,
		       struct rec_hdr *out)
{
	for (;;) {
		uint64_t pos = r->cpos;
		/* Taken from the region at attach: a scribbled one is caught
		 * here, before a header is read across the end of the area. */
		if (pos & (REC_ALIGN - 1))
			return -EBADMSG;
		if (pos == r->cached_prod) {
			/*
			 * C0: acquire pairs with P1: the record bytes are
			 * visible once the position covering them is.
			 */
			uint64_t prod = load_acquire(&r->hdr->prod_pos);
			if (prod < pos || prod - pos > r->cap ||
			    (prod & (REC_ALIGN - 1)))
				return -EBADMSG;
			r->cached_prod = prod;
			if (prod == pos)
				return 0;
		}
		uint64_t idx = pos & r->mask;
		uint64_t avail = r->cached_prod - pos;
		struct rec_hdr h;
		/* One copy, then only the copy is trusted. */
		memcpy(&h, r->data + idx, sizeof(h));
		if (h.type == REC_PAD) {
			uint64_t skip = r->cap - idx;
			if (h.len != skip - REC_HDR_SIZE || skip > avail)
				return -EBADMSG;
			r->cpos = pos + skip;
			continue;
		}
		if (h.type != REC_DATA || h.len > r->max_msg ||
		    rec_size(h.len) > r->cap - idx || rec_size(h.len) > avail)
			return -EBADMSG;
		*pos_out = pos;
		*out = h;
		return 1;
	}
}

static void consume_to(struct shmring *r, uint64_t pos, uint64_t msgs,
		       uint64_t bytes)
{
	count(&r->line[1]->recvd, msgs);
	count(&r->line[1]->recvd_bytes, bytes);
	r->cpos = pos;
	/*
	 * C2: release pairs with P0: our reads of the records before pos
	 * are done before the producer may overwrite them.
	 */
	store_release(&r->hdr->cons_pos, pos);
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
	if (!peer_side_gone(r, SHMRING_PRODUCER))
		return 0;
	/*
	 * The producer is gone, but may have published just before going:
	 * look again now that C-EOS (peer.c) made its last store visible.
	 */
	ret = next_record(r, &pos, &h);
	return ret ? ret : -EPIPE;
}

static int wait_data(struct shmring *r, uint64_t *pos, struct rec_hdr *h,
		     int64_t timeout_ns)
{
	int ret = next_record(r, pos, h);
	if (ret)
		return ret < 0 ? ret : 0;
	count(&r->line[1]->empty, 1);
	ret = wait_for(r, &r->hdr->data_wait, cond_data, NULL, timeout_ns);
	if (ret)
		return ret;
	ret = next_record(r, pos, h);
	return ret == 1 ? 0 : (ret < 0 ? ret : -EAGAIN);
}

int spsc_recv_burst(struct shmring *r, struct iovec *bufs, size_t n,
		    int64_t timeout_ns)
{
	if (n == 0)
		return 0;
	uint64_t pos;
	struct rec_hdr h;
	int ret = wait_data(r, &pos, &h, timeout_ns);
	if (ret)
		return ret;
	size_t i = 0;
	uint64_t end = r->cpos, bytes = 0;
	for (;;) {
		if (h.len > bufs[i].iov_len || (h.len && !bufs[i].iov_base)) {
			if (i == 0)
				return h.len > bufs[i].iov_len ? -EMSGSIZE :
								 -EINVAL;
			break;
		}
		if (h.len)
			memcpy(bufs[i].iov_base,
			       r->data + (pos & r->mask) + REC_HDR_SIZE, h.len);
		bufs[i].iov_len = h.len;
		bytes += h.len;
		end = pos + rec_size(h.len);
		r->cpos = end;
		if (++i == n)
			break;
		ret = next_record(r, &pos, &h);
		if (ret != 1)
			break;
	}
	/* A copy receive consumes a peeked message like any other. */
	r->peeked = false;
	/* A PAD skipped after the last record stays for the next call. */
	consume_to(r, end, i, bytes);
	return (int)i;
}

/* One message into one buffer: the receive side of spsc_send1(). */
ssize_t spsc_recv1(struct shmring *r, void *buf, size_t cap,
		   int64_t timeout_ns)
{
	uint64_t pos = r->cpos, idx = pos & r->mask;
	struct rec_hdr h;
	if (pos != r->cached_prod && !(pos & (REC_ALIGN - 1))) {
		/* One copy of the header, then only the copy is trusted. */
		memcpy(&h, r->data + idx, sizeof(h));
		uint64_t size = rec_size(h.len);
		if (h.type == REC_DATA && h.len <= r->max_msg &&
		    size <= r->cap - idx && size <= r->cached_prod - pos &&
		    h.len <= cap) {
			r->peeked = false;
			if (h.len)
				memcpy(buf, r->data + idx + REC_HDR_SIZE, h.len);
			consume_to(r, pos + size, 1, h.len);
			return (ssize_t)h.len;
		}
	}
	struct iovec v = { .iov_base = buf, .iov_len = cap };
	int ret = spsc_recv_burst(r, &v, 1, timeout_ns);
	return ret < 0 ? ret : (ssize_t)v.iov_len;
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
	r->peeked = true;
	return (ssize_t)h.len;
}

int spsc_release(struct shmring *r)
{
	if (!r->peeked)
		return -EINVAL;
	r->peeked = false;
	consume_to(r, r->peek_next, 1, r->peek_len);
	return 0;
}

size_t spsc_used(struct shmring *r)
{
	/* Relaxed: a snapshot for shmring_info(), bounded below. */
	uint64_t prod = load_relaxed(&r->hdr->prod_pos);
	uint64_t cons = load_relaxed(&r->hdr->cons_pos);
	uint64_t used = prod - cons;
	return (size_t)(used > r->cap ? r->cap : used);
}
