/* test_errors.c - every documented error: bad names, options and roles, missing or foreign objects, corrupt headers and records, look-alike headers, a producer dead past prod_pos, busy roles, wrong-role calls; -EMSGSIZE on every ring kind and backing. */
#include "testutil.h"

#include <grp.h>
#include <limits.h>
#include <sys/uio.h>

#include "layout.h"

#define CAP 4096u

static const char *const bad_names[] = {
	"", "noslash", "a/b", "/a/b", "/a/", "//", "//a", "/", "/.", "/..",
};

Test(errors, bad_names, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = NULL;
	const char *too_long[3];
	size_t nlong = 0;

	cr_assert_eq(shmring_create(NULL, NULL, 0, &r), -EINVAL);
	cr_assert_eq(shmring_open(NULL, 0, &r), -EINVAL);
	cr_assert_eq(shmring_unlink(NULL), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		const char *n = bad_names[i];
		int rc;

		rc = shmring_create(n, NULL, SHMRING_PRODUCER, &r);
		cr_assert_eq(rc, -EINVAL, "create(\"%s\"): %s", n, shmring_strerror(rc));
		rc = shmring_open(n, SHMRING_CONSUMER, &r);
		cr_assert_eq(rc, -EINVAL, "open(\"%s\"): %s", n, shmring_strerror(rc));
		rc = shmring_unlink(n);
		cr_assert_eq(rc, -EINVAL, "unlink(\"%s\"): %s", n, shmring_strerror(rc));
	}
	/* At most 255 bytes, the leading '/' included. */
	too_long[nlong++] = tu_name_len(256);
	too_long[nlong++] = tu_name_len(257);
	too_long[nlong++] = tu_name_len(299);
	for (size_t i = 0; i < nlong; i++) {
		const char *n = too_long[i];
		int rc;

		rc = shmring_create(n, NULL, SHMRING_PRODUCER, &r);
		cr_assert_eq(rc, -EINVAL, "create of a %zu-byte name: %s", strlen(n),
			     shmring_strerror(rc));
		cr_assert(!tu_shm_exists(n), "a %zu-byte name was created", strlen(n));
		rc = shmring_open(n, 0, &r);
		cr_assert_eq(rc, -EINVAL, "open of a %zu-byte name: %s", strlen(n),
			     shmring_strerror(rc));
		rc = shmring_unlink(n);
		cr_assert_eq(rc, -EINVAL, "unlink of a %zu-byte name: %s", strlen(n),
			     shmring_strerror(rc));
	}
}

/* The longest name allowed works for every call. */
Test(errors, longest_name, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	const char *n = tu_name_len(255);
	struct shmring *r = tu_create(n, CAP, 0, SHMRING_PRODUCER);
	struct shmring *c = tu_open(n, SHMRING_CONSUMER);

	cr_assert_eq(shmring_send(r, "hi", 2, 0), 0);
	cr_assert_eq(shmring_recv(c, (char[4]){ 0 }, 4, 0), 2);
	cr_assert_eq(shmring_close(c), 0);
	cr_assert_eq(shmring_close(r), 0);
	cr_assert_eq(shmring_unlink(n), 0);
	cr_assert(!tu_shm_exists(n));
}

struct bad_opt {
	const char *what;
	struct shmring_opts o;
};

Test(errors, bad_options, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	const struct bad_opt bad[] = {
		{ "capacity 3000", { .capacity = 3000 } },
		{ "capacity 4097", { .capacity = 4097 } },
		{ "capacity 6144", { .capacity = 6144 } },
		{ "capacity 2^20+8", { .capacity = ((size_t)1 << 20) + 8 } },
		{ "max_msg == capacity", { .capacity = CAP, .max_msg = CAP } },
		{ "max_msg > capacity", { .capacity = CAP, .max_msg = CAP * 4 } },
		{ "max_msg above the limit",
		  { .capacity = (size_t)1 << 20, .max_msg = SHMRING_MAX_MSG_LIMIT + 1 } },
		{ "default capacity, max_msg above it",
		  { .max_msg = SHMRING_DEFAULT_CAPACITY * 2 } },
		{ "kind 3", { .kind = (enum shmring_kind)3, .capacity = CAP } },
		{ "kind 99", { .kind = (enum shmring_kind)99 } },
		{ "kind -1", { .kind = (enum shmring_kind)-1 } },
		{ "flags 2 (SHMRING_OVERWRITE) on SPSC", { .flags = 2 } },
		{ "flags 0x80000000", { .flags = 0x80000000u } },
	};
	static const int bad_roles[] = { 4, 8, -1, 7, INT_MIN };
	const char *name = tu_name();
	struct shmring *r = NULL;
	int rc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = shmring_create(name, &bad[i].o, SHMRING_PRODUCER, &r);
		cr_assert_eq(rc, -EINVAL, "%s: %s", bad[i].what, shmring_strerror(rc));
		cr_assert(!tu_shm_exists(name), "%s: object left behind", bad[i].what);
	}
	for (size_t i = 0; i < sizeof(bad_roles) / sizeof(bad_roles[0]); i++) {
		rc = shmring_create(name, NULL, bad_roles[i], &r);
		cr_assert_eq(rc, -EINVAL, "create role %d: %s", bad_roles[i],
			     shmring_strerror(rc));
		cr_assert(!tu_shm_exists(name), "role %d: object left behind",
			  bad_roles[i]);
	}
	r = tu_create(name, CAP, 0, 0);
	for (size_t i = 0; i < sizeof(bad_roles) / sizeof(bad_roles[0]); i++) {
		struct shmring *o = NULL;

		rc = shmring_open(name, bad_roles[i], &o);
		cr_assert_eq(rc, -EINVAL, "open role %d: %s", bad_roles[i],
			     shmring_strerror(rc));
	}
	cr_assert_eq(shmring_close(r), 0);
}

