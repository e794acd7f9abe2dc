/* test_mpmc.c - MPMC ring in one process: laps and wrap-around, full and empty, sizes, bursts over laps, zero-copy claim order, abandoned slots, options and roles; and children that open the ring by its name, as each backend lets them. (What every kind shares is in test_eos, test_timeouts, test_errors, test_zerocopy, test_bursts and test_info.) */
#include "mpmc_util.h"

/* Handles of one process on one ring: role bits say which they hold. */
static struct shmring *both(const char *name, size_t slots, size_t max_msg)
{
	return mu_create(name, slots, max_msg,
			 SHMRING_PRODUCER | SHMRING_CONSUMER);
}

static void empty(struct shmring *r)
{
	char c;
	ssize_t n = shmring_try_recv(r, &c, 1);

	cr_assert_eq(n, -EAGAIN, "try_recv on an empty ring: %zd (%s)", n,
		     n < 0 ? shmring_strerror((int)n) : "length");
}

static void full(struct shmring *r)
{
	int rc = shmring_try_send(r, "x", 1);

	cr_assert_eq(rc, -EAGAIN, "try_send on a full ring: %s",
		     shmring_strerror(rc));
}

/* ---- shmring_info, defaults, options -------------------------------- */

TU_TEST(mpmc, defaults, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	struct shmring_opts o = { .kind = SHMRING_MPMC };
	unsigned char buf[SHMRING_DEFAULT_MPMC_MAX_MSG + 1];
	const char *name = tu_name();
	struct shmring *r = NULL;
	struct shmring_info in;
	int rc;

	rc = tu_ring_create(name, &o, SHMRING_PRODUCER | SHMRING_CONSUMER, &r);
	cr_assert_eq(rc, 0, "create: %s", shmring_strerror(rc));
	in = tu_info(r);
	cr_assert_eq(in.kind, SHMRING_MPMC);
	cr_assert_eq(in.capacity, SHMRING_DEFAULT_SLOTS);
	cr_assert_eq(in.max_msg, SHMRING_DEFAULT_MPMC_MAX_MSG);
	memset(buf, 7, sizeof(buf));
	cr_assert_eq(shmring_try_send(r, buf, SHMRING_DEFAULT_MPMC_MAX_MSG), 0);
	cr_assert_eq(shmring_try_send(r, buf, sizeof(buf)), -EMSGSIZE);
	cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)),
		     (ssize_t)SHMRING_DEFAULT_MPMC_MAX_MSG);
	cr_assert_eq(shmring_close(r), 0);
}

TU_TEST(mpmc, invalid_options, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	static const size_t bad_caps[] = { 1, 3, 5, 6, 7, 12, 1000, 1025 };
	struct shmring_opts o = { .kind = SHMRING_MPMC };
	struct shmring *r;
	const char *name;
	int rc;

	for (size_t i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++) {
		name = tu_name();
		r = NULL;
		o.capacity = bad_caps[i];
		rc = tu_ring_create(name, &o, SHMRING_PRODUCER, &r);
		cr_assert_eq(rc, -EINVAL, "capacity %zu: %s", bad_caps[i],
			     shmring_strerror(rc));
		cr_assert_null(r);
		cr_assert(!tu_ring_exists(name), "capacity %zu left %s",
			  bad_caps[i], name);
	}

	name = tu_name();
	o.capacity = 4;
	o.max_msg = SHMRING_MAX_MSG_LIMIT + 1;
	rc = tu_ring_create(name, &o, SHMRING_PRODUCER, &r);
	cr_assert_eq(rc, -EINVAL, "max_msg over the limit: %s",
		     shmring_strerror(rc));
	cr_assert(!tu_ring_exists(name));

	name = tu_name();
	o.max_msg = SIZE_MAX;
	rc = tu_ring_create(name, &o, SHMRING_PRODUCER, &r);
	cr_assert_eq(rc, -EINVAL, "max_msg SIZE_MAX: %s", shmring_strerror(rc));
	cr_assert(!tu_ring_exists(name));

	/* The smallest ring is two slots; capacity 0 is the default. */
	o.max_msg = 0;
	o.capacity = 2;
	r = NULL;
	rc = tu_ring_create(tu_name(), &o, SHMRING_PRODUCER, &r);
	cr_assert_eq(rc, 0, "capacity 2: %s", shmring_strerror(rc));
	cr_assert_eq(tu_info(r).capacity, 2);
	cr_assert_eq(shmring_close(r), 0);
	o.capacity = 0;
	r = NULL;
	rc = tu_ring_create(tu_name(), &o, SHMRING_PRODUCER, &r);
	cr_assert_eq(rc, 0, "capacity 0: %s", shmring_strerror(rc));
	cr_assert_eq(tu_info(r).capacity, SHMRING_DEFAULT_SLOTS);
	cr_assert_eq(shmring_close(r), 0);
}

