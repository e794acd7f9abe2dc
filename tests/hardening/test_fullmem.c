/*
 * test_fullmem.c - shared memory too small for a ring: the creation fails with -ENOSPC (or -EFBIG past RLIMIT_FSIZE) and leaves nothing behind; a ring that was created never faults with SIGBUS later.
 *
 * The tmpfs tests mount a 1 MiB tmpfs on /dev/shm in a mount namespace of
 * their own (a child that unshares; root only). Without the right to
 * mount they report themselves skipped, and the RLIMIT_FSIZE tests, which
 * need no privilege, still run.
 *
 * Checked against a scratch copy of the library whose size_and_reserve()
 * (lib/region.c) skipped posix_fallocate(): the 4 MiB creation then
 * succeeds on the 1 MiB tmpfs and filling the ring kills the child with
 * SIGBUS, which tmpfs_posix and tmpfs_file report as failures.
 */
#include "hutil.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#define MiB ((size_t)1 << 20)
#define TMPFS_SIZE "size=1m"


static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Try a ring too big for what is left: must fail as @want, leave no
 * object, and (were it created after all) prove it by filling it. */
static void expect_full(const char *name, const struct shmring_opts *o,
			const char *dir, int step)
{
	struct shmring *r = NULL;
	int rc = shmring_create(name, o, SHMRING_PRODUCER | SHMRING_CONSUMER, &r);

	if (rc == 0) {
		/* Unreserved pages fault here: the SIGBUS the test is about. */
		hu_fill_and_drain(r, step);
		tu_child_fail(step, "%s: created %zu-byte ring on a 1 MiB tmpfs",
			   name, o->capacity);
	}
	if (rc != -ENOSPC)
		tu_child_fail(step, "%s: create gave %s, not -ENOSPC", name,
			   shmring_strerror(rc));
	if (count_entries(dir) != 0)
		tu_child_fail(step, "%s: the failed creation left an object in %s",
			   name, dir);
}

/* Runs in a child with a private mount namespace. */
static void tmpfs_child(int file_backend)
{
	struct shmring_opts big = { .kind = SHMRING_SPSC, .capacity = 4 * MiB,
				    .max_msg = 1000 };
	struct shmring_opts big_mpmc = { .kind = SHMRING_MPMC, .capacity = 4096,
					 .max_msg = 1008 }; /* 4 MiB of slots */
	struct shmring_opts quarter = { .kind = SHMRING_SPSC,
					.capacity = MiB / 4, .max_msg = 1000 };
	struct shmring_opts half = { .kind = SHMRING_SPSC, .capacity = MiB / 2,
				     .max_msg = 1000 };
	struct shmring *a = NULL, *b = NULL;
	char n1[64], n2[64], n3[64], n4[64];
	int rc;

	if (unshare(CLONE_NEWNS) != 0)
		_exit(errno == EPERM ? 77 : 1);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		_exit(errno == EPERM ? 77 : 2);
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, TMPFS_SIZE) != 0)
		_exit(errno == EPERM ? 77 : 3);
	if (file_backend) {
		snprintf(n1, sizeof(n1), "file:/dev/shm/big");
		snprintf(n2, sizeof(n2), "file:/dev/shm/quarter");
		snprintf(n3, sizeof(n3), "file:/dev/shm/half");
		snprintf(n4, sizeof(n4), "file:/dev/shm/half2");
	} else {
		snprintf(n1, sizeof(n1), "/big");
		snprintf(n2, sizeof(n2), "/quarter");
		snprintf(n3, sizeof(n3), "/half");
		snprintf(n4, sizeof(n4), "/half2");
	}
	/* Four times what there is: refused at once. */
	expect_full(n1, &big, "/dev/shm", 10);
	expect_full(n1, &big_mpmc, "/dev/shm", 11);
	/* What fits is usable to the last byte... */
	rc = shmring_create(n2, &quarter, SHMRING_PRODUCER | SHMRING_CONSUMER, &a);
	if (rc)
		tu_child_fail(12, "256 KiB ring on 1 MiB: %s", shmring_strerror(rc));
	hu_fill_and_drain(a, 13);
	rc = shmring_create(n3, &half, SHMRING_PRODUCER | SHMRING_CONSUMER, &b);
	if (rc)
		tu_child_fail(14, "512 KiB ring beside it: %s", shmring_strerror(rc));
	hu_fill_and_drain(b, 15);
	/* ...and the next one that does not fit is refused, the first two
	 * still work. */
	rc = shmring_create(n4, &half, SHMRING_PRODUCER | SHMRING_CONSUMER,
			    &(struct shmring *){ NULL });
	if (rc != -ENOSPC)
		tu_child_fail(16, "a second 512 KiB ring on a full tmpfs: %s",
			   rc ? shmring_strerror(rc) : "created");
	if (count_entries("/dev/shm") != 2)
		tu_child_fail(17, "the refused ring left an object");
	hu_fill_and_drain(a, 18);
	hu_fill_and_drain(b, 19);
	shmring_close(a);
	shmring_close(b);
	shmring_unlink(n2);
	shmring_unlink(n3);
	_exit(0);
}