Test(errors, exists_and_missing, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name(), *plain = tu_name(), *missing = tu_name();
	struct shmring *r = tu_create(name, CAP, 0, SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct shmring *o = NULL;
	struct stat st;
	int fd, rc;

	rc = shmring_create(name, NULL, SHMRING_PRODUCER, &o);
	cr_assert_eq(rc, -EEXIST, "create twice: %s", shmring_strerror(rc));
	/* The first ring is untouched by the failed create. */
	cr_assert_eq(shmring_try_send(r, "abc", 3), 0);
	cr_assert_eq(shmring_try_recv(r, (char[4]){ 0 }, 4), 3);

	/* Nor does create take over a foreign object of that name. */
	fd = shm_open(plain, O_CREAT | O_EXCL | O_RDWR, 0600);
	cr_assert_geq(fd, 0, "shm_open: %s", strerror(errno));
	cr_assert_eq(ftruncate(fd, 123), 0);
	rc = shmring_create(plain, NULL, SHMRING_PRODUCER, &o);
	cr_assert_eq(rc, -EEXIST, "create over a plain object: %s",
		     shmring_strerror(rc));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_size, 123, "the foreign object was resized");
	close(fd);

	rc = shmring_open(missing, SHMRING_CONSUMER, &o);
	cr_assert_eq(rc, -ENOENT, "open of a missing ring: %s", shmring_strerror(rc));
	rc = shmring_open(missing, 0, &o);
	cr_assert_eq(rc, -ENOENT, "monitor open of a missing ring: %s",
		     shmring_strerror(rc));
	rc = shmring_unlink(missing);
	cr_assert_eq(rc, -ENOENT, "unlink of a missing ring: %s", shmring_strerror(rc));
	cr_assert_eq(shmring_close(r), 0);
	cr_assert_eq(shmring_unlink(name), 0);
	cr_assert_eq(shmring_unlink(name), -ENOENT);
}

/* In a child: become nobody, open the ring, exit with -rc. */
static int open_as_nobody(const char *name, int role)
{
	pid_t pid = tu_fork();
	int st;

	if (pid == 0) {
		struct shmring *r = NULL;
		int rc;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(200);
		rc = shmring_open(name, role, &r);
		if (rc == 0)
			shmring_close(r);
		_exit(rc < 0 ? -rc : 0);
	}
	st = tu_wait(pid);
	cr_assert(WIFEXITED(st), "child died of signal %d", WTERMSIG(st));
	cr_assert_neq(WEXITSTATUS(st), 200, "could not drop privileges");
	return -WEXITSTATUS(st);
}

Test(errors, eacces, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	const char *name = tu_name();
	struct shmring_opts o = { .capacity = CAP };
	struct shmring *r = NULL, *x = NULL;
	int rc;

	if (geteuid() == 0) {
		/* 0600: another uid may not even look. */
		o.mode = 0600;
		cr_assert_eq(shmring_create(name, &o, 0, &r), 0);
		rc = open_as_nobody(name, SHMRING_CONSUMER);
		cr_assert_eq(rc, -EACCES, "0600 ring, other uid, consumer: %s",
			     shmring_strerror(rc));
		rc = open_as_nobody(name, 0);
		cr_assert_eq(rc, -EACCES, "0600 ring, other uid, monitor: %s",
			     shmring_strerror(rc));
		cr_assert_eq(shmring_close(r), 0);
		cr_assert_eq(shmring_unlink(name), 0);
		/* 0644: others may monitor (read-only) but not attach. */
		name = tu_name();
		o.mode = 0644;
		cr_assert_eq(shmring_create(name, &o, 0, &r), 0);
		rc = open_as_nobody(name, SHMRING_PRODUCER);
		cr_assert_eq(rc, -EACCES, "0644 ring, other uid, producer: %s",
			     shmring_strerror(rc));
		rc = open_as_nobody(name, 0);
		cr_assert_eq(rc, 0, "0644 ring, other uid, monitor: %s",
			     shmring_strerror(rc));
		cr_assert_eq(shmring_close(r), 0);
	} else {
		/* Without root, the owner's own bits apply. */
		o.mode = 0400;
		cr_assert_eq(shmring_create(name, &o, 0, &r), 0);
		rc = shmring_open(name, SHMRING_PRODUCER, &x);
		cr_assert_eq(rc, -EACCES, "0400 ring, producer: %s",
			     shmring_strerror(rc));
		rc = shmring_open(name, 0, &x);
		cr_assert_eq(rc, 0, "0400 ring, monitor: %s", shmring_strerror(rc));
		cr_assert_eq(shmring_close(x), 0);
		cr_assert_eq(shmring_close(r), 0);
	}
}

/*
 * Corrupt headers. Each case creates a real ring, closes it, rewrites one
 * thing through a mapping of its own, and expects -EPROTO from open. The
 * library may wait about a second for a ring that looks half-created.
 */
