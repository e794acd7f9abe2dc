/*
 * fuzz_bcast.c - libFuzzer target: a broadcast ring whose publisher
 * words, subscriber table and records a hostile peer chose. The target
 * builds a valid header (capacity, max_msg, policy from the input), puts
 * the fuzzer's positions (prod_pos, tail, intent, message counts, bound),
 * subscriber cursors and losses, peer table and data bytes in place,
 * adopts the region as publisher and subscriber (fz_operate() sends
 * and receives) and runs the operations the input names (fuzz_common.h), each result
 * checked, in guarded memory. A corrupt table or cursor must be an
 * error, never an access outside the mapping.
 *
 * Input: cap byte, max_msg (2 bytes), flags byte, six 8-byte words
 * (prod_pos, prod_tail, prod_intent, prod_seq, prod_seq_begin, cons_pos),
 * then, by flags:
 *   0x01  SHMRING_OVERWRITE;
 *   0x02  the words taken as they are (else: 8-aligned, near prod_pos);
 *   0x04  peer table (256 bytes) and subscriber table (32 cursors and
 *         losses, 16 bytes each) from the input;
 *   0x08  ever_roles says a subscriber attached before (without 0x04);
 * then the data (raw bytes), then operations.
 */
#include "config.h"

#include "fuzz_common.h"

static uint64_t near(uint64_t base, uint64_t v, uint64_t cap)
{
	return (base - (v % (2 * cap + 64))) & ~(uint64_t)7;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint64_t cap = (uint64_t)256 << (fz_u8(&in) % 7);
	uint64_t max_msg = 1 + fz_bytes(&in, 2) % (cap / 2 - REC_HDR_SIZE -
						   BCAST_SEQ_SIZE);
	uint8_t flags = fz_u8(&in);
	uint64_t w[6];
	struct guarded g;
	struct shmring_hdr *h;
	struct shmring *r = NULL;
	int rc;

	for (int k = 0; k < 6; k++)
		w[k] = fz_bytes(&in, 8);
	if (guard_map(&g, SHMRING_HDR_SIZE + cap + BCAST_TABLE_SIZE) != 0)
		return 0;
	h = (struct shmring_hdr *)(void *)g.base;
	h->magic = SHMRING_MAGIC;
	h->version = SHMRING_LAYOUT_VERSION;
	h->kind = SHMRING_BCAST;
	h->flags = flags & 0x01 ? SHMRING_OVERWRITE : 0;
	h->capacity = cap;
	h->max_msg = max_msg;
	h->data_off = SHMRING_HDR_SIZE;
	h->data_size = cap + BCAST_TABLE_SIZE;
	h->region_size = g.size;
	for (unsigned i = 0; i < PEER_SLOTS; i++)
		h->claims[i].pos = CLAIM_NONE;
	if (!(flags & 0x02)) {
		/* Near a prod_pos that is 8-aligned: what an honest ring
		 * looks like, give or take a ring. */
		w[0] = (w[0] & 0xffffffffu) << 3;
		w[1] = near(w[0], w[1], cap);
		w[2] = w[0] + (w[2] % (cap + 64));
		w[4] = w[3] + (w[4] & 1);
		w[5] = near(w[0], w[5], cap);
	}
	atomic_store(&h->prod_pos, w[0]);
	atomic_store(&h->prod_tail, w[1]);
	atomic_store(&h->prod_intent, w[2]);
	atomic_store(&h->prod_seq, w[3]);
	atomic_store(&h->prod_seq_begin, w[4]);
	atomic_store(&h->cons_pos, w[5]);
	if (flags & 0x04) {
		struct bcast_sub *subs = (struct bcast_sub *)(void *)(g.base +
			SHMRING_HDR_SIZE + cap);

		fz_copy(&in, (void *)h->peer_id, sizeof(h->peer_id));
		h->ever_roles = fz_u8(&in) & 3;
		for (unsigned i = 0; i < PEER_SLOTS; i++) {
			atomic_store(&subs[i].pos, fz_bytes(&in, 8));
			atomic_store(&subs[i].lost, fz_bytes(&in, 8));
		}
	}
	fz_copy(&in, g.base + SHMRING_HDR_SIZE, fz_bytes(&in, 2) % (cap + 1));
	atomic_store(&h->state, SHMRING_STATE_READY);

	if ((flags & 0x0c) == 0x08)
		h->ever_roles = SHMRING_CONSUMER;
	rc = ring_adopt_memory(g.base, g.size,
			       SHMRING_PRODUCER | SHMRING_CONSUMER, &r);
	FZ_CHECK(rc == 0 || rc == -EBUSY || rc == -EUSERS || rc == -EPROTO);
	if (rc == 0) {
		struct shmring_subscriber subs[SHMRING_MAX_PEERS];
		uint64_t lost;

		fz_operate(r, &g, max_msg, &in, 32);
		rc = shmring_seek(r, fz_u8(&in) & 1);
		FZ_CHECK(rc == 0 || rc == -EBADMSG);
		FZ_CHECK(shmring_lost(r, &lost) == 0);
		rc = shmring_subscribers(r, subs, SHMRING_MAX_PEERS);
		FZ_CHECK(rc >= 0 && rc < SHMRING_MAX_PEERS);
		fz_operate(r, &g, max_msg, &in, 8);
		FZ_CHECK(shmring_close(r) == 0);
	}
	guard_unmap(&g);
	return 0;
}
