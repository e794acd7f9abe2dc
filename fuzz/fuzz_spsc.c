/*
 * fuzz_spsc.c - libFuzzer target: receiving (and sending) on an SPSC ring
 * whose positions and records a hostile peer chose. The target builds a
 * valid header (capacity, max_msg from the input), then puts the fuzzer's
 * positions, record bytes and, optionally, peer table in place, adopts
 * the region with both roles and runs the operations the input names
 * (fuzz_common.h), each result checked, in guarded memory.
 *
 * Input: cap byte, max_msg (2 bytes), flags byte, prod_pos and cons_pos
 * (8 bytes each), then, by flags:
 *   0x01  positions taken as they are (else: 8-aligned, near each other);
 *   0x02  records laid out by the target from (length, type-choice)
 *         pairs, between cons_pos and prod_pos (else: raw data bytes);
 *   0x04  peer table and claim words from the input (256 + 256 bytes);
 *   0x08  prod_clear = prod_pos: the producer walks the records past
 *         prod_pos at attach (else prod_clear stays 0);
 * then the data (raw bytes, or 16 pairs of 3 bytes), then operations.
 */
#include "config.h"

#include "fuzz_common.h"

static void lay_records(unsigned char *data, uint64_t cap, uint64_t max_msg,
			uint64_t cons, uint64_t prod, struct fz_in *in)
{
	uint64_t pos = cons;

	for (int k = 0; k < 16 && pos + REC_HDR_SIZE <= prod; k++) {
		uint64_t idx = pos & (cap - 1);
		uint16_t len = (uint16_t)fz_bytes(in, 2);
		uint8_t kind = fz_u8(in);
		struct rec_hdr h;

		/* Raw positions may be misaligned: no header fits there. */
		if (cap - idx < REC_HDR_SIZE)
			break;
		if (kind % 4 == 3) {
			/* A PAD to the end, right or wrong by kind. */
			h.type = rec_type(pos, REC_KIND_PAD | REC_NEXT_CLEAR);
			h.len = (uint32_t)(cap - idx - REC_HDR_SIZE) + (kind >> 6);
			memcpy(data + idx, &h, sizeof(h));
			pos += cap - idx;
			continue;
		}
		/* A junk type, or DATA tagged with its position, with or
		 * without the cleared word after it. */
		h.type = kind % 4 == 2 ? (uint32_t)len * 65537u :
			 rec_type(pos, REC_KIND_DATA |
					       (kind & 0x40 ? 0 : REC_NEXT_CLEAR));
		h.len = kind & 0x80 ? len : (uint32_t)(len % (max_msg + 1));
		memcpy(data + idx, &h, sizeof(h));
		pos += rec_size(h.len > cap ? cap : h.len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint64_t cap = (uint64_t)256 << (fz_u8(&in) % 7);
	uint64_t max_msg = 1 + fz_bytes(&in, 2) % (cap / 2 - REC_HDR_SIZE);
	uint8_t flags = fz_u8(&in);
	uint64_t prod = fz_bytes(&in, 8), cons = fz_bytes(&in, 8);
	struct guarded g;
	struct shmring_hdr *h;
	struct shmring *r = NULL;
	int rc;

	if (guard_map(&g, SHMRING_HDR_SIZE + cap) != 0)
		return 0;
	h = (struct shmring_hdr *)(void *)g.base;
	h->magic = SHMRING_MAGIC;
	h->version = SHMRING_LAYOUT_VERSION;
	h->kind = SHMRING_SPSC;
	h->capacity = cap;
	h->max_msg = max_msg;
	h->data_off = SHMRING_HDR_SIZE;
	h->data_size = cap;
	h->region_size = g.size;
	for (unsigned i = 0; i < PEER_SLOTS; i++)
		h->claims[i].pos = CLAIM_NONE;
	if (!(flags & 0x01)) {
		/* Near each other: a fill level up to the capacity and a bit. */
		cons = (cons & 0xffffffffu) << 3;
		prod = cons + ((prod % (cap + 64)) & ~(uint64_t)7);
	}
	atomic_store(&h->prod_pos, prod);
	atomic_store(&h->cons_pos, cons);
	if (flags & 0x08)
		atomic_store(&h->prod_clear, prod);
	if (flags & 0x04) {
		fz_copy(&in, (void *)h->peer_id, sizeof(h->peer_id));
		for (unsigned i = 0; i < PEER_SLOTS; i++)
			h->claims[i].pos = fz_bytes(&in, 8);
		h->ever_roles = fz_u8(&in) & 3;
	}
	if (flags & 0x02)
		lay_records(g.base + SHMRING_HDR_SIZE, cap, max_msg, cons, prod, &in);
	else
		fz_copy(&in, g.base + SHMRING_HDR_SIZE,
			fz_bytes(&in, 2) % (cap + 1));
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
