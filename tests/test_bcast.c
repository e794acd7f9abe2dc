/* test_bcast.c - broadcast rings in one process, on every backing: every subscriber gets every message, back-pressure holds the publisher for the slowest, overwrite reports -EOVERFLOW and counts losses exactly, -ESTALE, history and seek, a second publisher, end of stream, errors. */
#include "testutil.h"

#define CAP 4096u
#define MAXM 200u

static struct shmring *bc_create(const char *name, unsigned flags, int role)
{
	struct shmring_opts o = { .kind = SHMRING_BCAST, .capacity = CAP,
				  .max_msg = MAXM, .flags = flags };
	struct shmring *r = NULL;
	int rc = tu_ring_create(name, &o, role, &r);

	cr_assert_eq(rc, 0, "create bcast on %s: %s", tu_backend_name(),
		     shmring_strerror(rc));
	return r;
}

/* Message i: its number in the first 8 bytes, then bytes of (i, len). */
static size_t msg_make(unsigned char *buf, uint64_t i)
{
	size_t len = 8 + (size_t)(i * 37 % (MAXM - 8));

	memcpy(buf, &i, 8);
	tu_fill(buf + 8, len - 8, i);
	return len;
}

static void send_n(struct shmring *p, uint64_t from, uint64_t n)
{
	unsigned char buf[MAXM];

	for (uint64_t i = from; i < from + n; i++) {
		size_t len = msg_make(buf, i);
		int rc = shmring_try_send(p, buf, len);

		cr_assert_eq(rc, 0, "send %llu: %s", (unsigned long long)i,
			     shmring_strerror(rc));
	}
}

/* Receive one message; assert it is message @want, intact. */
static void expect_msg(struct shmring *s, uint64_t want)
{
	unsigned char buf[MAXM];
	ssize_t n = shmring_try_recv(s, buf, sizeof(buf));
	uint64_t got;

	cr_assert_geq(n, 8, "recv, want %llu: %s", (unsigned long long)want,
		      shmring_strerror((int)n));
	memcpy(&got, buf, 8);
	cr_assert_eq(got, want, "got message %llu, want %llu",
		     (unsigned long long)got, (unsigned long long)want);
	cr_assert_eq((size_t)n, msg_make(buf, want), "length of %llu",
		     (unsigned long long)want);
	cr_assert_eq(tu_check(buf + 8, (size_t)n - 8, want), 0, "torn %llu",
		     (unsigned long long)want);
}

/* Three subscribers each get all of it, in order, and lose nothing. */
TU_TEST(bcast, every_subscriber_gets_every_message, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *p = bc_create(name, 0, SHMRING_PRODUCER);
	struct shmring *s[3];
	uint64_t lost = 1;

	struct shmring_subscriber sub[SHMRING_MAX_PEERS];

	for (int k = 0; k < 3; k++)
		s[k] = tu_open(name, SHMRING_CONSUMER);
	send_n(p, 0, 20);
	/* Monitors see each one's lag: all of it, before it reads. */
	cr_assert_eq(shmring_subscribers(p, sub, SHMRING_MAX_PEERS), 3);
	for (int k = 0; k < 3; k++) {
		cr_assert_eq(sub[k].pid, getpid());
		cr_assert(sub[k].alive);
		cr_assert_gt(sub[k].lag, 20 * 8);
		cr_assert_eq(sub[k].lost, 0);
	}
	for (int k = 0; k < 3; k++) {
		for (uint64_t i = 0; i < 20; i++)
			expect_msg(s[k], i);
		cr_assert_eq(shmring_try_recv(s[k], NULL, 0), -EAGAIN);
		cr_assert_eq(shmring_lost(s[k], &lost), 0);
		cr_assert_eq(lost, 0);
	}
	cr_assert_eq(shmring_subscribers(p, sub, 2), 2, "at most n");
	cr_assert_eq(shmring_subscribers(p, sub, SHMRING_MAX_PEERS), 3);
	for (int k = 0; k < 3; k++)
		cr_assert_eq(sub[k].lag, 0, "all read");
	for (int k = 0; k < 3; k++)
		shmring_close(s[k]);
	shmring_close(p);
}

