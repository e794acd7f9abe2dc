/*
 * test_perms.c - permissions and names: 0600 by default, the mode applied exactly whatever the umask, other users refused, exclusive creation on every backend, bad names refused, symlinks not followed by the file backend.
 *
 * Checked against scratch copies of lib/region.c: without the fchmod()
 * of create_fd() the mode tests fail under umask 077; without O_EXCL the
 * exclusive-creation tests fail; without O_NOFOLLOW the symlink tests
 * open the ring through the link and fail.
 */
#include "hutil.h"

#include <grp.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define NOBODY 65534

static const struct shmring_opts small = {
	.kind = SHMRING_SPSC, .capacity = 4096, .max_msg = 128,
};

enum backend { B_POSIX, B_FILE, B_SYSV };
static const char *const backend_name[] = { "POSIX", "file", "System V" };

static const char *name_for(enum backend b)
{
	switch (b) {
	case B_POSIX:
		/* Spelled here, as the others are: the loops below recycle it. */
		return tu_keep(TU_NAME_PREFIX "%ld-%u", (long)getpid(),
			       tu.counter++);
	case B_FILE:
		return tu_file_name(tu_tmpdir());
	default:
		return tu_sysv_name();
	}
}

/* The permission bits of the object behind @name, as the system has them. */
static unsigned mode_of(const char *name)
{
	struct stat st;
	char path[320];

	if (!strncmp(name, "sysv:", 5)) {
		struct shmid_ds ds;
		int id = shmget((key_t)strtoul(name + 5, NULL, 0), 0, 0);

		cr_assert_geq(id, 0, "shmget %s: %s", name, strerror(errno));
		cr_assert_eq(shmctl(id, IPC_STAT, &ds), 0);
		return ds.shm_perm.mode & 0777;
	}
	if (!strncmp(name, "file:", 5))
		snprintf(path, sizeof(path), "%s", name + 5);
	else
		snprintf(path, sizeof(path), "/dev/shm%s", name);
	cr_assert_eq(lstat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

Test(perms, default_0600, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	for (int b = 0; b < 3; b++) {
		const char *name = name_for(b);
		struct shmring *r = NULL;
		mode_t old = umask(0);

		cr_assert_eq(shmring_create(name, &small, 0, &r), 0, "%s",
			     backend_name[b]);
		umask(old);
		cr_assert_eq(mode_of(name), 0600, "%s ring created %04o",
			     backend_name[b], mode_of(name));
		shmring_close(r);
		cr_assert_eq(shmring_unlink(name), 0);
	}
}

Test(perms, mode_exact_whatever_umask, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	static const mode_t masks[] = { 077, 022, 0, 0777 };
	static const unsigned modes[] = { 0640, 0666, 0604, 0660, 0600, 0400 };

	for (int b = 0; b < 3; b++) {
		for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
			for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
				struct shmring_opts o = small;
				const char *name = name_for(b);
				struct shmring *r = NULL;
				mode_t old = umask(masks[m]);
				int rc;

				o.mode = modes[i];
				rc = shmring_create(name, &o, 0, &r);
				umask(old);
				cr_assert_eq(rc, 0, "%s, mode %04o: %s", backend_name[b],
					     modes[i], shmring_strerror(rc));
				cr_assert_eq(mode_of(name), modes[i],
					     "%s ring asked %04o under umask %03o, got %04o",
					     backend_name[b], modes[i], masks[m],
					     mode_of(name));
				shmring_close(r);
				tu_unkeep_last();
			}
		}
	}
}

/*
 * Another user: refused on a 0600 ring whatever the role; on a 0644 ring
 * a read-only monitor is allowed and a role is not. Checked as nobody
 * (uid 65534) in a child, so root only.
 */
static int as_nobody_open(const char *name, int role)
{
	struct shmring *r = NULL;
	int rc = shmring_open(name, role, &r);

	if (rc == 0)
		shmring_close(r);
	return rc;
}

