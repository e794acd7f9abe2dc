/* test_eos.c - end of stream and peer death, on every ring kind and backing: -EPIPE after the last producer or consumer closes or dies (SIGKILL), blocked and polling peers woken in time, nothing before a peer ever attached; with many producers or consumers, the last one. */
#include "testutil.h"

#include <sys/uio.h>

#define K 50

/* Detection of a peer's death or close: the aim is 100 ms; 1 s is the
 * bound asserted, so that a loaded machine does not fail the test. */
#define EOS_BOUND_NS 1000000000

/*
 * A child with a pipe each way. The ring's role handles are opened after
 * fork() by each side itself: a child must not inherit its parent's
 * attached handle (a copy would look like the parent still attached).
 */
struct kid {
	pid_t pid;
	int up;   /* parent reads what the child says */
	int down; /* parent writes to the child */
};

static struct kid kid_fork(int *up_w, int *down_r)
{
	int up[2], down[2];
	struct kid k;

	tu_pipe(up);
	tu_pipe(down);
	k.pid = tu_fork();
	if (k.pid == 0) {
		close(up[0]);
		close(down[1]);
		*up_w = up[1];
		*down_r = down[0];
		return k;
	}
	close(up[1]);
	close(down[0]);
	k.up = up[0];
	k.down = down[1];
	return k;
}

/* Create the ring with no role, so the creator holds nothing. */
static const char *new_ring(void)
{
	const char *name = tu_name();
	struct shmring *r = tu_create_small(name, 0);

	cr_assert_eq(shmring_close(r), 0);
	return name;
}

static void send_k(struct shmring *p, int n)
{
	unsigned char buf[64];

	for (int i = 0; i < n; i++) {
		tu_fill(buf, (size_t)i % 64, (uint64_t)i);
		cr_assert_eq(shmring_send(p, buf, (size_t)i % 64, 0), 0, "send %d", i);
	}
}

static void recv_k(struct shmring *c, int n)
{
	unsigned char buf[64];

	for (int i = 0; i < n; i++) {
		ssize_t got = shmring_recv(c, buf, sizeof(buf), 5000000000);

		cr_assert_eq(got, i % 64, "message %d: %zd (%s)", i, got,
			     got < 0 ? shmring_strerror((int)got) : "length");
		cr_assert_eq(tu_check(buf, (size_t)got, (uint64_t)i), 0,
			     "message %d corrupt", i);
	}
}

/* In a child: 0 if n messages came whole, else the failing index + 1. */
static int kid_recv_k(struct shmring *c, int n)
{
	unsigned char buf[64];

	for (int i = 0; i < n; i++) {
		ssize_t got = shmring_recv(c, buf, sizeof(buf), 5000000000);

		if (got != i % 64 || tu_check(buf, (size_t)got, (uint64_t)i))
			return i + 1;
	}
	return 0;
}

static int kid_send_k(struct shmring *p, int n)
{
	unsigned char buf[64];

	for (int i = 0; i < n; i++) {
		tu_fill(buf, (size_t)i % 64, (uint64_t)i);
		if (shmring_send(p, buf, (size_t)i % 64, 5000000000))
			return i + 1;
	}
	return 0;
}

/* Every receiving call sees the end of stream at once, and keeps seeing it. */
static void expect_eos_recv(struct shmring *c)
{
	unsigned char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	const void *p = NULL;
	int64_t t0 = tu_now_ns();

	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EPIPE);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 0), -EPIPE);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 2000000000), -EPIPE);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), -1), -EPIPE);
	cr_assert_eq(shmring_peek(c, &p, -1), -EPIPE);
	cr_assert_eq(shmring_recv_burst(c, &iov, 1, -1), -EPIPE);
	cr_assert_lt(tu_now_ns() - t0, 1000000000, "end of stream made recv wait");
}

