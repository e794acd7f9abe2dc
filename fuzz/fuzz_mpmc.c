/*
 * fuzz_mpmc.c - libFuzzer target: receiving (and sending) on an MPMC ring
 * whose positions, slot sequences and lengths, peer table and claim words
 * a hostile peer chose. The target builds a valid header (slots, max_msg
 * from the input), then the fuzzer's state, adopts the region with both
 * roles and runs the operations the input names (fuzz_common.h), each
 * result checked, in guarded memory.
 *
 * Input: slots byte, max_msg (2 bytes), flags byte, prod_pos and cons_pos
 * (8 bytes each), then, by flags:
 *   0x01  positions taken as they are (else: near each other);
 *   0x02  slot sequences and lengths raw (12 bytes a slot; else: each slot
 *         free, published, skipped or odd by a byte of the input, with a
 *         length from 2 more);
 *   0x04  peer table and claim words from the input;
 * then operations.
 */
#include "config.h"

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint64_t slots = (uint64_t)2 << (fz_u8(&in) % 6);
	uint64_t max_msg = fz_bytes(&in, 2) % 1025;
	uint64_t slot_size = mpmc_slot_size(max_msg);
	uint8_t flags = fz_u8(&in);
	uint64_t prod = fz_bytes(&in, 8), cons = fz_bytes(&in, 8);
	size_t dsize = (size_t)(slots * slot_size);
	struct guarded g;
	struct shmring_hdr *h;
	unsigned char *d;
	struct shmring *r = NULL;
	int rc;

	if (guard_map(&g, SHMRING_HDR_SIZE + ((dsize + FZ_PAGE - 1) & ~(size_t)(FZ_PAGE - 1))) != 0)
		return 0;
	h = (struct shmring_hdr *)(void *)g.base;
	d = g.base + SHMRING_HDR_SIZE;
	h->magic = SHMRING_MAGIC;
	h->version = SHMRING_LAYOUT_VERSION;
	h->kind = SHMRING_MPMC;
	h->capacity = slots;
	h->max_msg = max_msg;
	h->slot_size = slot_size;
	h->data_off = SHMRING_HDR_SIZE;
	h->data_size = dsize;
	h->region_size = g.size;
	for (unsigned i = 0; i < PEER_SLOTS; i++)
		h->claims[i].pos = CLAIM_NONE;
	if (!(flags & 0x01)) {
		cons &= 0xffffffffu;
		prod = cons + prod % (slots + 3);
	}
	atomic_store(&h->prod_pos, prod);
	atomic_store(&h->cons_pos, cons);
	for (uint64_t i = 0; i < slots; i++) {
		struct mpmc_slot *s = (struct mpmc_slot *)(void *)(d + i * slot_size);
		/* The position this slot holds in the lap at cons. */
		uint64_t p = cons + ((i - cons) & (slots - 1));
		uint64_t seq;
		uint32_t len;

		if (flags & 0x02) {
			seq = fz_bytes(&in, 8);
			len = (uint32_t)fz_bytes(&in, 4);
		} else {
			uint8_t k = fz_u8(&in);

			len = (uint32_t)fz_bytes(&in, 2);
			if (!(k & 0x80))
				len %= (uint32_t)max_msg + 1;
			switch (k % 5) {
			case 0: seq = p; break;                    /* free */
			case 1: seq = p + 1; break;                /* published */
			case 2: seq = (p + 1) | SEQ_SKIP; break;   /* skipped */
			case 3: seq = p + slots; break;            /* next lap */
			default: seq = p + (uint64_t)(int8_t)(k >> 1); break;
			}
		}
		atomic_store(&s->seq, seq);
		atomic_store(&s->len, len);
		fz_copy(&in, s->payload, (size_t)(fz_u8(&in) % 9));
	}
	if (flags & 0x04) {
		for (unsigned i = 0; i < 4; i++) {
			unsigned e = fz_u8(&in) % PEER_SLOTS;

			h->peer_id[e] = fz_bytes(&in, 8);
			h->claims[e].pos = fz_bytes(&in, 8);
		}
		h->ever_roles = fz_u8(&in) & 3;
	}
	atomic_store(&h->state, SHMRING_STATE_READY);

	rc = ring_adopt_memory(g.base, g.size, SHMRING_PRODUCER | SHMRING_CONSUMER, &r);
	FZ_CHECK(rc == 0 || rc == -EBUSY || rc == -EUSERS || rc == -EPROTO ||
		 rc == -EBADMSG);
	if (rc == 0) {
		fz_operate(r, &g, max_msg, &in, 32);
		FZ_CHECK(shmring_close(r) == 0);
	}
	guard_unmap(&g);
	return 0;
}