/* ---- laps ------------------------------------------------------------ */

/*
 * Many laps round a small ring, with every fill level from 1 to cap, then
 * at a steady cap - 1 in flight, so every slot is reused at every offset
 * from the head.
 */
static void laps(size_t cap)
{
	struct shmring *r = both(tu_name(), cap, 64);
	uint64_t sent = 0, got = 0;

	for (int round = 0; round < 200; round++) {
		size_t k = (size_t)round % cap + 1;

		for (size_t i = 0; i < k; i++, sent++)
			tu_put(r, (size_t)(sent % 65), sent);
		cr_assert_eq(tu_info(r).used, k);
		for (size_t i = 0; i < k; i++, got++)
			tu_get(r, (size_t)(got % 65), got);
		empty(r);
	}
	for (size_t i = 0; i < cap - 1; i++, sent++)
		tu_put(r, (size_t)(sent % 65), sent);
	for (int i = 0; i < 100 * (int)cap; i++) {
		tu_put(r, (size_t)(sent % 65), sent);
		sent++;
		tu_get(r, (size_t)(got % 65), got);
		got++;
	}
	while (got < sent) {
		tu_get(r, (size_t)(got % 65), got);
		got++;
	}
	empty(r);
	cr_assert_eq(shmring_close(r), 0);
}

TU_TEST(mpmc, laps_cap2, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	laps(2);
}

TU_TEST(mpmc, laps_cap4, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	laps(4);
}

TU_TEST(mpmc, laps_cap8, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	laps(8);
}

/* ---- full and empty --------------------------------------------------- */

TU_TEST(mpmc, full_and_empty, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	static const size_t caps[] = { 2, 4, 8, 64 };

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		size_t cap = caps[c];
		struct shmring *r = both(tu_name(), cap, 32);

		empty(r);
		for (size_t i = 0; i < cap; i++)
			tu_put(r, i % 33, i);
		full(r);
		cr_assert_eq(tu_info(r).used, cap);
		/* One out makes room for exactly one in. */
		tu_get(r, 0, 0);
		tu_put(r, 5, 1000);
		full(r);
		for (size_t i = 1; i < cap; i++)
			tu_get(r, i % 33, i);
		tu_get(r, 5, 1000);
		empty(r);
		cr_assert_eq(tu_info(r).used, 0);
		cr_assert_eq(shmring_close(r), 0);
	}
}

/* ---- sizes ------------------------------------------------------------ */

static void all_sizes(size_t cap, size_t max)
{
	static unsigned char buf[1 << 12];
	struct shmring *r = both(tu_name(), cap, max);
	size_t queued = 0, head = 0;

	cr_assert_eq(tu_info(r).max_msg, max);
	/* One at a time, into a buffer of exactly the message's size. */
	for (size_t len = 0; len <= max; len++) {
		ssize_t n;

		tu_put(r, len, len * 7);
		n = shmring_try_recv(r, len ? buf : NULL, len);
		cr_assert_eq(n, (ssize_t)len, "length %zu: %zd", len, n);
		cr_assert_eq(tu_check(buf, len, len * 7), 0, "length %zu", len);
	}
	/* Then queued: the ring full of messages of every size in turn. */
	for (size_t len = 0; len <= max; len++) {
		if (queued == cap) {
			tu_get(r, head, head * 3);
			head++;
			queued--;
		}
		tu_put(r, len, len * 3);
		queued++;
	}
	while (queued--) {
		tu_get(r, head, head * 3);
		head++;
	}
	empty(r);
	cr_assert_eq(shmring_close(r), 0);
}

