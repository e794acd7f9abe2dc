/*
 * hutil.h - what only the hardening tests share, on top of the helper
 * library (tests/testutil.h): the internal entry points of the static
 * library, regions a test owns byte for byte, and filling a ring to the
 * brim.
 *
 * The programs including this link lib/libshmring.la statically, so the
 * hidden test entry points of ring.c and mpmc.c are within reach; they
 * are declared here, not taken from lib/internal.h, so that a change of
 * the internal headers shows up as a link error rather than silently.
 */
#ifndef SHMRING_HUTIL_H
#define SHMRING_HUTIL_H

#include "../testutil.h"

/* Internal hooks (lib/ring.c, lib/hooks.h), hidden but linkable statically. */
int ring_adopt_memory(void *base, size_t size, int role, struct shmring **out);
#include "hooks.h"

/*
 * A freshly formatted region for @o, copied into guarded memory: the
 * library formats an anonymous ring (no role, so no peer entry), and its
 * bytes, found through the application area at a fixed offset, are
 * copied out. The test then owns every byte.
 */
#define HU_APP_AREA_OFF 1536u
static inline struct guarded hu_region(const struct shmring_opts *o)
{
	struct shmring *r = NULL;
	struct shmring_info info;
	void *app;
	size_t app_size;
	struct guarded g;

	cr_assert_eq(shmring_create_anon(o, &r), 0);
	cr_assert_eq(shmring_info(r, &info), 0);
	cr_assert_eq(shmring_app_area(r, &app, &app_size), 0);
	g = tu_guard(info.region_size);
	memcpy(g.base, (unsigned char *)app - HU_APP_AREA_OFF,
	       info.region_size);
	shmring_close(r);
	return g;
}

static inline struct shmring *hu_adopt(struct guarded *g, int role)
{
	struct shmring *r = NULL;
	int rc = ring_adopt_memory(g->base, g->size, role, &r);

	cr_assert_eq(rc, 0, "ring_adopt_memory: %s", shmring_strerror(rc));
	return r;
}

/*
 * In a child: fill @r (holding both roles) to the brim with 1000-byte
 * messages and drain it, so that every page of the data area is written
 * (an unreserved page would fault here); tu_child_fail(@step) otherwise.
 */
static inline void hu_fill_and_drain(struct shmring *r, int step)
{
	static char buf[4096];
	long n = 0, m = 0, rc;

	memset(buf, 'f', sizeof(buf));
	while ((rc = shmring_try_send(r, buf, 1000)) == 0)
		n++;
	if (rc != -EAGAIN)
		tu_child_fail(step, "filling: send gave %s", shmring_strerror((int)rc));
	while ((rc = shmring_try_recv(r, buf, sizeof(buf))) >= 0)
		m++;
	if (rc != -EAGAIN || m != n)
		tu_child_fail(step, "draining: %ld of %ld messages, then %s", m, n,
			      shmring_strerror((int)rc));
}

#endif /* SHMRING_HUTIL_H */
