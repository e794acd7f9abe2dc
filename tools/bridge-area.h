/*
 * bridge-area.h - what `shmring bridge` keeps in a ring's application
 * area (shmring_app_area(3)): the state that lets a killed bridge resume
 * without duplicating or reordering, and the counters `shmring stat`
 * shows. Shared by cli-bridge.c (the bridge, built with ZeroMQ) and
 * cli-bridge-area.c (claiming slots, printing them; always built).
 *
 * Layout (the 512 bytes of the area, zero at the ring's creation):
 *
 *   bytes   0..63   header: magic "SHMRBRG1" (0 = area unused), reserved
 *   bytes  64..511  7 slots of 64 bytes, one per bridge attached (or
 *                   once attached) to this ring, one cache line each
 *
 * A slot is owned by the pid in its owner word while that process is a
 * live peer of the ring (shmring_peers(3) checks pid and start time); a
 * slot whose owner is gone is taken over by a CAS on the owner word, so
 * that of two bridges starting at once one wins. A sending bridge (ring
 * -> network) takes back a slot of its own direction first: it keeps the
 * stream id and the last sequence number given out, so that the bridge
 * restarted in its place continues the numbering. A receiving bridge
 * takes the slot of the stream it receives: the last sequence number it
 * delivered, below or at which it drops what comes.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_BRIDGE_AREA_H
#define SHMRING_BRIDGE_AREA_H

#include <stdatomic.h>
#include <stdint.h>

#include <shmring.h>

#define BRIDGE_MAGIC UINT64_C(0x31475242524d4853) /* "SHMRBRG1", LE */
#define BRIDGE_SLOTS 7

enum bridge_dir { BRIDGE_NONE = 0, BRIDGE_OUT = 1, BRIDGE_IN = 2 };

struct bridge_slot {
	_Atomic uint32_t owner;  /* pid of the bridge holding it; 0 = free */
	_Atomic uint32_t dir;    /* enum bridge_dir */
	_Atomic uint64_t stream; /* the stream sent (OUT) or received (IN) */
	_Atomic uint64_t seq;    /* OUT: last given out; IN: last delivered */
	_Atomic uint64_t msgs;   /* messages sent to or taken from the net */
	_Atomic uint64_t bytes;  /* their payload bytes */
	_Atomic uint64_t dup;    /* IN: dropped, at or below seq (replays) */
	_Atomic uint64_t lost;   /* IN: missing sequence numbers (gaps) */
	_Atomic uint64_t eos;    /* 1 once the end of stream went or came */
};

struct bridge_area {
	_Atomic uint64_t magic;
	uint64_t reserved[7];
	struct bridge_slot slot[BRIDGE_SLOTS];
};

_Static_assert(sizeof(struct bridge_slot) == 64, "a slot is a cache line");
_Static_assert(sizeof(struct bridge_area) == SHMRING_APP_AREA_SIZE,
	       "the bridge fills the application area exactly");

/*
 * The bridge area of @r, or NULL when the area holds something else (the
 * application's own data: the bridge leaves it alone). With @claim, an
 * all-zero area is marked as the bridge's; without (a read-only monitor)
 * only an area already marked is returned.
 */
struct bridge_area *bridge_area_get(struct shmring *r, int claim);

/*
 * Take a slot of direction @dir for this process: for OUT, one left by
 * a dead sending bridge (its stream continues) or else a free one; for
 * IN, the one of @stream if its owner is dead, else a free one, else the
 * one of a dead receiving bridge. NULL when all seven are held.
 */
struct bridge_slot *bridge_slot_claim(struct shmring *r,
				      struct bridge_area *a,
				      enum bridge_dir dir, uint64_t stream);

/* Give a slot back at a clean exit (its stream state stays). */
void bridge_slot_release(struct bridge_slot *s);

#endif /* SHMRING_BRIDGE_AREA_H */