static void expect_eos_send(struct shmring *p)
{
	unsigned char buf[64] = { 0 };
	struct iovec iov = { buf, 8 };
	void *vp = NULL;
	int64_t t0 = tu_now_ns();

	cr_assert_eq(shmring_try_send(p, buf, 8), -EPIPE);
	cr_assert_eq(shmring_send(p, buf, 8, 0), -EPIPE);
	cr_assert_eq(shmring_send(p, buf, 8, 2000000000), -EPIPE);
	cr_assert_eq(shmring_send(p, buf, 8, -1), -EPIPE);
	cr_assert_eq(shmring_send_burst(p, &iov, 1, -1), -EPIPE);
	cr_assert_eq(shmring_reserve(p, 8, &vp, -1), -EPIPE);
	cr_assert_lt(tu_now_ns() - t0, 1000000000, "end of stream made send wait");
}

TU_TEST(eos, producer_close, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *p = tu_create_small(name, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct shmring *m = tu_open(name, 0);

	send_k(p, K);
	cr_assert_eq(shmring_close(p), 0);
	/* Everything sent before the close is still delivered, in order. */
	recv_k(c, K);
	/* A monitor attached is not a producer. */
	expect_eos_recv(c);
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(m), 0);
	cr_assert_eq(shmring_close(c), 0);
}

TU_TEST(eos, producer_close_full_ring, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *p = tu_create_small(name, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	unsigned char buf[120];
	int n = 0;

	for (;; n++) {
		int rc;

		tu_fill(buf, sizeof(buf), (uint64_t)n);
		rc = shmring_try_send(p, buf, sizeof(buf));
		if (rc == -EAGAIN)
			break;
		cr_assert_eq(rc, 0);
	}
	cr_assert_gt(n, 0);
	cr_assert_eq(shmring_close(p), 0);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), sizeof(buf),
			     "message %d of %d lost at the close", i, n);
		cr_assert_eq(tu_check(buf, sizeof(buf), (uint64_t)i), 0);
	}
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(c), 0);
}

/* A reservation left open at close is dropped, not delivered. */
TU_TEST(eos, producer_close_with_reservation, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *p = tu_create_small(name, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	void *vp = NULL;

	send_k(p, 3);
	cr_assert_eq(shmring_reserve(p, 100, &vp, 0), 0);
	memset(vp, 'z', 100);
	cr_assert_eq(shmring_close(p), 0);
	recv_k(c, 3);
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(c), 0);
}

TU_TEST(eos, consumer_close, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *p = tu_create_small(name, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct shmring *m = tu_open(name, 0);

	send_k(p, 3);
	cr_assert_eq(shmring_close(c), 0);
	expect_eos_send(p);
	cr_assert_eq(shmring_close(m), 0);
	cr_assert_eq(shmring_close(p), 0);
}

/* Before any consumer attached, a producer fills the ring and waits. */
TU_TEST(eos, no_consumer_yet, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *p = tu_create_small(name, SHMRING_PRODUCER);
	struct shmring *c;
	unsigned char buf[100];
	int n = 0, rc;
	int64_t t0;

	for (;; n++) {
		tu_fill(buf, sizeof(buf), (uint64_t)n);
		rc = shmring_try_send(p, buf, sizeof(buf));
		if (rc)
			break;
	}
	cr_assert_eq(rc, -EAGAIN, "full ring, no consumer yet: %s",
		     shmring_strerror(rc));
	cr_assert_geq((size_t)n, tu_kind_now->holds(sizeof(buf)),
		      "only %d messages fit", n);
	t0 = tu_now_ns();
	rc = shmring_send(p, buf, sizeof(buf), 50000000);
	cr_assert_eq(rc, -ETIMEDOUT, "timed send, no consumer yet: %s",
		     shmring_strerror(rc));
	cr_assert_geq(tu_now_ns() - t0, 50000000);
	/* The consumer that comes later gets all of it (a broadcast
	 * subscriber once it has sought back to it). */
	c = tu_open_late(name);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), sizeof(buf));
		cr_assert_eq(tu_check(buf, sizeof(buf), (uint64_t)i), 0);
	}
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_close(c), 0);
	expect_eos_send(p);
	cr_assert_eq(shmring_close(p), 0);
}

