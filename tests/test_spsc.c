/* test_spsc.c - SPSC ring in one process: records, padding and wrap-around, sizes, try calls, and a child that opens the ring by its name, as each backend lets it. (What every kind shares is in test_eos, test_timeouts, test_errors, test_zerocopy, test_bursts and test_info.) */
#include "testutil.h"

#include <sys/uio.h>

#define CAP 4096u

static struct shmring *both(const char *name, size_t cap, size_t max_msg)
{
	return tu_create(name, cap, max_msg, SHMRING_PRODUCER | SHMRING_CONSUMER);
}

/*
 * Send into a ring that holds no message. A record that does not fit
 * before the end needs a padding record first; when padding and record
 * together exceed the ring, one process holding both roles sees -EAGAIN
 * once, and the try_recv that returns -EAGAIN consumes the padding. Then
 * the send must succeed: an empty ring takes any message up to max_msg.
 * Returns 1 if that happened.
 */
static int put_empty(struct shmring *r, size_t len, uint64_t seed)
{
	static unsigned char buf[1 << 16];
	ssize_t n;
	int rc;

	tu_fill(buf, len, seed);
	rc = shmring_try_send(r, buf, len);
	if (rc == 0)
		return 0;
	cr_assert_eq(rc, -EAGAIN, "try_send(%zu): %s", len, shmring_strerror(rc));
	n = shmring_try_recv(r, NULL, 0);
	cr_assert_eq(n, -EAGAIN, "try_send(%zu) said full, try_recv %zd", len, n);
	rc = shmring_try_send(r, buf, len);
	cr_assert_eq(rc, 0, "try_send(%zu) into an empty ring: %s", len,
		     shmring_strerror(rc));
	return 1;
}

TU_TEST(spsc, defaults, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *r = NULL;
	struct shmring_info in;
	unsigned mode = 0;
	int rc;

	rc = tu_ring_create(name, NULL, SHMRING_PRODUCER, &r);
	cr_assert_eq(rc, 0, "create with NULL opts: %s", shmring_strerror(rc));
	in = tu_info(r);
	cr_assert_eq(in.kind, SHMRING_SPSC);
	cr_assert_eq(in.capacity, SHMRING_DEFAULT_CAPACITY);
	cr_assert_eq(in.max_msg, SHMRING_DEFAULT_MAX_MSG);
	cr_assert_eq(in.producers, 1);
	cr_assert_eq(in.consumers, 0);
	cr_assert_eq(in.mode, SHMRING_DEFAULT_MODE);
	rc = tu_ring_mode(name, &mode);
	if (rc == -ENOTSUP) {
		tu_backend_skip("the object's default mode",
				"an unnamed ring has no permission bits");
	} else {
		cr_assert_eq(rc, 0, "mode of %s: %s", name, strerror(-rc));
		cr_assert_eq(mode, SHMRING_DEFAULT_MODE, "default mode is %o",
			     mode);
	}
	cr_assert_eq(shmring_close(r), 0);
}

/* The mode is applied exactly, whatever the umask. */
TU_TEST(spsc, mode_exact, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(10))
{
	static const unsigned modes[] = { 0640, 0604, 0666, 0600, 0644 };
	mode_t old;

	if (tu.backend == TU_ANON || tu.backend == TU_MEMFD)
		tu_backend_skip_test("an unnamed ring has no permission bits "
				     "for the umask to narrow");
	old = umask(077);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *name = tu_name();
		struct shmring_opts o = { .mode = modes[i], .capacity = CAP };
		struct shmring *r = NULL;
		unsigned mode = 0;
		int rc = tu_ring_create(name, &o, 0, &r);

		cr_assert_eq(rc, 0, "create mode %o: %s", modes[i],
			     shmring_strerror(rc));
		rc = tu_ring_mode(name, &mode);
		cr_assert_eq(rc, 0, "mode of %s: %s", name, strerror(-rc));
		cr_assert_eq(mode, modes[i], "asked for %o, got %o", modes[i],
			     mode);
		cr_assert_eq(shmring_close(r), 0);
		cr_assert_eq(tu_ring_unlink(name), 0);
	}
	umask(old);
}

