/*
 * test_hostile.c - a hostile or corrupt peer scribbling on the region (header, state, positions, records, slots, wait words, peer table, claims, any byte) makes calls fail, never read or write outside the mapping, never hang.
 *
 * The regions live in guarded memory (hutil.h: an inaccessible page on
 * each side) and are handed to the library with ring_adopt_memory(), so
 * that a stray access faults at once, with or without ASan. Every call
 * made under scribbling has a timeout and is timed.
 *
 * How each test was checked to fail without the protection it guards
 * (in a scratch copy of the tree, never in the real one):
 *  - header_refused: validate() in lib/ring.c reduced to the magic and
 *    version test: the size mutations are adopted and the test fails;
 *  - spsc_records: the length bounds of next_record() (lib/spsc.c)
 *    removed: fails (lengths past the data area are returned);
 *  - spsc_positions: the cons_pos check of has_room() removed: fails;
 *  - mpmc_slots: the "len > r->max_msg" test of check_message() (lib/mpmc.c)
 *    removed: fails;
 *  - header_read_once, adopt_race, spsc_positions_at_attach,
 *    spsc_padding_lap_at_attach, mpmc_peek_again, random_bytes were written against holes these tests
 *    found: the header read again after validate() (header_read_once sees
 *    it every time, adopt_race when the two threads run at once),
 *    positions taken unchecked at attach (spsc_positions_at_attach,
 *    spsc_padding_lap_at_attach), a second peek reading the slot's length
 *    again. Each fails with its hole and passes with it fixed (both
 *    checked);
 *  - mpmc_claim_bounded_*: only bound the call's duration. With
 *    MAX_CLAIM_TRIES removed they still passed on a busy 2-CPU machine:
 *    the claim loop also stops at the first re-read that finds the
 *    position unmoved, which a peer that is not always running allows.
 */
#include "hutil.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "layout.h"

#define SPSC_CAP 4096u
#define SPSC_MAX 512u
#define MPMC_SLOTS 64u
#define MPMC_MAX 112u /* 128-byte slots */

/* A call bounded by a timeout of at most 1 ms must return within this. */
#define CALL_BOUND_NS ((int64_t)(5e9 * TU_SLOW))

static const struct shmring_opts spsc_o = {
	.kind = SHMRING_SPSC, .capacity = SPSC_CAP, .max_msg = SPSC_MAX,
};
static const struct shmring_opts mpmc_o = {
	.kind = SHMRING_MPMC, .capacity = MPMC_SLOTS, .max_msg = MPMC_MAX,
};

static struct shmring_hdr *hdr(struct guarded *g)
{
	return (struct shmring_hdr *)(void *)g->base;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- open-time validation ------------------------------------------ */

typedef void (*mutate_fn)(struct shmring_hdr *h);

#define MUT(nm, body)                                     \
	static void mut_##nm(struct shmring_hdr *h) { body; }
MUT(magic, h->magic ^= 1)
MUT(version, h->version = SHMRING_LAYOUT_VERSION + 1)
MUT(state_init, atomic_store(&h->state, SHMRING_STATE_INITIALISING))
MUT(state_junk, atomic_store(&h->state, 0xdeadbeef))
MUT(kind, h->kind = 7)
MUT(flags, h->flags = 1)
MUT(cap_big, h->capacity <<= 1)
MUT(cap_small, h->capacity >>= 1)
MUT(cap_npow2, h->capacity += 8)
MUT(cap_huge, h->capacity = UINT64_C(1) << 62)
MUT(cap_zero, h->capacity = 0)
MUT(max_zero_or_big, h->max_msg = h->kind == SHMRING_SPSC ? 0 : h->max_msg + 64)
MUT(max_huge, h->max_msg = UINT64_MAX - 7)
MUT(slot_size, h->slot_size = h->kind == SHMRING_SPSC ? 64 : h->slot_size * 2)
MUT(data_off, h->data_off = 0)
MUT(data_off_far, h->data_off = UINT64_C(1) << 40)
MUT(data_size, h->data_size += 4096)
MUT(region_size, h->region_size += 4096)
MUT(region_small, h->region_size = 4096)
MUT(all_ones, memset(h, 0xff, 128); atomic_store(&h->state, SHMRING_STATE_READY))

static const struct {
	const char *what;
	mutate_fn fn;
} mutations[] = {
	{ "magic", mut_magic },
	{ "version", mut_version },
	{ "state INITIALISING", mut_state_init },
	{ "state junk", mut_state_junk },
	{ "kind", mut_kind },
	{ "flags", mut_flags },
	{ "capacity doubled", mut_cap_big },
	{ "capacity halved", mut_cap_small },
	{ "capacity not a power of two", mut_cap_npow2 },
	{ "capacity 2^62", mut_cap_huge },
	{ "capacity 0", mut_cap_zero },
	{ "max_msg 0 (SPSC) or beyond the slot (MPMC)", mut_max_zero_or_big },
	{ "max_msg huge", mut_max_huge },
	{ "slot_size", mut_slot_size },
	{ "data_off 0", mut_data_off },
	{ "data_off 2^40", mut_data_off_far },
	{ "data_size", mut_data_size },
	{ "region_size larger than the mapping", mut_region_size },
	{ "region_size smaller than the mapping", mut_region_small },
	{ "identity line all ones", mut_all_ones },
};

/* Every broken header is -EPROTO, and nothing is attached or written. */
Test(hostile, header_refused, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	const struct shmring_opts *kinds[] = { &spsc_o, &mpmc_o };

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
			struct guarded g = hu_region(kinds[k]);
			struct shmring *r = NULL;
			unsigned char *before = malloc(g.size);
			int rc;

			cr_assert_not_null(before);
			mutations[i].fn(hdr(&g));
			memcpy(before, g.base, g.size);
			for (int role = 0; role <= 3; role++) {
				rc = ring_adopt_memory(g.base, g.size, role, &r);
				cr_assert_eq(rc, -EPROTO, "%s %s, role %d: %s",
					     k ? "MPMC" : "SPSC", mutations[i].what,
					     role, shmring_strerror(rc));
			}
			cr_assert(!memcmp(before, g.base, g.size),
				  "%s: a refused region was written to",
				  mutations[i].what);
			free(before);
			tu_unguard(&g);
		}
	}
}

