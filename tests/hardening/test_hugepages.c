/*
 * test_hugepages.c - rings on huge pages: with no huge page to be had, creation fails with -ENOMEM on every backend that takes them (-EOPNOTSUPP where none can be had) and leaves nothing behind; on a few reserved pages a huge ring carries messages between two processes, and one larger than the pool fails at creation, never with SIGBUS later; a System V huge ring for a process without the privilege for it (RLIMIT_MEMLOCK short) fails with -EPERM; openers accept exactly the sizes huge pages round to.
 *
 * The pool of huge pages is the machine's: every test here holds an
 * exclusive flock on POOL_LOCK while it looks at or changes it, adds only
 * a few 2 MiB pages to what is there, and puts vm.nr_hugepages back in
 * its fini, also after a failed assertion. The value to put back is
 * written in the lock file first, so that a run killed on a timeout
 * (which skips the fini) is undone by the next one. Where
 * /proc/sys/vm/nr_hugepages cannot be written (not root, a read-only
 * /proc/sys), the tests that need pages say so on stderr and assert the
 * no-pages path instead. The "file:" backend is tried on a hugetlbfs
 * mounted in a private mount namespace (root only; said on stderr when
 * it cannot be).
 *
 * Checked against scratch copies of lib/region.c and lib/ring.c:
 *  - without huge_err() (fallocate's ENOSPC passed through), none_available
 *    and reserved_pool fail at the memfd case: -ENOSPC, not -ENOMEM;
 *  - with MAP_NORESERVE added to the anonymous mmap, the creations the
 *    pool cannot back succeed and the child touching the ring dies of
 *    SIGBUS, which none_available and reserved_pool report;
 *  - without SHM_HUGETLB in create_sysv(), none_available, reserved_pool
 *    (no page taken at creation) and memlock_sysv (no -EPERM) fail;
 *  - without the close(fd) on the memfd error path, none_available and
 *    reserved_pool find a descriptor left open;
 *  - with ring.c's old exact region-size check, opener_sizes fails on the
 *    2 and 4 MiB regions and reserved_pool's opener gets -EPROTO; with
 *    any size at least the need accepted, opener_sizes fails on the
 *    others;
 *  - without the -EOPNOTSUPP of fit_fs() and of region_create() for
 *    "/name", none_available creates a ring where no huge page can be.
 */
#include "hutil.h"

#include <dirent.h>
#include <grp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/shm.h>

#include "layout.h"

#define MiB ((size_t)1 << 20)
#define NOBODY 65534
#define POOL_LOCK "/tmp/shmring-hugepages.lock"
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define NR_OVERCOMMIT "/proc/sys/vm/nr_overcommit_hugepages"
#define RESERVE 4      /* pages added to the pool: 8 MiB of 2 MiB pages */
#define MAX_FREE 64    /* beyond this many free pages, no exhaustion test */
#define MSGS 2000
#define MSG_MAX 4000u
#define WAIT_NS (10 * (int64_t)1000000000)

enum backend { B_ANON, B_MEMFD, B_SYSV, B_FILE, B_PLAINFILE, B_POSIX };
static const char *const backend_name[] = {
	"anonymous", "memfd", "System V", "file on hugetlbfs",
	"file on another fs", "POSIX",
};

/* ---- the pool, and who may change it -------------------------------- */

static int lock_fd = -1;
static long old_nr = -1; /* nr_hugepages to put back; -1: untouched */