static void tmpfs_call(void *arg)
{
	tmpfs_child(*(const int *)arg);
}

static void tmpfs_run(int file_backend)
{
	struct tu_verdict v;
	int st;
	bool said = tu_run_child(tmpfs_call, &file_backend, &st, &v);

	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		cr_skip_test("cannot mount a tmpfs here (not root?): the "
			     "RLIMIT_FSIZE tests stand in");
	if (WIFSIGNALED(st))
		cr_assert_fail("child killed by signal %d (%s)%s", WTERMSIG(st),
			       strsignal(WTERMSIG(st)),
			       WTERMSIG(st) == SIGBUS ?
				       ": a ring's pages were not reserved" : "");
	if (said)
		cr_assert_fail("step %d: %s", v.step, v.why);
	cr_assert_eq(WEXITSTATUS(st), 0, "child failed at step %d", WEXITSTATUS(st));
}

Test(fullmem, tmpfs_posix, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	tmpfs_run(0);
}

Test(fullmem, tmpfs_file, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	tmpfs_run(1);
}

/*
 * No privilege needed: a file size limit (RLIMIT_FSIZE, 1 MiB) below the
 * ring's size. Sizing the object fails with EFBIG (and SIGXFSZ, ignored
 * here as a careful program does); the creation fails and leaves nothing.
 */
static void fsize_child(const char *name, const char *path)
{
	struct rlimit rl;
	struct shmring_opts big = { .kind = SHMRING_SPSC, .capacity = 4 * MiB };
	struct shmring *r = NULL;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = MiB;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		tu_child_fail(1, "setrlimit: %s", strerror(errno));
	rc = shmring_create(name, &big, SHMRING_PRODUCER, &r);
	if (rc == 0)
		tu_child_fail(2, "%s: a 4 MiB ring created under a 1 MiB file size limit",
			   name);
	/* What the library returns today is -EFBIG (ftruncate's errno);
	 * -ENOSPC would say the same. */
	if (rc != -EFBIG && rc != -ENOSPC)
		tu_child_fail(3, "%s: create gave %s", name, shmring_strerror(rc));
	if (access(path, F_OK) == 0)
		tu_child_fail(4, "%s: the failed creation left %s", name, path);
	_exit(rc == -EFBIG ? 0 : 10);
}

struct fsize_args {
	const char *name, *path;
};

static void fsize_call(void *arg)
{
	const struct fsize_args *c = arg;

	fsize_child(c->name, c->path);
}

static void fsize_run(const char *name, const char *path)
{
	struct fsize_args c = { name, path };
	struct tu_verdict v;
	int st;
	bool said = tu_run_child(fsize_call, &c, &st, &v);

	cr_assert(WIFEXITED(st), "child killed by signal %d", WTERMSIG(st));
	if (WEXITSTATUS(st) != 10 && said)
		cr_assert_fail("step %d: %s", v.step, v.why);
	cr_assert(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 10);
	cr_log_info("%s under RLIMIT_FSIZE: %s", name,
		    WEXITSTATUS(st) ? "-ENOSPC" : "-EFBIG");
}

Test(fullmem, fsize_posix, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	const char *name = tu_name();
	char path[320];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fsize_run(name, path);
}

Test(fullmem, fsize_file, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	char dir[] = "/tmp/shmring-h-XXXXXX";
	const char *name;

	cr_assert_not_null(mkdtemp(dir));
	name = tu_file_name(dir);
	fsize_run(name, name + 5);
	rmdir(dir);
}