/* The same through shmring_open() of a real object; INITIALISING is waited
 * for about a second, junk in the state word is refused at once. */
Test(hostile, header_refused_at_open, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	static const size_t pick[] = { 0, 2, 3, 6, 16, 17 };

	for (size_t j = 0; j < sizeof(pick) / sizeof(pick[0]); j++) {
		const char *name = tu_name();
		struct shmring *r = NULL;
		struct shmring_hdr *h;
		char path[320];
		int fd, rc;
		int64_t t0, el;

		cr_assert_eq(shmring_create(name, &spsc_o, 0, &r), 0);
		shmring_close(r);
		snprintf(path, sizeof(path), "/dev/shm%s", name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		cr_assert_geq(fd, 0);
		h = mmap(NULL, TU_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		cr_assert_neq(h, MAP_FAILED);
		mutations[pick[j]].fn(h);
		munmap(h, TU_PAGE);
		close(fd);
		t0 = tu_now_ns();
		rc = shmring_open(name, SHMRING_CONSUMER, &r);
		el = tu_now_ns() - t0;
		cr_assert_eq(rc, -EPROTO, "%s: %s", mutations[pick[j]].what,
			     shmring_strerror(rc));
		if (mutations[pick[j]].fn == mut_state_init)
			cr_assert(el >= 900000000 && el < 3000000000,
				  "INITIALISING refused after %lld ms",
				  (long long)(el / 1000000));
		else
			cr_assert_lt(el, 500000000, "%s refused after %lld ms",
				     mutations[pick[j]].what,
				     (long long)(el / 1000000));
		shm_unlink(name);
	}
}

/* Objects shorter than their header says (a peer truncated it before we
 * mapped): refused with -EPROTO before any access past the end. */
Test(hostile, short_object, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	static const off_t sizes[] = { TU_PAGE, TU_PAGE + SPSC_CAP / 2,
				       TU_PAGE + 2 * SPSC_CAP };

	for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
		const char *name = tu_name();
		struct shmring *r = NULL;
		char path[320];
		int rc;

		cr_assert_eq(shmring_create(name, &spsc_o, 0, &r), 0);
		shmring_close(r);
		snprintf(path, sizeof(path), "/dev/shm%s", name);
		cr_assert_eq(truncate(path, sizes[j]), 0);
		rc = shmring_open(name, SHMRING_CONSUMER, &r);
		cr_assert_eq(rc, -EPROTO, "object of %lld bytes: %s",
			     (long long)sizes[j], shmring_strerror(rc));
		shm_unlink(name);
	}
}

/* ---- corrupt state at run time -------------------------------------- */

/* Expect @want from each kind of receive; ASan and the guards do the rest. */
static void expect_recv_err(struct shmring *r, int want, const char *what)
{
	static unsigned char buf[4096];
	struct iovec v[3] = { { buf, 1024 }, { buf + 1024, 1024 }, { buf + 2048, 2048 } };
	const void *p = NULL;
	long rc;

	rc = shmring_try_recv(r, buf, sizeof(buf));
	cr_assert_eq(rc, want, "%s: try_recv gave %ld", what, rc);
	rc = shmring_recv(r, buf, sizeof(buf), 200000);
	cr_assert_eq(rc, want, "%s: recv gave %ld", what, rc);
	rc = shmring_peek(r, &p, 200000);
	cr_assert_eq(rc, want, "%s: peek gave %ld", what, rc);
	rc = shmring_recv_burst(r, v, 3, 200000);
	cr_assert_eq(rc, want, "%s: recv_burst gave %ld", what, rc);
}

static struct rec_hdr *rec_at(struct guarded *g, uint64_t pos)
{
	return (struct rec_hdr *)(void *)(g->base + TU_PAGE + (pos & (SPSC_CAP - 1)));
}

/* SPSC: a record header that lies about its length or type. */
Test(hostile, spsc_records, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	static const struct {
		const char *what;
		uint32_t len, type; /* type: kind bits, or a raw type word */
		int tail; /* 1: the record sits in the last 64 bytes */
	} cases[] = {
		{ "length max_msg + 1", SPSC_MAX + 1, REC_KIND_DATA, 0 },
		{ "length 2^32 - 1", UINT32_MAX, REC_KIND_DATA, 0 },
		{ "length past prod_pos", 64, REC_KIND_DATA, 0 },
		{ "length past the end of the data", 100, REC_KIND_DATA, 1 },
		{ "unknown type", 8, 0x41414141, 0 },
		{ "type 0", 8, 0, 0 },
		{ "tag of another position", 8, REC_KIND_DATA | 0x1000, 0 },
		{ "padding too short", 8, REC_KIND_PAD, 1 },
		{ "padding too long", SPSC_CAP, REC_KIND_PAD, 0 },
		{ "padding past prod_pos", 0, REC_KIND_PAD, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guarded g = hu_region(&spsc_o);
		struct shmring_hdr *h = hdr(&g);
		struct shmring *r;
		uint64_t pos = cases[i].tail ? SPSC_CAP - 64 : 0;
		struct rec_hdr *rh;
		char msg[24] = "0123456789abcdef0123456";

		/* Start the positions where the case needs them. */
		atomic_store(&h->prod_pos, pos);
		atomic_store(&h->cons_pos, pos);
		r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
		cr_assert_eq(shmring_try_send(r, msg, sizeof(msg)), 0);
		rh = rec_at(&g, pos);
		cr_assert_eq(rh->type, rec_type(pos, REC_KIND_DATA | REC_NEXT_CLEAR));
		rh->len = cases[i].len;
		/* Small values are kinds, tagged with the record's position. */
		rh->type = cases[i].type >= 0x10000 || cases[i].type == 0 ?
				   cases[i].type :
				   rec_type(pos, cases[i].type);
		if (cases[i].tail == 2) {
			/* A padding record that claims the 64 bytes to the end,
			 * while prod_pos covers only 32 of them. */
			rh->len = 64 - REC_HDR_SIZE;
		}
		expect_recv_err(r, -EBADMSG, cases[i].what);
		shmring_close(r);
		tu_unguard(&g);
	}
}

/* SPSC: positions a consumer or a producer cannot believe. */
Test(hostile, spsc_positions, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	static const int64_t prod_delta[] = {
		/* Less than a ring behind is a consumer that took the
		 * producer's last records on their headers: not wrong. */
		SPSC_CAP + 8, 3 * (int64_t)SPSC_CAP, 4, -(int64_t)SPSC_CAP - 8,
		INT64_MAX, INT64_MIN,
	};
	char buf[256] = { 0 };

	for (size_t i = 0; i < sizeof(prod_delta) / sizeof(prod_delta[0]); i++) {
		struct guarded g = hu_region(&spsc_o);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
		struct shmring_hdr *h = hdr(&g);

		cr_assert_eq(shmring_try_send(r, buf, 8), 0);
		cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), 8);
		atomic_store(&h->prod_pos,
			     atomic_load(&h->prod_pos) + (uint64_t)prod_delta[i]);
		expect_recv_err(r, -EBADMSG, "prod_pos moved");
		shmring_close(r);
		tu_unguard(&g);
	}
	for (int k = 0; k < 3; k++) {
		struct guarded g = hu_region(&spsc_o);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
		struct shmring_hdr *h = hdr(&g);
		int rc;

		while ((rc = shmring_try_send(r, buf, sizeof(buf))) == 0)
			;
		cr_assert_eq(rc, -EAGAIN);
		atomic_store(&h->cons_pos, k == 0 ? atomic_load(&h->prod_pos) + 64 :
					   k == 1 ? 4 : UINT64_MAX - 7);
		rc = shmring_try_send(r, buf, sizeof(buf));
		cr_assert_eq(rc, -EBADMSG, "cons_pos case %d: %s", k, shmring_strerror(rc));
		rc = shmring_send(r, buf, sizeof(buf), 200000);
		cr_assert_eq(rc, -EBADMSG, "cons_pos case %d: %s", k, shmring_strerror(rc));
		shmring_close(r);
		tu_unguard(&g);
	}
}