static long read_long(const char *path)
{
	char buf[32];
	long v = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		v = strtol(buf, NULL, 10);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int n = snprintf(buf, sizeof(buf), "%ld\n", v);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* A field of /proc/meminfo: a count, or kB as bytes; -1 if absent. */
static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	size_t klen = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			if (strstr(line, "kB"))
				v *= 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

static size_t huge_size(void)
{
	long v = meminfo("Hugepagesize");

	return v > 0 ? (size_t)v : 0;
}

/* Pages a new reservation can still get: free and not promised. */
static long pool_avail(void)
{
	return meminfo("HugePages_Free") - meminfo("HugePages_Rsvd");
}

/* What the lock file says to put back (a killed run's), -1 for none. */
static void lock_record(long v)
{
	char buf[32];
	int n = v >= 0 ? snprintf(buf, sizeof(buf), "%ld\n", v) : 0;

	if (lock_fd < 0 || ftruncate(lock_fd, 0) != 0)
		return;
	if (n > 0 && pwrite(lock_fd, buf, (size_t)n, 0) != n)
		fprintf(stderr, "test_hugepages: cannot write %s\n", POOL_LOCK);
}

static void hp_init(void)
{
	char buf[32];
	ssize_t n;

	tu_init();
	lock_fd = open(POOL_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		       0644);
	if (lock_fd < 0)
		lock_fd = open(POOL_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cr_assert_geq(lock_fd, 0, "%s: %s", POOL_LOCK, strerror(errno));
	while (flock(lock_fd, LOCK_EX) != 0)
		cr_assert_eq(errno, EINTR, "flock: %s", strerror(errno));
	/* A run killed while it had raised the pool left the old value. */
	n = pread(lock_fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		long v;

		buf[n] = '\0';
		v = strtol(buf, NULL, 10);
		if (v >= 0 && write_long(NR_HUGEPAGES, v) == 0) {
			fprintf(stderr, "test_hugepages: put vm.nr_hugepages back "
					"to %ld after a killed run\n", v);
			lock_record(-1);
		}
	}
}

static void hp_fini(void)
{
	tu_fini();
	if (old_nr >= 0) {
		int rc = write_long(NR_HUGEPAGES, old_nr);

		if (rc == 0)
			lock_record(-1);
		else
			fprintf(stderr, "test_hugepages: cannot put back "
					"vm.nr_hugepages = %ld: %s\n", old_nr,
				strerror(-rc));
		old_nr = -1;
	}
	if (lock_fd >= 0) {
		close(lock_fd); /* releases the flock */
		lock_fd = -1;
	}
}

#define HP_FIXTURE .init = hp_init, .fini = hp_fini

/*
 * Add @n pages to the pool for this test (the fini takes them back).
 * 1 when at least @n pages are there for it; 0, said on stderr, when the
 * pool cannot be changed here or the kernel found no room for them.
 */
static int hp_reserve(long n)
{
	long cur = read_long(NR_HUGEPAGES);
	int rc;

	if (cur < 0 || huge_size() == 0) {
		fprintf(stderr, "test_hugepages: no huge pages in this kernel: "
				"asserting the no-pages path instead\n");
		return 0;
	}
	lock_record(cur); /* first: a kill from here on is undone */
	rc = write_long(NR_HUGEPAGES, cur + n);
	if (rc) {
		lock_record(-1);
		fprintf(stderr, "test_hugepages: cannot write %s (%s): asserting "
				"the no-pages path instead\n", NR_HUGEPAGES,
			strerror(-rc));
		return 0;
	}
	old_nr = cur;
	if (pool_avail() < n) {
		fprintf(stderr, "test_hugepages: the kernel found room for %ld "
				"of %ld huge pages: asserting the no-pages path "
				"instead\n", pool_avail(), n);
		return 0;
	}
	return 1;
}

/* ---- children and their verdicts ------------------------------------ */


/*
 * Run @fn(@b, @name) in a child; assert it exited 0, reporting its first
 * verdict or the signal that killed it. 1 if the child said 77: it could
 * not set up (a mount refused), which the caller reports.
 */
struct child_call {
	void (*fn)(enum backend, const char *);
	enum backend b;
	const char *name;
};

static void call_child(void *arg)
{
	const struct child_call *c = arg;

	c->fn(c->b, c->name);
}

static int in_child(void (*fn)(enum backend, const char *), enum backend b,
		    const char *name)
{
	struct child_call c = { fn, b, name };
	struct tu_verdict v;
	int st;
	bool said = tu_run_child(call_child, &c, &st, &v);

	if (WIFSIGNALED(st))
		cr_assert_fail("%s: child killed by signal %d (%s)%s",
			       backend_name[b], WTERMSIG(st),
			       strsignal(WTERMSIG(st)),
			       WTERMSIG(st) == SIGBUS ?
				       ": a huge page was not there on first touch" :
				       "");
	if (WEXITSTATUS(st) == 77)
		return 1;
	if (said)
		cr_assert_fail("%s: step %d: %s", backend_name[b], v.step, v.why);
	cr_assert_eq(WEXITSTATUS(st), 0, "%s: child failed at step %d",
		     backend_name[b], WEXITSTATUS(st));
	return 0;
}

/* Mount a hugetlbfs on tu_tmpdir() in a mount namespace of this child's own;
 * it goes, with every page its files hold, when the child exits. */
static void mount_hugetlbfs(void)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("none", tu.tmpdir, "hugetlbfs", MS_NOSUID | MS_NODEV, NULL) != 0)
		_exit(77);
}