/*
 * Messages copied in and out touch their own bytes only (short payloads
 * are copied with overlapping moves, not memcpy): each one is sent from
 * the very end of a page with a PROT_NONE page after it, and received
 * into the very end of another with cap = its length, so a byte read or
 * written past either end is a SIGSEGV; and the byte before the buffer
 * keeps its value. Every length up to 256, at every alignment mod 16.
 */
TU_TEST(spsc, copies_stay_in_bounds, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = both(tu_name(), CAP, 0);
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, 4 * (size_t)page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(m, MAP_FAILED, "mmap: %s", strerror(errno));
	/* [src page][guard][dst page][guard] */
	cr_assert_eq(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	cr_assert_eq(mprotect(m + 3 * page, (size_t)page, PROT_NONE), 0);
	for (size_t len = 0; len <= 256; len++) {
		for (size_t shift = 0; shift < 16; shift++) {
			unsigned char *src = m + page - len - shift;
			unsigned char *dst = m + 3 * page - len - shift;
			uint64_t seed = len * 16 + shift;
			ssize_t n;
			int rc;

			tu_fill(src, len, seed);
			memset(dst - 1, 0xa5, len + 1);
			rc = shmring_try_send(r, src, len);
			cr_assert_eq(rc, 0, "try_send(%zu): %s", len,
				     shmring_strerror(rc));
			n = shmring_try_recv(r, dst, len);
			cr_assert_eq(n, (ssize_t)len, "try_recv: %zd, want %zu",
				     n, len);
			cr_assert_eq(tu_check(dst, len, seed), 0,
				     "%zu bytes at offset %zu differ", len, shift);
			cr_assert_eq(dst[-1], 0xa5,
				     "the byte before a %zu-byte buffer changed",
				     len);
		}
	}
	cr_assert_eq(munmap(m, 4 * (size_t)page), 0);
	cr_assert_eq(shmring_close(r), 0);
}

/* Every length from 0 to max_msg, one at a time and then queued. */
TU_TEST(spsc, all_lengths, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(30))
{
	struct shmring *r = both(tu_name(), CAP, 0);
	size_t max = tu_info(r).max_msg;
	size_t queued = 0, head = 0;

	cr_assert_gt(max, 64, "max_msg %zu for a %u-byte ring", max, CAP);
	cr_assert_lt(max, CAP, "max_msg %zu cannot fit a %u-byte ring", max, CAP);
	for (size_t len = 0; len <= max; len++) {
		put_empty(r, len, len);
		tu_get(r, len, len);
	}
	for (size_t len = max + 1; len-- > 0;) {
		put_empty(r, len, ~len);
		tu_get(r, len, ~len);
	}
	/* Queued: several records in the ring at once, wrapping as they go. */
	for (size_t len = 0; len <= max; len++) {
		for (;;) {
			static unsigned char buf[CAP];
			int rc;

			if (queued == 0) {
				put_empty(r, len, len + 7);
				break;
			}
			tu_fill(buf, len, len + 7);
			rc = shmring_try_send(r, buf, len);
			if (rc == 0)
				break;
			cr_assert_eq(rc, -EAGAIN, "try_send(%zu): %s", len,
				     shmring_strerror(rc));
			tu_get(r, head, head + 7);
			head++;
			queued--;
		}
		queued++;
	}
	while (queued--) {
		tu_get(r, head, head + 7);
		head++;
	}
	cr_assert_eq(shmring_try_recv(r, NULL, 0), -EAGAIN);
	cr_assert_eq(tu_info(r).used, 0);
	cr_assert_eq(shmring_close(r), 0);
}

/*
 * Padding at every alignment: put the producer at each 8-byte offset of
 * the data area in turn and send records that fit before the end with
 * room to spare, exactly, or miss by 8 bytes and must be preceded by a
 * padding record. info.used tells whether a padding record went in.
 */
struct padpos {
	struct shmring *r;
	size_t max;     /* max_msg */
	size_t at;      /* producer index in the data area, by our count */
	uint64_t seed;
};

/* Send and receive one message on an empty ring, checking the bytes used. */
static void pad_step(struct padpos *p, size_t len)
{
	size_t rs = tu_spsc_room(len);
	size_t want = p->at + rs <= CAP ? rs : (CAP - p->at) + rs;
	size_t used;

	if (put_empty(p->r, len, p->seed)) {
		/* Only padding plus record larger than the ring may do that;
		 * the padding is gone and the record starts at 0. */
		cr_assert_gt(CAP - p->at + rs, CAP,
			     "record of %zu bytes at offset %zu refused", len, p->at);
		want = rs;
		p->at = 0;
	}
	used = tu_info(p->r).used;
	cr_assert_eq(used, want,
		     "record of %zu bytes at offset %zu: %zu bytes used, want %zu",
		     len, p->at, used, want);
	tu_get(p->r, len, p->seed);
	cr_assert_eq(tu_info(p->r).used, 0, "ring not empty after recv");
	p->at = p->at + rs <= CAP ? (p->at + rs) % CAP : rs % CAP;
	p->seed++;
}

/* Move the producer to offset t with filler records that never pad. */
static void pad_seek(struct padpos *p, size_t t)
{
	size_t maxrec = tu_spsc_room(p->max & ~(size_t)7);

	while (p->at != t) {
		size_t want = t > p->at ? t - p->at : CAP - p->at;
		size_t chunk = want < maxrec ? want : maxrec;

		pad_step(p, chunk - 8);
	}
}

TU_TEST(spsc, padding_every_offset, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(60))
{
	struct padpos p = { .r = both(tu_name(), CAP, 0) };

	p.max = tu_info(p.r).max_msg;
	for (size_t t = 0; t < CAP; t += 8) {
		size_t room = CAP - t;

		/* Small records of every residue mod 8. */
		for (size_t len = 0; len < 24; len++) {
			pad_seek(&p, t);
			pad_step(&p, len);
		}
		/* Records that fit by 8 or 0 bytes, or miss by 8. */
		for (size_t rs = room - 8; rs <= room + 8; rs += 8) {
			if (rs < 8 || rs - 8 > p.max)
				continue;
			for (size_t k = 0; k < 8; k++) {
				size_t len = rs - 8 - k;

				if (rs - 8 < k)
					break;
				pad_seek(&p, t);
				pad_step(&p, len);
			}
		}
		pad_seek(&p, t);
		pad_step(&p, p.max);
	}
	cr_assert_eq(shmring_close(p.r), 0);
}

/*
 * Random interleaving of every send and receive call against a model
 * queue: contents, lengths and order must match, whatever wraps or pads.
 */
struct qent {
	size_t len;
	uint64_t seed;
};

#define QMAX 4096

struct model {
	struct shmring *r;
	size_t max;
	struct qent q[QMAX];
	size_t head, n;
	uint64_t seed;
	uint64_t rng;
};

static void model_push(struct model *m, size_t len, uint64_t seed)
{
	cr_assert_lt(m->n, QMAX);
	m->q[(m->head + m->n++) % QMAX] = (struct qent){ len, seed };
}

static struct qent model_pop(struct model *m)
{
	struct qent e;

	cr_assert_gt(m->n, 0, "received a message that was never sent");
	e = m->q[m->head];
	m->head = (m->head + 1) % QMAX;
	m->n--;
	return e;
}

static size_t model_len(struct model *m)
{
	uint64_t v = tu_splitmix(&m->rng);

	switch (v % 8) {
	case 0:
		return m->max - (size_t)(v >> 8) % 9;
	case 1:
	case 2:
		return (size_t)(v >> 8) % (m->max + 1);
	default:
		return (size_t)(v >> 8) % 65;
	}
}

/*
 * A ring that holds no message refused one: only padding can be in the
 * way; put_empty() proves an empty ring then takes the largest message.
 */
static void model_full(struct model *m, int rc, const char *call)
{
	cr_assert_eq(rc, -EAGAIN, "%s: %s", call, shmring_strerror(rc));
	if (m->n == 0) {
		ssize_t n = shmring_try_recv(m->r, NULL, 0);

		cr_assert_eq(n, -EAGAIN, "%s full, ring empty, try_recv %zd",
			     call, n);
		put_empty(m->r, m->max, m->seed);
		model_push(m, m->max, m->seed++);
	}
}

static void model_send(struct model *m)
{
	static unsigned char buf[CAP];
	uint64_t v = tu_splitmix(&m->rng);
	size_t len = model_len(m);
	int rc;

	switch (v % 5) {
	case 0:
		tu_fill(buf, len, m->seed);
		rc = shmring_try_send(m->r, buf, len);
		break;
	case 1:
		tu_fill(buf, len, m->seed);
		rc = shmring_send(m->r, buf, len, 0);
		break;
	case 2: {
		void *dst = NULL;
		size_t fin = len ? len - (size_t)(v >> 8) % (len + 1) : 0;

		rc = shmring_reserve(m->r, len, &dst, 0);
		if (rc == 0) {
			cr_assert_not_null(dst);
			tu_fill(dst, fin, m->seed);
			rc = shmring_commit(m->r, fin);
			cr_assert_eq(rc, 0, "commit %zu of %zu: %s", fin, len,
				     shmring_strerror(rc));
			len = fin;
		}
		break;
	}
	case 3: {
		/* A burst of up to 4, each with its own pattern. */
		static unsigned char bb[4][CAP];
		struct iovec iov[4];
		size_t k = 1 + (size_t)(v >> 8) % 4;

		for (size_t i = 0; i < k; i++) {
			size_t l = i ? model_len(m) : len;

			tu_fill(bb[i], l, m->seed + i);
			iov[i] = (struct iovec){ bb[i], l };
		}
		rc = shmring_send_burst(m->r, iov, k, 0);
		if (rc == -EAGAIN) {
			model_full(m, rc, "send_burst");
			return;
		}
		cr_assert(rc >= 1 && (size_t)rc <= k, "send_burst(%zu): %d (%s)",
			  k, rc, rc < 0 ? shmring_strerror(rc) : "count");
		for (int i = 0; i < rc; i++)
			model_push(m, iov[i].iov_len, m->seed++);
		return;
	}
	default: {
		/* A message that can never fit changes nothing. */
		rc = shmring_try_send(m->r, buf, m->max + 1);
		cr_assert_eq(rc, -EMSGSIZE, "try_send(max_msg + 1): %s",
			     shmring_strerror(rc));
		return;
	}
	}
	if (rc == -EAGAIN) {
		model_full(m, rc, "send");
		return;
	}
	cr_assert_eq(rc, 0, "send of %zu bytes: %s", len, shmring_strerror(rc));
	model_push(m, len, m->seed++);
}

static void model_recv(struct model *m)
{
	static unsigned char buf[CAP + 16];
	uint64_t v = tu_splitmix(&m->rng);
	struct qent e;
	ssize_t n;
	size_t bad;

	if (m->n == 0) {
		n = v & 1 ? shmring_try_recv(m->r, buf, sizeof(buf)) :
			    shmring_recv(m->r, buf, sizeof(buf), 0);
		cr_assert_eq(n, -EAGAIN, "recv on an empty ring: %zd", n);
		return;
	}
	switch (v % 5) {
	case 0:
		e = model_pop(m);
		n = shmring_try_recv(m->r, buf, e.len + (size_t)(v >> 8) % 3);
		break;
	case 1:
		e = m->q[m->head];
		if (e.len > 0) {
			/* One byte short: refused, and the message stays. */
			n = shmring_try_recv(m->r, buf, e.len - 1);
			cr_assert_eq(n, -EMSGSIZE, "recv into %zu bytes of %zu: %zd",
				     e.len - 1, e.len, n);
		}
		e = model_pop(m);
		n = shmring_recv(m->r, buf, e.len, 0);
		break;
	case 2: {
		const void *p = NULL, *p2 = NULL;

		e = model_pop(m);
		n = shmring_peek(m->r, &p, 0);
		cr_assert_eq(n, (ssize_t)e.len, "peek: %zd, want %zu", n, e.len);
		cr_assert_eq(shmring_peek(m->r, &p2, 0), n, "second peek");
		cr_assert_eq(p, p2, "second peek points elsewhere");
		bad = tu_check(p, e.len, e.seed);
		cr_assert_eq(bad, 0, "peeked message differs at %zu", bad - 1);
		cr_assert_eq(shmring_release(m->r), 0);
		return;
	}
	case 3: {
		static unsigned char bb[4][CAP];
		struct iovec iov[4];
		size_t k = 1 + (size_t)(v >> 8) % 4;
		int got;

		for (size_t i = 0; i < k; i++)
			iov[i] = (struct iovec){ bb[i], CAP };
		got = shmring_recv_burst(m->r, iov, k, 0);
		cr_assert(got >= 1 && (size_t)got <= k, "recv_burst(%zu): %d", k,
			  got);
		cr_assert(got == (int)k || (size_t)got == m->n,
			  "recv_burst got %d of %zu with %zu queued", got, k, m->n);
		for (int i = 0; i < got; i++) {
			e = model_pop(m);
			cr_assert_eq(iov[i].iov_len, e.len, "burst[%d]: %zu bytes, want %zu",
				     i, iov[i].iov_len, e.len);
			bad = tu_check(bb[i], e.len, e.seed);
			cr_assert_eq(bad, 0, "burst[%d] differs at %zu", i, bad - 1);
		}
		return;
	}
	default:
		e = model_pop(m);
		n = shmring_recv(m->r, buf, sizeof(buf), 0);
		break;
	}
	cr_assert_eq(n, (ssize_t)e.len, "recv: %zd, want %zu", n, e.len);
	bad = tu_check(buf, e.len, e.seed);
	cr_assert_eq(bad, 0, "message %llu of %zu bytes differs at %zu",
		     (unsigned long long)e.seed, e.len, bad - 1);
}

TU_TEST(spsc, random_model, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(60))
{
	static struct model m;
	uint64_t ops = tu_scaled(400000, 20000);

	m = (struct model){ .r = both(tu_name(), CAP, 0), .rng = 42 };
	m.max = tu_info(m.r).max_msg;
	for (uint64_t i = 0; i < ops; i++) {
		/* Phases that favour sending, then receiving, so the ring
		 * swings between empty and full. */
		unsigned bias = (i / 1000) % 2 ? 3 : 7;

		if (tu_splitmix(&m.rng) % 10 < bias)
			model_send(&m);
		else
			model_recv(&m);
		cr_assert_leq(tu_info(m.r).used, CAP);
	}
	while (m.n)
		model_recv(&m);
	cr_assert_eq(shmring_try_recv(m.r, NULL, 0), -EAGAIN);
	cr_assert_eq(shmring_close(m.r), 0);
}

/* Fill with records that tile the ring exactly: 32 of 128 bytes. */
static int fill_tiles(struct shmring *r)
{
	static unsigned char buf[120];
	int n = 0, rc;

	for (;;) {
		tu_fill(buf, sizeof(buf), (uint64_t)n);
		rc = shmring_try_send(r, buf, sizeof(buf));
		if (rc)
			break;
		n++;
		cr_assert_leq(n, (int)(CAP / 128), "more records than room");
	}
	cr_assert_eq(rc, -EAGAIN, "try_send on a full ring: %s",
		     shmring_strerror(rc));
	return n;
}

TU_TEST(spsc, full_and_empty, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(10))
{
	static unsigned char buf[CAP];
	struct shmring *r = both(tu_name(), CAP, 0);
	const void *cp = NULL;
	void *p = NULL;

	cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_recv(r, buf, sizeof(buf), 0), -EAGAIN);
	cr_assert_eq(shmring_peek(r, &cp, 0), -EAGAIN);
	cr_assert_eq(fill_tiles(r), (int)(CAP / 128));
	cr_assert_eq(tu_info(r).used, CAP);
	cr_assert_eq(shmring_send(r, buf, 120, 0), -EAGAIN);
	cr_assert_eq(shmring_try_send(r, buf, 0), -EAGAIN);
	cr_assert_eq(shmring_reserve(r, 1, &p, 0), -EAGAIN);
	/* One record out makes room for exactly one record in. */
	tu_get(r, 120, 0);
	tu_put(r, 120, 77);
	cr_assert_eq(shmring_try_send(r, buf, 0), -EAGAIN);
	for (int i = 1; i < (int)(CAP / 128); i++)
		tu_get(r, 120, (uint64_t)i);
	tu_get(r, 120, 77);
	cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_close(r), 0);
}

