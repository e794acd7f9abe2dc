/*
 * fuzz_common.h - what the fuzz targets share: guarded memory for the
 * regions they build (tests/guard.h: an inaccessible page on each side,
 * so that a stray access faults even where ASan does not look), a reader of the fuzzer's bytes, and the operations a victim
 * runs on a ring whose contents a hostile peer chose, each result checked.
 *
 * Every check that fails calls __builtin_trap(): libFuzzer reports it as
 * a crash with the input that caused it.
 */
#ifndef SHMRING_FUZZ_COMMON_H
#define SHMRING_FUZZ_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "shmring.h"
#include "../tests/guard.h"
#include "layout.h"

/* Internal hook of the library (lib/ring.c), reachable when linked in. */
int ring_adopt_memory(void *base, size_t size, int role, struct shmring **out);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_PAGE GUARD_PAGE
#define FZ_CHECK(cond)                       \
	do {                                 \
		if (!(cond))                 \
			__builtin_trap();    \
	} while (0)

/* The fuzzer's bytes, consumed from the front; zeros once exhausted. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint64_t fz_bytes(struct fz_in *in, unsigned k)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < k; i++)
		v |= (uint64_t)fz_u8(in) << (8 * i);
	return v;
}

static inline void fz_copy(struct fz_in *in, void *dst, size_t len)
{
	size_t k = len < in->n ? len : in->n;

	memcpy(dst, in->p, k);
	in->p += k;
	in->n -= k;
}

static inline int fz_inside(const struct guarded *g, const void *p, size_t len)
{
	const unsigned char *q = p;

	return q >= g->base + FZ_PAGE && len <= g->size &&
	       q + len <= g->base + g->size;
}

/* A result any call may give on a corrupt ring, or a wrong answer. */
static inline void fz_result(long rc)
{
	FZ_CHECK(rc >= 0 || rc == -EAGAIN || rc == -ETIMEDOUT ||
		 rc == -EBADMSG || rc == -EPIPE || rc == -EMSGSIZE ||
		 rc == -EBUSY || rc == -EINVAL ||
		 /* broadcast rings in overwrite mode */
		 rc == -EOVERFLOW || rc == -ESTALE);
}

/* Timeouts: mostly none, sometimes a few microseconds of sleeping. */
static inline int64_t fz_timeout(struct fz_in *in)
{
	uint8_t t = fz_u8(in);

	return t < 224 ? 0 : (int64_t)(t - 223) * 1000;
}

/*
 * Run up to @max operations chosen by the fuzzer on @r, a handle holding
 * both roles over region @g whose largest message is @max_msg.
 */
static inline void fz_operate(struct shmring *r, const struct guarded *g,
			      size_t max_msg, struct fz_in *in, int max)
{
	static unsigned char buf[4 * 65536], msg[65536];
	/*
	 * peeked: a peek may be open. A receive that took a message closes
	 * it; one that failed may leave it open (MPMC) or not (SPSC), so a
	 * release may then succeed or say -EINVAL.
	 */
	int peeked = 0, reserved = 0;

	shmring_set_spin(r, fz_u8(in) & 1 ? 0 : 1000);
	for (int i = 0; i < max && in->n; i++) {
		uint8_t op = fz_u8(in);
		size_t len = (size_t)fz_bytes(in, 2);
		size_t cap = len > sizeof(msg) ? sizeof(msg) : len;
		int64_t tmo = fz_timeout(in);
		long rc;

		switch (op % 10) {
		case 0: { /* receive into a buffer of fuzzer-chosen size */
			rc = shmring_recv(r, buf, cap, tmo);
			fz_result(rc);
			FZ_CHECK(rc < 0 || (size_t)rc <= cap);
			FZ_CHECK(rc < 0 || (size_t)rc <= max_msg);
			if (rc >= 0)
				peeked = 0;
			break;
		}
		case 1:
			rc = shmring_try_recv(r, buf, sizeof(msg));
			fz_result(rc);
			FZ_CHECK(rc < 0 || (size_t)rc <= max_msg);
			if (rc >= 0)
				peeked = 0;
			break;
		case 2: {
			const void *p = NULL;

			rc = shmring_peek(r, &p, tmo);
			fz_result(rc);
			if (rc >= 0) {
				FZ_CHECK((size_t)rc <= max_msg);
				FZ_CHECK(fz_inside(g, p, (size_t)rc));
				/* Touch it all, as an application would. */
				memcpy(buf, p, (size_t)rc);
				peeked = 1;
			}
			break;
		}
		case 3:
			rc = shmring_release(r);
			/* Broadcast, overwrite mode: overwritten while held,
			 * and a corrupt tail to resume at. */
			FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ESTALE ||
				 rc == -EBADMSG);
			FZ_CHECK(peeked || rc == -EINVAL);
			peeked = 0;
			break;
		case 4: {
			struct iovec v[4];
			size_t caps[4];

			for (int k = 0; k < 4; k++) {
				caps[k] = (size_t)fz_bytes(in, 2);
				v[k].iov_base = buf + (size_t)k * 65536;
				v[k].iov_len = caps[k];
			}
			rc = shmring_recv_burst(r, v, 4, tmo);
			fz_result(rc);
			FZ_CHECK(rc <= 4);
			for (long k = 0; k < rc; k++)
				FZ_CHECK(v[k].iov_len <= caps[k] &&
					 v[k].iov_len <= max_msg);
			if (rc > 0)
				peeked = 0;
			break;
		}
		case 5:
			rc = shmring_send(r, msg, cap, tmo);
			fz_result(rc);
			FZ_CHECK(cap <= max_msg || rc == -EMSGSIZE || rc == -EBUSY ||
				 rc == -EBADMSG);
			break;
		case 6: {
			struct iovec v[3] = { { msg, cap }, { msg, cap / 2 }, { msg, 0 } };

			rc = shmring_send_burst(r, v, 3, tmo);
			fz_result(rc);
			FZ_CHECK(rc <= 3);
			break;
		}
		case 7: {
			void *p = NULL;

			if (reserved) {
				rc = shmring_commit(r, cap);
				FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EBADMSG);
				if (rc == -EINVAL)
					rc = shmring_commit(r, 0);
				FZ_CHECK(rc == 0 || rc == -EBADMSG);
				reserved = 0;
				break;
			}
			rc = shmring_reserve(r, cap, &p, tmo);
			fz_result(rc);
			if (rc == 0) {
				FZ_CHECK(fz_inside(g, p, cap));
				memset(p, 0x5a, cap);
				reserved = 1;
			}
			break;
		}
		case 8: {
			struct shmring_info info;
			struct shmring_stats st;
			struct shmring_peer peers[SHMRING_MAX_PEERS];

			FZ_CHECK(shmring_info(r, &info) == 0);
			FZ_CHECK(info.used <= info.capacity);
			FZ_CHECK(shmring_stats(r, &st) == 0);
			rc = shmring_peers(r, peers, SHMRING_MAX_PEERS);
			FZ_CHECK(rc >= 0 && rc <= SHMRING_MAX_PEERS);
			break;
		}
		default: { /* the hostile peer writes, between two calls */
			size_t off = (size_t)fz_bytes(in, 3) % g->size;
			uint8_t k = fz_u8(in) % 9;

			fz_copy(in, g->base + off, k <= g->size - off ? k : g->size - off);
			break;
		}
		}
	}
}

#endif /* SHMRING_FUZZ_COMMON_H */