typedef void scribble_fn(struct shmring_hdr *h, int fd);

static void s_magic(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->magic = 0x0123456789abcdefull;
}

static void s_version(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->version = SHMRING_LAYOUT_VERSION + 1;
}

static void s_version0(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->version = 0;
}

static void s_kind(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->kind = 77;
}

static void s_cap_pow2(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->capacity = 3000;
}

static void s_cap_zero(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->capacity = 0;
}

static void s_cap_big(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->capacity = (uint64_t)1 << 40;
}

static void s_region_more(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->region_size += 4096;
}

static void s_region_huge(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->region_size = (uint64_t)1 << 62;
}

static void s_max_msg(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->max_msg = h->capacity;
}

static void s_max_msg_huge(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->max_msg = ~(uint64_t)0;
}

static void s_data_off(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->data_off = 0;
}

static void s_data_off_far(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->data_off = h->region_size;
}

static void s_data_size(struct shmring_hdr *h, int fd)
{
	(void)fd;
	h->data_size = h->capacity * 4;
}

static void s_state(struct shmring_hdr *h, int fd)
{
	(void)fd;
	atomic_store(&h->state, SHMRING_STATE_INITIALISING);
}

static void s_state_junk(struct shmring_hdr *h, int fd)
{
	(void)fd;
	atomic_store(&h->state, 0x12345678u);
}

/* The object shrinks under a valid header: opening must not SIGBUS. */
static void s_shrink(struct shmring_hdr *h, int fd)
{
	(void)h;
	if (ftruncate(fd, SHMRING_HDR_SIZE) != 0)
		abort();
}

static void s_grow(struct shmring_hdr *h, int fd)
{
	(void)h;
	if (ftruncate(fd, (off_t)(SHMRING_HDR_SIZE + CAP * 2)) != 0)
		abort();
}

struct scribble {
	const char *what;
	scribble_fn *fn;
};

static const struct scribble scribbles[] = {
	{ "garbage magic", s_magic },
	{ "next layout version", s_version },
	{ "layout version 0", s_version0 },
	{ "unknown kind", s_kind },
	{ "capacity not a power of two", s_cap_pow2 },
	{ "capacity 0", s_cap_zero },
	{ "capacity beyond the object", s_cap_big },
	{ "region_size above the object size", s_region_more },
	{ "region_size 2^62", s_region_huge },
	{ "max_msg == capacity", s_max_msg },
	{ "max_msg 2^64-1", s_max_msg_huge },
	{ "data_off 0", s_data_off },
	{ "data_off at the end", s_data_off_far },
	{ "data_size above capacity", s_data_size },
	{ "state INITIALISING", s_state },
	{ "state garbage", s_state_junk },
	{ "object shrunk to the header", s_shrink },
	{ "object larger than region_size", s_grow },
};