/*
 * Positions scribbled while nobody held the role: the next holder takes
 * them as its own at attach. A misaligned one puts a record header across
 * the end of the data area (4 bytes past the mapping when the data area
 * ends it); one out of range makes the ring's fill level a lie.
 */
Test(hostile, spsc_positions_at_attach, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	static const struct {
		const char *what;
		uint64_t prod, cons;
	} cases[] = {
		{ "prod_pos misaligned, 4 before the end", SPSC_CAP - 4, 0 },
		{ "both misaligned, 4 before the end", SPSC_CAP - 4, SPSC_CAP - 4 },
		{ "cons_pos misaligned, prod_pos at the end", SPSC_CAP, SPSC_CAP - 4 },
		{ "cons_pos a ring and more ahead of prod_pos", 64,
		  64 + SPSC_CAP + 64 },
		{ "prod_pos a ring and more ahead", 2 * SPSC_CAP + 64, 0 },
	};
	char buf[SPSC_MAX] = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int side = 0; side < 2; side++) {
			struct guarded g = hu_region(&spsc_o);
			struct shmring_hdr *h = hdr(&g);
			struct shmring *r;
			long rc;

			atomic_store(&h->prod_pos, cases[i].prod);
			atomic_store(&h->cons_pos, cases[i].cons);
			/* Refusing the region at attach would do as well. */
			rc = ring_adopt_memory(g.base, g.size,
					       side ? SHMRING_CONSUMER : SHMRING_PRODUCER, &r);
			if (rc == -EPROTO || rc == -EBADMSG) {
				tu_unguard(&g);
				continue;
			}
			cr_assert_eq(rc, 0, "%s: adopt: %s", cases[i].what,
				     shmring_strerror((int)rc));
			if (side) {
				rc = shmring_try_recv(r, buf, sizeof(buf));
				cr_assert(rc == -EBADMSG, "%s: try_recv gave %ld",
					  cases[i].what, rc);
			} else {
				/* A producer whose own position is sound may send
				 * (the guard pages see where it writes) until it
				 * has to believe cons_pos; one whose own position
				 * is misaligned may not. */
				int bad_own = (cases[i].prod & 7) != 0;

				for (int k = 0; k < 3; k++) {
					rc = shmring_try_send(r, buf, 24);
					cr_assert(rc == -EBADMSG || rc == -EAGAIN ||
						  (rc == 0 && !bad_own),
						  "%s: send %d gave %ld", cases[i].what,
						  k, rc);
				}
			}
			shmring_close(r);
			tu_unguard(&g);
		}
	}
}

/*
 * prod_pos taken at attach far ahead of cons_pos, over a padding record
 * that spans the whole data area: a consumer that believes the first
 * position it read skips that padding lap after lap instead of failing
 * (2^28 laps here, a fraction of a second, then "empty"; with prod_pos
 * near 2^63, for ever: the fuzz seed timeout-pad-loop-from-attach).
 */