TU_TEST(spsc, unlink_while_attached, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *r = both(name, CAP, 0), *o = NULL;

	cr_assert_eq(tu_ring_unlink(name), 0);
	cr_assert(!tu_ring_exists(name));
	cr_assert_eq(tu_ring_open(name, 0, &o), -ENOENT);
	cr_assert_eq(tu_ring_unlink(name), -ENOENT);
	tu_put(r, 77, 7);
	tu_get(r, 77, 7);
	/* The name is free again for a new ring. */
	o = tu_create(name, CAP, 0, 0);
	cr_assert_eq(shmring_close(o), 0);
	cr_assert_eq(shmring_close(r), 0);
}

/*
 * A child process opens the ring by its name and sends: on the anon and
 * memfd backends through what it inherited (the handle, the descriptor),
 * on the others through the name itself. Its close is the end of stream.
 */
TU_TEST(spsc, child_by_name, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(30))
{
	const int64_t wait = (int64_t)(10e9 * TU_SLOW);
	static unsigned char buf[512];
	const char *name = tu_name();
	struct shmring *c = tu_create(name, CAP, 0, SHMRING_CONSUMER);
	uint64_t n = tu_scaled(20000, 500);
	pid_t pid = tu_fork();

	if (pid == 0) {
		struct shmring *p = NULL;

		if (tu_ring_open(name, SHMRING_PRODUCER, &p) != 0)
			_exit(1);
		for (uint64_t i = 0; i < n; i++) {
			size_t len = (size_t)(i % 300);

			tu_fill(buf, len, i);
			if (shmring_send(p, buf, len, wait) != 0)
				_exit(2);
		}
		_exit(shmring_close(p) ? 3 : 0);
	}
	for (uint64_t i = 0; i < n; i++) {
		ssize_t got = shmring_recv(c, buf, sizeof(buf), wait);

		cr_assert_eq(got, (ssize_t)(i % 300), "message %llu: %zd",
			     (unsigned long long)i, got);
		cr_assert_eq(tu_check(buf, (size_t)got, i), 0,
			     "message %llu differs", (unsigned long long)i);
	}
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), wait), -EPIPE);
	tu_wait_ok(pid, "producer");
	cr_assert_eq(shmring_close(c), 0);
}