static void scribble_on(const char *name, scribble_fn *fn)
{
	char path[400];
	struct shmring_hdr *h;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	h = mmap(NULL, SHMRING_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(h, MAP_FAILED, "mmap: %s", strerror(errno));
	fn(h, fd);
	munmap(h, SHMRING_HDR_SIZE);
	close(fd);
}

/* Both a role and a monitor are refused (nroles 2), or just a role (1). */
static void expect_eproto(const char *name, const char *what, size_t nroles)
{
	static const int roles[] = { SHMRING_CONSUMER, 0 };

	for (size_t i = 0; i < nroles; i++) {
		struct shmring *r = NULL;
		int64_t t0 = tu_now_ns(), el;
		int rc = shmring_open(name, roles[i], &r);

		el = tu_now_ns() - t0;
		cr_assert_eq(rc, -EPROTO, "%s, role %d: open gave %s", what, roles[i],
			     rc ? shmring_strerror(rc) : "success");
		cr_assert_lt(el, 5000000000, "%s: open took %lld ms", what,
			     (long long)(el / 1000000));
	}
}

Test(errors, eproto_header, TU_FIXTURE, .timeout = TU_TIMEOUT(120))
{
	for (size_t i = 0; i < sizeof(scribbles) / sizeof(scribbles[0]); i++) {
		const char *name = tu_name();
		struct shmring *r = tu_create(name, CAP, 0, 0);

		cr_assert_eq(shmring_close(r), 0);
		scribble_on(name, scribbles[i].fn);
		expect_eproto(name, scribbles[i].what, 2);
		cr_assert_eq(shm_unlink(name), 0);
	}
}

/*
 * shmring_check(3) on the same corrupt headers: never "usable" where open
 * refuses, -ENOMSG only without the magic, and the reason it gives names
 * the field that is wrong. Checked to fail without the check it reports:
 * with the power-of-two test taken out of validate() in lib/ring.c, a
 * later size check refuses the capacity case with another reason ("data
 * size 4096, capacity 3000"), and the strstr() assertion fails.
 */
static const struct {
	scribble_fn *fn;
	const char *says;
} check_reasons[] = {
	{ s_magic, "not a shmring region" },
	{ s_version, "layout version" },
	{ s_kind, "unknown ring kind 77" },
	{ s_cap_pow2, "capacity 3000 is not a power of two" },
	{ s_region_more, "region size" },
	{ s_data_size, "data size" },
	{ s_state, "its creation never finished" },
	{ s_state_junk, "bad state word 0x12345678" },
	{ s_shrink, "object size 4096" },
};

Test(errors, check_says_why, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	char why[160];

	for (size_t i = 0; i < sizeof(scribbles) / sizeof(scribbles[0]); i++) {
		const char *name = tu_name();
		struct shmring *r = tu_create(name, CAP, 0, 0);
		int rc;

		rc = shmring_check(name, why, sizeof(why));
		cr_assert_eq(rc, 0, "fresh ring: %s", why);
		cr_assert_str_eq(why, "a usable ring");
		cr_assert_eq(shmring_close(r), 0);
		scribble_on(name, scribbles[i].fn);
		rc = shmring_check(name, why, sizeof(why));
		cr_assert_eq(rc, scribbles[i].fn == s_magic ? -ENOMSG : -EPROTO,
			     "%s: check gave %s (%s)", scribbles[i].what,
			     shmring_strerror(rc), why);
		for (size_t k = 0; k < sizeof(check_reasons) / sizeof(check_reasons[0]); k++)
			if (check_reasons[k].fn == scribbles[i].fn)
				cr_assert(strstr(why, check_reasons[k].says),
					  "%s: \"%s\" does not say \"%s\"",
					  scribbles[i].what, why,
					  check_reasons[k].says);
		cr_assert_eq(shm_unlink(name), 0);
	}
}

/* The object itself: missing, foreign, short; and the arguments. */
Test(errors, check_objects, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	char why[160];
	int fd;

	cr_assert_eq(shmring_check(name, why, sizeof(why)), -ENOENT);
	cr_assert_eq(shmring_check("noslash", why, sizeof(why)), -EINVAL);
	cr_assert_eq(shmring_check(name, NULL, 1), -EINVAL);
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	cr_assert_geq(fd, 0, "shm_open: %s", strerror(errno));
	cr_assert_eq(shmring_check(name, why, sizeof(why)), -ENOMSG, "%s", why);
	cr_assert_eq(ftruncate(fd, 100), 0);
	cr_assert_eq(pwrite(fd, "NOTARING", 8, 0), 8);
	cr_assert_eq(shmring_check(name, NULL, 0), -ENOMSG);
	/* The magic on a short object: a ring cut short. */
	{
		uint64_t magic = SHMRING_MAGIC;

		cr_assert_eq(pwrite(fd, &magic, 8, 0), 8);
	}
	cr_assert_eq(shmring_check(name, why, sizeof(why)), -EPROTO);
	cr_assert_str_eq(why, "truncated: 100 bytes, the header alone is 4096");
	/* A short buffer gets the start of the line, terminated. */
	cr_assert_eq(shmring_check(name, why, 10), -EPROTO);
	cr_assert_str_eq(why, "truncated");
	close(fd);
	cr_assert_eq(shm_unlink(name), 0);
}

/* Objects that were never rings, or never finished being one. */
Test(errors, eproto_foreign, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	static const off_t sizes[] = { 0, 5, 64, SHMRING_HDR_SIZE - 1,
				       SHMRING_HDR_SIZE, SHMRING_HDR_SIZE + CAP };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const char *name = tu_name();
		char what[64];
		int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);

		cr_assert_geq(fd, 0, "shm_open: %s", strerror(errno));
		cr_assert_eq(ftruncate(fd, sizes[i]), 0);
		if (sizes[i] >= 8)
			cr_assert_eq(pwrite(fd, "NOTARING", 8, 0), 8);
		close(fd);
		snprintf(what, sizeof(what), "%lld-byte foreign object",
			 (long long)sizes[i]);
		/* One role: each may cost the bounded wait for a ring still
		 * being created (about a second). */
		expect_eproto(name, what, 1);
		cr_assert_eq(shm_unlink(name), 0);
	}
}

/*
 * A corrupt ring at run time: positions and records written by a hostile
 * peer make calls fail with -EBADMSG; nothing reads or writes outside the
 * mapping (ASan would see it; a wild index would fault).
 */
struct live {
	struct shmring *r;
	struct shmring_hdr *h;
	unsigned char *data;
	size_t map_len;
};

