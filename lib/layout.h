/*
 * layout.h - the fixed on-region layout: the cross-process ABI.
 *
 * Internal header; do not include from applications.
 *
 * A region is one 4096-byte header page followed by the data area, which
 * starts at data_off (page aligned). Every field has a fixed width and a
 * frozen offset; the structs below are never copied, only overlaid on the
 * mapping. Changing anything here means bumping SHMRING_LAYOUT_VERSION:
 * openers of another version refuse the region with -EPROTO.
 *
 * Hot fields are 128 bytes apart, not 64: x86 prefetches cache lines in
 * adjacent pairs, so two fields 64 bytes apart still bounce together.
 * Nothing a producer writes on the fast path shares 128 bytes with what a
 * consumer writes.
 *
 * Positions are free-running 64-bit byte (SPSC) or slot (MPMC) counts that
 * only grow; index = position & (capacity - 1). With 64 bits they do not
 * wrap in the life of a machine, so "prod - cons" is always the fill level.
 *
 * No pointers: offsets and indices only, since every process maps the
 * region at its own address.
 */
#ifndef SHMRING_LAYOUT_H
#define SHMRING_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SHMRING_MAGIC 0x31474e49524d4853ull /* "SHMRING1" little-endian */
#define SHMRING_LAYOUT_VERSION 4u /* 4: wait_line.asleep */
#define SHMRING_HDR_SIZE 4096u
#define SHMRING_LINE 128u

/* state word: INITIALISING until the creator publishes READY (release). */
#define SHMRING_STATE_INITIALISING 0u
#define SHMRING_STATE_READY 0x52454459u /* "READ" */

/*
 * A peer entry's id word packs who holds it, so that one CAS claims it:
 *   bits  0..39  process start time, clock ticks after boot (/proc stat 22)
 *   bits 40..61  pid (pid_max is at most 2^22)
 *   bits 62..63  role bits (SHMRING_PRODUCER | SHMRING_CONSUMER)
 * 0 means free. The start time tells a live process from a new one that
 * reused a dead peer's pid.
 */
#define PEER_START_BITS 40
#define PEER_PID_BITS 22
#define PEER_START_MASK ((UINT64_C(1) << PEER_START_BITS) - 1)
#define PEER_PID_MASK ((UINT64_C(1) << PEER_PID_BITS) - 1)

/*
 * The peer table is split by how often each part is written: ids and
 * attach times change at attach/detach only and are scanned by whoever
 * checks liveness; claim words are written on every MPMC operation by
 * their owner alone, so each sits on its own 64-byte line.
 */
#define PEER_TABLE_OFF 1024u
#define PEER_SLOTS 32u /* == bits in wait_line.waiters */
#define PEER_CLAIMS_OFF 2048u
#define APP_AREA_OFF 1536u
#define APP_AREA_SIZE 512u /* == SHMRING_APP_AREA_SIZE */
#define CLAIM_NONE UINT64_MAX
#define CLAIM_CONSUMER (UINT64_C(1) << 62) /* set: a consumer's claim */

/*
 * One line per peer entry, written only by the handle that holds the
 * entry: its claim, and its counters, plain single-writer increments
 * (relaxed load + store, no read-modify-write). Readers sum them.
 */
struct peer_line {
	_Atomic uint64_t pos; /* MPMC: position claimed, CLAIM_NONE if none */
	_Atomic uint64_t sent, sent_bytes;
	_Atomic uint64_t recvd, recvd_bytes;
	_Atomic uint64_t full;  /* sends that found the ring full */
	_Atomic uint64_t empty; /* receives that found the ring empty */
	_Atomic uint64_t sleeps; /* futex waits */
};
_Static_assert(sizeof(struct peer_line) == 64, "peer line");

/*
 * Totals: what detached peers counted (folded in at detach or reap) plus
 * the wake-ups, counted where a futex wake is issued anyway.
 */
