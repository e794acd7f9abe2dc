/*
 * test_slip.c - when a consumer slips (shmring_set_slip(3)): after a run
 * of 16 or more messages, in a call that may wait and spins, and never
 * in a try, after one message at a time, with slipping or spinning off,
 * or on an MPMC ring; and never for longer than the call's timeout.
 *
 * The library calls its test hook (a hidden symbol: this program links
 * the library statically) where a slip starts; the hook counts them.
 * Producer and consumer handles share one process and one memfd ring,
 * so nothing else runs and every count is exact.
 */
#include "testutil.h"

#include "hooks.h" /* lib/: the hook and its points */

#define STREAK 16 /* SLIP_STREAK in lib/internal.h, as documented */
#define WAIT_NS INT64_C(2000000)

static unsigned slips;

static void count_slips(int where)
{
	if (where == HOOK_CONSUMER_SLIP)
		slips++;
}

static struct shmring *prod, *cons;

static void setup_kind(uint32_t kind)
{
	struct shmring_opts o = { .kind = kind, .capacity = 4096,
				  .max_msg = 64 };
	cr_assert_eq(shmring_create_memfd(&o, SHMRING_PRODUCER, &prod), 0);
	cr_assert_eq(shmring_open_fd(shmring_fd(prod), SHMRING_CONSUMER,
				     &cons), 0);
	slips = 0;
	shmring_test_hook = count_slips;
}

static void setup(void)
{
	setup_kind(SHMRING_SPSC);
}

static void setup_mpmc(void)
{
	setup_kind(SHMRING_MPMC);
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

static void send_n(unsigned n, unsigned first)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = first + i;
		cr_assert_eq(shmring_send(prod, &v, sizeof v, 0), 0);
	}
}

static void recv_n(unsigned n, unsigned first)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = 0;
		cr_assert_eq(shmring_recv(cons, &v, sizeof v, WAIT_NS),
			     (ssize_t)sizeof v);
		cr_assert_eq(v, first + i, "message %u: got %u", first + i, v);
	}
}

/* A receive that waits on the empty ring and times out. */
static void recv_empty(void)
{
	uint32_t v;
	cr_assert_eq(shmring_recv(cons, &v, sizeof v, WAIT_NS), -ETIMEDOUT);
}

TestSuite(slip, .init = setup, .fini = teardown, .timeout = 30);

Test(slip, after_a_run_of_messages)
{
	send_n(STREAK, 0);
	recv_n(STREAK, 0);
	cr_assert_eq(slips, 0, "no slip while the ring had messages");
	recv_empty();
	cr_assert_eq(slips, 1, "the wait after %d messages slips", STREAK);
	/* Nothing taken since: the next wait does not slip again. */
	recv_empty();
	cr_assert_eq(slips, 1);
	/* And a new run does. */
	send_n(STREAK + 3, STREAK);
	recv_n(STREAK + 3, STREAK);
	recv_empty();
	cr_assert_eq(slips, 2);
}

Test(slip, not_after_a_short_run)
{
	send_n(STREAK - 1, 0);
	recv_n(STREAK - 1, 0);
	recv_empty();
	cr_assert_eq(slips, 0, "%d messages are not a stream", STREAK - 1);
}

Test(slip, never_one_at_a_time)
{
	/* Request and response: one message, then the ring is empty. */
	for (unsigned i = 0; i < 3 * STREAK; i++) {
		send_n(1, i);
		recv_n(1, i);
		recv_empty();
	}
	cr_assert_eq(slips, 0);
}

Test(slip, never_in_a_try)
{
	uint32_t v;
	send_n(STREAK, 0);
	recv_n(STREAK, 0);
	cr_assert_eq(shmring_try_recv(cons, &v, sizeof v), -EAGAIN);
	cr_assert_eq(slips, 0);
}

Test(slip, off_when_set_to_zero)
{
	cr_assert_eq(shmring_set_slip(cons, 0), 0);
	send_n(STREAK, 0);
	recv_n(STREAK, 0);
	recv_empty();
	cr_assert_eq(slips, 0);
	/* On again. */
	cr_assert_eq(shmring_set_slip(cons, SHMRING_DEFAULT_SLIP_NS), 0);
	send_n(STREAK, STREAK);
	recv_n(STREAK, STREAK);
	recv_empty();
	cr_assert_eq(slips, 1);
}

Test(slip, off_when_not_spinning)
{
	cr_assert_eq(shmring_set_spin(cons, 0), 0);
	send_n(STREAK, 0);
	recv_n(STREAK, 0);
	recv_empty();
	cr_assert_eq(slips, 0, "a handle that sleeps at once does not slip");
}

Test(slip, burst_and_peek_slip_too)
{
	struct iovec iov[STREAK];
	uint32_t vals[STREAK];
	const void *m;

	for (unsigned i = 0; i < STREAK; i++)
		iov[i] = (struct iovec){ .iov_base = &vals[i],
					 .iov_len = sizeof vals[i] };
	send_n(STREAK, 0);
	cr_assert_eq(shmring_recv_burst(cons, iov, STREAK, WAIT_NS), STREAK);
	for (unsigned i = 0; i < STREAK; i++)
		cr_assert_eq(vals[i], i);
	iov[0].iov_len = sizeof vals[0];
	cr_assert_eq(shmring_recv_burst(cons, iov, 1, WAIT_NS), -ETIMEDOUT);
	cr_assert_eq(slips, 1);

	send_n(STREAK, STREAK);
	for (unsigned i = 0; i < STREAK; i++) {
		cr_assert_eq(shmring_peek(cons, &m, WAIT_NS),
			     (ssize_t)sizeof(uint32_t));
		cr_assert_eq(shmring_release(cons), 0);
	}
	cr_assert_eq(shmring_peek(cons, &m, WAIT_NS), -ETIMEDOUT);
	cr_assert_eq(slips, 2);
}

Test(slip, within_the_timeout)
{
	/* A slip far longer than the call may wait: the timeout wins. */
	cr_assert_eq(shmring_set_slip(cons, UINT64_C(10000000000)), 0);
	cr_assert_eq(shmring_set_spin(cons, UINT64_C(10000000000)), 0);
	send_n(STREAK, 0);
	recv_n(STREAK, 0);
	int64_t t0 = tu_now_ns();
	recv_empty();
	int64_t took = tu_now_ns() - t0;
	cr_assert_eq(slips, 1);
	/* 2 ms asked; 10 s of slip would show. A generous bound for a busy
	 * machine, far below the slip. */
	cr_assert_lt(took, INT64_C(2000000000), "took %lld ns",
		     (long long)took);
}

Test(slip, set_slip_checks_its_handle)
{
	cr_assert_eq(shmring_set_slip(NULL, 1000), -EINVAL);
}

Test(slip, mpmc_ignores_it, .init = setup_mpmc)
{
	send_n(STREAK, 0);
	recv_n(STREAK, 0);
	recv_empty();
	cr_assert_eq(slips, 0);
}