static void live_open(struct live *l, const char *name)
{
	char path[400];
	int fd;

	l->r = tu_create(name, CAP, 256, SHMRING_PRODUCER | SHMRING_CONSUMER);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	l->map_len = SHMRING_HDR_SIZE + CAP;
	l->h = mmap(NULL, l->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(l->h, MAP_FAILED);
	close(fd);
	cr_assert_eq(l->h->data_off, SHMRING_HDR_SIZE);
	l->data = (unsigned char *)l->h + l->h->data_off;
}

static struct rec_hdr *live_rec(struct live *l, uint64_t pos)
{
	/* Records start 8-byte aligned in a page-aligned data area. */
	return (struct rec_hdr *)(void *)(l->data + (pos & (CAP - 1)));
}

static void live_expect_bad(struct live *l, const char *what)
{
	static unsigned char buf[CAP];
	const void *p = NULL;
	long rc;

	rc = shmring_try_recv(l->r, buf, sizeof(buf));
	cr_assert_eq(rc, -EBADMSG, "%s: try_recv gave %ld", what, rc);
	rc = shmring_recv(l->r, buf, sizeof(buf), 1000000);
	cr_assert_eq(rc, -EBADMSG, "%s: recv gave %ld", what, rc);
	rc = shmring_peek(l->r, &p, 0);
	cr_assert_eq(rc, -EBADMSG, "%s: peek gave %ld", what, rc);
}

Test(errors, ebadmsg_records, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	struct live l;
	uint64_t pos;
	struct rec_hdr *rh;

	/* Length above max_msg. */
	live_open(&l, tu_name());
	cr_assert_eq(shmring_try_send(l.r, "12345678", 8), 0);
	pos = atomic_load(&l.h->cons_pos);
	rh = live_rec(&l, pos);
	cr_assert_eq(rh->type, rec_type(pos, REC_KIND_DATA | REC_NEXT_CLEAR),
		     "record header not where layout.h says");
	cr_assert_eq(rh->len, 8);
	rh->len = 1u << 30;
	live_expect_bad(&l, "record length 2^30");
	/* Length within max_msg but past the producer's position. */
	rh->len = 200;
	live_expect_bad(&l, "record past prod_pos");
	/* Unknown type. */
	rh->len = 8;
	rh->type = 0x12345678;
	live_expect_bad(&l, "record of unknown type");
	/* Padding that runs past the end of the data area. */
	rh->type = rec_type(pos, REC_KIND_PAD | REC_NEXT_CLEAR);
	rh->len = CAP;
	live_expect_bad(&l, "padding past the end");
	munmap(l.h, l.map_len);
	cr_assert_eq(shmring_close(l.r), 0);
}

/*
 * A hostile prod_pos misleads the consumer (the producer may keep its own
 * position and never read it back); a hostile cons_pos misleads the
 * producer, once the ring is full enough that it must read it.
 */
Test(errors, ebadmsg_positions, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	static const struct {
		const char *what;
		int64_t delta; /* added to the true prod_pos */
	} prod[] = {
		{ "prod_pos three rings ahead", 3 * (int64_t)CAP },
		{ "prod_pos a ring and 8 ahead", (int64_t)CAP + 8 },
		{ "prod_pos misaligned", 12 },
		/* Less than a ring behind is a consumer that took the
		 * producer's last records on their headers: not wrong. */
		{ "prod_pos more than a ring behind the consumer",
		  -(int64_t)CAP - 8 },
	};
	static unsigned char buf[120];
	struct live l;
	long rc;

	for (size_t i = 0; i < sizeof(prod) / sizeof(prod[0]); i++) {
		live_open(&l, tu_name());
		/* One message sent and taken: cons_pos == prod_pos == 16. */
		cr_assert_eq(shmring_try_send(l.r, "12345678", 8), 0);
		cr_assert_eq(shmring_try_recv(l.r, buf, sizeof(buf)), 8);
		atomic_store(&l.h->prod_pos,
			     (uint64_t)((int64_t)atomic_load(&l.h->prod_pos) + prod[i].delta));
		live_expect_bad(&l, prod[i].what);
		munmap(l.h, l.map_len);
		shmring_close(l.r);
	}

	/* cons_pos ahead of prod_pos, or misaligned, seen by a full producer. */
	for (int k = 0; k < 2; k++) {
		const char *what = k ? "cons_pos misaligned" : "cons_pos ahead of prod_pos";

		live_open(&l, tu_name());
		while ((rc = shmring_try_send(l.r, buf, sizeof(buf))) == 0)
			;
		cr_assert_eq(rc, -EAGAIN);
		atomic_store(&l.h->cons_pos,
			     k ? 4 : atomic_load(&l.h->prod_pos) + 64);
		rc = shmring_try_send(l.r, buf, sizeof(buf));
		cr_assert_eq(rc, -EBADMSG, "%s: try_send gave %ld", what, rc);
		rc = shmring_send(l.r, buf, sizeof(buf), 1000000);
		cr_assert_eq(rc, -EBADMSG, "%s: send gave %ld", what, rc);
		munmap(l.h, l.map_len);
		shmring_close(l.r);
	}
}

/*
 * Payload bytes from an earlier lap that look exactly like the header due
 * at their offset now are not a message: the producer clears the word
 * after each record before it publishes the record. Checked to fail (the
 * receive returns the forged 8-byte message) with the clearing stores of
 * spsc_send1() and put_rec() (lib/spsc.c) removed.
 */
Test(errors, forged_header_from_earlier_lap, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	static unsigned char buf[248];
	struct rec_hdr forged = {
		.len = 8, .type = rec_type(CAP + 128, REC_KIND_DATA | REC_NEXT_CLEAR),
	};
	struct live l;

	live_open(&l, tu_name());
	/* Lap 0: a record over [0, 256) whose payload holds, at offset 128,
	 * the header a record at position CAP + 128 would have; then 15 more
	 * of 256 bytes to the end of the lap. */
	memset(buf, 0x5a, sizeof(buf));
	memcpy(buf + 128 - REC_HDR_SIZE, &forged, sizeof(forged));
	for (int i = 0; i < 16; i++) {
		cr_assert_eq(shmring_try_send(l.r, buf, sizeof(buf)), 0);
		cr_assert_eq(shmring_try_recv(l.r, buf, sizeof(buf)), (long)sizeof(buf));
		if (i == 0)
			memset(buf, 0x5a, sizeof(buf));
	}
	cr_assert_eq(atomic_load(&l.h->cons_pos), CAP);
	/* Lap 1: one record of 128 bytes ends where the forged header sits. */
	cr_assert_eq(shmring_try_send(l.r, buf, 120), 0);
	cr_assert_eq(shmring_try_recv(l.r, buf, sizeof(buf)), 120);
	cr_assert_eq(shmring_try_recv(l.r, buf, sizeof(buf)), -EAGAIN,
		     "payload of an earlier lap taken for a message");
	munmap(l.h, l.map_len);
	cr_assert_eq(shmring_close(l.r), 0);
}

/*
 * A producer that dies between storing records' headers (which publish
 * them) and prod_pos: the consumer may already have taken the records,
 * so the next producer must start after them, not at prod_pos. With one
 * record past prod_pos, checked to fail (the new producer's send gives
 * -EBADMSG, the consumer being past its position) with recover_ppos()
 * (lib/spsc.c) returning prod_pos as it is; with three (a burst), checked
 * to fail when its walk stops at a record that ends below cons_pos (the
 * walk once read such a record as a ring ahead of the consumer).
 */
static void died_before_prod_pos(int past)
{
	const char *name = tu_name();
	struct shmring *p = tu_create(name, CAP, 256, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	char path[400], buf[16], msg[9] = "BBBBBBBB";
	struct shmring_hdr *h;
	uint64_t at_a;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	h = mmap(NULL, SHMRING_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(h, MAP_FAILED);
	close(fd);

	cr_assert_eq(shmring_try_send(p, "AAAAAAAA", 8), 0);
	at_a = atomic_load(&h->prod_pos);
	cr_assert_eq(atomic_load(&h->prod_clear), at_a);
	for (int i = 0; i < past; i++) {
		msg[0] = (char)('B' + i);
		cr_assert_eq(shmring_try_send(p, msg, 8), 0);
	}
	cr_assert_eq(shmring_close(p), 0);
	/* As if it had died after the last header, before its prod_pos. */
	atomic_store(&h->prod_pos, at_a);
	atomic_store(&h->prod_clear, at_a);
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), 8);
	cr_assert_eq(memcmp(buf, "AAAAAAAA", 8), 0);
	for (int i = 0; i < past; i++) {
		msg[0] = (char)('B' + i);
		cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), 8);
		cr_assert_eq(memcmp(buf, msg, 8), 0);
	}
	/* The only producer closed: end of stream, until the next attaches. */
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EPIPE);

	p = tu_open(name, SHMRING_PRODUCER);
	cr_assert_eq(shmring_try_send(p, "ZZZZZZZZ", 8), 0,
		     "a new producer does not see what the dead one published");
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), 8);
	cr_assert_eq(memcmp(buf, "ZZZZZZZZ", 8), 0);
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), -EAGAIN);
	munmap(h, SHMRING_HDR_SIZE);
	cr_assert_eq(shmring_close(p), 0);
	cr_assert_eq(shmring_close(c), 0);
}

