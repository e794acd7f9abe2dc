/*
 * test_fsize.c - a POSIX or file ring larger than the process's
 * RLIMIT_FSIZE is refused with -EFBIG: the process is not killed by
 * SIGXFSZ (the default action of growing a file past the limit, tmpfs
 * included), and no object is left behind. A ring of exactly the limit
 * is still created.
 *
 * Each case runs in a child that lowers its own limit, creates, and
 * sends shmring_create()'s return code up a pipe; the parent checks how
 * the child ended and what is left on disk or in /dev/shm.
 *
 * Checked to fail without the protection: with the over_fsize_limit()
 * test of create_fd() (lib/region.c) removed, the children with SIGXFSZ
 * at its default action are killed by signal 25 (SIGXFSZ) and
 * over_limit_file and over_limit_posix fail; the SIGXFSZ-ignored cases
 * still pass then (the growth's own EFBIG, object removed), which is the
 * fallback the check leaves in place. With the comparison made ">=",
 * at_limit fails (-EFBIG for a ring the kernel would allow).
 */
#include "hutil.h"

#include <sys/resource.h>

static const struct shmring_opts small = {
	.kind = SHMRING_SPSC, .capacity = 65536, .max_msg = 1024,
};

enum backend { B_POSIX, B_FILE };
static const char *const backend_name[] = { "POSIX", "file" };

static const char *name_for(enum backend b)
{
	return b == B_POSIX ? tu_name() : tu_file_name(tu_tmpdir());
}

/* Whether the object behind @name exists, not through the library. */
static int object_exists(const char *name)
{
	struct stat st;
	char path[320];

	if (!strncmp(name, "file:", 5))
		return stat(name + 5, &st) == 0;
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return stat(path, &st) == 0;
}

/* The region size of a ring made with @small, from a throwaway ring. */
static size_t region_size(void)
{
	struct shmring *r = NULL;
	struct shmring_info info;

	cr_assert_eq(shmring_create_anon(&small, &r), 0);
	cr_assert_eq(shmring_info(r, &info), 0);
	shmring_close(r);
	return info.region_size;
}

/*
 * In a child with RLIMIT_FSIZE at @limit and SIGXFSZ at its default
 * action (or ignored, @ignore), create @name (a memfd ring if NULL):
 * returns what shmring_create() returned there. The child must exit
 * normally.
 */
static int create_limited(const char *name, rlim_t limit, int ignore)
{
	int fds[2];
	int rc = 1;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
	pid = tu_fork();
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };
		struct shmring *r = NULL;
		sigset_t set;

		close(fds[0]);
		sigemptyset(&set);
		sigaddset(&set, SIGXFSZ);
		if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0 ||
		    signal(SIGXFSZ, ignore ? SIG_IGN : SIG_DFL) == SIG_ERR)
			_exit(2);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(3);
		rc = name ? shmring_create(name, &small, SHMRING_PRODUCER, &r) :
			    shmring_create_memfd(&small, SHMRING_PRODUCER, &r);
		if (rc == 0)
			shmring_close(r);
		if (write(fds[1], &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	tu_wait_ok(pid, name ? name : "memfd ring");
	cr_assert_eq(read(fds[0], &rc, sizeof(rc)), (ssize_t)sizeof(rc),
		     "no return code from the child");
	close(fds[0]);
	return rc;
}

static void over_limit(enum backend b, int ignore)
{
	size_t size = region_size();
	/* One byte short, and far short: both refused. */
	const rlim_t limits[] = { size - 1, 4096 };

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		const char *name = name_for(b);
		int rc = create_limited(name, limits[i], ignore);

		cr_assert_eq(rc, -EFBIG,
			     "%s ring of %zu bytes, limit %llu, SIGXFSZ %s: %s",
			     backend_name[b], size,
			     (unsigned long long)limits[i],
			     ignore ? "ignored" : "default",
			     shmring_strerror(rc));
		cr_assert_not(object_exists(name), "%s ring %s left behind",
			      backend_name[b], name);
	}
}

Test(fsize, over_limit_file, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	over_limit(B_FILE, 0);
}

Test(fsize, over_limit_posix, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	over_limit(B_POSIX, 0);
}

Test(fsize, over_limit_sigxfsz_ignored, TU_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	over_limit(B_FILE, 1);
	over_limit(B_POSIX, 1);
}

/*
 * A memfd is a tmpfs file too. Checked by removing the check from the
 * memfd branch of region_create_unnamed(): the child dies of SIGXFSZ.
 */
Test(fsize, over_limit_memfd, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	size_t size = region_size();
	int rc = create_limited(NULL, size - 1, 0);

	cr_assert_eq(rc, -EFBIG, "memfd ring of %zu bytes, limit %zu: %s", size,
		     size - 1, shmring_strerror(rc));
	rc = create_limited(NULL, size, 0);
	cr_assert_eq(rc, 0, "memfd ring of %zu bytes at the limit: %s", size,
		     shmring_strerror(rc));
}

/* The kernel refuses only a size past the limit: exactly it is allowed. */
Test(fsize, at_limit, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	size_t size = region_size();

	for (int b = B_POSIX; b <= B_FILE; b++) {
		const char *name = name_for((enum backend)b);
		int rc = create_limited(name, size, 0);

		cr_assert_eq(rc, 0, "%s ring of %zu bytes, limit %zu: %s",
			     backend_name[b], size, size, shmring_strerror(rc));
		cr_assert(object_exists(name), "%s ring %s not created",
			  backend_name[b], name);
	}
}