Test(perms, other_user_refused, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	const char *names[3][2];
	struct shmring *rings[3][2];
	int fds[2];
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("not root: cannot become another user");
	for (int b = 0; b < 3; b++) {
		for (int k = 0; k < 2; k++) {
			struct shmring_opts o = small;

			o.mode = k ? 0644 : 0600;
			names[b][k] = name_for(b);
			/* The creator stays attached: refusals must not depend
			 * on the ring being idle. */
			cr_assert_eq(shmring_create(names[b][k], &o, SHMRING_PRODUCER,
						    &rings[b][k]), 0);
		}
	}
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = tu_fork();
	if (pid == 0) {
		int res[3][5];

		close(fds[0]);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		for (int b = 0; b < 3; b++) {
			res[b][0] = as_nobody_open(names[b][0], SHMRING_CONSUMER);
			res[b][1] = as_nobody_open(names[b][0], 0);
			res[b][2] = as_nobody_open(names[b][1], 0);
			res[b][3] = as_nobody_open(names[b][1], SHMRING_CONSUMER);
			res[b][4] = shmring_unlink(names[b][0]);
		}
		if (write(fds[1], res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	{
		int res[3][5];

		cr_assert_eq(read(fds[0], res, sizeof(res)), (ssize_t)sizeof(res),
			     "child sent no report");
		tu_wait_ok(pid, "nobody");
		for (int b = 0; b < 3; b++) {
			const char *bn = backend_name[b];

			cr_assert_eq(res[b][0], -EACCES, "%s 0600, consumer: %s", bn,
				     shmring_strerror(res[b][0]));
			cr_assert_eq(res[b][1], -EACCES, "%s 0600, monitor: %s", bn,
				     shmring_strerror(res[b][1]));
			cr_assert_eq(res[b][2], 0, "%s 0644, monitor: %s", bn,
				     shmring_strerror(res[b][2]));
			cr_assert_eq(res[b][3], -EACCES, "%s 0644, consumer: %s", bn,
				     shmring_strerror(res[b][3]));
			/* POSIX and file rings sit in sticky directories
			 * (/dev/shm, our 0755 one): unlink is EPERM or EACCES. */
			cr_assert(res[b][4] == -EACCES || res[b][4] == -EPERM,
				  "%s: nobody unlinked root's ring: %s", bn,
				  shmring_strerror(res[b][4]));
			cr_log_info("%s: unlink by another user: %s", bn,
				    shmring_strerror(res[b][4]));
			cr_assert_eq(mode_of(names[b][0]), 0600, "the ring is gone");
		}
	}
	close(fds[0]);
	for (int b = 0; b < 3; b++)
		for (int k = 0; k < 2; k++)
			shmring_close(rings[b][k]);
}

/* Creation is exclusive on every backend, over rings and other objects. */
Test(perms, exclusive_create, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	for (int b = 0; b < 3; b++) {
		const char *name = name_for(b);
		struct shmring *r = NULL, *r2 = NULL;
		int rc;

		cr_assert_eq(shmring_create(name, &small, SHMRING_PRODUCER, &r), 0);
		rc = shmring_create(name, &small, SHMRING_PRODUCER, &r2);
		cr_assert_eq(rc, -EEXIST, "%s: second create: %s", backend_name[b],
			     shmring_strerror(rc));
		/* The first ring is untouched: still ours, still working. */
		cr_assert_eq(shmring_try_send(r, "x", 1), 0);
		shmring_close(r);
	}
	/* Objects that are not rings are not overwritten either. */
	{
		const char *name = tu_name();
		const char *fname = tu_file_name(tu_tmpdir());
		char path[320], buf[8];
		struct shmring *r = NULL;
		int fd;

		snprintf(path, sizeof(path), "/dev/shm%s", name);
		for (int k = 0; k < 2; k++) {
			const char *p = k ? fname + 5 : path;

			fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
			cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
			cr_assert_eq(write(fd, "precious", 8), 8);
			close(fd);
			cr_assert_eq(shmring_create(k ? fname : name, &small, 0, &r),
				     -EEXIST);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			cr_assert_eq(read(fd, buf, 8), 8);
			close(fd);
			cr_assert(!memcmp(buf, "precious", 8), "%s was overwritten", p);
			/* And shmring_unlink does not remove what is not a ring
			 * (file: only: POSIX names are the library's own). */
			if (k)
				cr_assert_eq(shmring_unlink(fname), -EPROTO);
		}
		cr_assert_eq(access(fname + 5, F_OK), 0, "unlink removed a plain file");
	}
}

Test(perms, bad_names, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	static char long_name[300], long_path[5000];
	const char *bad[] = {
		"", "x", "/", "//", "/a/b", "/a/", "//a", "/.", "/..", "..",
		"/../etc/passwd", "relative", long_name,
		"file:", long_path,
		"sysv:", "sysv:abc", "sysv:0", "sysv:0x1z", "sysv:/tmp:0",
		"sysv:/tmp:256", "sysv::1", "sysv:99999999999",
	};
	struct shmring *r = NULL;

	long_name[0] = '/';
	memset(long_name + 1, 'n', 255); /* 256 bytes: one too many */
	memcpy(long_path, "file:/", 6);
	memset(long_path + 6, 'p', 4500);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = shmring_create(bad[i], &small, 0, &r);

		cr_assert_eq(rc, -EINVAL, "create(\"%.40s\"): %s", bad[i],
			     rc ? shmring_strerror(rc) : "created");
		rc = shmring_open(bad[i], SHMRING_CONSUMER, &r);
		cr_assert_eq(rc, -EINVAL, "open(\"%.40s\"): %s", bad[i],
			     shmring_strerror(rc));
		rc = shmring_unlink(bad[i]);
		cr_assert_eq(rc, -EINVAL, "unlink(\"%.40s\"): %s", bad[i],
			     shmring_strerror(rc));
	}
	cr_assert_eq(shmring_create(NULL, &small, 0, &r), -EINVAL);
	cr_assert_eq(shmring_open(NULL, 0, &r), -EINVAL);
	cr_assert_eq(shmring_unlink(NULL), -EINVAL);
	/* sysv:PATH:PROJ of a file that does not exist is -ENOENT. */
	cr_assert_eq(shmring_open("sysv:/nonexistent/shmring-h:1", 0, &r), -ENOENT);
}

/*
 * The file backend opens with O_NOFOLLOW: a symlink in the last component
 * is refused (ELOOP) for open and unlink, and creation through a link,
 * dangling or not, is EEXIST. Symlinks in directory components are
 * followed, as for any path (logged, not asserted). The POSIX names live
 * in /dev/shm, where glibc's shm_open() also refuses a symlink.
 */
Test(perms, symlinks_refused, TU_FIXTURE, .timeout = TU_TIMEOUT(10))
{
	const char *dir = tu_tmpdir();
	const char *ring = tu_file_name(dir);
	const char *link = tu_file_name(dir);
	const char *dangling = tu_file_name(dir);
	const char *posix = tu_name();
	const char *posix_link = tu_name();
	char target_of_dangling[300], pl_path[320], pr_path[320];
	struct shmring *r = NULL, *r2 = NULL;
	int rc;

	cr_assert_eq(shmring_create(ring, &small, SHMRING_PRODUCER, &r), 0);
	cr_assert_eq(symlink(ring + 5, link + 5), 0);
	rc = shmring_open(link, SHMRING_CONSUMER, &r2);
	cr_assert_eq(rc, -ELOOP, "open through a symlink: %s",
		     rc ? shmring_strerror(rc) : "opened");
	rc = shmring_open(link, 0, &r2);
	cr_assert_eq(rc, -ELOOP, "monitor through a symlink: %s",
		     rc ? shmring_strerror(rc) : "opened");
	rc = shmring_create(link, &small, 0, &r2);
	cr_assert_eq(rc, -EEXIST, "create over a symlink: %s",
		     rc ? shmring_strerror(rc) : "created");
	rc = shmring_unlink(link);
	cr_assert_eq(rc, -ELOOP, "unlink through a symlink: %s", shmring_strerror(rc));
	cr_assert_eq(access(ring + 5, F_OK), 0, "the ring behind the link is gone");

	snprintf(target_of_dangling, sizeof(target_of_dangling), "%s.target",
		 dangling + 5);
	cr_assert_eq(symlink(target_of_dangling, dangling + 5), 0);
	rc = shmring_create(dangling, &small, 0, &r2);
	cr_assert_eq(rc, -EEXIST, "create through a dangling symlink: %s",
		     rc ? shmring_strerror(rc) : "created");
	cr_assert_neq(access(target_of_dangling, F_OK), 0,
		      "creation followed a dangling symlink");

	snprintf(pr_path, sizeof(pr_path), "/dev/shm%s", posix);
	snprintf(pl_path, sizeof(pl_path), "/dev/shm%s", posix_link);
	cr_assert_eq(shmring_create(posix, &small, 0, &r2), 0);
	shmring_close(r2);
	cr_assert_eq(symlink(pr_path, pl_path), 0);
	rc = shmring_open(posix_link, SHMRING_CONSUMER, &r2);
	cr_log_info("POSIX name that is a symlink in /dev/shm: open gives %s",
		    rc ? shmring_strerror(rc) : "success");
	cr_assert_neq(rc, 0, "opened a ring through a symlink in /dev/shm");
	if (rc == 0)
		shmring_close(r2);
	shmring_close(r);
	unlink(target_of_dangling);
}