Test(hostile, spsc_padding_lap_at_attach, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	struct guarded g = hu_region(&spsc_o);
	struct shmring_hdr *h = hdr(&g);
	struct rec_hdr pad = { .len = SPSC_CAP - REC_HDR_SIZE,
			       .type = rec_type(0, REC_KIND_PAD | REC_NEXT_CLEAR) };
	struct shmring *r;
	char buf[SPSC_MAX];
	int64_t t0, el;
	long rc;

	atomic_store(&h->prod_pos, UINT64_C(1) << 40);
	atomic_store(&h->cons_pos, 0);
	memcpy(rec_at(&g, 0), &pad, sizeof(pad));
	rc = ring_adopt_memory(g.base, g.size, SHMRING_CONSUMER, &r);
	if (rc == -EPROTO || rc == -EBADMSG) {
		tu_unguard(&g);
		return;
	}
	cr_assert_eq(rc, 0, "adopt: %s", shmring_strerror((int)rc));
	t0 = tu_now_ns();
	rc = shmring_try_recv(r, buf, sizeof(buf));
	el = tu_now_ns() - t0;
	cr_assert_eq(rc, -EBADMSG, "try_recv gave %ld", rc);
	cr_assert_lt(el, 100000000, "try_recv took %lld ms", (long long)(el / 1000000));
	shmring_close(r);
	tu_unguard(&g);
}

static struct mpmc_slot *slot_at(struct guarded *g, uint64_t pos)
{
	return (struct mpmc_slot *)(void *)(g->base + TU_PAGE +
					    (pos & (MPMC_SLOTS - 1)) * 128);
}

/* MPMC: sequence words and lengths nobody honest could have written. */
Test(hostile, mpmc_slots, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	char buf[MPMC_MAX] = { 0 };
	long rc;

	cr_assert_eq(mpmc_slot_size(MPMC_MAX), 128, "test assumes 128-byte slots");
	/* A published slot whose length exceeds max_msg (or any uint32). */
	for (int k = 0; k < 2; k++) {
		struct guarded g = hu_region(&mpmc_o);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);

		cr_assert_eq(shmring_try_send(r, buf, 16), 0);
		atomic_store(&slot_at(&g, 0)->len, k ? UINT32_MAX : MPMC_MAX + 1);
		expect_recv_err(r, -EBADMSG, "slot length");
		shmring_close(r);
		tu_unguard(&g);
	}
	/* A free slot whose sequence runs ahead: producers must not spin. */
	{
		struct guarded g = hu_region(&mpmc_o);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);

		atomic_store(&slot_at(&g, 0)->seq, 12345);
		rc = shmring_try_send(r, buf, 16);
		cr_assert_eq(rc, -EBADMSG, "seq ahead: %s", shmring_strerror((int)rc));
		rc = shmring_send(r, buf, 16, 200000);
		cr_assert_eq(rc, -EBADMSG, "seq ahead: %s", shmring_strerror((int)rc));
		/* The consumer, on a slot that runs ahead, likewise. */
		expect_recv_err(r, -EBADMSG, "seq ahead");
		shmring_close(r);
		tu_unguard(&g);
	}
	/* Positions from another universe: the index is masked, the
	 * sequence does not match, and the calls fail or find nothing. */
	{
		struct guarded g = hu_region(&mpmc_o);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
		struct shmring_hdr *h = hdr(&g);

		atomic_store(&h->prod_pos, UINT64_MAX - 3);
		atomic_store(&h->cons_pos, UINT64_C(1) << 63);
		rc = shmring_try_send(r, buf, 16);
		cr_assert(rc == -EBADMSG || rc == -EAGAIN, "%s", shmring_strerror((int)rc));
		rc = shmring_try_recv(r, buf, sizeof(buf));
		cr_assert(rc == -EBADMSG || rc == -EAGAIN, "%s", shmring_strerror((int)rc));
		shmring_close(r);
		tu_unguard(&g);
	}
}

/*
 * A peer that keeps moving a position forward, over slots whose sequence
 * runs ahead, makes each claim attempt look like a race lost to another
 * process: the claim loop must give up (-EBADMSG) after a bounded number
 * of tries, not follow the peer for as long as it runs.
 */
static void claim_chase(int consumer_side)
{
	struct guarded g = hu_region(&mpmc_o);
	struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct shmring_hdr *h = hdr(&g);
	char buf[MPMC_MAX] = { 0 };
	int64_t t0, el;
	long rc;
	pid_t pid;

	/* Every slot's sequence far ahead of any position the peer shows. */
	for (unsigned i = 0; i < MPMC_SLOTS; i++)
		atomic_store(&slot_at(&g, i)->seq, UINT64_C(1) << 62);
	pid = tu_fork();
	if (pid == 0) {
		_Atomic uint64_t *p = consumer_side ? &h->cons_pos : &h->prod_pos;

		for (;;)
			atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
	}
	/* Once the peer is running. */
	while (atomic_load(consumer_side ? &h->cons_pos : &h->prod_pos) < 100000)
		sched_yield();
	t0 = tu_now_ns();
	rc = consumer_side ? shmring_try_recv(r, buf, sizeof(buf)) :
			     shmring_try_send(r, buf, 16);
	el = tu_now_ns() - t0;
	kill(pid, SIGKILL);
	tu_wait(pid);
	cr_assert(rc == -EBADMSG || rc == -EAGAIN, "%s", shmring_strerror((int)rc));
	cr_log_info("%s claim against a racing position: %s after %.1f ms",
		    consumer_side ? "consumer" : "producer",
		    shmring_strerror((int)rc), (double)el / 1e6);
	shmring_close(r);
	tu_unguard(&g);
}

Test(hostile, mpmc_claim_bounded_producer, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	claim_chase(0);
}

Test(hostile, mpmc_claim_bounded_consumer, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	claim_chase(1);
}

/*
 * A zero-copy peek hands out a pointer and a length; peeking again before
 * the release must not hand out a length a peer wrote since (the
 * application would read that many bytes from the pointer).
 */