/* Back-pressure: the slowest subscriber holds the publisher; closing it
 * lets the publisher go on; the last one closing is -EPIPE. Checked to
 * fail: with bp_fits() in lib/bcast.c always true, the ring never fills. */
TU_TEST(bcast, back_pressure_waits_for_the_slowest, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *p = bc_create(name, 0, SHMRING_PRODUCER);
	struct shmring *fast = tu_open(name, SHMRING_CONSUMER);
	struct shmring *slow = tu_open(name, SHMRING_CONSUMER);
	unsigned char buf[MAXM];
	uint64_t i = 0;
	int rc;

	memset(buf, 0, sizeof(buf));
	/* Fill: the fast one keeps up, the slow one reads nothing. */
	while ((rc = shmring_try_send(p, buf, 64)) == 0) {
		cr_assert_geq(shmring_try_recv(fast, buf, sizeof(buf)), 0);
		cr_assert_lt(++i, CAP, "the slow subscriber never held it");
	}
	cr_assert_eq(rc, -EAGAIN, "send: %s", shmring_strerror(rc));
	cr_assert_gt(i, CAP / 128);
	cr_assert_eq(shmring_try_send(p, buf, 64), -EAGAIN);
	/* The slow one reads one: room again. */
	cr_assert_eq(shmring_try_recv(slow, buf, sizeof(buf)), 64);
	cr_assert_eq(shmring_try_send(p, buf, 64), 0);
	/* Closed, it holds nobody back. */
	shmring_close(slow);
	for (int k = 0; k < 200; k++) {
		cr_assert_eq(shmring_try_send(p, buf, 64), 0, "send %d", k);
		cr_assert_geq(shmring_try_recv(fast, buf, sizeof(buf)), 0);
	}
	shmring_close(fast);
	cr_assert_eq(shmring_try_send(p, buf, 64), -EPIPE);
	shmring_close(p);
}

/* Overwrite: the publisher never waits; the lapped subscriber gets
 * -EOVERFLOW once, then the oldest intact message, and lost counts
 * exactly the gap. Checked to fail: with account() in lib/bcast.c
 * counting nothing, lost stays 0. */
