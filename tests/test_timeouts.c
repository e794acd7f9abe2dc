/* test_timeouts.c - timeouts, on every ring kind and backing: 0 never waits (-EAGAIN), a timed call on an empty or full ring gives -ETIMEDOUT no sooner than asked and not much later, spinning or not, for copy and zero-copy calls; nothing is lost or added by them. */
#include "testutil.h"

/* From a microsecond (inside the spin) to a tenth of a second (asleep). */
static const int64_t tmo[] = { 1000, 30000, 1000000, 20000000, 100000000 };
#define NTMO (sizeof(tmo) / sizeof(tmo[0]))

/* The message length of these tests: any kind takes it. */
#define LEN 120

enum call { RECV, PEEK, SEND, RESERVE };
static const char *const call_name[] = { "recv", "peek", "send", "reserve" };

/* One call that must time out after @to ns: neither sooner, nor 2 s later. */
static void check_timeout(struct shmring *r, enum call call, int64_t to)
{
	static unsigned char buf[4096];
	const void *cp = NULL;
	void *p = NULL;
	int64_t t0 = tu_now_ns(), el;
	long rc;

	switch (call) {
	case RECV:
		rc = shmring_recv(r, buf, sizeof(buf), to);
		break;
	case PEEK:
		rc = shmring_peek(r, &cp, to);
		break;
	case SEND:
		rc = shmring_send(r, buf, LEN, to);
		break;
	default:
		rc = shmring_reserve(r, 8, &p, to);
		break;
	}
	el = tu_now_ns() - t0;
	cr_assert_eq(rc, -ETIMEDOUT, "%s with timeout %lld ns: %ld (%s)",
		     call_name[call], (long long)to, rc,
		     rc < 0 ? shmring_strerror((int)rc) : "no error");
	cr_assert_geq(el, to, "%s returned after %lld ns of a %lld ns timeout",
		      call_name[call], (long long)el, (long long)to);
	cr_assert_lt(el, to + 2000000000, "%s overslept: %lld ns",
		     call_name[call], (long long)el);
}

/* Every timeout of tmo[], for @first and @second, spinning and not. */
static void check_timeouts(struct shmring *r, enum call first, enum call second)
{
	for (int spin = 0; spin < 2; spin++) {
		cr_assert_eq(shmring_set_spin(r, spin ? SHMRING_DEFAULT_SPIN_NS : 0), 0);
		for (size_t i = 0; i < NTMO; i++) {
			check_timeout(r, first, tmo[i]);
			check_timeout(r, second, tmo[i]);
		}
	}
}

/* An empty ring: receive and peek time out; 0 is -EAGAIN at once. */
TU_TEST(timeouts, empty_ring, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	struct shmring *r = tu_create_small(tu_name(),
					    SHMRING_PRODUCER | SHMRING_CONSUMER);
	const void *m = NULL;
	char buf[16];

	cr_assert_eq(shmring_recv(r, buf, sizeof(buf), 0), -EAGAIN);
	cr_assert_eq(shmring_peek(r, &m, 0), -EAGAIN);
	check_timeouts(r, RECV, PEEK);
	/* A message that arrived meanwhile is still taken at once. */
	tu_put(r, 5, 5);
	cr_assert_eq(shmring_recv(r, (char[8]){ 0 }, 8, 100000000), 5);
	cr_assert_eq(shmring_close(r), 0);
}

/* A full ring: send and reserve time out; 0 is -EAGAIN at once. */
TU_TEST(timeouts, full_ring, TU_ALL_KINDS, .timeout = TU_TIMEOUT(20))
{
	struct shmring *r = tu_create_small(tu_name(),
					    SHMRING_PRODUCER | SHMRING_CONSUMER);
	void *p = NULL;
	int n = tu_fill_ring(r, LEN);

	cr_assert_eq(shmring_send(r, "x", 1, 0), -EAGAIN);
	cr_assert_eq(shmring_reserve(r, 1, &p, 0), -EAGAIN);
	check_timeouts(r, SEND, RESERVE);
	/* Nothing was lost or added by the timeouts. */
	for (int i = 0; i < n; i++)
		tu_get(r, LEN, (uint64_t)i);
	cr_assert_eq(shmring_try_recv(r, NULL, 0), -EAGAIN);
	cr_assert_eq(shmring_close(r), 0);
}
