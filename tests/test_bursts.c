/* test_bursts.c - burst calls, on every ring kind and backing: a burst sends or receives as many as it can, in order, and says how many; it stops where the ring is full or empty, before a message its buffer cannot take, and waits only while none fits. */
#include "testutil.h"

#include <sys/uio.h>

#define LEN 120     /* the messages that fill the rings */
#define MAXN 80     /* more than a small ring of any kind takes */

static struct shmring *both(void)
{
	return tu_create_small(tu_name(), SHMRING_PRODUCER | SHMRING_CONSUMER);
}

/* How many messages of LEN bytes a fresh small ring takes, exactly. */
static int fits(void)
{
	return (int)(tu_kind_now->small_cap / tu_kind_now->room(LEN));
}

TU_TEST(bursts, send_and_recv, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	static unsigned char in[10][128], out[14][128];
	struct shmring *r = both();
	struct iovec iov[14];
	int n;

	for (int i = 0; i < 10; i++) {
		tu_fill(in[i], (size_t)i * 3, (uint64_t)i);
		iov[i] = (struct iovec){ in[i], (size_t)i * 3 };
	}
	cr_assert_eq(shmring_send_burst(r, iov, 10, 0), 10);
	for (int i = 0; i < 14; i++)
		iov[i] = (struct iovec){ out[i], sizeof(out[i]) };
	cr_assert_eq(shmring_recv_burst(r, iov, 3, 0), 3);
	cr_assert_eq(shmring_recv_burst(r, iov + 3, 1, -1), 1);
	n = shmring_recv_burst(r, iov + 4, 10, 0);
	cr_assert_eq(n, 6, "recv_burst of 10 with 6 queued: %d", n);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(iov[i].iov_len, (size_t)i * 3);
		cr_assert_eq(tu_check(out[i], (size_t)i * 3, (uint64_t)i), 0,
			     "burst message %d differs", i);
	}
	cr_assert_eq(shmring_recv_burst(r, iov, 10, 0), -EAGAIN);
	cr_assert_eq(shmring_recv_burst(r, iov, 10, 10000000), -ETIMEDOUT);

	/* Fewer queued than asked: it takes those, the rest is untouched. */
	cr_assert_eq(shmring_send_burst(r, (struct iovec[]){ { in[5], 15 },
							     { in[6], 18 } }, 2, 0), 2);
	for (int i = 0; i < 10; i++)
		iov[i] = (struct iovec){ out[i], sizeof(out[i]) };
	n = shmring_recv_burst(r, iov, 10, -1);
	cr_assert_eq(n, 2, "recv_burst of 10 with 2 queued: %d", n);
	cr_assert_eq(iov[1].iov_len, 18);
	cr_assert_eq(tu_check(out[1], 18, 6), 0);
	cr_assert_eq(iov[2].iov_len, sizeof(out[2]), "touched past the count");
	cr_assert_eq(shmring_close(r), 0);
}

/* A burst larger than the room sends what fits, even with no timeout;
 * with none fitting, 0 is -EAGAIN and a timeout -ETIMEDOUT. */
TU_TEST(bursts, larger_than_the_room, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	static unsigned char in[MAXN][LEN];
	struct iovec iov[MAXN];
	struct shmring *r = both();
	int f = fits(), n;

	cr_assert_lt(f + 8, MAXN);
	for (int i = 0; i < MAXN; i++) {
		tu_fill(in[i], LEN, (uint64_t)i + 100);
		iov[i] = (struct iovec){ in[i], LEN };
	}
	/* On a fresh ring, so that the records tile it from offset 0. */
	n = shmring_send_burst(r, iov, (size_t)f + 8, 0);
	cr_assert_eq(n, f, "burst of %d into an empty ring of %d: %d", f + 8, f, n);
	cr_assert_eq(tu_info(r).used, (size_t)f * tu_kind_now->room(LEN));
	cr_assert_eq(shmring_send_burst(r, iov + n, 8, 0), -EAGAIN);
	cr_assert_eq(shmring_send_burst(r, iov + n, 8, 10000000), -ETIMEDOUT);
	for (int i = 0; i < n; i++)
		tu_get(r, LEN, (uint64_t)i + 100);
	cr_assert_eq(shmring_close(r), 0);

	/* Only 3 fit: a burst with no timeout stops there and says so. */
	r = both();
	cr_assert_eq(shmring_send_burst(r, iov, (size_t)f - 3, 0), f - 3);
	n = shmring_send_burst(r, iov + f - 3, 5, -1);
	cr_assert_eq(n, 3, "burst of 5 into 3 free: %d", n);
	for (int i = 0; i < f; i++)
		tu_get(r, LEN, (uint64_t)i + 100);
	cr_assert_eq(shmring_try_recv(r, NULL, 0), -EAGAIN);
	cr_assert_eq(shmring_close(r), 0);
}

/* recv_burst stops before a message larger than its buffer. */
TU_TEST(bursts, recv_stops_before_too_large, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	static unsigned char out[3][128];
	struct shmring *r = both();
	struct iovec iov[3];

	tu_put(r, 50, 1);
	tu_put(r, 50, 2);
	tu_put(r, 100, 3);
	for (int i = 0; i < 3; i++)
		iov[i] = (struct iovec){ out[i], 60 };
	cr_assert_eq(shmring_recv_burst(r, iov, 3, 0), 2);
	cr_assert_eq(iov[0].iov_len, 50);
	cr_assert_eq(iov[1].iov_len, 50);
	cr_assert_eq(tu_check(out[0], 50, 1), 0);
	cr_assert_eq(tu_check(out[1], 50, 2), 0);
	iov[0] = (struct iovec){ out[0], 60 };
	cr_assert_eq(shmring_recv_burst(r, iov, 1, 0), -EMSGSIZE);
	tu_get(r, 100, 3);
	cr_assert_eq(shmring_close(r), 0);
}
