/* test_zerocopy.c - zero-copy calls, on every ring kind and backing: reserve/commit (one open reservation, nothing visible before the commit, the committed length is the message, a full ring waits) and peek/release (the same message in the same place until released, release is what frees the room). */
#include "testutil.h"

#define MAX 1000 /* the max_msg of these rings */
#define LEN 120  /* the messages that fill them */

static struct shmring *both(void)
{
	return tu_create_kind(tu_name(), tu_kind_now->kind,
			      tu_kind_now->small_cap, MAX,
			      SHMRING_PRODUCER | SHMRING_CONSUMER);
}

TU_TEST(zerocopy, reserve_commit, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = both();
	void *p = NULL, *q = NULL;

	cr_assert_eq(shmring_commit(r, 0), -EINVAL, "commit with nothing reserved");
	cr_assert_eq(shmring_reserve(r, MAX, &p, 0), 0);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % 8, 0, "reserved room not 8-byte aligned");
	cr_assert_eq(shmring_reserve(r, 10, &q, 0), -EBUSY);
	cr_assert_eq(shmring_try_send(r, "x", 1), -EBUSY);
	/* Not visible before commit. */
	cr_assert_eq(shmring_try_recv(r, NULL, 0), -EAGAIN);
	tu_fill(p, 333, 4);
	cr_assert_eq(shmring_commit(r, MAX + 1), -EINVAL, "commit beyond reservation");
	/* Shorter than reserved: the message has the committed length. */
	cr_assert_eq(shmring_commit(r, 333), 0);
	cr_assert_eq(shmring_commit(r, 333), -EINVAL, "second commit");
	/* Only the committed length takes room. */
	cr_assert_eq(tu_info(r).used, tu_kind_now->room(333));
	tu_get(r, 333, 4);

	cr_assert_eq(shmring_reserve(r, 0, &p, 0), 0);
	cr_assert_eq(shmring_commit(r, 0), 0);
	cr_assert_eq(shmring_try_recv(r, NULL, 0), 0);
	cr_assert_eq(shmring_close(r), 0);
}

/* Reserving on a full ring waits, then times out; on an empty ring,
 * max_msg can always be reserved. */
TU_TEST(zerocopy, reserve_full_and_empty, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	static unsigned char buf[MAX];
	struct shmring *r = both();
	void *p = NULL;
	size_t room;
	int n = tu_fill_ring(r, LEN), rc;

	cr_assert_eq(shmring_reserve(r, 8, &p, 1000000), -ETIMEDOUT);
	for (int i = 0; i < n; i++)
		tu_get(r, LEN, (uint64_t)i);
	room = tu_info(r).max_msg;
	rc = shmring_reserve(r, room, &p, 0);
	if (rc == -EAGAIN) {
		/* SPSC: a padding record in the way; the try_recv that says
		 * -EAGAIN consumes it, as in test_spsc's put_empty(). */
		cr_assert_eq(shmring_try_recv(r, NULL, 0), -EAGAIN);
		rc = shmring_reserve(r, room, &p, 0);
	}
	cr_assert_eq(rc, 0, "reserve(max_msg) on an empty ring: %s",
		     shmring_strerror(rc));
	memset(p, 0x5a, room);
	cr_assert_eq(shmring_commit(r, room), 0);
	cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), (ssize_t)room);
	for (size_t i = 0; i < room; i++)
		cr_assert_eq(buf[i], 0x5a);
	cr_assert_eq(shmring_close(r), 0);
}

TU_TEST(zerocopy, peek_release, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = both();
	const void *p = NULL, *p2 = NULL;

	cr_assert_eq(shmring_release(r), -EINVAL, "release with nothing peeked");
	cr_assert_eq(shmring_peek(r, &p, 0), -EAGAIN);
	tu_put(r, 40, 1);
	tu_put(r, 41, 2);
	cr_assert_eq(shmring_peek(r, &p, 0), 40);
	/* Again without release: the same message, in the same place. */
	cr_assert_eq(shmring_peek(r, &p2, -1), 40);
	cr_assert_eq(p, p2, "peek twice returned two places");
	cr_assert_eq((uintptr_t)p % 8, 0, "peeked message not 8-byte aligned");
	cr_assert_eq(tu_check(p, 40, 1), 0);
	cr_assert_eq(shmring_release(r), 0);
	cr_assert_eq(shmring_release(r), -EINVAL, "second release");
	cr_assert_eq(shmring_peek(r, &p, 0), 41);
	cr_assert_eq(tu_check(p, 41, 2), 0);
	cr_assert_eq(shmring_release(r), 0);
	cr_assert_eq(shmring_peek(r, &p, 0), -EAGAIN);
	cr_assert_eq(shmring_peek(r, &p, 1000000), -ETIMEDOUT);
	cr_assert_eq(shmring_close(r), 0);
}

/* Releasing, not peeking, is what frees the room of a message. */
TU_TEST(zerocopy, release_frees_room, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = both();
	const void *p = NULL;
	int n = tu_fill_ring(r, LEN);
	size_t used = tu_info(r).used;

	cr_assert_eq(shmring_peek(r, &p, 0), LEN);
	cr_assert_eq(tu_check(p, LEN, 0), 0);
	cr_assert_eq(shmring_try_send(r, "x", 1), -EAGAIN, "peek freed room");
	cr_assert_eq(shmring_release(r), 0);
	/* Where used is the history (broadcast), it stays until the send
	 * below needs the room; that send is what shows the room free. */
	cr_assert_eq(tu_info(r).used,
		     used - (tu_kind_now->used_is_history ? 0 : tu_kind_now->room(LEN)));
	tu_put(r, LEN, 500);
	cr_assert_eq(shmring_try_send(r, "x", 1), -EAGAIN, "more room than released");
	for (int i = 1; i <= n; i++) {
		cr_assert_eq(shmring_peek(r, &p, 0), LEN);
		cr_assert_eq(tu_check(p, LEN, i < n ? (uint64_t)i : 500), 0,
			     "message %d", i);
		cr_assert_eq(shmring_release(r), 0);
	}
	cr_assert_eq(shmring_try_recv(r, NULL, 0), -EAGAIN);
	cr_assert_eq(shmring_close(r), 0);
}