Test(hostile, mpmc_peek_again, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	struct guarded g = hu_region(&mpmc_o);
	struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
	const void *p = NULL;
	char buf[16] = "abcdefghijklmno";
	ssize_t n;

	cr_assert_eq(shmring_try_send(r, buf, 16), 0);
	n = shmring_peek(r, &p, 0);
	cr_assert_eq(n, 16);
	atomic_store(&slot_at(&g, 0)->len, UINT32_MAX);
	n = shmring_peek(r, &p, 0);
	cr_assert(n == 16 || n == -EBADMSG,
		  "second peek returned length %zd (max_msg %u): the caller "
		  "would read past the slot", n, MPMC_MAX);
	shmring_close(r);
	tu_unguard(&g);
}

/* Geometry is read once, at attach: scribbling it later changes nothing. */
Test(hostile, geometry_is_copied, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	const struct shmring_opts *kinds[] = { &spsc_o, &mpmc_o };

	for (int k = 0; k < 2; k++) {
		struct guarded g = hu_region(kinds[k]);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
		struct shmring_hdr *h = hdr(&g);
		struct shmring_info info;
		char buf[64] = "payload";

		h->capacity = UINT64_C(1) << 40;
		h->max_msg = UINT64_C(1) << 40;
		h->slot_size = 1 << 20;
		h->kind ^= 1;
		h->magic = 0;
		atomic_store(&h->state, 0);
		cr_assert_eq(shmring_info(r, &info), 0);
		cr_assert_eq(info.capacity, k ? MPMC_SLOTS : SPSC_CAP);
		cr_assert_eq(info.max_msg, k ? MPMC_MAX : SPSC_MAX);
		for (int i = 0; i < 200; i++) {
			cr_assert_eq(shmring_try_send(r, buf, sizeof(buf)), 0, "send %d", i);
			cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), 64, "recv %d", i);
		}
		cr_assert_eq(shmring_try_send(r, buf, SPSC_MAX + 1), -EMSGSIZE);
		shmring_close(r);
		tu_unguard(&g);
	}
}

/*
 * A peer rewriting the header while we attach: the geometry the handle
 * keeps must be the one that was validated, never a value read after.
 */
struct flipper {
	_Atomic uint64_t *word;
	uint64_t a, b;
	atomic_int stop;
};

/* Burn about @n loop turns: a few nanoseconds each. */
static void busy(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

/*
 * The good value most of the time (so that validation passes), the bad one
 * in short bursts of varying length and spacing (so that one lands between
 * validation and whatever reads the header after it).
 */
static void *flip(void *arg)
{
	struct flipper *f = arg;
	uint64_t s = 99;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		uint64_t v = splitmix(&s);

		atomic_store_explicit(f->word, f->a, memory_order_relaxed);
		busy(200 + (unsigned)(v % 2000));
		atomic_store_explicit(f->word, f->b, memory_order_relaxed);
		busy(1 + (unsigned)((v >> 16) % 100));
	}
	return NULL;
}

Test(hostile, adopt_race, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	struct guarded g = hu_region(&spsc_o);
	struct shmring_hdr *h = hdr(&g);
	struct flipper f = {
		.word = (_Atomic uint64_t *)(void *)&h->capacity,
		.a = SPSC_CAP, .b = UINT64_C(1) << 30,
	};
	pthread_t t;
	unsigned adopted = 0, wrong = 0;
	int64_t end = tu_now_ns() + (int64_t)(1.5e9);

	cr_assert_eq(pthread_create(&t, NULL, flip, &f), 0);
	while (tu_now_ns() < end) {
		struct shmring *r = NULL;
		struct shmring_info info;

		if (ring_adopt_memory(g.base, g.size, 0, &r) != 0)
			continue;
		adopted++;
		shmring_info(r, &info);
		if (info.capacity != SPSC_CAP)
			wrong++;
		shmring_close(r);
	}
	atomic_store(&f.stop, 1);
	pthread_join(t, NULL);
	cr_log_info("adopt_race: %u adopted while the capacity flipped", adopted);
	cr_assert_gt(adopted, 0, "never adopted: the race was not run");
	cr_assert_eq(wrong, 0,
		     "%u of %u handles took a capacity other than the validated "
		     "one (attach re-reads the header after validate())",
		     wrong, adopted);
	tu_unguard(&g);
}

/*
 * The same, deterministically (x86-64): the header page is made
 * inaccessible, and every access to it faults; the fault handler lets one
 * instruction through (the trap flag) and counts the reads near the
 * capacity field: the first K see the true capacity, later ones a false
 * one. For every K, a handle that attaches must hold the capacity it
 * validated: the header is read once, not again after validation.
 */
#if defined(__x86_64__)
#include <ucontext.h>

static unsigned char *trap_page;
static volatile sig_atomic_t cap_reads, flip_after;

static void trap_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	unsigned char *a = si->si_addr;
	struct shmring_hdr *h = (struct shmring_hdr *)(void *)trap_page;

	if (a < trap_page || a >= trap_page + TU_PAGE) {
		/* A fault of another kind: die of it. */
		signal(sig, SIG_DFL);
		return;
	}
	mprotect(trap_page, TU_PAGE, PROT_READ | PROT_WRITE);
	if (a - trap_page < 32) {
		cap_reads++;
		h->capacity = cap_reads > flip_after ? UINT64_C(1) << 30 : SPSC_CAP;
	}
	uc->uc_mcontext.gregs[REG_EFL] |= 0x100; /* trap after one instruction */
}

static void trap_step(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100;
	mprotect(trap_page, TU_PAGE, PROT_NONE);
}