TU_TEST(mpmc, all_sizes_default, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	all_sizes(8, SHMRING_DEFAULT_MPMC_MAX_MSG);
}

TU_TEST(mpmc, all_sizes_odd, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	/* A max_msg that is no multiple of anything, and a 1-byte one. */
	all_sizes(4, 1);
	all_sizes(4, 37);
	all_sizes(16, 1001);
}

/* An empty message needs no buffer on either side. */
TU_TEST(mpmc, zero_length_null, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = both(tu_name(), 4, 16);
	struct iovec v[2] = { { NULL, 0 }, { NULL, 0 } };

	cr_assert_eq(shmring_try_send(r, NULL, 0), 0);
	cr_assert_eq(shmring_send(r, NULL, 0, -1), 0);
	cr_assert_eq(shmring_send_burst(r, v, 2, 0), 2);
	cr_assert_eq(shmring_try_send(r, NULL, 1), -EINVAL);
	cr_assert_eq(tu_info(r).used, 4);
	cr_assert_eq(shmring_try_recv(r, NULL, 0), 0);
	cr_assert_eq(shmring_recv(r, NULL, 0, -1), 0);
	cr_assert_eq(shmring_recv_burst(r, v, 2, 0), 2);
	cr_assert_eq(v[0].iov_len, 0);
	cr_assert_eq(v[1].iov_len, 0);
	empty(r);
	cr_assert_eq(shmring_close(r), 0);
}

/* ---- bursts ----------------------------------------------------------- */

/* The rest of the burst calls is in test_bursts, on every kind. */
TU_TEST(mpmc, bursts_over_laps, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	static unsigned char src[10][64], dst[10][64];
	struct shmring *r = both(tu_name(), 8, 64);
	struct iovec v[10];
	int n;

	/* Bursts over the wrap, many laps. */
	for (uint64_t s = 0, g = 0; g < 800;) {
		size_t k = (size_t)(s % 9) + 1;

		for (size_t i = 0; i < k; i++) {
			tu_fill(src[i], (size_t)((s + i) % 65), s + i);
			v[i] = (struct iovec){ src[i], (size_t)((s + i) % 65) };
		}
		n = shmring_send_burst(r, v, k, 0);
		if (n == -EAGAIN)
			cr_assert_eq(s - g, 8, "-EAGAIN with %llu queued",
				     (unsigned long long)(s - g));
		else
			cr_assert_geq(n, 1, "send_burst: %d", n);
		s += n > 0 ? (uint64_t)n : 0;
		for (int i = 0; i < 10; i++)
			v[i] = (struct iovec){ dst[i], sizeof(dst[i]) };
		n = shmring_recv_burst(r, v, (size_t)(g % 10) + 1, 0);
		cr_assert_geq(n, 1);
		for (int i = 0; i < n; i++, g++) {
			cr_assert_eq(v[i].iov_len, (size_t)(g % 65));
			cr_assert_eq(tu_check(dst[i], v[i].iov_len, g), 0,
				     "message %llu", (unsigned long long)g);
		}
		cr_assert_eq(tu_info(r).used, s - g);
	}
	cr_assert_eq(shmring_close(r), 0);
}

/* ---- zero copy -------------------------------------------------------- */

/* The rest of zero-copy is in test_zerocopy, on every kind. */

/*
 * Claim order is delivery order: a later send of another producer waits
 * behind an open reservation; and many laps of reserve/commit through
 * the slots, a full ring refusing to reserve.
 */