Test(errors, producer_died_before_prod_pos, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	died_before_prod_pos(1);
}

Test(errors, producer_died_a_burst_before_prod_pos, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	died_before_prod_pos(3);
}

Test(errors, ebusy_roles, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	struct shmring *p = tu_create(name, CAP, 0, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct shmring *x = NULL, *m1, *m2;
	pid_t pid;
	int rc;

	/* In this process. */
	rc = shmring_open(name, SHMRING_PRODUCER, &x);
	cr_assert_eq(rc, -EBUSY, "second producer: %s", shmring_strerror(rc));
	rc = shmring_open(name, SHMRING_CONSUMER, &x);
	cr_assert_eq(rc, -EBUSY, "second consumer: %s", shmring_strerror(rc));
	rc = shmring_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER, &x);
	cr_assert_eq(rc, -EBUSY, "second producer+consumer: %s", shmring_strerror(rc));
	/* Monitors are not roles. */
	m1 = tu_open(name, 0);
	m2 = tu_open(name, 0);

	/* In another process: exit status is -rc of each open. */
	pid = tu_fork();
	if (pid == 0) {
		int a = shmring_open(name, SHMRING_PRODUCER, &x);
		int b = shmring_open(name, SHMRING_CONSUMER, &x);

		_exit(a == -EBUSY && b == -EBUSY ? 0 : 1);
	}
	tu_wait_ok(pid, "second producer/consumer in another process");

	/* The ring still works between the holders. */
	cr_assert_eq(shmring_try_send(p, "ok", 2), 0);
	cr_assert_eq(shmring_try_recv(c, (char[2]){ 0 }, 2), 2);

	/* A closed role is free again. */
	cr_assert_eq(shmring_close(p), 0);
	p = tu_open(name, SHMRING_PRODUCER);
	cr_assert_eq(shmring_close(c), 0);
	c = tu_open(name, SHMRING_CONSUMER);
	cr_assert_eq(shmring_try_send(p, "again", 5), 0);
	cr_assert_eq(shmring_try_recv(c, (char[8]){ 0 }, 8), 5);

	/* Both roles in one handle hold both. */
	cr_assert_eq(shmring_close(p), 0);
	cr_assert_eq(shmring_close(c), 0);
	p = tu_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER);
	rc = shmring_open(name, SHMRING_CONSUMER, &x);
	cr_assert_eq(rc, -EBUSY, "consumer next to a producer+consumer: %s",
		     shmring_strerror(rc));
	rc = shmring_open(name, SHMRING_PRODUCER, &x);
	cr_assert_eq(rc, -EBUSY, "producer next to a producer+consumer: %s",
		     shmring_strerror(rc));
	cr_assert_eq(shmring_close(p), 0);
	cr_assert_eq(shmring_close(m1), 0);
	cr_assert_eq(shmring_close(m2), 0);
}