Test(hostile, header_read_once, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	struct sigaction sa, old_segv, old_trap;
	int adopted = 0, wrong = 0, first_wrong = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (int k = 0; k < 40; k++) {
		struct guarded g = hu_region(&spsc_o);
		struct shmring *r = NULL;
		struct shmring_info info;
		int rc;

		trap_page = g.base;
		cap_reads = 0;
		flip_after = k;
		sa.sa_sigaction = trap_segv;
		sigaction(SIGSEGV, &sa, &old_segv);
		sa.sa_sigaction = trap_step;
		sigaction(SIGTRAP, &sa, &old_trap);
		mprotect(trap_page, TU_PAGE, PROT_NONE);
		/* A monitor: attaching one writes nothing to the region. */
		rc = ring_adopt_memory(g.base, g.size, 0, &r);
		mprotect(trap_page, TU_PAGE, PROT_READ | PROT_WRITE);
		sigaction(SIGSEGV, &old_segv, NULL);
		sigaction(SIGTRAP, &old_trap, NULL);
		if (rc == 0) {
			adopted++;
			shmring_info(r, &info);
			if (info.capacity != SPSC_CAP && wrong++ == 0)
				first_wrong = k;
			shmring_close(r);
		}
		tu_unguard(&g);
	}
	cr_assert_gt(adopted, 0, "never adopted");
	cr_assert_eq(wrong, 0,
		     "%d handles (the first when the capacity changed after %d "
		     "reads) took a capacity other than the one validated: the "
		     "header is read again after validate()", wrong, first_wrong);
}
#endif

/* ---- a hostile process scribbling while we work --------------------- */

enum scribble_mode {
	SCRIBBLE_HOT,  /* positions, records or slots, wait words, peers, claims */
	SCRIBBLE_ANY,  /* any byte of the region */
};

/* The hostile peer: writes forever, until killed. */
static void scribbler(struct guarded *g, int kind, enum scribble_mode mode,
		      uint64_t seed)
{
	struct shmring_hdr *h = hdr(g);
	unsigned char *data = g->base + TU_PAGE;
	size_t dsize = g->size - TU_PAGE;

	for (;;) {
		uint64_t v = splitmix(&seed), x = splitmix(&seed);

		/* Bursts of writes, then a pause: calls get through between. */
		if ((v & 1023) == 0) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (mode == SCRIBBLE_ANY) {
			g->base[x % g->size] = (unsigned char)v;
			continue;
		}
		switch ((v >> 10) % 12) {
		case 0: /* positions: near the truth, or anywhere */
			atomic_store(&h->prod_pos, (v & 0x10000) ? x :
				     atomic_load(&h->prod_pos) + (x % 64) - 32);
			break;
		case 1:
			atomic_store(&h->cons_pos, (v & 0x10000) ? x :
				     atomic_load(&h->cons_pos) + (x % 64) - 32);
			break;
		case 2: /* a record header or slot header, anywhere */
		case 3: {
			size_t off = (x % dsize) & ~(size_t)7;
			uint32_t w = (uint32_t)(v >> 32);

			if (kind == SHMRING_SPSC && (v & 0x20000)) {
				/* A type word that names its position in
				 * the consumer's lap, where types go. */
				uint64_t lap = atomic_load(&h->cons_pos) &
					       ~(uint64_t)(dsize - 1);

				w = rec_type(lap + off, (v & 0x40000) ?
						 REC_KIND_PAD | REC_NEXT_CLEAR :
						 REC_KIND_DATA | ((uint32_t)(v >> 19) & REC_NEXT_CLEAR));
				memcpy(data + off + 4, &w, 4);
				break;
			}
			memcpy(data + off, &w, 4);
			break;
		}
		case 4: { /* a slot's sequence near its position */
			size_t i = x % (dsize / 128);
			uint64_t s = (v & 0x10000) ? x : i + (v >> 60);

			if (kind == SHMRING_MPMC)
				memcpy(data + i * 128, &s, 8);
			else
				memcpy(data + ((x % dsize) & ~(size_t)7), &s, 8);
			break;
		}
		case 5: /* futex words and waiter counts */
			atomic_store(&h->data_wait.waiters, (uint32_t)x & 3);
			atomic_store(&h->space_wait.seq, (uint32_t)v);
			break;
		case 6:
			atomic_store(&h->space_wait.waiters, (uint32_t)x & 3);
			atomic_store(&h->data_wait.seq, (uint32_t)v);
			break;
		case 7: /* peer ids: zero, junk, or this process's real pid */
			atomic_store(&h->peer_id[x % PEER_SLOTS],
				     (v & 0x10000) ? 0 : (v & 0x20000) ? x :
				     ((uint64_t)getpid() << PEER_START_BITS) | (x & 3) << 62);
			break;
		case 8: /* claim words */
			atomic_store(&h->claims[x % PEER_SLOTS].pos,
				     (v & 0x10000) ? CLAIM_NONE : v);
			break;
		case 9: /* roles ever attached, and the generation */
			atomic_store(&h->ever_roles, (uint32_t)x & 3);
			atomic_fetch_add(&h->peers_gen, 1);
			break;
		case 10: /* the identity: read only at attach */
			((unsigned char *)h)[x % 128] = (unsigned char)v;
			break;
		default: /* the state word */
			atomic_store(&h->state, (uint32_t)x);
			break;
		}
	}
}

struct victim_stats {
	uint64_t calls, ok, err[5]; /* EAGAIN, ETIMEDOUT, EBADMSG, EPIPE, other */
	int64_t max_ns;
	const char *max_what;
};

static int in_region(struct guarded *g, const void *p, size_t len)
{
	const unsigned char *q = p;

	return q >= g->base + TU_PAGE && len <= g->size &&
	       q + len <= g->base + g->size;
}