TU_TEST(mpmc, reserve_order_and_laps, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *r = both(name, 4, 100), *p2;
	void *p = NULL, *q = NULL;

	p2 = tu_open(name, SHMRING_PRODUCER);
	cr_assert_eq(shmring_reserve(r, 50, &p, 0), 0);
	tu_put(p2, 20, 2);
	empty(r);
	tu_fill(p, 50, 1);
	cr_assert_eq(shmring_commit(r, 50), 0);
	tu_get(r, 50, 1);
	tu_get(r, 20, 2);

	for (uint64_t i = 0; i < 40; i++) {
		cr_assert_eq(shmring_reserve(r, 100, &p, 0), 0);
		tu_fill(p, (size_t)(i % 101), i);
		cr_assert_eq(shmring_commit(r, (size_t)(i % 101)), 0);
		if (i % 4 == 3) {
			cr_assert_eq(shmring_reserve(r, 1, &q, 0), -EAGAIN);
			for (uint64_t j = i - 3; j <= i; j++)
				tu_get(r, (size_t)(j % 101), j);
		}
	}
	empty(r);
	cr_assert_eq(shmring_close(p2), 0);
	cr_assert_eq(shmring_close(r), 0);
}

/* ---- handles closed while holding a slot -------------------------------- */

TU_TEST(mpmc, close_with_reservation, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *c = mu_create(name, 4, 64, SHMRING_CONSUMER);
	struct shmring *p1 = tu_open(name, SHMRING_PRODUCER);
	struct shmring *p2 = tu_open(name, SHMRING_PRODUCER);
	void *p = NULL;

	cr_assert_eq(shmring_reserve(p1, 64, &p, 0), 0);
	memset(p, 0xee, 64);
	tu_put(p2, 20, 2);
	/* The reserved slot comes first and holds the consumers back... */
	empty(c);
	/* ...until its holder closes: then it is skipped, not delivered. */
	cr_assert_eq(shmring_close(p1), 0);
	tu_get(c, 20, 2);
	empty(c);
	/* And the ring is not wedged: many laps through that slot. */
	for (uint64_t i = 0; i < 40; i++) {
		tu_put(p2, (size_t)(i % 65), i);
		if (i % 3 == 2)
			for (uint64_t j = i - 2; j <= i; j++)
				tu_get(c, (size_t)(j % 65), j);
	}
	tu_get(c, 39 % 65, 39);
	empty(c);
	for (uint64_t i = 0; i < 4; i++)
		tu_put(p2, 1, i);
	full(p2);
	cr_assert_eq(shmring_close(p2), 0);
	cr_assert_eq(shmring_close(c), 0);
}

TU_TEST(mpmc, close_with_peek, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *p = mu_create(name, 4, 64, SHMRING_PRODUCER);
	struct shmring *c1 = tu_open(name, SHMRING_CONSUMER);
	struct shmring *c2 = tu_open(name, SHMRING_CONSUMER);
	const void *m = NULL;

	for (uint64_t i = 0; i < 4; i++)
		tu_put(p, 8, i);
	cr_assert_eq(shmring_peek(c1, &m, 0), 8);
	cr_assert_eq(tu_check(m, 8, 0), 0);
	/* Closing gives the peeked slot back: producers can use it. */
	cr_assert_eq(shmring_close(c1), 0);
	tu_put(p, 8, 4);
	full(p);
	for (uint64_t i = 1; i < 5; i++)
		tu_get(c2, 8, i);
	empty(c2);
	cr_assert_eq(shmring_close(c2), 0);
	cr_assert_eq(shmring_close(p), 0);
}

/* End of stream, with one or many producers and consumers, and before
 * the other side ever attached: test_eos, on every kind. */

/* ---- roles and peers -------------------------------------------------- */

TU_TEST(mpmc, roles, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, 4, 16, 0);
	struct shmring *p = tu_open(name, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct iovec v = { NULL, 0 };
	const void *m = NULL;
	void *q = NULL;
	char buf[16];

	cr_assert_eq(shmring_try_send(mon, "x", 1), -EPERM);
	cr_assert_eq(shmring_try_recv(mon, buf, sizeof(buf)), -EPERM);
	cr_assert_eq(shmring_reserve(mon, 1, &q, 0), -EPERM);
	cr_assert_eq(shmring_peek(mon, &m, 0), -EPERM);
	cr_assert_eq(shmring_try_recv(p, buf, sizeof(buf)), -EPERM);
	cr_assert_eq(shmring_recv_burst(p, &v, 1, 0), -EPERM);
	cr_assert_eq(shmring_peek(p, &m, 0), -EPERM);
	cr_assert_eq(shmring_release(p), -EPERM);
	cr_assert_eq(shmring_try_send(c, "x", 1), -EPERM);
	cr_assert_eq(shmring_send_burst(c, &v, 1, 0), -EPERM);
	cr_assert_eq(shmring_reserve(c, 1, &q, 0), -EPERM);
	cr_assert_eq(shmring_commit(c, 0), -EPERM);
	tu_put(p, 3, 3);
	tu_get(c, 3, 3);
	cr_assert_eq(shmring_close(c), 0);
	cr_assert_eq(shmring_close(p), 0);
	cr_assert_eq(shmring_close(mon), 0);
}

