/* test_info.c - shmring_info, on every ring kind and backing: the fields a ring was created with, its region's size against the object's, its creator and creation time, what is used as messages come and go, and the peers of each role (a monitor is neither). */
#include "testutil.h"

#define MAX 100 /* the max_msg of these rings */

static void check_peers(struct shmring *mon, unsigned prod, unsigned cons)
{
	struct shmring_info in = tu_info(mon);

	cr_assert_eq(in.producers, prod, "producers %u, want %u", in.producers,
		     prod);
	cr_assert_eq(in.consumers, cons, "consumers %u, want %u", in.consumers,
		     cons);
}

/* Every handle is a peer, even several in one process (kinds of many). */
static void many_handles(const char *name, struct shmring *mon)
{
	struct shmring *p2 = tu_open(name, SHMRING_PRODUCER);
	struct shmring *c2 = tu_open(name, SHMRING_CONSUMER);
	struct shmring *pc = tu_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER);

	check_peers(mon, 3, 3);
	cr_assert_eq(shmring_close(p2), 0);
	check_peers(mon, 2, 3);
	cr_assert_eq(shmring_close(pc), 0);
	check_peers(mon, 1, 2);
	cr_assert_eq(shmring_close(c2), 0);
	check_peers(mon, 1, 1);
}

/* Consumer handles, many, under a producer that is one at a time
 * (a broadcast ring's subscribers). */
static void many_consumer_handles(const char *name, struct shmring *mon)
{
	struct shmring *c2 = tu_open(name, SHMRING_CONSUMER);
	struct shmring *c3 = tu_open(name, SHMRING_CONSUMER);

	check_peers(mon, 1, 3);
	cr_assert_eq(shmring_close(c2), 0);
	check_peers(mon, 1, 2);
	cr_assert_eq(shmring_close(c3), 0);
	check_peers(mon, 1, 1);
}

TU_TEST(info, fields, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	const struct tu_kind *k = tu_kind_now;
	const char *name = tu_name();
	size_t room3 = k->room(10) + k->room(0) + k->room(MAX);
	struct timespec t0, t1;
	struct shmring *r, *mon;
	struct shmring_info in;

	clock_gettime(CLOCK_REALTIME, &t0);
	r = tu_create_kind(name, k->kind, k->small_cap, MAX,
			   SHMRING_PRODUCER | SHMRING_CONSUMER);
	clock_gettime(CLOCK_REALTIME, &t1);

	in = tu_info(r);
	cr_assert_eq(in.kind, k->kind);
	cr_assert_eq(in.capacity, k->small_cap);
	cr_assert_eq(in.max_msg, MAX);
	cr_assert_geq(in.region_size, 4096 + k->data_bytes(k->small_cap, MAX));
	tu_check_region_size(name, in.region_size);
	cr_assert_eq(in.creator_pid, getpid());
	cr_assert_geq(in.created_ns,
		      (uint64_t)t0.tv_sec * 1000000000u + (uint64_t)t0.tv_nsec);
	cr_assert_leq(in.created_ns,
		      (uint64_t)t1.tv_sec * 1000000000u + (uint64_t)t1.tv_nsec);
	cr_assert_eq(in.used, 0);
	check_peers(r, 1, 1);

	tu_put(r, 10, 1);
	cr_assert_eq(tu_info(r).used, k->room(10));
	tu_put(r, 0, 2);
	cr_assert_eq(tu_info(r).used, k->room(10) + k->room(0));
	tu_put(r, MAX, 3);
	cr_assert_eq(tu_info(r).used, room3);

	/* A monitor sees the same ring and counts as neither role. */
	mon = tu_open(name, 0);
	in = tu_info(mon);
	cr_assert_eq(in.kind, k->kind);
	cr_assert_eq(in.capacity, k->small_cap);
	cr_assert_eq(in.max_msg, MAX);
	cr_assert_eq(in.used, room3);
	check_peers(mon, 1, 1);
	if (k->many_peers)
		many_handles(name, mon);
	else if (k->many_consumers)
		many_consumer_handles(name, mon);

	/* What is read is no longer used, unless used is the history a
	 * broadcast ring keeps until its publisher needs the room. */
	tu_get(r, 10, 1);
	tu_get(r, 0, 2);
	cr_assert_eq(tu_info(mon).used, k->used_is_history ? room3 : k->room(MAX));
	tu_get(r, MAX, 3);
	cr_assert_eq(tu_info(mon).used, k->used_is_history ? room3 : 0);
	cr_assert_eq(shmring_close(r), 0);
	check_peers(mon, 0, 0);
	cr_assert_eq(shmring_close(mon), 0);
	cr_assert_eq(tu_ring_unlink(name), 0);
	cr_assert(!tu_ring_exists(name));
}