/* Calls whose result may be anything but a wrong answer or a fault. */
static void note(struct victim_stats *st, long rc, int64_t t0,
		 const char *what)
{
	int64_t el = tu_now_ns() - t0;

	st->calls++;
	if (el > st->max_ns) {
		st->max_ns = el;
		st->max_what = what;
	}
	cr_assert_lt(el, CALL_BOUND_NS, "%s took %lld ms under scribbling", what,
		     (long long)(el / 1000000));
	if (rc >= 0)
		st->ok++;
	else if (rc == -EAGAIN)
		st->err[0]++;
	else if (rc == -ETIMEDOUT)
		st->err[1]++;
	else if (rc == -EBADMSG)
		st->err[2]++;
	else if (rc == -EPIPE)
		st->err[3]++;
	else if (rc == -EMSGSIZE || rc == -EBUSY || rc == -EINVAL)
		st->err[4]++;
	else
		cr_assert_fail("%s returned %ld (%s)", what, rc,
			       shmring_strerror((int)rc));
}

static void victim(struct guarded *g, struct shmring *r, size_t max,
		   int64_t dur_ns, uint64_t seed, struct victim_stats *st)
{
	unsigned char msg[SPSC_MAX], buf[SPSC_MAX * 4];
	int64_t end = tu_now_ns() + dur_ns;
	int reserved = 0, peeked = 0;

	memset(msg, 'm', sizeof(msg));
	memset(st, 0, sizeof(*st));
	while (tu_now_ns() < end) {
		uint64_t v = splitmix(&seed);
		int64_t tmo = (v & 0x100) ? 0 : (int64_t)(v >> 40) % 1000000;
		size_t len = (size_t)(v >> 20) % (max + 1);
		int64_t t0 = tu_now_ns();
		long rc;

		switch (v % 9) {
		case 0:
			rc = shmring_send(r, msg, len, tmo);
			note(st, rc, t0, "send");
			break;
		case 1:
		case 2:
			rc = shmring_recv(r, buf, max, tmo);
			note(st, rc, t0, "recv");
			cr_assert_leq(rc, (long)max, "recv of %ld bytes into %zu", rc, max);
			/* A receive that took a message closes a peek; one that
			 * failed may leave it open. */
			if (rc >= 0)
				peeked = 0;
			break;
		case 3: {
			struct iovec iv[4] = { { msg, len }, { msg, max / 2 },
					       { msg, 0 }, { msg, max } };

			rc = shmring_send_burst(r, iv, 4, tmo);
			note(st, rc, t0, "send_burst");
			cr_assert_leq(rc, 4);
			break;
		}
		case 4: {
			struct iovec iv[4] = { { buf, max }, { buf + max, max / 2 },
					       { buf + 2 * max, 8 }, { buf + 3 * max, max } };
			size_t caps[4] = { max, max / 2, 8, max };

			rc = shmring_recv_burst(r, iv, 4, tmo);
			note(st, rc, t0, "recv_burst");
			for (long i = 0; i < rc; i++)
				cr_assert_leq(iv[i].iov_len, caps[i]);
			if (rc > 0)
				peeked = 0;
			break;
		}
		case 5: {
			const void *p = NULL;

			rc = shmring_peek(r, &p, tmo);
			note(st, rc, t0, "peek");
			if (rc >= 0) {
				cr_assert_leq(rc, (long)max, "peeked %ld bytes", rc);
				cr_assert(in_region(g, p, (size_t)rc),
					  "peek: %ld bytes at %p outside the data area",
					  rc, p);
				peeked = 1;
			}
			break;
		}
		case 6:
			rc = shmring_release(r);
			cr_assert(rc == 0 || rc == -EINVAL);
			cr_assert(peeked || rc == -EINVAL, "release with nothing peeked");
			/* Released, or refused: either way nothing is peeked now. */
			peeked = 0;
			break;
		case 7: {
			void *p = NULL;

			if (reserved) {
				rc = shmring_commit(r, len);
				cr_assert(rc == 0 || rc == -EINVAL || rc == -EBADMSG,
					  "commit: %ld", rc);
				reserved = rc == -EINVAL;
				if (reserved) {
					/* len above the reservation: commit 0 */
					rc = shmring_commit(r, 0);
					cr_assert(rc == 0 || rc == -EBADMSG);
					reserved = 0;
				}
				break;
			}
			rc = shmring_reserve(r, len, &p, tmo);
			note(st, rc, t0, "reserve");
			if (rc == 0) {
				cr_assert(in_region(g, p, len),
					  "reserve: %zu bytes at %p outside", len, p);
				memset(p, 'r', len);
				reserved = 1;
			}
			break;
		}
		default: {
			struct shmring_info info;
			struct shmring_stats sst;
			struct shmring_peer peers[SHMRING_MAX_PEERS];

			cr_assert_eq(shmring_info(r, &info), 0);
			cr_assert_leq(info.used, info.capacity);
			cr_assert_eq(shmring_stats(r, &sst), 0);
			rc = shmring_peers(r, peers, SHMRING_MAX_PEERS);
			cr_assert(rc >= 0 && rc <= SHMRING_MAX_PEERS);
			break;
		}
		}
	}
}

static void scribble_run(const struct shmring_opts *o, enum scribble_mode mode,
			 const char *label)
{
	struct guarded g = hu_region(o);
	struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct victim_stats st;
	size_t max = o->kind == SHMRING_SPSC ? SPSC_MAX : MPMC_MAX;
	pid_t pid;

	/* Some traffic before the hostile peer arrives. */
	for (int i = 0; i < 8; i++)
		shmring_try_send(r, "warm", 4);
	pid = tu_fork();
	if (pid == 0) {
		scribbler(&g, o->kind, mode, 0x5eed + (uint64_t)mode);
		_exit(0);
	}
	victim(&g, r, max, (int64_t)(1.5e9 * TU_SLOW), 42 + (uint64_t)mode, &st);
	kill(pid, SIGKILL);
	tu_wait(pid);
	cr_assert_eq(shmring_close(r), 0);
	cr_log_info("%s: %llu calls: %llu ok, EAGAIN %llu, ETIMEDOUT %llu, "
		    "EBADMSG %llu, EPIPE %llu, other %llu; slowest %s %.3f ms",
		    label, (unsigned long long)st.calls,
		    (unsigned long long)st.ok, (unsigned long long)st.err[0],
		    (unsigned long long)st.err[1], (unsigned long long)st.err[2],
		    (unsigned long long)st.err[3], (unsigned long long)st.err[4],
		    st.max_what ? st.max_what : "-", (double)st.max_ns / 1e6);
	fprintf(stderr, "%s: %llu calls, %llu ok, %llu EBADMSG, slowest %.3f ms\n",
		label, (unsigned long long)st.calls, (unsigned long long)st.ok,
		(unsigned long long)st.err[2], (double)st.max_ns / 1e6);
	cr_assert_gt(st.calls, 100, "the victim hardly ran");
	tu_unguard(&g);
}