/*
 * A monitor handle (role 0) reads the ring but cannot write it: the
 * calls that write refuse (test_errors), and the application area, a
 * plain pointer, is mapped read-only. The kernel says so without a
 * fault (which a sanitizer would take for a crash): read(2) into a page
 * the process may not write fails with EFAULT. On every kind of memory:
 * the anonymous kind maps the ring again for the monitor, and that
 * mapping was once left writable (checked by removing the mprotect() in
 * region_dup(): the read succeeded).
 */
TU_TEST(spsc, monitor_read_only, TU_KIND(SHMRING_SPSC), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *p = tu_create(name, 4096, 0, SHMRING_PRODUCER);
	struct shmring *m = tu_open(name, 0);
	void *a = NULL;
	size_t size = 0;
	ssize_t n;
	int fd;

	cr_assert_eq(shmring_app_area(m, &a, &size), 0);
	cr_assert_geq(size, 1);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "/dev/zero: %s", strerror(errno));
	n = read(fd, a, 1);
	cr_assert(n == -1 && errno == EFAULT,
		  "a write through a monitor's application area was not refused: "
		  "read gave %zd (%s)", n, n < 0 ? strerror(errno) : "written");
	close(fd);
	cr_assert_eq(shmring_close(m), 0);
	cr_assert_eq(shmring_close(p), 0);
}