/* SHMRING_MAX_PEERS handles at once, the next one refused; monitors free. */
TU_TEST(mpmc, max_peers, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(10))
{
	static const int roles[] = { SHMRING_PRODUCER, SHMRING_CONSUMER,
				     SHMRING_PRODUCER | SHMRING_CONSUMER };
	struct shmring *h[SHMRING_MAX_PEERS], *extra = NULL, *mon2;
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, 4, 16, 0);
	struct shmring_info in;
	int rc;

	for (int i = 0; i < SHMRING_MAX_PEERS; i++)
		h[i] = tu_open(name, roles[i % 3]);
	rc = tu_ring_open(name, SHMRING_CONSUMER, &extra);
	cr_assert_eq(rc, -EUSERS, "peer %d: %s", SHMRING_MAX_PEERS + 1,
		     shmring_strerror(rc));
	mon2 = tu_open(name, 0);
	in = tu_info(mon2);
	cr_assert_eq(in.producers + in.consumers,
		     SHMRING_MAX_PEERS + SHMRING_MAX_PEERS / 3,
		     "%u producers, %u consumers", in.producers, in.consumers);
	cr_assert_eq(shmring_close(h[5]), 0);
	h[5] = tu_open(name, SHMRING_CONSUMER);
	tu_put(h[0], 7, 7);
	tu_get(h[1], 7, 7);
	for (int i = 0; i < SHMRING_MAX_PEERS; i++)
		cr_assert_eq(shmring_close(h[i]), 0);
	in = tu_info(mon);
	cr_assert_eq(in.producers, 0);
	cr_assert_eq(in.consumers, 0);
	cr_assert_eq(shmring_close(mon2), 0);
	cr_assert_eq(shmring_close(mon), 0);
}

/* ---- other processes ------------------------------------------------- */

/*
 * Two producers and a consumer in child processes open the ring by its
 * name: on the anon and memfd backends through what they inherited (the
 * handle, the descriptor), on the others through the name itself. Every
 * message arrives once, then the end of stream.
 */
TU_TEST(mpmc, children_by_name, TU_KIND(SHMRING_MPMC), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, 8, 64, 0);
	uint64_t per = tu_scaled(5000, 200);
	struct mu_board *b = mu_board_new(2, per);
	uint64_t sent[2] = { per, per }, lost[2] = { UINT64_MAX, UINT64_MAX };
	struct mu_gate g;
	pid_t kid[3];

	mu_gate_init(&g);
	for (int i = 0; i < 3; i++) {
		kid[i] = tu_fork();
		if (kid[i] == 0) {
			int role = i < 2 ? SHMRING_PRODUCER : SHMRING_CONSUMER;
			struct shmring *r = mu_child_open(name, role,
							  SHMRING_DEFAULT_SPIN_NS);
			int rc;

			mu_gate_pass(&g);
			rc = i < 2 ? mu_produce(r, (uint32_t)i, 0, per, 64, MU_COPY) :
				     mu_consume(r, b, MU_COPY);
			shmring_close(r);
			_exit(rc);
		}
		g.n++;
	}
	mu_gate_open(&g);
	for (int i = 0; i < 3; i++)
		tu_wait_ok(kid[i], i < 2 ? "producer" : "consumer");
	mu_board_verify(b, sent, lost);
	mu_gate_close(&g);
	cr_assert_eq(shmring_close(mon), 0);
}