Test(errors, eperm_roles, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	static unsigned char buf[64];
	const char *name = tu_name();
	struct shmring *p = tu_create(name, CAP, 0, SHMRING_PRODUCER);
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	struct shmring *m = tu_open(name, 0);
	struct shmring *cons_like[2] = { c, m }, *prod_like[2] = { p, m };
	struct iovec iov = { buf, 8 };
	const void *cp = NULL;
	void *vp = NULL;

	for (int i = 0; i < 2; i++) {
		struct shmring *r = cons_like[i];
		const char *who = i ? "monitor" : "consumer";

		cr_assert_eq(shmring_send(r, buf, 8, 0), -EPERM, "send on %s", who);
		cr_assert_eq(shmring_send(r, buf, 8, -1), -EPERM, "send(-1) on %s", who);
		cr_assert_eq(shmring_try_send(r, buf, 8), -EPERM, "try_send on %s", who);
		cr_assert_eq(shmring_send_burst(r, &iov, 1, 0), -EPERM,
			     "send_burst on %s", who);
		cr_assert_eq(shmring_reserve(r, 8, &vp, 0), -EPERM, "reserve on %s", who);
		cr_assert_eq(shmring_commit(r, 0), -EPERM, "commit on %s", who);
	}
	cr_assert_eq(shmring_try_send(p, "msg", 3), 0);
	for (int i = 0; i < 2; i++) {
		struct shmring *r = prod_like[i];
		const char *who = i ? "monitor" : "producer";

		cr_assert_eq(shmring_recv(r, buf, sizeof(buf), 0), -EPERM, "recv on %s",
			     who);
		cr_assert_eq(shmring_recv(r, buf, sizeof(buf), -1), -EPERM,
			     "recv(-1) on %s", who);
		cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), -EPERM,
			     "try_recv on %s", who);
		iov.iov_len = sizeof(buf);
		cr_assert_eq(shmring_recv_burst(r, &iov, 1, 0), -EPERM,
			     "recv_burst on %s", who);
		cr_assert_eq(shmring_peek(r, &cp, 0), -EPERM, "peek on %s", who);
		cr_assert_eq(shmring_release(r), -EPERM, "release on %s", who);
	}
	/* The refused calls took nothing. */
	cr_assert_eq(shmring_try_recv(c, buf, sizeof(buf)), 3);
	cr_assert_eq(memcmp(buf, "msg", 3), 0);
	cr_assert_eq(shmring_close(m), 0);
	cr_assert_eq(shmring_close(c), 0);
	cr_assert_eq(shmring_close(p), 0);
}