struct totals {
	_Atomic uint64_t sent, sent_bytes;
	_Atomic uint64_t recvd, recvd_bytes;
	_Atomic uint64_t full, empty, sleeps;
	_Atomic uint64_t wakeups;
	_Atomic uint64_t last_attach_ns, last_detach_ns; /* CLOCK_REALTIME */
	uint8_t pad[256 - 80];
};

/* Fixed entries on an SPSC ring: the role decides the entry. */
#define PEER_SPSC_PRODUCER 0
#define PEER_SPSC_CONSUMER 1

/* A futex word and the count of processes sleeping on it. */
struct wait_line {
	_Atomic uint32_t seq;     /* bumped by a waker; slept on by waiters */
	/*
	 * Sleepers announced on seq: one bit per peer entry (PEER_SLOTS is
	 * 32), not a count, so that reaping a process killed in its sleep
	 * clears exactly its own announcement.
	 */
	_Atomic uint32_t waiters;
	/*
	 * Announced sleepers past their re-check, on their way into (or in)
	 * the futex wait: one bit per peer entry, as waiters. A waker that
	 * took an announcement whose bit is not here makes no wake call.
	 */
	_Atomic uint32_t asleep;
	uint8_t pad[SHMRING_LINE - 12];
};
_Static_assert(offsetof(struct wait_line, asleep) == 8, "layout");

struct shmring_hdr {
	/* 0: identity, immutable once READY. */
	uint64_t magic;
	uint32_t version;
	_Atomic uint32_t state;
	uint32_t kind;      /* enum shmring_kind */
	uint32_t flags;     /* BCAST: SHMRING_OVERWRITE or 0; other kinds 0 */
	uint64_t capacity;  /* SPSC: data bytes; MPMC: slots (power of two) */
	uint64_t max_msg;   /* largest payload */
	uint64_t slot_size; /* MPMC: bytes per slot; SPSC: 0 */
	uint64_t data_off;  /* start of the data area (== SHMRING_HDR_SIZE) */
	uint64_t data_size; /* bytes of data area used by the ring */
	uint64_t region_size;
	uint32_t creator_pid;
	uint32_t mode;
	uint64_t creator_start; /* start time of creator, clock ticks */
	uint64_t created_ns;    /* CLOCK_REALTIME */
	uint8_t ident_pad[SHMRING_LINE - 96];

	/* 128: peer bookkeeping, written at attach/detach only. */
	_Atomic uint32_t ever_roles; /* roles that ever attached (bits) */
	_Atomic uint32_t peers_gen;  /* bumped on every attach/detach/reap */
	uint8_t gen_pad[SHMRING_LINE - 8];

	/*
	 * 256: producer's line. SPSC: prod_pos trails the record headers,
	 * which publish (see struct rec_hdr); prod_clear is prod_pos when
	 * the header word there was cleared, for the next producer to find
	 * what a dead one published past prod_pos.
	 */
	_Atomic uint64_t prod_pos;
	_Atomic uint64_t prod_clear;
	/*
	 * BCAST only (bcast.c): the end of what the publisher is writing
	 * (stored before it writes), the oldest record still intact, and
	 * how many messages it has published, stored before (seq_begin)
	 * and after (prod_seq) prod_pos, so that a reader can tell which
	 * count goes with which position. 0 on the other kinds.
	 */
	_Atomic uint64_t prod_intent;
	_Atomic uint64_t prod_tail;
	_Atomic uint64_t prod_seq;
	_Atomic uint64_t prod_seq_begin;
	uint8_t prod_pad[SHMRING_LINE - 48];

	/* 384: consumer's line. */
	_Atomic uint64_t cons_pos;
	uint8_t cons_pad[SHMRING_LINE - 8];

	/* 512: consumers sleep here for data; producers wake them. */
	struct wait_line data_wait;
	/* 640: producers sleep here for room; consumers wake them. */
	struct wait_line space_wait;

	/* 768: counters of detached peers, wake-ups, attach/detach times. */
	struct totals totals;