/* Before any producer attached, a consumer waits. */
TU_TEST(eos, no_producer_yet, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *c = tu_create_small(name, SHMRING_CONSUMER);
	struct shmring *p;
	unsigned char buf[64];
	int64_t t0;
	ssize_t rc;

	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EAGAIN);
	t0 = tu_now_ns();
	rc = shmring_recv(c, buf, sizeof(buf), 50000000);
	cr_assert_eq(rc, -ETIMEDOUT, "timed recv, no producer yet: %zd", rc);
	cr_assert_geq(tu_now_ns() - t0, 50000000);
	/* A monitor is no producer either. */
	p = tu_open(name, 0);
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_close(p), 0);
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EAGAIN);

	p = tu_open(name, SHMRING_PRODUCER);
	send_k(p, K);
	recv_k(c, K);
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_close(p), 0);
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(c), 0);
}

/* A ring created with no role has no peer at all: both sides wait. */
TU_TEST(eos, created_without_role, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = new_ring();
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct shmring *p;
	unsigned char buf[8];

	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 1000000), -ETIMEDOUT);
	cr_assert_eq(shmring_close(c), 0);
	/* That consumer has come and gone: now a send is refused. */
	p = tu_open(name, SHMRING_PRODUCER);
	expect_eos_send(p);
	cr_assert_eq(shmring_close(p), 0);
}

/*
 * A peer blocked in a call with no timeout is woken by the other side's
 * close (how == 0) or death by SIGKILL (how == 1), and the blocked call
 * reports -EPIPE. The blocked side runs in a child that reports when its
 * call returned; the parent times from just before the close or kill.
 * (Checked: with the MPMC send's wait condition no longer reporting the
 * consumers gone, the MPMC rows of blocked_producer_woken_by_close time
 * out.)
 */
enum { BY_CLOSE, BY_KILL };

static void blocked_peer(int blocked_role, int how, uint64_t spin)
{
	const char *name = new_ring();
	struct shmring *mine = NULL;
	struct tu_report rep;
	struct kid waiter, other = { 0 };
	int up, down, asleep;
	int64_t t0, lat;
	const char *what;

	what = blocked_role == SHMRING_CONSUMER ? "blocked consumer" :
						  "blocked producer";
	waiter = kid_fork(&up, &down);
	if (waiter.pid == 0) {
		struct tu_report r = { 0 };
		unsigned char buf[120] = { 0 };
		struct shmring *h = NULL;

		if (tu_ring_open(name, blocked_role, &h))
			_exit(10);
		shmring_set_spin(h, spin);
		tu_signal(up);
		if (tu_await(down))
			_exit(11);
		if (blocked_role == SHMRING_CONSUMER) {
			r.step = kid_recv_k(h, K) ? 12 : 0;
			tu_signal(up);
			r.rc = shmring_recv(h, buf, sizeof(buf), -1);
		} else {
			while (shmring_try_send(h, buf, sizeof(buf)) == 0)
				;
			tu_signal(up);
			r.rc = shmring_send(h, buf, sizeof(buf), -1);
		}
		r.t = tu_now_ns();
		tu_report_send(up, &r);
		_exit(0);
	}
	/* Attached before the other side sends: a broadcast subscriber
	 * gets only what is sent after it attached. */
	cr_assert_eq(tu_await(waiter.up), 0, "%s: child did not attach", what);
	/* The other side: this process, or a child to kill. */
	if (how == BY_CLOSE) {
		mine = tu_open(name, blocked_role ^ 3);
		if (blocked_role == SHMRING_CONSUMER)
			send_k(mine, K);
	} else {
		int oup, odown;

		other = kid_fork(&oup, &odown);
		if (other.pid == 0) {
			struct shmring *h = NULL;

			if (tu_ring_open(name, blocked_role ^ 3, &h))
				_exit(20);
			if (blocked_role == SHMRING_CONSUMER && kid_send_k(h, K))
				_exit(21);
			tu_signal(oup);
			for (;;)
				pause();
		}
		cr_assert_eq(tu_await(other.up), 0, "other side did not attach");
	}
	tu_signal(waiter.down);
	cr_assert_eq(tu_await(waiter.up), 0, "%s: child did not get ready", what);
	asleep = tu_wait_asleep(waiter.pid);

	t0 = tu_now_ns();
	if (how == BY_CLOSE) {
		cr_assert_eq(shmring_close(mine), 0);
	} else {
		kill(other.pid, SIGKILL);
		(void)tu_wait(other.pid);
	}
	rep = tu_report_read(waiter.up, what);
	tu_wait_ok(waiter.pid, what);
	lat = rep.t - t0;
	fprintf(stderr, "%s (spin %llu ns, %s): woken %.3f ms after the peer's %s%s\n",
		what, (unsigned long long)spin, asleep ? "seen asleep" : "not seen asleep",
		(double)lat / 1e6, how == BY_CLOSE ? "close" : "SIGKILL",
		lat > 100000000 ? " (above the 100 ms aim)" : "");
	cr_assert_eq(rep.rc, -EPIPE, "%s: call returned %lld (%s)", what,
		     (long long)rep.rc, shmring_strerror((int)rep.rc));
	cr_assert_lt(lat, EOS_BOUND_NS, "%s: woken after %lld ms", what,
		     (long long)(lat / 1000000));
}