Test(errors, einval_args, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	struct shmring *r = tu_create(tu_name(), CAP, 0,
				      SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct shmring_info in;
	struct iovec iov = { NULL, 0 };
	unsigned char buf[8];
	const void *cp = NULL;
	void *vp = NULL;

	cr_assert_eq(shmring_close(NULL), -EINVAL);
	cr_assert_eq(shmring_send(NULL, buf, 1, 0), -EINVAL);
	cr_assert_eq(shmring_try_send(NULL, buf, 1), -EINVAL);
	cr_assert_eq(shmring_recv(NULL, buf, 8, 0), -EINVAL);
	cr_assert_eq(shmring_try_recv(NULL, buf, 8), -EINVAL);
	cr_assert_eq(shmring_send_burst(NULL, &iov, 1, 0), -EINVAL);
	cr_assert_eq(shmring_recv_burst(NULL, &iov, 1, 0), -EINVAL);
	cr_assert_eq(shmring_reserve(NULL, 1, &vp, 0), -EINVAL);
	cr_assert_eq(shmring_commit(NULL, 0), -EINVAL);
	cr_assert_eq(shmring_peek(NULL, &cp, 0), -EINVAL);
	cr_assert_eq(shmring_release(NULL), -EINVAL);
	cr_assert_eq(shmring_info(NULL, &in), -EINVAL);
	cr_assert_eq(shmring_info(r, NULL), -EINVAL);
	cr_assert_eq(shmring_set_spin(NULL, 0), -EINVAL);
	cr_assert_eq(shmring_send(r, NULL, 1, 0), -EINVAL, "send NULL msg, len 1");
	cr_assert_eq(shmring_try_send(r, NULL, 5), -EINVAL);
	cr_assert_eq(shmring_info(r, &in), 0);
	cr_assert_eq(in.used, 0, "a refused send left bytes behind");
	cr_assert_eq(shmring_send(r, NULL, 0, 0), 0, "send NULL msg, len 0");
	cr_assert_eq(shmring_try_send(r, "x", 1), 0);
	cr_assert_eq(shmring_recv(r, NULL, 4, 0), -EINVAL, "recv NULL buf, cap 4");
	cr_assert_eq(shmring_try_recv(r, NULL, 0), 0, "recv of the empty message");
	cr_assert_eq(shmring_try_recv(r, buf, 1), 1, "a refused recv took a message");
	cr_assert_eq(buf[0], 'x');
	cr_assert_eq(shmring_close(r), 0);
}

Test(errors, strerror_text, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	static const int codes[] = {
		0, -EAGAIN, -ETIMEDOUT, -EMSGSIZE, -EPIPE, -ENOENT, -EEXIST,
		-EACCES, -EINVAL, -EPROTO, -EBUSY, -EPERM, -EBADMSG, -ENOSPC,
		-ENOMEM, -EMFILE, -ENFILE, -EUSERS, EPIPE, -9999, 9999, INT_MIN,
		INT_MAX, -1,
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = shmring_strerror(codes[i]);

		cr_assert_not_null(s, "shmring_strerror(%d) is NULL", codes[i]);
		cr_assert_gt(strlen(s), 0, "shmring_strerror(%d) is empty", codes[i]);
	}
	cr_assert_str_neq(shmring_strerror(-EPIPE), shmring_strerror(-EAGAIN));
	cr_assert_str_neq(shmring_strerror(-EPROTO), shmring_strerror(-EBUSY));
}

/* ---- -EMSGSIZE, on every ring kind and backing ------------------------ */

#define MAX 200 /* the max_msg of these rings */

static struct shmring *both_max(size_t max_msg)
{
	return tu_create_kind(tu_name(), tu_kind_now->kind,
			      tu_kind_now->small_cap, max_msg,
			      SHMRING_PRODUCER | SHMRING_CONSUMER);
}

/* A message larger than max_msg is refused at once, whatever the call. */
TU_TEST(errors, emsgsize_send, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	static unsigned char buf[2 * MAX];
	struct shmring *r = both_max(MAX);
	struct iovec iov[3] = { { buf, 10 }, { buf, MAX + 1 }, { buf, 20 } };
	void *p = NULL;
	int n;

	cr_assert_eq(shmring_try_send(r, buf, MAX + 1), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, buf, MAX + 1, 0), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, buf, MAX + 1, 1000000), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, buf, MAX + 1, -1), -EMSGSIZE,
		     "a message that can never fit must not wait");
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), -1), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, buf, SIZE_MAX, 0), -EMSGSIZE);
	cr_assert_eq(shmring_reserve(r, MAX + 1, &p, 0), -EMSGSIZE);
	cr_assert_eq(shmring_send_burst(r, iov + 1, 2, 0), -EMSGSIZE);
	cr_assert_eq(tu_info(r).used, 0, "a refused message took room");

	/* The burst stops before the message that is too large. */
	tu_fill(buf, 10, 3);
	cr_assert_eq(shmring_send_burst(r, iov, 3, 0), 1);
	tu_get(r, 10, 3);
	cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), -EAGAIN);

	/* A full ring still says -EMSGSIZE first: the size never fits. */
	n = tu_fill_ring(r, MAX);
	cr_assert_eq(shmring_send(r, buf, MAX + 1, 1000000), -EMSGSIZE);
	for (int i = 0; i < n; i++)
		tu_get(r, MAX, (uint64_t)i);
	tu_put(r, MAX, 5);
	tu_get(r, MAX, 5);
	cr_assert_eq(shmring_close(r), 0);
}

/* A buffer too small for the next message: -EMSGSIZE at once, and the
 * message stays, whole and first; peek tells its size. */
TU_TEST(errors, emsgsize_recv, TU_ALL_KINDS, .timeout = TU_TIMEOUT(10))
{
	static unsigned char buf[256], b2[256];
	struct shmring *r = both_max(MAX);
	const void *p = NULL;
	struct iovec v[2];
	size_t used;
	int64_t t0;

	tu_put(r, 150, 1);
	tu_put(r, 20, 2);
	used = tu_info(r).used;
	cr_assert_eq(shmring_try_recv(r, buf, 149), -EMSGSIZE);
	cr_assert_eq(shmring_recv(r, buf, 1, 0), -EMSGSIZE);
	cr_assert_eq(shmring_recv(r, buf, 149, -1), -EMSGSIZE,
		     "a buffer too small must not wait");
	cr_assert_eq(shmring_try_recv(r, NULL, 0), -EMSGSIZE);
	/* Not a wait: the message is there, only the buffer is short. */
	t0 = tu_now_ns();
	cr_assert_eq(shmring_recv(r, buf, 10, 2000000000), -EMSGSIZE);
	cr_assert_lt(tu_now_ns() - t0, 1000000000);
	v[0] = (struct iovec){ buf, 149 };
	v[1] = (struct iovec){ b2, sizeof(b2) };
	cr_assert_eq(shmring_recv_burst(r, v, 2, 0), -EMSGSIZE);
	/* It stayed, whole, and first. */
	cr_assert_eq(tu_info(r).used, used);
	cr_assert_eq(shmring_peek(r, &p, 0), 150);
	tu_get(r, 150, 1);

	/* In a burst, a short buffer past the first stops it there. */
	tu_put(r, 30, 3);
	v[0] = (struct iovec){ buf, sizeof(buf) };
	v[1] = (struct iovec){ b2, 29 };
	cr_assert_eq(shmring_recv_burst(r, v, 2, 0), 1);
	cr_assert_eq(v[0].iov_len, 20);
	cr_assert_eq(tu_check(buf, 20, 2), 0);
	tu_get(r, 30, 3);

	/* An empty message fits a zero-byte buffer. */
	tu_put(r, 0, 10);
	cr_assert_eq(shmring_try_recv(r, NULL, 0), 0);
	cr_assert_eq(shmring_try_recv(r, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_close(r), 0);
}
