/*
 * test_await.c - the receive that waits on an empty SPSC ring spins on
 * the next record's header alone (spsc_recv1_await() in lib/spsc.c):
 * it takes a record published while it spins, whole and counted once
 * (a receive burst spins the same way);
 * it leaves a record its buffer cannot take to the general path; and,
 * spinning on one word, it still hears an end of stream and keeps its
 * timeout, which the spin alone (set to a minute here) would not.
 *
 * The library calls its test hook (a hidden symbol: this program links
 * the library statically) where that spin starts; the hook acts there,
 * in the receiving thread, so nothing races and nothing sleeps. Both
 * handles share one process and one memfd ring.
 */
#include "testutil.h"

#include "hooks.h" /* lib/: the hook and its points */

#define LONG_SPIN_NS (60 * INT64_C(1000000000)) /* far past .timeout */
#define SECOND_NS INT64_C(1000000000)

static struct shmring *prod, *cons;
static unsigned awaits;
static void (*at_await)(void); /* what the hook does at its first call */

static void hook(int where)
{
	if (where != HOOK_CONSUMER_AWAIT)
		return;
	if (awaits++ == 0 && at_await)
		at_await();
}

static void setup(void)
{
	struct shmring_opts o = { .kind = SHMRING_SPSC, .capacity = 4096,
				  .max_msg = 128 };
	cr_assert_eq(shmring_create_memfd(&o, SHMRING_PRODUCER, &prod), 0);
	cr_assert_eq(shmring_open_fd(shmring_fd(prod), SHMRING_CONSUMER,
				     &cons), 0);
	cr_assert_eq(shmring_set_spin(cons, (uint64_t)LONG_SPIN_NS), 0);
	awaits = 0;
	at_await = NULL;
	shmring_test_hook = hook;
}

static void teardown(void)
{
	shmring_test_hook = NULL;
	if (cons)
		shmring_close(cons);
	if (prod)
		shmring_close(prod);
	cons = prod = NULL;
}

TestSuite(await, .init = setup, .fini = teardown, .timeout = 30);

static void send_40(void)
{
	unsigned char m[40];
	tu_fill(m, sizeof m, 7);
	cr_assert_eq(shmring_send(prod, m, sizeof m, 0), 0);
}

/* The ring's first header is trusted (cleared at creation) only after a
 * record: one message through first, as in a stream. */
static void one_through(void)
{
	unsigned char m[16];
	tu_fill(m, sizeof m, 1);
	cr_assert_eq(shmring_send(prod, m, sizeof m, 0), 0);
	cr_assert_eq(shmring_recv(cons, m, sizeof m, 0), (ssize_t)sizeof m);
}

Test(await, takes_a_record_published_while_it_spins)
{
	unsigned char out[128];
	struct shmring_stats before, after;
	one_through();
	cr_assert_eq(shmring_stats(cons, &before), 0);
	at_await = send_40;
	cr_assert_eq(shmring_recv(cons, out, sizeof out, -1), 40);
	cr_assert_eq(awaits, 1, "the wait spun on the header: %u", awaits);
	cr_assert_eq(tu_check(out, 40, 7), 0, "the record differs");
	cr_assert_eq(shmring_stats(cons, &after), 0);
	cr_assert_eq(after.msgs_recv - before.msgs_recv, 1);
	cr_assert_eq(after.bytes_recv - before.bytes_recv, 40);
	cr_assert_eq(after.times_empty - before.times_empty, 1);
	cr_assert_eq(after.used, 0, "the record was handed back");
	/* The positions moved as the fast path moves them. */
	send_40();
	cr_assert_eq(shmring_recv(cons, out, sizeof out, 0), 40);
	cr_assert_eq(tu_check(out, 40, 7), 0);
}

Test(await, leaves_a_record_too_large_for_the_buffer)
{
	unsigned char out[128];
	one_through();
	at_await = send_40;
	cr_assert_eq(shmring_recv(cons, out, 8, -1), -EMSGSIZE);
	cr_assert_eq(awaits, 1);
	cr_assert_eq(shmring_recv(cons, out, sizeof out, 0), 40,
		     "the message stays in the ring");
	cr_assert_eq(tu_check(out, 40, 7), 0);
}

static void close_producer(void)
{
	cr_assert_eq(shmring_close(prod), 0);
	prod = NULL;
}

/* Without the look at the producer side inside the spin: a minute. */
Test(await, hears_end_of_stream_while_spinning)
{
	unsigned char out[128];
	one_through();
	at_await = close_producer;
	int64_t t0 = tu_now_ns();
	cr_assert_eq(shmring_recv(cons, out, sizeof out, -1), -EPIPE);
	int64_t took = tu_now_ns() - t0;
	cr_assert_eq(awaits, 1);
	cr_assert_lt(took, 10 * SECOND_NS, "end of stream after %lld ns",
		     (long long)took);
}

/* Without the timeout bounding the spin: a minute, not 20 ms. */
Test(await, keeps_its_timeout)
{
	unsigned char out[128];
	one_through();
	int64_t t0 = tu_now_ns();
	cr_assert_eq(shmring_recv(cons, out, sizeof out, 20000000), -ETIMEDOUT);
	int64_t took = tu_now_ns() - t0;
	cr_assert_eq(awaits, 1);
	cr_assert_geq(took, 20000000, "returned early: %lld ns", (long long)took);
	cr_assert_lt(took, 10 * SECOND_NS, "timed out after %lld ns",
		     (long long)took);
}

static void send_3(void)
{
	for (int i = 0; i < 3; i++)
		send_40();
}

/* A receive burst that waits spins on the header too, then takes all. */
Test(await, a_burst_spins_on_the_header_too)
{
	unsigned char out[4][128];
	struct iovec v[4];
	one_through();
	for (int i = 0; i < 4; i++)
		v[i] = (struct iovec){ out[i], sizeof out[i] };
	at_await = send_3;
	cr_assert_eq(shmring_recv_burst(cons, v, 4, -1), 3);
	cr_assert_eq(awaits, 1);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(v[i].iov_len, 40);
		cr_assert_eq(tu_check(out[i], 40, 7), 0, "message %d differs", i);
	}
}

/* A try never spins, and neither does a handle that spins 0. */
Test(await, not_in_a_try_or_without_spin)
{
	unsigned char out[128];
	one_through();
	cr_assert_eq(shmring_try_recv(cons, out, sizeof out), -EAGAIN);
	cr_assert_eq(shmring_set_spin(cons, 0), 0);
	cr_assert_eq(shmring_recv(cons, out, sizeof out, 1000000), -ETIMEDOUT);
	cr_assert_eq(awaits, 0);
}