	/* 1024: who is attached: packed ids (0 = free), attach times. */
	_Atomic uint64_t peer_id[PEER_SLOTS];
	uint64_t peer_attach_ns[PEER_SLOTS];

	/* 1536: the application's own bytes (shmring_app_area()). */
	uint8_t app[APP_AREA_SIZE];

	/* 2048: each attached handle's claim and counters. */
	struct peer_line claims[PEER_SLOTS];
};

_Static_assert(offsetof(struct shmring_hdr, magic) == 0, "layout");
_Static_assert(offsetof(struct shmring_hdr, version) == 8, "layout");
_Static_assert(offsetof(struct shmring_hdr, state) == 12, "layout");
_Static_assert(offsetof(struct shmring_hdr, kind) == 16, "layout");
_Static_assert(offsetof(struct shmring_hdr, capacity) == 24, "layout");
_Static_assert(offsetof(struct shmring_hdr, max_msg) == 32, "layout");
_Static_assert(offsetof(struct shmring_hdr, slot_size) == 40, "layout");
_Static_assert(offsetof(struct shmring_hdr, data_off) == 48, "layout");
_Static_assert(offsetof(struct shmring_hdr, data_size) == 56, "layout");
_Static_assert(offsetof(struct shmring_hdr, region_size) == 64, "layout");
_Static_assert(offsetof(struct shmring_hdr, creator_pid) == 72, "layout");
_Static_assert(offsetof(struct shmring_hdr, mode) == 76, "layout");
_Static_assert(offsetof(struct shmring_hdr, creator_start) == 80, "layout");
_Static_assert(offsetof(struct shmring_hdr, created_ns) == 88, "layout");
_Static_assert(offsetof(struct shmring_hdr, ever_roles) == 128, "layout");
_Static_assert(offsetof(struct shmring_hdr, peers_gen) == 132, "layout");
_Static_assert(offsetof(struct shmring_hdr, prod_pos) == 256, "layout");
_Static_assert(offsetof(struct shmring_hdr, prod_clear) == 264, "layout");
_Static_assert(offsetof(struct shmring_hdr, prod_intent) == 272, "layout");
_Static_assert(offsetof(struct shmring_hdr, prod_tail) == 280, "layout");
_Static_assert(offsetof(struct shmring_hdr, prod_seq) == 288, "layout");
_Static_assert(offsetof(struct shmring_hdr, prod_seq_begin) == 296, "layout");
_Static_assert(offsetof(struct shmring_hdr, cons_pos) == 384, "layout");
_Static_assert(offsetof(struct shmring_hdr, data_wait) == 512, "layout");
_Static_assert(offsetof(struct shmring_hdr, space_wait) == 640, "layout");
_Static_assert(offsetof(struct shmring_hdr, totals) == 768, "layout");
_Static_assert(offsetof(struct shmring_hdr, app) == APP_AREA_OFF, "layout");
_Static_assert(offsetof(struct shmring_hdr, peer_id) == PEER_TABLE_OFF, "layout");
_Static_assert(offsetof(struct shmring_hdr, peer_attach_ns) == 1280, "layout");
_Static_assert(offsetof(struct shmring_hdr, claims) == PEER_CLAIMS_OFF, "layout");
_Static_assert(sizeof(struct shmring_hdr) == SHMRING_HDR_SIZE, "layout");

/*
 * SPSC record: an 8-byte header, then the payload, padded to 8 bytes.
 * A record never wraps; a PAD record fills the tail of the data area when
 * the next record would not fit before the end.
 *
 * The header is one 64-bit word (the two fields below, in this order in
 * memory), which the producer stores with one release store after the
 * payload: that store publishes the record, and the consumer finds
 * records by loading the header at its own position (acquire), not by
 * reading prod_pos, which the producer stores after the headers.
 *
 * The type word is rec_type(pos, kind): the low 32 bits of the record's
 * own position, xor a key, xor the kind in the low 3 bits (positions are
 * 8-aligned). A header names its position, so that a word left at that
 * offset by an earlier lap, or a header written for another position,
 * does not read as this position's record.
 *
 * Payload bytes left from an earlier lap could still look like a header,
 * whatever the tag. So, before publishing a record, the producer clears
 * (stores 0 to) the header word right after it, when those 8 bytes are
 * free, and says so with REC_NEXT_CLEAR: the consumer takes a matching
 * header on its own only where the record before it carried that bit (a
 * PAD always does: the record after it is stored first); anywhere else
 * (after attach, after a record without the bit, i.e. when the ring was
 * full up to the byte) it first needs prod_pos to cover the header.
 */