TU_TEST(eos, blocked_consumer_woken_by_close, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	blocked_peer(SHMRING_CONSUMER, BY_CLOSE, 0);
	blocked_peer(SHMRING_CONSUMER, BY_CLOSE, SHMRING_DEFAULT_SPIN_NS);
}

TU_TEST(eos, blocked_producer_woken_by_close, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	blocked_peer(SHMRING_PRODUCER, BY_CLOSE, 0);
	blocked_peer(SHMRING_PRODUCER, BY_CLOSE, SHMRING_DEFAULT_SPIN_NS);
}

TU_TEST(eos, blocked_consumer_woken_by_kill, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	blocked_peer(SHMRING_CONSUMER, BY_KILL, 0);
	blocked_peer(SHMRING_CONSUMER, BY_KILL, SHMRING_DEFAULT_SPIN_NS);
}

TU_TEST(eos, blocked_producer_woken_by_kill, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	blocked_peer(SHMRING_PRODUCER, BY_KILL, 0);
	blocked_peer(SHMRING_PRODUCER, BY_KILL, SHMRING_DEFAULT_SPIN_NS);
}

/* A child that attaches with role, optionally sends K, says so, waits to die. */
static struct kid doomed(const char *name, int role, int send, int reserve)
{
	int up, down;
	struct kid k = kid_fork(&up, &down);

	if (k.pid == 0) {
		struct shmring *h = NULL;
		void *vp = NULL;

		if (tu_ring_open(name, role, &h))
			_exit(10);
		if (send && kid_send_k(h, K))
			_exit(11);
		if (reserve) {
			if (shmring_reserve(h, 64, &vp, 0))
				_exit(12);
			memset(vp, 'r', 64);
		}
		tu_signal(up);
		for (;;)
			pause();
	}
	cr_assert_eq(tu_await(k.up), 0, "doomed child did not attach");
	return k;
}

