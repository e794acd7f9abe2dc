/* test_bcast_died.c - a broadcast publisher that died between its two message counts (B11..B12 in lib/bcast.c): neither a subscriber that was there nor one that joins before the successor publishes counts as lost a message it could not have had. */
#include "testutil.h"

#include "layout.h"

#define CAP 4096u

/* The region's header, mapped on its own, to forge what a death leaves. */
static struct shmring_hdr *map_hdr(const char *name)
{
	char path[400];
	int fd;
	void *h;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	h = mmap(NULL, SHMRING_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(h, MAP_FAILED, "mmap: %s", strerror(errno));
	close(fd);
	return h;
}

static void recv_is(struct shmring *s, const char *want)
{
	char buf[64];
	ssize_t n = shmring_recv(s, buf, sizeof(buf), 0);

	cr_assert_eq(n, (ssize_t)strlen(want), "recv of \"%s\": %s", want,
		     n < 0 ? shmring_strerror((int)n) : "wrong length");
	cr_assert_eq(memcmp(buf, want, (size_t)n), 0);
}

static void lost_is(struct shmring *s, uint64_t want, const char *who)
{
	uint64_t lost = 99;

	cr_assert_eq(shmring_lost(s, &lost), 0);
	cr_assert_eq(lost, want, "%s: shmring_lost() %llu, not %llu", who,
		     (unsigned long long)lost, (unsigned long long)want);
}

/*
 * Publish five messages, then a sixth ("m", number 5), and leave the
 * header as a publisher dying after B11 (prod_seq_begin 6) and before B12
 * (prod_seq 5) would: past P1' if @out (prod_pos after "m"), else before
 * it (prod_pos where "m" is written, never out). Then a subscriber
 * joins, a successor publishes "y", and nobody may have lost anything:
 * "m" either reached everyone or no one. Without the record check in
 * newest() and bcast_init() (lib/bcast.c), the late subscriber (out) or
 * both (not out) count one lost: checked.
 */
static void died_mid_publish(bool out)
{
	const char *name = tu_name();
	struct shmring_opts o = { .kind = SHMRING_BCAST, .capacity = CAP,
				  .max_msg = 64, .flags = SHMRING_OVERWRITE };
	struct shmring *pub, *old, *late, *next;
	struct shmring_hdr *h;
	uint64_t before;

	cr_assert_eq(shmring_create(name, &o, SHMRING_PRODUCER, &pub), 0);
	cr_assert_eq(shmring_open(name, SHMRING_CONSUMER, &old), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(shmring_send(pub, "x", 1, 0), 0);
	h = map_hdr(name);
	before = atomic_load(&h->prod_pos);
	cr_assert_eq(shmring_send(pub, "m", 1, 0), 0);
	cr_assert_eq(atomic_load(&h->prod_seq), 6);
	cr_assert_eq(shmring_close(pub), 0);
	cr_assert_eq(atomic_load(&h->prod_seq_begin), 6);
	atomic_store(&h->prod_seq, 5);
	if (!out)
		atomic_store(&h->prod_pos, before);

	cr_assert_eq(shmring_open(name, SHMRING_CONSUMER, &late), 0);
	cr_assert_eq(shmring_open(name, SHMRING_PRODUCER, &next), 0);
	cr_assert_eq(shmring_send(next, "y", 1, 0), 0);
	for (int i = 0; i < 5; i++)
		recv_is(old, "x");
	if (out)
		recv_is(old, "m");
	recv_is(old, "y");
	lost_is(old, 0, "the subscriber that was there");
	recv_is(late, "y");
	lost_is(late, 0, "the subscriber that joined");

	munmap(h, SHMRING_HDR_SIZE);
	cr_assert_eq(shmring_close(late), 0);
	cr_assert_eq(shmring_close(old), 0);
	cr_assert_eq(shmring_close(next), 0);
	cr_assert_eq(shmring_unlink(name), 0);
}

Test(bcast_died, past_prod_pos, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	died_mid_publish(true);
}

Test(bcast_died, before_prod_pos, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	died_mid_publish(false);
}