/* The name a backend's ring gets in this test (NULL: unnamed). */
static const char *name_for(enum backend b)
{
	switch (b) {
	case B_SYSV:
		return tu_sysv_name();
	case B_FILE:
	case B_PLAINFILE:
		return tu_file_name(tu_tmpdir());
	case B_POSIX:
		return tu_name();
	default:
		return NULL;
	}
}

/* ---- rings ------------------------------------------------------------ */

static struct shmring_opts huge_opts(size_t cap)
{
	struct shmring_opts o = { .kind = SHMRING_SPSC, .capacity = cap,
				  .max_msg = MSG_MAX,
				  .flags = SHMRING_HUGE_PAGES };
	return o;
}

/* Create with role 0: the anonymous kind takes no role at creation. */
static int create_as(enum backend b, const char *name,
		     const struct shmring_opts *o, struct shmring **r)
{
	switch (b) {
	case B_ANON:
		return shmring_create_anon(o, r);
	case B_MEMFD:
		return shmring_create_memfd(o, 0, r);
	default:
		return shmring_create(name, o, 0, r);
	}
}

/* Another handle on @r's ring, the way another process gets one. */
static int open_as(enum backend b, const char *name, struct shmring *r,
		   int role, struct shmring **out)
{
	switch (b) {
	case B_ANON:
		return shmring_attach(r, role, out);
	case B_MEMFD:
		return shmring_open_fd(shmring_fd(r), role, out);
	default:
		return shmring_open(name, role, out);
	}
}

/* Nothing of a refused creation may remain: no name, no descriptor. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static int object_exists(enum backend b, const char *name)
{
	char path[400];

	switch (b) {
	case B_SYSV:
		return shmget((key_t)strtoul(name + 5, NULL, 0), 0, 0) >= 0 ||
		       errno != ENOENT;
	case B_FILE:
	case B_PLAINFILE:
		return access(name + 5, F_OK) == 0;
	case B_POSIX:
		snprintf(path, sizeof(path), "/dev/shm%s", name);
		return access(path, F_OK) == 0;
	default:
		return 0;
	}
}

static size_t msg_len(unsigned i)
{
	return (i * 977u) % MSG_MAX + 1;
}

static unsigned char msg_byte(unsigned i, size_t j)
{
	return (unsigned char)(i * 31u + j * 7u);
}

/*
 * A capacity whose ring needs more huge pages than the pool has free;
 * 0 when the pool is too big to exhaust cheaply.
 */
static size_t cap_beyond(long avail, size_t hp)
{
	size_t cap = 4096;

	if (avail > MAX_FREE)
		return 0;
	/* The region is one header page more than cap: cap/hp + 1 pages. */
	while (avail > 0 && cap < hp * (size_t)avail)
		cap <<= 1;
	return cap;
}

/*
 * Creation that the pool cannot satisfy: the documented error, nothing
 * left behind (no object, no descriptor, no page of the pool), and were
 * the ring created after all, every page touched, the SIGBUS the library
 * must never leave for later.
 */
static void expect_refused(enum backend b, const char *name, int want,
			   int step)
{
	size_t hp = huge_size();
	long avail = pool_avail();
	size_t cap = hp ? cap_beyond(avail, hp) : 4096;
	struct shmring_opts o = huge_opts(cap);
	struct shmring *r = NULL, *pc = NULL;
	int fds = count_fds();

	o.max_msg = 0; /* what fits: the ring may be as small as a page */
	int rc;

	if (cap == 0)
		tu_child_fail(step, "%ld huge pages free: too many to exhaust "
				 "(over %d)", avail, MAX_FREE);
	rc = create_as(b, name, &o, &r);
	if (rc == 0) {
		rc = shmring_attach(r, SHMRING_PRODUCER | SHMRING_CONSUMER, &pc);
		if (rc == 0)
			hu_fill_and_drain(pc, step);
		tu_child_fail(step, "a %zu-byte ring created with %ld huge pages "
				 "free", cap, avail);
	}
	if (rc != want)
		tu_child_fail(step, "create (%zu bytes, %ld pages free) gave %s, not "
				 "%s", cap, avail, shmring_strerror(rc),
			   shmring_strerror(want));
	if (name && object_exists(b, name))
		tu_child_fail(step + 1, "the refused creation left %s", name);
	if (count_fds() != fds)
		tu_child_fail(step + 2, "the refused creation left a descriptor "
				     "(%d, was %d)", count_fds(), fds);
	if (hp && pool_avail() != avail)
		tu_child_fail(step + 3, "the refused creation kept huge pages "
				     "(%ld free, was %ld)", pool_avail(), avail);
}