struct rec_hdr {
	uint32_t len;  /* payload bytes (PAD: bytes after this header) */
	uint32_t type; /* rec_type(pos, kind) */
};
#define REC_KIND_DATA 1u
#define REC_KIND_PAD 2u
#define REC_NEXT_CLEAR 4u /* the header word after this record was cleared */
#define REC_KIND_MASK 7u
#define REC_TAG_KEY 0x53524300u /* "\0CRS"; low 3 bits 0: the kind goes there */
#define REC_ALIGN 8u
#define REC_HDR_SIZE 8u

/* The type word of a record of @kind (with flags) at position @pos. */
static inline uint32_t rec_type(uint64_t pos, uint32_t kind)
{
	return (uint32_t)pos ^ REC_TAG_KEY ^ kind;
}

/*
 * MPMC slot: a sequence word (Vyukov's bounded queue), the length, then
 * the payload; slots are slot_size bytes apart, a multiple of 64. For the
 * slot at position p the sequence reads, in turn:
 *   p            free, a producer may claim position p
 *   p + 1        published, a consumer may claim it
 *   (p + 1)|SKIP the claiming producer died; consumers skip it
 *   p + cap      consumed, free for position p + cap
 */
struct mpmc_slot {
	_Atomic uint64_t seq;
	_Atomic uint32_t len; /* atomic: read before the claim, may race */
	uint32_t reserved;
	unsigned char payload[];
};
#define MPMC_SLOT_HDR 16u
#define MPMC_SLOT_ALIGN 64u
#define SEQ_SKIP (UINT64_C(1) << 63)

static inline uint64_t mpmc_slot_size(uint64_t max_msg)
{
	return (MPMC_SLOT_HDR + max_msg + MPMC_SLOT_ALIGN - 1) &
	       ~(uint64_t)(MPMC_SLOT_ALIGN - 1);
}

static inline uint64_t rec_size(uint64_t len)
{
	return REC_HDR_SIZE + ((len + REC_ALIGN - 1) & ~(uint64_t)(REC_ALIGN - 1));
}

/*
 * BCAST (bcast.c): an SPSC record whose payload starts with the 64-bit
 * number of the message (0, 1, 2... in publishing order), so that a
 * subscriber that was overtaken can count what it missed. The header's
 * len is the message's length, without the number.
 *
 * After the data area's capacity bytes comes the subscriber table: one
 * 128-byte line per peer entry, written only by the subscriber holding
 * that entry (its cursor, what it lost), read by the publisher when its
 * cached bound is used up (cursor) and by monitors. Entry 0 is the
 * publisher's (BCAST_PUBLISHER_ENTRY); its line is unused.
 */
#define BCAST_SEQ_SIZE 8u
#define BCAST_PUBLISHER_ENTRY 0
struct bcast_sub {
	_Atomic uint64_t pos;  /* next record the subscriber reads */
	_Atomic uint64_t lost; /* messages it missed, as shmring_lost() */
	uint8_t pad[SHMRING_LINE - 16];
};
#define BCAST_TABLE_SIZE ((uint64_t)PEER_SLOTS * SHMRING_LINE)
_Static_assert(sizeof(struct bcast_sub) == SHMRING_LINE, "bcast line");

static inline uint64_t bcast_rec_size(uint64_t len)
{
	return rec_size(BCAST_SEQ_SIZE + len);
}

#endif /* SHMRING_LAYOUT_H */