Test(hostile, scribbler_spsc_hot, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	scribble_run(&spsc_o, SCRIBBLE_HOT, "SPSC, hot fields");
}

Test(hostile, scribbler_spsc_any, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	scribble_run(&spsc_o, SCRIBBLE_ANY, "SPSC, any byte");
}

Test(hostile, scribbler_mpmc_hot, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	scribble_run(&mpmc_o, SCRIBBLE_HOT, "MPMC, hot fields");
}

Test(hostile, scribbler_mpmc_any, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	scribble_run(&mpmc_o, SCRIBBLE_ANY, "MPMC, any byte");
}

/*
 * Random bytes written while nobody runs, then the region adopted and
 * worked: refused at attach (-EPROTO), or calls that fail cleanly.
 */
Test(hostile, random_bytes, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	const struct shmring_opts *kinds[] = { &spsc_o, &mpmc_o };
	const char *env_seed = getenv("SHMRING_HARDENING_SEED");
	const char *env_rounds = getenv("SHMRING_HARDENING_ROUNDS");
	uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 7;
	unsigned refused = 0, adopted = 0;
	int rounds = env_rounds ? atoi(env_rounds) : TU_SANITIZED ? 300 : 1500;

	for (int i = 0; i < rounds; i++) {
		const struct shmring_opts *o = kinds[i & 1];
		struct guarded g = hu_region(o);
		struct shmring *r = hu_adopt(&g, SHMRING_PRODUCER | SHMRING_CONSUMER);
		struct victim_stats st;
		size_t max = o->kind == SHMRING_SPSC ? SPSC_MAX : MPMC_MAX;
		int nflip = 1 + (int)(splitmix(&seed) % 16);

		for (int m = 0; m < 20; m++)
			shmring_try_send(r, "some bytes here", 15);
		shmring_close(r);
		for (int k = 0; k < nflip; k++) {
			uint64_t v = splitmix(&seed);
			/* Half the time the header page, where the fields are. */
			size_t off = (v & 1) ? (v >> 8) % TU_PAGE : (v >> 8) % g.size;

			g.base[off] = (unsigned char)(v >> 56);
		}
		if (ring_adopt_memory(g.base, g.size, SHMRING_PRODUCER | SHMRING_CONSUMER,
				      &r) != 0) {
			refused++;
			tu_unguard(&g);
			continue;
		}
		adopted++;
		victim(&g, r, max, 2000000, splitmix(&seed), &st);
		shmring_close(r);
		tu_unguard(&g);
	}
	cr_log_info("random_bytes: %u refused, %u adopted and worked", refused,
		    adopted);
	cr_assert_gt(adopted, 0);
}

/*
 * A peer that zeroes the waiter count of a sleeping consumer steals its
 * wake-up: the sleeper still wakes, within one sleep slice (1 s while it
 * watches its peers through io_uring, 100 ms where it cannot), not never.
 * A peer bumping the futex word makes sleepers re-check early.
 */
struct sleeper_arg {
	struct shmring *r;
	long rc;
	int64_t t_done;
};

static void *sleeper(void *arg)
{
	struct sleeper_arg *a = arg;
	char buf[64];

	a->rc = shmring_recv(a->r, buf, sizeof(buf), (int64_t)(5e9 * TU_SLOW));
	a->t_done = tu_now_ns();
	return NULL;
}

Test(hostile, stolen_wakeup_is_bounded, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	struct guarded g = hu_region(&spsc_o);
	struct shmring *prod = hu_adopt(&g, SHMRING_PRODUCER);
	struct sleeper_arg a = { .r = hu_adopt(&g, SHMRING_CONSUMER) };
	struct shmring_hdr *h = hdr(&g);
	int64_t worst = 0;
	pthread_t t;

	shmring_set_spin(a.r, 0);
	for (int i = 0; i < 4; i++) {
		int64_t t_pub;
		int spins = 0;

		/* The last round's sleeper decremented a count we had zeroed. */
		atomic_store(&h->data_wait.waiters, 0);
		cr_assert_eq(pthread_create(&t, NULL, sleeper, &a), 0);
		/* Wait until it announced itself, then steal the announcement. */
		while (atomic_load(&h->data_wait.waiters) == 0 && spins++ < 3000000)
			sched_yield();
		cr_assert_gt(atomic_load(&h->data_wait.waiters), 0, "never slept");
		atomic_store(&h->data_wait.waiters, 0);
		t_pub = tu_now_ns();
		cr_assert_eq(shmring_try_send(prod, "x", 1), 0);
		pthread_join(t, NULL);
		cr_assert_eq(a.rc, 1, "recv: %ld", a.rc);
		if (a.t_done - t_pub > worst)
			worst = a.t_done - t_pub;
	}
	cr_log_info("stolen wake-up: delivered after at most %.1f ms", (double)worst / 1e6);
	cr_assert_lt(worst, (int64_t)(1500e6 * TU_SLOW),
		     "a stolen wake-up delayed delivery %lld ms", (long long)(worst / 1000000));
	shmring_close(prod);
	shmring_close(a.r);
	tu_unguard(&g);
}