/*
 * May this process have System V huge pages: CAP_IPC_LOCK, or a member
 * of vm.hugetlb_shm_group's group? (Else -EPERM comes before the pool.)
 */
static int sysv_huge_allowed(void)
{
	long group = read_long("/proc/sys/vm/hugetlb_shm_group");
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long caps = 0;
	gid_t groups[64];
	char line[128];
	int n;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &caps) == 1)
				break;
		fclose(f);
	}
	if (caps & (1ull << 14)) /* CAP_IPC_LOCK */
		return 1;
	if (group < 0)
		return 0;
	if (getegid() == (gid_t)group)
		return 1;
	n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == (gid_t)group)
			return 1;
	return 0;
}

/* The no-pages path of one backend, in a child. */
static void none_child(enum backend b, const char *name)
{
	int want = huge_size() ? -ENOMEM : -EOPNOTSUPP;

	if (b == B_FILE)
		mount_hugetlbfs();
	if (b == B_SYSV && want == -ENOMEM && !sysv_huge_allowed())
		want = -EPERM;
	/* tmpfs and ordinary files have no huge pages to give. */
	if (b == B_PLAINFILE || b == B_POSIX)
		want = -EOPNOTSUPP;
	expect_refused(b, name, want, 10);
}

/* Every backend with the pool as it is: the pages asked for are not
 * there (no huge page reserved, the default, or fewer than asked). */
static void assert_none_available(void)
{
	long over = read_long(NR_OVERCOMMIT);

	if (over > 0)
		cr_skip_test("vm.nr_overcommit_hugepages is %ld: surplus pages "
			     "may satisfy any request", over);
	for (int b = B_ANON; b <= B_POSIX; b++) {
		if (in_child(none_child, (enum backend)b, name_for((enum backend)b)))
			fprintf(stderr, "test_hugepages: cannot mount a hugetlbfs "
					"here (not root?): %s not tried\n",
				backend_name[b]);
	}
}

Test(hugepages, none_available, HP_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	assert_none_available();
}

/* The consumer: every message in order, then the end of stream. */
static void consume(struct shmring *c, int step)
{
	static unsigned char buf[MSG_MAX];

	for (unsigned i = 0; i < MSGS; i++) {
		ssize_t n = shmring_recv(c, buf, sizeof(buf), WAIT_NS);

		if (n < 0 || (size_t)n != msg_len(i))
			tu_child_fail(step, "message %u: %s (length %zd, want %zu)", i,
				   n < 0 ? shmring_strerror((int)n) : "wrong",
				   n, msg_len(i));
		for (size_t j = 0; j < (size_t)n; j++)
			if (buf[j] != msg_byte(i, j))
				tu_child_fail(step, "message %u, byte %zu differs", i,
					   j);
	}
	ssize_t n = shmring_recv(c, buf, sizeof(buf), WAIT_NS);
	if (n != -EPIPE)
		tu_child_fail(step + 1, "after the last message: %s",
			   n < 0 ? shmring_strerror((int)n) : "a message");
}

/* A handle sees the rounded region: one huge page for a 1 MiB ring. */
static void check_size(struct shmring *r, size_t want, int step)
{
	struct shmring_info info;

	if (shmring_info(r, &info) || info.region_size != want)
		tu_child_fail(step, "region of %zu bytes, want %zu", info.region_size,
			   want);
}