TU_TEST(bcast, overwrite_reports_and_counts_losses, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *p = bc_create(name, SHMRING_OVERWRITE, SHMRING_PRODUCER);
	struct shmring *s = tu_open(name, SHMRING_CONSUMER);
	unsigned char buf[MAXM];
	uint64_t lost = 0, got, n = 10 * CAP / 64, recvd = 0;
	ssize_t len;

	send_n(p, 0, 3);
	expect_msg(s, 0);
	send_n(p, 3, n - 3);
	len = shmring_try_recv(s, buf, sizeof(buf));
	cr_assert_eq(len, -EOVERFLOW, "lapped: %s", shmring_strerror((int)len));
	cr_assert_eq(shmring_lost(s, &lost), 0);
	cr_assert_gt(lost, 0);
	/* The next is the oldest intact, and the count says which. */
	len = shmring_try_recv(s, buf, sizeof(buf));
	cr_assert_geq(len, 8, "%s", shmring_strerror((int)len));
	memcpy(&got, buf, 8);
	cr_assert_eq(got, 1 + lost, "resumed at %llu after losing %llu",
		     (unsigned long long)got, (unsigned long long)lost);
	cr_assert_eq(tu_check(buf + 8, (size_t)len - 8, got), 0);
	recvd = 2;
	for (uint64_t i = got + 1; i < n; i++, recvd++)
		expect_msg(s, i);
	cr_assert_eq(shmring_try_recv(s, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(recvd + lost, n);
	/* The ring's stats show the loss. */
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(p, &st), 0);
	cr_assert_eq(st.msgs_lost, lost);
	shmring_close(s);
	/* Nobody subscribed: still no -EPIPE, and no waiting. */
	send_n(p, n, 2 * CAP / 64);
	shmring_close(p);
}

/* A peeked message written over while held: release says -ESTALE, and
 * the next receive gives the oldest intact one (no second report).
 * Checked to fail: without the check in bcast_release(), release is 0. */
TU_TEST(bcast, release_of_an_overwritten_peek_is_estale, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *p = bc_create(name, SHMRING_OVERWRITE, SHMRING_PRODUCER);
	struct shmring *s = tu_open(name, SHMRING_CONSUMER);
	const void *m;
	unsigned char buf[MAXM];
	uint64_t lost, got;
	ssize_t len;

	send_n(p, 0, 1);
	cr_assert_geq(shmring_peek(s, &m, 0), 8);
	cr_assert_eq(shmring_release(s), 0, "not overwritten yet");
	send_n(p, 1, 1);
	cr_assert_geq(shmring_peek(s, &m, 0), 8);
	send_n(p, 2, 4 * CAP / 64);
	cr_assert_eq(shmring_release(s), -ESTALE);
	len = shmring_try_recv(s, buf, sizeof(buf));
	cr_assert_geq(len, 8, "after -ESTALE: %s", shmring_strerror((int)len));
	memcpy(&got, buf, 8);
	cr_assert_eq(shmring_lost(s, &lost), 0);
	cr_assert_eq(got, 1 + lost, "got %llu, lost %llu",
		     (unsigned long long)got, (unsigned long long)lost);
	shmring_close(s);
	shmring_close(p);
}

/* History: a late joiner starts after its attach; SEEK_OLDEST replays
 * what is intact, SEEK_NEWEST skips the backlog; neither counts lost.
 * Checked to fail: with bcast_seek() always going to the newest. */
TU_TEST(bcast, history_and_seek, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	for (unsigned flags = 0; flags <= SHMRING_OVERWRITE;
	     flags += SHMRING_OVERWRITE) {
		const char *name = tu_name();
		struct shmring *p = bc_create(name, flags, SHMRING_PRODUCER);
		struct shmring *s;
		uint64_t lost = 1;

		send_n(p, 0, 10);
		s = tu_open(name, SHMRING_CONSUMER);
		cr_assert_eq(shmring_try_recv(s, NULL, 0), -EAGAIN, "joined late");
		send_n(p, 10, 5);
		for (uint64_t i = 10; i < 15; i++)
			expect_msg(s, i);
		cr_assert_eq(shmring_seek(s, SHMRING_SEEK_OLDEST), 0);
		for (uint64_t i = 0; i < 15; i++)
			expect_msg(s, i);
		cr_assert_eq(shmring_seek(s, SHMRING_SEEK_OLDEST), 0);
		expect_msg(s, 0);
		cr_assert_eq(shmring_seek(s, SHMRING_SEEK_NEWEST), 0);
		cr_assert_eq(shmring_try_recv(s, NULL, 0), -EAGAIN);
		send_n(p, 15, 1);
		expect_msg(s, 15);
		cr_assert_eq(shmring_lost(s, &lost), 0);
		cr_assert_eq(lost, 0, "seeking is not losing");
		shmring_close(s);
		shmring_close(p);
		tu_ring_unlink(name);
	}
}

/* One publisher: a second live one is -EBUSY; once it closed, a new one
 * takes over and the numbering goes on. Checked to fail: with the
 * publisher taking any free entry (claim_any() in lib/peer.c). */
TU_TEST(bcast, second_publisher_is_ebusy, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *p = bc_create(name, 0, SHMRING_PRODUCER);
	struct shmring *s = tu_open(name, SHMRING_CONSUMER);
	struct shmring *q = NULL;

	cr_assert_eq(tu_ring_open(name, SHMRING_PRODUCER, &q), -EBUSY);
	send_n(p, 0, 3);
	shmring_close(p);
	q = tu_open(name, SHMRING_PRODUCER);
	send_n(q, 3, 3);
	for (uint64_t i = 0; i < 6; i++)
		expect_msg(s, i);
	shmring_close(q);
	cr_assert_eq(shmring_try_recv(s, NULL, 0), -EPIPE, "end of stream");
	shmring_close(s);
}

/* Bursts, zero-copy and end of stream. */
TU_TEST(bcast, bursts_reserve_and_end_of_stream, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *p = bc_create(name, 0, SHMRING_PRODUCER);
	struct shmring *s = tu_open(name, SHMRING_CONSUMER);
	unsigned char in[4][MAXM], out[4][MAXM];
	struct iovec iv[4], ov[4];
	void *w;
	const void *m;

	for (int k = 0; k < 4; k++) {
		iv[k].iov_base = in[k];
		iv[k].iov_len = msg_make(in[k], (uint64_t)k);
		ov[k].iov_base = out[k];
		ov[k].iov_len = MAXM;
	}
	cr_assert_eq(shmring_send_burst(p, iv, 4, 0), 4);
	cr_assert_eq(shmring_recv_burst(s, ov, 4, 0), 4);
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(ov[k].iov_len, iv[k].iov_len);
		cr_assert_eq(memcmp(out[k], in[k], iv[k].iov_len), 0);
	}
	cr_assert_eq(shmring_reserve(p, MAXM, &w, 0), 0);
	memcpy(w, in[2], iv[2].iov_len);
	cr_assert_eq(shmring_commit(p, iv[2].iov_len), 0);
	cr_assert_eq(shmring_peek(s, &m, 0), (ssize_t)iv[2].iov_len);
	cr_assert_eq(memcmp(m, in[2], iv[2].iov_len), 0);
	cr_assert_eq(shmring_release(s), 0);
	cr_assert_eq(shmring_release(s), -EINVAL);
	send_n(p, 7, 1);
	shmring_close(p);
	expect_msg(s, 7);
	cr_assert_eq(shmring_recv(s, NULL, 0, 1000000000), -EPIPE);
	shmring_close(s);
}