/* Poll a call until it stops answering -EAGAIN; return how long it took. */
static int64_t poll_until_pipe(struct shmring *r, int sending, const char *what)
{
	unsigned char buf[120] = { 0 };
	int64_t t0 = tu_now_ns(), end = t0 + 5000000000, el;
	long rc;

	do
		rc = sending ? shmring_try_send(r, buf, sizeof(buf)) :
			       shmring_try_recv(r, buf, sizeof(buf));
	while (rc == -EAGAIN && tu_now_ns() < end);
	el = tu_now_ns() - t0;
	fprintf(stderr, "%s: -EPIPE seen %.3f ms after the peer was reaped\n", what,
		(double)el / 1e6);
	cr_assert_eq(rc, -EPIPE, "%s: %ld (%s)", what, rc, shmring_strerror((int)rc));
	cr_assert_lt(el, EOS_BOUND_NS, "%s: took %lld ms", what,
		     (long long)(el / 1000000));
	return el;
}

TU_TEST(eos, polling_consumer_sees_producer_death, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = new_ring();
	struct kid k = doomed(name, SHMRING_PRODUCER, 1, 0);
	struct shmring *c = tu_open_late(name);

	recv_k(c, K);
	tu_kill(k.pid);
	poll_until_pipe(c, 0, "polling consumer, producer killed");
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(c), 0);
}

TU_TEST(eos, polling_producer_sees_consumer_death, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = new_ring();
	struct kid k = doomed(name, SHMRING_CONSUMER, 0, 0);
	struct shmring *p = tu_open(name, SHMRING_PRODUCER);
	unsigned char buf[120] = { 0 };

	while (shmring_try_send(p, buf, sizeof(buf)) == 0)
		;
	tu_kill(k.pid);
	poll_until_pipe(p, 1, "polling producer, consumer killed");
	expect_eos_send(p);
	cr_assert_eq(shmring_close(p), 0);
}

/* What a dead producer sent is still delivered, then the end of stream;
 * its unfinished reservation is not. The consumer attaches after the death. */
TU_TEST(eos, dead_producer_data_survives, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = new_ring();
	struct kid k = doomed(name, SHMRING_PRODUCER, 1, 1);
	struct shmring *c;

	tu_kill(k.pid);
	c = tu_open_late(name);
	recv_k(c, K);
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(c), 0);
}

/* A dead process's role is free again (no -EBUSY), for either role, on
 * the kinds whose roles are held by one process at a time. Not on a
 * broadcast ring: its consumer role is never -EBUSY (many subscribers);
 * a dead publisher's role freed is test_bcast_multiproc's. */
TU_TEST(eos, dead_holder_frees_role, TU_KINDS_WITH(exclusive_roles), .timeout = TU_TIMEOUT(20))
{
	const char *name = new_ring();
	struct kid k = doomed(name, SHMRING_PRODUCER | SHMRING_CONSUMER, 1, 0);
	struct shmring *p = NULL, *c = NULL;
	int rc;

	rc = tu_ring_open(name, SHMRING_PRODUCER, &p);
	cr_assert_eq(rc, -EBUSY, "producer role held by a live child: %s",
		     shmring_strerror(rc));
	rc = tu_ring_open(name, SHMRING_CONSUMER, &c);
	cr_assert_eq(rc, -EBUSY, "consumer role held by a live child: %s",
		     shmring_strerror(rc));
	tu_kill(k.pid);
	rc = tu_ring_open(name, SHMRING_CONSUMER, &c);
	cr_assert_eq(rc, 0, "consumer role of a dead child: %s", shmring_strerror(rc));
	rc = tu_ring_open(name, SHMRING_PRODUCER, &p);
	cr_assert_eq(rc, 0, "producer role of a dead child: %s", shmring_strerror(rc));
	/* The dead child's messages are there, and the new pair works on. */
	recv_k(c, K);
	send_k(p, 5);
	recv_k(c, 5);
	cr_assert_eq(shmring_close(p), 0);
	expect_eos_recv(c);
	cr_assert_eq(shmring_close(c), 0);
}

