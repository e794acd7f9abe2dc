/*
 * cli-bridge-area.c - the bridge's state and counters in a ring's
 * application area (layout in bridge-area.h): marking the area, taking
 * and giving back slots, and showing them in `shmring stat`. Built with
 * or without ZeroMQ, so that `shmring stat` shows a bridge's counters on
 * any host.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "bridge-area.h"
#include "cli.h"

struct bridge_area *bridge_area_get(struct shmring *r, int claim)
{
	void *p;
	size_t size;
	uint64_t expect = 0;

	if (shmring_app_area(r, &p, &size) || size < sizeof(struct bridge_area))
		return NULL;
	struct bridge_area *a = p;
	/* B0: pairs with B0 of a bridge that marked the area, and orders
	 * the slots' reads after it. */
	uint64_t magic = atomic_load_explicit(&a->magic, memory_order_acquire);
	if (magic == BRIDGE_MAGIC)
		return a;
	if (!claim || magic != 0)
		return NULL;
	/* The application may have written after the magic: only an area
	 * still all zero becomes the bridge's. */
	static const unsigned char zero[SHMRING_APP_AREA_SIZE];
	if (memcmp((const char *)p + sizeof(a->magic), zero,
		   sizeof(*a) - sizeof(a->magic)))
		return NULL;
	/* B0: pairs with B0 above in the next bridge; a CAS so that two
	 * bridges marking at once agree (the loser sees the magic). */
	if (atomic_compare_exchange_strong_explicit(&a->magic, &expect,
						    BRIDGE_MAGIC,
						    memory_order_acq_rel,
						    memory_order_acquire) ||
	    expect == BRIDGE_MAGIC)
		return a;
	return NULL;
}

/* Is @pid a live peer of @r (pid and start time checked by the library)? */
static int peer_alive(struct shmring *r, uint32_t pid)
{
	struct shmring_peer peers[SHMRING_MAX_PEERS];
	int n = shmring_peers(r, peers, SHMRING_MAX_PEERS);

	for (int i = 0; i < n; i++)
		if ((uint32_t)peers[i].pid == pid && peers[i].alive)
			return 1;
	return 0;
}

/* Take @s if its owner is free or dead; 1 if this process now holds it. */
static int take(struct shmring *r, struct bridge_slot *s)
{
	uint32_t me = (uint32_t)getpid();
	/* B1: pairs with B1 of a rival claimer and with B2 of a release:
	 * what the last owner stored in the slot is seen after taking it. */
	uint32_t owner = atomic_load_explicit(&s->owner, memory_order_acquire);

	if (owner == me)
		return 1;
	if (owner && peer_alive(r, owner))
		return 0;
	/* B1: the CAS decides between two bridges that found it free. */
	return atomic_compare_exchange_strong_explicit(
		&s->owner, &owner, me, memory_order_acq_rel,
		memory_order_relaxed);
}

/* Relaxed: a slot's direction and stream are read again after taking it
 * (B1 orders them); here they only choose which slot to try. */
static uint32_t dir_of(struct bridge_slot *s)
{
	return atomic_load_explicit(&s->dir, memory_order_relaxed);
}

static struct bridge_slot *first(struct shmring *r, struct bridge_area *a,
				 uint32_t dir, int match, uint64_t stream)
{
	for (int i = 0; i < BRIDGE_SLOTS; i++) {
		struct bridge_slot *s = &a->slot[i];
		if (dir_of(s) != dir)
			continue;
		if (match && atomic_load_explicit(&s->stream,
						  memory_order_relaxed) != stream)
			continue;
		if (take(r, s))
			return s;
	}
	return NULL;
}

/* A never used slot, made @dir's with fresh counters. */
static struct bridge_slot *fresh(struct shmring *r, struct bridge_area *a,
				 uint32_t dir)
{
	struct bridge_slot *s = first(r, a, BRIDGE_NONE, 0, 0);

	if (!s)
		return NULL;
	/* Relaxed: this process owns the slot (B1); B2 publishes it. */
	atomic_store_explicit(&s->stream, 0, memory_order_relaxed);
	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	atomic_store_explicit(&s->dir, dir, memory_order_relaxed);
	return s;
}

struct bridge_slot *bridge_slot_claim(struct shmring *r,
				      struct bridge_area *a,
				      enum bridge_dir dir, uint64_t stream)
{
	struct bridge_slot *s;

	if (dir == BRIDGE_OUT) {
		s = first(r, a, BRIDGE_OUT, 0, 0);
		return s ? s : fresh(r, a, BRIDGE_OUT);
	}
	s = first(r, a, BRIDGE_IN, 1, stream);
	if (s)
		return s;
	s = fresh(r, a, BRIDGE_IN);
	if (!s) /* forget a dead receiver's stream: its sender is gone too */
		s = first(r, a, BRIDGE_IN, 0, 0);
	if (s) {
		/* Relaxed: owned (B1). A new stream starts below 1. */
		atomic_store_explicit(&s->stream, stream, memory_order_relaxed);
		atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
		atomic_store_explicit(&s->eos, 0, memory_order_relaxed);
	}
	return s;
}

void bridge_slot_release(struct bridge_slot *s)
{
	/* B2: pairs with B1 of the next owner: the stream and sequence
	 * number stored before are seen by it. */
	atomic_store_explicit(&s->owner, 0, memory_order_release);
}

/* ---- shown by `shmring stat` ----------------------------------------- */

static uint64_t rd(_Atomic uint64_t *v)
{
	/* Relaxed: counters, read as a snapshot while they move. */
	return atomic_load_explicit(v, memory_order_relaxed);
}

void cli_bridge_stat(struct shmring *r, struct cli_json *j)
{
	struct bridge_area *a = bridge_area_get(r, 0);

	if (!a)
		return;
	if (j)
		cli_json_arr(j, "bridges");
	for (int i = 0; i < BRIDGE_SLOTS; i++) {
		struct bridge_slot *s = &a->slot[i];
		uint32_t dir = dir_of(s);
		/* Relaxed: shown, not acted on. */
		uint32_t owner = atomic_load_explicit(&s->owner,
						      memory_order_relaxed);
		const char *d = dir == BRIDGE_OUT ? "out" : "in";
		char m[CLI_HUMAN], b[CLI_HUMAN];

		if (dir == BRIDGE_NONE)
			continue;
		if (!j) {
			printf("  bridge %-3s pid %-7u stream %016" PRIx64
			       " seq %" PRIu64 " msgs %s bytes %s lost %" PRIu64
			       " dup %" PRIu64 "%s\n",
			       d, owner, rd(&s->stream), rd(&s->seq),
			       cli_human_count((double)rd(&s->msgs), m),
			       cli_human_size(rd(&s->bytes), b), rd(&s->lost),
			       rd(&s->dup), rd(&s->eos) ? " eos" : "");
			continue;
		}
		cli_json_obj(j, NULL);
		cli_json_str(j, "dir", d);
		cli_json_u64(j, "pid", owner);
		cli_json_u64(j, "stream", rd(&s->stream));
		cli_json_u64(j, "seq", rd(&s->seq));
		cli_json_u64(j, "msgs", rd(&s->msgs));
		cli_json_u64(j, "bytes", rd(&s->bytes));
		cli_json_u64(j, "lost", rd(&s->lost));
		cli_json_u64(j, "dup", rd(&s->dup));
		cli_json_bool(j, "eos", rd(&s->eos) != 0);
		cli_json_end(j);
	}
	if (j)
		cli_json_end(j);
}