/* What the calls refuse, and what info says. */
TU_TEST(bcast, errors_and_info, TU_KIND(SHMRING_BCAST), .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring_opts o = { .kind = SHMRING_SPSC, .flags = SHMRING_OVERWRITE };
	struct shmring *r = NULL, *p, *s;
	struct shmring_info info;
	uint64_t lost;

	cr_assert_eq(tu_ring_create(name, &o, 0, &r), -EINVAL,
		     "SHMRING_OVERWRITE on SPSC");
	o.kind = SHMRING_BCAST;
	o.flags = 0x80u;
	cr_assert_eq(tu_ring_create(name, &o, 0, &r), -EINVAL);
	o.flags = 0;
	o.capacity = CAP;
	o.max_msg = CAP / 2 - 8;
	cr_assert_eq(tu_ring_create(name, &o, 0, &r), -EINVAL, "no room for the number");
	p = bc_create(name, SHMRING_OVERWRITE, SHMRING_PRODUCER);
	s = tu_open(name, SHMRING_CONSUMER);
	cr_assert_eq(shmring_seek(s, 7), -EINVAL);
	cr_assert_eq(shmring_seek(p, SHMRING_SEEK_OLDEST), -EPERM);
	cr_assert_eq(shmring_lost(p, &lost), -EPERM);
	cr_assert_eq(shmring_lost(s, NULL), -EINVAL);
	cr_assert_eq(shmring_seek(NULL, 0), -EINVAL);
	cr_assert_eq(shmring_info(s, &info), 0);
	cr_assert_eq(info.kind, SHMRING_BCAST);
	cr_assert_eq(info.flags, SHMRING_OVERWRITE);
	cr_assert_eq(info.max_msg, MAXM);
	cr_assert_eq(info.producers, 1);
	cr_assert_eq(info.consumers, 1);
	struct shmring_subscriber sub;
	struct shmring_opts so = { .kind = SHMRING_SPSC };
	struct shmring *sp = NULL;
	const char *spname = tu_name();
	cr_assert_eq(tu_ring_create(spname, &so, 0, &sp), 0);
	cr_assert_eq(shmring_subscribers(sp, &sub, 1), -EINVAL, "not bcast");
	cr_assert_eq(shmring_seek(sp, SHMRING_SEEK_OLDEST), -EINVAL);
	shmring_close(sp);
	cr_assert_str_eq(shmring_strerror(-EOVERFLOW),
			 "overtaken by the publisher: messages were lost");
	shmring_close(s);
	shmring_close(p);
}