/* A producer that exits without closing is dead too (exit, not a signal). */
TU_TEST(eos, producer_exit_without_close, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	const char *name = new_ring();
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	pid_t pid = tu_fork();

	if (pid == 0) {
		struct shmring *h = NULL;

		if (tu_ring_open(name, SHMRING_PRODUCER, &h) || kid_send_k(h, K))
			_exit(1);
		_exit(0);
	}
	tu_wait_ok(pid, "producer child");
	recv_k(c, K);
	poll_until_pipe(c, 0, "consumer, producer exited");
	cr_assert_eq(shmring_close(c), 0);
}

/* Nothing queued, and no end of stream either. */
static void expect_empty(struct shmring *c)
{
	char b;
	ssize_t n = shmring_try_recv(c, &b, 1);

	cr_assert_eq(n, -EAGAIN, "try_recv on an empty ring: %zd (%s)", n,
		     n < 0 ? shmring_strerror((int)n) : "length");
}

/*
 * Many producers: the stream ends when the last one closes, not before;
 * one that attaches later counts again. Not on a broadcast ring: its
 * publisher is one at a time (a second is -EBUSY).
 */
TU_TEST(eos, last_of_many_producers, TU_KINDS_WITH(many_peers), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *mon = tu_create_small(name, 0);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct shmring *p1 = tu_open(name, SHMRING_PRODUCER);
	struct shmring *p2 = tu_open(name, SHMRING_PRODUCER);
	struct shmring *p3;
	const void *m = NULL;
	char buf[64];

	tu_put(p1, 1, 1);
	tu_put(p2, 2, 2);
	cr_assert_eq(shmring_close(p1), 0);
	/* One producer left: messages, then empty, not an end of stream. */
	tu_get(c, 1, 1);
	tu_get(c, 2, 2);
	expect_empty(c);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), 20000000), -ETIMEDOUT);
	tu_put(p2, 3, 3);
	tu_put(p2, 4, 4);
	cr_assert_eq(shmring_close(p2), 0);
	cr_assert_eq(tu_info(mon).producers, 0);
	/* The last one closed: drain, then -EPIPE, for every call. */
	tu_get(c, 3, 3);
	tu_get(c, 4, 4);
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EPIPE);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), -1), -EPIPE);
	cr_assert_eq(shmring_peek(c, &m, -1), -EPIPE);
	/* A producer attaching later counts again. */
	p3 = tu_open(name, SHMRING_PRODUCER);
	expect_empty(c);
	tu_put(p3, 5, 5);
	tu_get(c, 5, 5);
	cr_assert_eq(shmring_close(p3), 0);
	cr_assert_eq(shmring_recv(c, buf, sizeof(buf), -1), -EPIPE);
	cr_assert_eq(shmring_close(c), 0);
	cr_assert_eq(shmring_close(mon), 0);
}

/* Many consumers: sends fail when the last one closed, until another
 * attaches, which gets what was queued (a broadcast subscriber once it
 * has sought back to it). */
TU_TEST(eos, last_of_many_consumers, TU_KINDS_WITH(many_consumers), .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring *p = tu_create_small(name, SHMRING_PRODUCER);
	struct shmring *c1 = tu_open(name, SHMRING_CONSUMER);
	struct shmring *c2 = tu_open(name, SHMRING_CONSUMER);
	struct shmring *c3;
	void *q = NULL;

	tu_put(p, 1, 1);
	cr_assert_eq(shmring_close(c1), 0);
	tu_put(p, 2, 2);
	cr_assert_eq(shmring_close(c2), 0);
	cr_assert_eq(shmring_try_send(p, "x", 1), -EPIPE);
	cr_assert_eq(shmring_send(p, "x", 1, -1), -EPIPE);
	cr_assert_eq(shmring_reserve(p, 1, &q, -1), -EPIPE);
	c3 = tu_open_late(name);
	tu_put(p, 3, 3);
	tu_get(c3, 1, 1);
	tu_get(c3, 2, 2);
	tu_get(c3, 3, 3);
	cr_assert_eq(shmring_close(c3), 0);
	cr_assert_eq(shmring_send(p, "x", 1, -1), -EPIPE);
	cr_assert_eq(shmring_close(p), 0);
}
