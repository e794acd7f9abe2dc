/*
 * guard.h - guarded memory: a mapping with an inaccessible page on each
 * side, so that an access one byte outside faults at once, with or
 * without a sanitizer (ASan does not watch mmap'ed memory). Shared, so
 * that a forked peer writes the same bytes. No Criterion here: the fuzz
 * targets (fuzz/fuzz_common.h) use it as the tests (tests/testutil.h) do.
 */
#ifndef SHMRING_GUARD_H
#define SHMRING_GUARD_H

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#define GUARD_PAGE 4096u

struct guarded {
	unsigned char *area;	/* the whole mapping, guard pages included */
	size_t area_size;
	unsigned char *base;	/* the usable bytes, zero-filled */
	size_t size;
};

/*
 * @size bytes between two guard pages: 0 or -errno. The guard after them
 * starts at the next page boundary, so only a multiple of the page puts
 * it right at the end.
 */
static inline int guard_map(struct guarded *g, size_t size)
{
	size_t pages = (size + GUARD_PAGE - 1) / GUARD_PAGE * GUARD_PAGE;

	g->base = NULL;
	g->size = 0;
	g->area_size = pages = size + 2 * GUARD_PAGE;
	g->area = mmap(NULL, g->area_size, PROT_NONE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->area == MAP_FAILED)
		return -errno;
	g->base = g->area + GUARD_PAGE;
	g->size = size;
	if (mprotect(g->base, size, PROT_READ | PROT_WRITE) != 0) {
		int err = -errno;

		munmap(g->area, g->area_size);
		return err;
	}
	return 0;
}

static inline void guard_unmap(struct guarded *g)
{
	munmap(g->area, g->area_size);
	g->area = g->base = NULL;
}

#endif /* SHMRING_GUARD_H */
