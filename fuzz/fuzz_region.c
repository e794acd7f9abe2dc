/*
 * fuzz_region.c - libFuzzer target: the fuzzer's bytes become a region
 * (header, peer table, data), which is opened as shmring_open() would:
 * refused with -EPROTO, or attached and then worked on without a fault.
 *
 * Input: one flags byte, then the region's bytes from offset 0 (the rest
 * of the mapping is zero). Flags help the fuzzer past the checks it cannot
 * guess, so that it spends its time on the ones after them:
 *   0x81  (both bits) write the bytes to a real /dev/shm object and
 *         shmring_open() it: slower, but the real path;
 *   0x02  put the right magic and layout version in place;
 *   0x04  put READY in the state word;
 *   0x08  size the mapping after the header's data_size (up to 1 MiB),
 *         and set region_size, so that the sizes can agree;
 *   0x10  data_off = 4096;
 *   0x20  role: both (else consumer only, or monitor if 0x40 too).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"

#define MAX_DATA ((size_t)1 << 20)

static size_t page_round(uint64_t v)
{
	return (size_t)((v + FZ_PAGE - 1) & ~(uint64_t)(FZ_PAGE - 1));
}

static char shm_name[64];

/* libFuzzer exits through exit() when interrupted: leave no object. */
static void remove_object(void)
{
	shm_unlink(shm_name);
}

/*
 * The same bytes through a real object and shmring_open(): @size bytes,
 * of which the first @given came from the input (the rest are zero: a
 * sparse object costs nothing to make).
 */
static void via_shm(const unsigned char *bytes, size_t size, size_t given,
		    int role, struct fz_in *in)
{
	const char *name = shm_name;
	struct shmring *r = NULL;
	int fd, rc;

	if (!shm_name[0]) {
		snprintf(shm_name, sizeof(shm_name), "/shmring-fuzz-%ld",
			 (long)getpid());
		atexit(remove_object);
	}
	shm_unlink(name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, (off_t)size) != 0 ||
	    pwrite(fd, bytes, given, 0) != (ssize_t)given) {
		close(fd);
		shm_unlink(name);
		return;
	}
	close(fd);
	rc = shmring_open(name, role, &r);
	FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EBUSY || rc == -EUSERS);
	if (rc == 0) {
		struct shmring_info info;

		FZ_CHECK(shmring_info(r, &info) == 0);
		FZ_CHECK(info.region_size == size);
		if (role == (SHMRING_PRODUCER | SHMRING_CONSUMER)) {
			char buf[256] = { 0 };

			fz_result(shmring_try_recv(r, buf, sizeof(buf)));
			fz_result(shmring_try_send(r, buf, fz_u8(in)));
		}
		shmring_close(r);
	}
	shm_unlink(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t flags = fz_u8(&in);
	int role = (flags & 0x20) ? SHMRING_PRODUCER | SHMRING_CONSUMER :
		   (flags & 0x40) ? 0 : SHMRING_CONSUMER;
	struct shmring_hdr head;
	struct guarded g;
	struct shmring *r = NULL;
	size_t map, given;
	int rc;

	/* The header as given, to size the mapping from it. */
	memset(&head, 0, sizeof(head));
	memcpy(&head, in.p, in.n < sizeof(head) ? in.n : sizeof(head));
	if (flags & 0x08)
		map = FZ_PAGE + page_round(head.data_size < MAX_DATA ?
						   head.data_size : MAX_DATA);
	else
		map = in.n < FZ_PAGE ? FZ_PAGE : page_round(in.n);
	if (map > FZ_PAGE + MAX_DATA)
		map = FZ_PAGE + MAX_DATA;
	if (guard_map(&g, map) != 0)
		return 0;
	given = in.n < map ? in.n : map;
	fz_copy(&in, g.base, given);
	if (given < 128)
		given = 128; /* the fields the flags below may set */
	{
		struct shmring_hdr *h = (struct shmring_hdr *)(void *)g.base;

		if (flags & 0x02) {
			h->magic = SHMRING_MAGIC;
			h->version = SHMRING_LAYOUT_VERSION;
		}
		if (flags & 0x04)
			atomic_store(&h->state, SHMRING_STATE_READY);
		if (flags & 0x08)
			h->region_size = map;
		if (flags & 0x10)
			h->data_off = SHMRING_HDR_SIZE;
	}
	if ((flags & 0x81) == 0x81) {
		/* An object still INITIALISING is waited for a second: not
		 * worth it here (the adopt path covers the state word). */
		struct shmring_hdr *h = (struct shmring_hdr *)(void *)g.base;

		if (atomic_load(&h->state) != SHMRING_STATE_INITIALISING)
			via_shm(g.base, g.size, given, role, &in);
		guard_unmap(&g);
		return 0;
	}
	rc = ring_adopt_memory(g.base, g.size, role, &r);
	FZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EBUSY || rc == -EUSERS);
	if (rc == 0) {
		struct shmring_info info;

		FZ_CHECK(shmring_info(r, &info) == 0);
		FZ_CHECK(info.region_size == g.size);
		FZ_CHECK(info.kind == SHMRING_SPSC || info.kind == SHMRING_MPMC ||
			 info.kind == SHMRING_BCAST);
		if (role == (SHMRING_PRODUCER | SHMRING_CONSUMER))
			fz_operate(r, &g, info.max_msg, &in, 16);
		FZ_CHECK(shmring_close(r) == 0);
	}
	guard_unmap(&g);
	return 0;
}