/* A huge ring between two processes, then one the pool cannot hold. */
static void pool_child(enum backend b, const char *name)
{
	size_t hp = huge_size();
	struct shmring_opts o = huge_opts(MiB);
	struct shmring *r = NULL, *p = NULL;
	long avail;
	pid_t kid;
	int rc, st;

	if (b == B_FILE)
		mount_hugetlbfs();
	avail = pool_avail();
	rc = create_as(b, name, &o, &r);
	if (rc)
		tu_child_fail(20, "create: %s", shmring_strerror(rc));
	check_size(r, hp, 21);
	/* Taken at creation, not at first touch. */
	if (pool_avail() != avail - 1)
		tu_child_fail(22, "%ld huge pages free after creation, was %ld",
			   pool_avail(), avail);
	fflush(NULL);
	kid = fork();
	if (kid < 0)
		tu_child_fail(23, "fork: %s", strerror(errno));
	if (kid == 0) {
		struct shmring *c = NULL, *m = NULL;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(TU_CHILD_ALARM);
		rc = open_as(b, name, r, SHMRING_CONSUMER, &c);
		if (rc)
			tu_child_fail(30, "consumer open: %s", shmring_strerror(rc));
		/* A monitor: the anonymous kind shares the mapping. */
		rc = open_as(b, name, r, 0, &m);
		if (rc)
			tu_child_fail(31, "monitor open: %s", shmring_strerror(rc));
		check_size(c, hp, 32);
		check_size(m, hp, 33);
		consume(c, 34);
		shmring_close(m);
		shmring_close(c);
		_exit(0);
	}
	rc = open_as(b, name, r, SHMRING_PRODUCER, &p);
	if (rc)
		tu_child_fail(24, "producer open: %s", shmring_strerror(rc));
	for (unsigned i = 0; i < MSGS; i++) {
		static unsigned char buf[MSG_MAX];

		for (size_t j = 0; j < msg_len(i); j++)
			buf[j] = msg_byte(i, j);
		rc = shmring_send(p, buf, msg_len(i), WAIT_NS);
		if (rc)
			tu_child_fail(25, "send %u: %s", i, shmring_strerror(rc));
	}
	shmring_close(p);
	while (waitpid(kid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		tu_child_fail(26, "consumer: %s %d",
			   WIFEXITED(st) ? "exit" : "signal",
			   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	shmring_close(r);
	if (name)
		shmring_unlink(name);
	if (pool_avail() != avail)
		tu_child_fail(27, "%ld huge pages free after the ring went, was %ld",
			   pool_avail(), avail);
	if (b == B_FILE) {
		/* On hugetlbfs a file: ring is huge unasked, rounded alike. */
		o.flags = 0;
		rc = shmring_create(name, &o, 0, &r);
		if (rc)
			tu_child_fail(28, "unflagged create: %s", shmring_strerror(rc));
		check_size(r, hp, 29);
		shmring_close(r);
		shmring_unlink(name);
	}
	expect_refused(b, name, -ENOMEM, 40);
}

Test(hugepages, reserved_pool, HP_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	if (!hp_reserve(RESERVE)) {
		assert_none_available();
		return;
	}
	for (int b = B_ANON; b <= B_FILE; b++) {
		if (in_child(pool_child, (enum backend)b, name_for((enum backend)b)))
			fprintf(stderr, "test_hugepages: cannot mount a hugetlbfs "
					"here: %s not tried\n", backend_name[b]);
	}
}

/*
 * SHM_HUGETLB is for a process with CAP_IPC_LOCK or in the group
 * vm.hugetlb_shm_group. Older kernels let any other process have it
 * within RLIMIT_MEMLOCK and refuse it past the limit; later ones refuse
 * it always (the limit only names the obsolete use in the kernel log).
 * Either way: as nobody, with RLIMIT_MEMLOCK at one page of the two
 * asked, creation fails with -EPERM and leaves no segment. The control:
 * the same user in vm.hugetlb_shm_group's group gets past the check, to
 * a ring (pages free) or -ENOMEM (none).
 */
static gid_t shm_group = (gid_t)-1; /* set: the control, in this group */

static void memlock_child(enum backend b, const char *name)
{
	size_t hp = huge_size();
	struct shmring_opts o = huge_opts(hp); /* hp + 4 KiB: 2 pages */
	struct shmring *r = NULL;
	struct rlimit rl;
	int in_group = shm_group != (gid_t)-1;
	int want = pool_avail() >= 2 ? 0 : -ENOMEM;
	int rc;

	(void)b;
	/* Only the soft limit: raising the hard one needs CAP_SYS_RESOURCE. */
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		tu_child_fail(50, "getrlimit: %s", strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < hp)
		tu_child_fail(50, "RLIMIT_MEMLOCK hard limit below one huge page");
	rl.rlim_cur = hp;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    setgroups(in_group ? 1 : 0, &shm_group) || setgid(NOBODY) ||
	    setuid(NOBODY))
		tu_child_fail(50, "cannot become nobody: %s", strerror(errno));
	rc = shmring_create(name, &o, 0, &r);
	if (in_group) {
		if (rc != want)
			tu_child_fail(53, "in vm.hugetlb_shm_group: %s, want %s",
				   shmring_strerror(rc), shmring_strerror(want));
		if (rc == 0) {
			shmring_close(r);
			shmring_unlink(name);
		}
		return;
	}
	if (rc != -EPERM)
		tu_child_fail(51, "create past RLIMIT_MEMLOCK gave %s, not -EPERM",
			   rc ? shmring_strerror(rc) : "success");
	if (object_exists(B_SYSV, name))
		tu_child_fail(52, "the refused creation left %s", name);
}

Test(hugepages, memlock_sysv, HP_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	long group = read_long("/proc/sys/vm/hugetlb_shm_group");

	if (geteuid() != 0)
		cr_skip_test("not root: cannot become another user");
	if (huge_size() == 0)
		cr_skip_test("no huge pages in this kernel");
	if (group < 0 || group == NOBODY)
		cr_skip_test("vm.hugetlb_shm_group is %ld: nobody is exempt",
			     group);
	in_child(memlock_child, B_SYSV, tu_sysv_name());
	if (!hp_reserve(2))
		fprintf(stderr, "test_hugepages: memlock_sysv: the control in "
				"vm.hugetlb_shm_group expects -ENOMEM\n");
	shm_group = (gid_t)group;
	in_child(memlock_child, B_SYSV, tu_sysv_name());
}

/*
 * An opener takes the region size from the header only when it is the
 * ring's need rounded up to a page: 4 KiB or a power-of-two huge page.
 * An ordinary ring's header, copied over regions of several sizes.
 */
Test(hugepages, opener_sizes, .init = tu_init, .fini = tu_fini,
     .timeout = TU_TIMEOUT(10))
{
	static const struct {
		size_t size;
		int want;
	} cases[] = {
		{ MiB + 4096, 0 },          /* ordinary pages */
		{ 2 * MiB, 0 },             /* one 2 MiB page */
		{ 4 * MiB, 0 },             /* rounded to 4 MiB */
		{ MiB + 8192, -EPROTO },    /* a page too many */
		{ 3 * MiB, -EPROTO },       /* no power-of-two rounding */
		{ 2 * MiB + 4096, -EPROTO }, /* past the rounding */
	};
	struct shmring_opts o = { .kind = SHMRING_SPSC, .capacity = MiB };
	struct guarded src = hu_region(&o);

	cr_assert_eq(src.size, MiB + 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct guarded g = tu_guard(cases[i].size);
		struct shmring_hdr *h = (struct shmring_hdr *)(void *)g.base;
		struct shmring *r = NULL;
		int rc;

		memcpy(g.base, src.base, SHMRING_HDR_SIZE);
		h->region_size = cases[i].size;
		rc = ring_adopt_memory(g.base, g.size, SHMRING_CONSUMER, &r);
		cr_expect_eq(rc, cases[i].want, "region of %zu bytes: %s, want %s",
			     cases[i].size, shmring_strerror(rc),
			     shmring_strerror(cases[i].want));
		if (rc == 0)
			shmring_close(r);
		/* The header must also agree with what is mapped. */
		h->region_size = cases[i].size + 2 * MiB;
		rc = ring_adopt_memory(g.base, g.size, SHMRING_CONSUMER, &r);
		cr_expect_eq(rc, -EPROTO, "header says more than mapped: %s",
			     shmring_strerror(rc));
		if (rc == 0)
			shmring_close(r);
		tu_unguard(&g);
	}
	tu_unguard(&src);
}
