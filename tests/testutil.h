/*
 * testutil.h - the one helper library of the Criterion test programs
 * (tests/, tests/hardening/): unique ring names on every backend, child
 * processes that cannot outlive or outwait their test and that can say
 * why they failed, the fixture that removes both even when an assertion
 * fails, guarded memory, pipes, clocks, payload patterns, and how much
 * work a run may do. Helpers of one family of tests build on it
 * (mpmc_util.h, hardening/hutil.h); none repeats it.
 *
 * Criterion runs each Test() in a process of its own; the names below
 * carry that process's pid, so tests running in parallel (or two builds
 * running `make check` at once) never meet. A fini runs after a failed
 * assertion in the same process, but not after a timeout or a crash: the
 * last program of the suite (test_zleaks) sweeps what such a test left.
 */
#ifndef SHMRING_TESTUTIL_H
#define SHMRING_TESTUTIL_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"
#include "guard.h"

/*
 * Sanitized builds run several times slower: the heavy tests scale their
 * message counts down, and the time bounds that only guard against a hang
 * (not the ones that measure the library) scale up.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(undefined_behavior_sanitizer)
#define TU_SANITIZED 1
#endif
#endif
#ifndef TU_SANITIZED
#define TU_SANITIZED 0
#endif

#if defined(__SANITIZE_THREAD__)
#define TU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_TSAN 1
#endif
#endif
#ifndef TU_TSAN
#define TU_TSAN 0
#endif

/* Factor applied to test timeouts (seconds) that only catch hangs. */
#define TU_SLOW (TU_SANITIZED ? 4.0 : 1.0)
#define TU_TIMEOUT(s) ((s) * TU_SLOW)

/* A child that outlives this many seconds is killed by its own alarm: a
 * backstop, as a child also dies with its parent (PR_SET_PDEATHSIG). */
#define TU_CHILD_ALARM ((unsigned)(180 * TU_SLOW))

#define TU_MAX_NAMES 32
#define TU_MAX_KEPT 16
#define TU_PAGE GUARD_PAGE
#define TU_MAX_KIDS 16
#define TU_NAME_PREFIX "/shmring-t-"

/*
 * Where a test's rings live: the backing of the test's row (TU_TEST), or
 * for a test of no row SHMRING_TEST_BACKEND in the environment, "posix"
 * when unset. The test names its rings with tu_name() whatever
 * the backend, and creates, opens and removes them through
 * tu_ring_create(), tu_ring_open() and tu_ring_unlink() (tu_create(),
 * tu_open(), mu_create() go through those), which give that name a
 * meaning on the backend:
 *   posix  the name itself ("/shmring-t-PID-N", shm_open);
 *   file   "file:" + $SHMRING_TEST_DIR (else $TMPDIR, else /tmp) + the
 *          name: a file, which the fini removes, and tests/test_zleaks
 *          sweeps if a crashed test could not;
 *   sysv   "sysv:KEY", KEY made of the pid and the name's index (see
 *          TU_SYSV_KEY), so that tests running at once never share one;
 *   anon   shmring_create_anon(): the handle it gives is kept under the
 *          name, and opening the name is shmring_attach() on it;
 *   memfd  shmring_create_memfd(): a duplicate of its descriptor is kept
 *          under the name, and opening the name is shmring_open_fd().
 * For the unnamed two, unlinking the name closes what is kept: the ring
 * lives on in the handles attached to it and the name is free again, as
 * after shm_unlink(). What is kept is inherited by fork(), so a child
 * opens a ring by its name on every backend.
 */
enum tu_backend { TU_POSIX, TU_FILE, TU_SYSV, TU_ANON, TU_MEMFD };

static const char *const tu_backend_names[] = { "posix", "file", "sysv",
						 "anon", "memfd" };

/*
 * SysV keys of the tests: a fixed high part, then the pid (below 2^22,
 * the kernel's PID_MAX_LIMIT) and the name's index (below 32).
 */
#define TU_SYSV_KEY_BASE 0x58000000u
#define TU_SYSV_KEY_MASK 0xf8000000u
#define TU_SYSV_KEY(pid, i) \
	((key_t)(TU_SYSV_KEY_BASE | ((uint32_t)(pid) << 5) | (uint32_t)(i)))
#define TU_SYSV_KEY_PID(key) ((pid_t)(((uint32_t)(key) >> 5) & 0x3fffffu))

struct tu_state {
	char names[TU_MAX_NAMES][300];
	/* What each name is on the backend, as shmring_create() takes it. */
	char where[TU_MAX_NAMES][512];
	int nnames;
	pid_t kids[TU_MAX_KIDS];
	int nkids;
	unsigned counter;
	int backend; /* enum tu_backend */
	/* anon: the handle each name stands for; memfd: its descriptor. */
	struct shmring *kept_ring[TU_MAX_NAMES];
	int kept_fd[TU_MAX_NAMES];
	int kept[TU_MAX_NAMES]; /* whether kept_* of that index is live */
	/* Names a test spelled itself (tu_keep()), whatever the backend. */
	char own[TU_MAX_KEPT][300];
	int nown;
	char tmpdir[64]; /* tu_tmpdir(), or "" */
	/* What a helper of one family of tests frees after the children and
	 * the rings (mpmc_util.h: its scoreboard). */
	void (*at_fini)(void);
};

static struct tu_state tu;

/* The backend the environment asks for, or -1 if it names none. */
static inline int tu_backend_from_env(void)
{
	const char *s = getenv("SHMRING_TEST_BACKEND");

	if (!s || !*s)
		return TU_POSIX;
	for (int i = 0; i < (int)(sizeof(tu_backend_names) /
				  sizeof(tu_backend_names[0])); i++)
		if (!strcmp(s, tu_backend_names[i]))
			return i;
	return -1;
}

static inline const char *tu_backend_name(void)
{
	return tu_backend_names[tu.backend];
}

/*
 * Say in the test's log that a check does not apply to this backend and
 * why, so that a run on it never passes a check silently by leaving it
 * out. On stderr: a cr_log_warn() would fail the whole program.
 */
#define tu_backend_skip(what, why)                                        \
	fprintf(stderr, "[SKIP] %s::%s on %s: %s not checked: %s\n",      \
		criterion_current_test->category,                          \
		criterion_current_test->name, tu_backend_name(), (what), (why))

/* The same for a whole test (Criterion prints a skip only if verbose). */
#define tu_backend_skip_test(why)                                          \
	do {                                                               \
		fprintf(stderr, "[SKIP] %s::%s on %s: %s\n",               \
			criterion_current_test->category,                  \
			criterion_current_test->name, tu_backend_name(),   \
			(why));                                            \
		cr_skip_test("on %s: %s", tu_backend_name(), (why));       \
	} while (0)

/*
 * Multiplier for message counts: SHMRING_TEST_SCALE in the environment
 * (e.g. 0.1 for a tenth) wins; otherwise a sanitized build does 1/50 of
 * the work and a plain build the full amount, and a run on a backend
 * other than POSIX a quarter of that: the ring code those counts drive
 * is the same whatever the memory, and the POSIX run did it in full.
 */
static inline double tu_scale(void)
{
	const char *s = getenv("SHMRING_TEST_SCALE");

	if (s && *s) {
		double v = strtod(s, NULL);

		if (v > 0)
			return v;
	}
	return (TU_SANITIZED ? 0.02 : 1.0) * (tu.backend == TU_POSIX ? 1 : 0.25);
}

static inline uint64_t tu_scaled(uint64_t n, uint64_t min)
{
	double v = (double)n * tu_scale();

	return v < (double)min ? min : (uint64_t)v;
}

static inline int64_t tu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t tu_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Where name @i lives on the backend (see struct tu_state). */
static inline void tu_place(int i)
{
	const char *dir = getenv("SHMRING_TEST_DIR");
	char *w = tu.where[i], name[sizeof(tu.names[0])];
	int n = 0;

	/* A copy: source and destination in one object upset -Wrestrict. */
	memcpy(name, tu.names[i], sizeof(name));

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	switch (tu.backend) {
	case TU_FILE:
		n = snprintf(w, sizeof(tu.where[0]), "file:%s%s", dir, name);
		break;
	case TU_SYSV:
		n = snprintf(w, sizeof(tu.where[0]), "sysv:%ld",
			     (long)TU_SYSV_KEY(getpid(), i));
		break;
	default:
		/* posix; and for the unnamed kinds, only what messages say */
		n = snprintf(w, sizeof(tu.where[0]), "%s", name);
		break;
	}
	cr_assert(n > 0 && (size_t)n < sizeof(tu.where[0]),
		  "ring name too long for backend %s", tu_backend_name());
}

/* A fresh ring name for this test; the fini unlinks it whatever happens. */
static inline const char *tu_name(void)
{
	char *n;

	cr_assert_lt(tu.nnames, TU_MAX_NAMES, "too many names in one test");
	n = tu.names[tu.nnames];
	snprintf(n, sizeof(tu.names[0]), TU_NAME_PREFIX "%ld-%u",
		 (long)getpid(), tu.counter++);
	tu_place(tu.nnames++);
	return n;
}

/* A fresh name exactly len bytes long (len >= 32, < 300), padded with 'x'. */
static inline const char *tu_name_len(size_t len)
{
	char *n = (char *)tu_name();
	size_t have = strlen(n);

	cr_assert(len >= 32 && len < sizeof(tu.names[0]));
	memset(n + have, 'x', len - have);
	n[len] = '\0';
	tu_place(tu.nnames - 1);
	return n;
}

/*
 * A name the test spells itself, on a backend of its choosing whatever
 * SHMRING_TEST_BACKEND says ("file:PATH", "sysv:KEY", "/name"): kept for
 * the fini to remove (tu_remove_own()), without the code under test.
 */
static inline const char *tu_keep(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline const char *tu_keep(const char *fmt, ...)
{
	va_list ap;
	char *n;

	cr_assert_lt(tu.nown, TU_MAX_KEPT, "too many own names in one test");
	n = tu.own[tu.nown++];
	va_start(ap, fmt);
	vsnprintf(n, sizeof(tu.own[0]), fmt, ap);
	va_end(ap);
	return n;
}

/* A fresh "file:" ring name in @dir. */
static inline const char *tu_file_name(const char *dir)
{
	return tu_keep("file:%s/shmring-t-%ld-%u", dir, (long)getpid(),
		       tu.counter++);
}

/* A System V key nobody else uses: ours in the top bits, a counter below. */
static inline const char *tu_sysv_name(void)
{
	unsigned key = 0x5a000000u | (((unsigned)getpid() & 0xffffu) << 8) |
		       (tu.counter++ & 0xffu);

	return tu_keep("sysv:%#x", key);
}

/* Remove the object behind a name of tu_keep(), whatever its backend. */
static inline void tu_remove_own(const char *n)
{
	if (!strncmp(n, "file:", 5)) {
		unlink(n + 5);
	} else if (!strncmp(n, "sysv:", 5)) {
		int id = shmget((key_t)strtoul(n + 5, NULL, 0), 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	} else {
		shm_unlink(n);
	}
}

/*
 * A scratch directory of this test, for "file:" rings (tu_file_name())
 * or a mount point; mode 0755, so that another user may enter it before
 * a ring's own mode is looked at. The fini removes it, once what
 * tu_keep() named is gone.
 */
static inline const char *tu_tmpdir(void)
{
	if (!tu.tmpdir[0]) {
		strcpy(tu.tmpdir, "/tmp/shmring-h-XXXXXX");
		cr_assert_not_null(mkdtemp(tu.tmpdir), "mkdtemp: %s",
				   strerror(errno));
		cr_assert_eq(chmod(tu.tmpdir, 0755), 0, "chmod %s: %s",
			     tu.tmpdir, strerror(errno));
	}
	return tu.tmpdir;
}

/* Remove the last name of tu_keep() and free its place for another. */
static inline void tu_unkeep_last(void)
{
	cr_assert_gt(tu.nown, 0);
	tu_remove_own(tu.own[--tu.nown]);
}

static inline int tu_shm_exists(const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return access(path, F_OK) == 0;
}

/* The index of a name tu_name() gave, or -1. */
static inline int tu_name_index(const char *name)
{
	for (int i = 0; name && i < tu.nnames; i++)
		if (!strcmp(name, tu.names[i]))
			return i;
	return -1;
}

/*
 * shmring_create() of a name from tu_name() on the test's backend. Like
 * the calls below it asserts nothing, so a forked child may use it too.
 * A name tu_name() did not give goes to shmring_create() as it is.
 */
static inline int tu_ring_create(const char *name,
				 const struct shmring_opts *o, int role,
				 struct shmring **out)
{
	int i = tu_name_index(name);
	struct shmring *base = NULL;
	int rc, fd;

	if (i < 0)
		return shmring_create(name, o, role, out);
	switch (tu.backend) {
	case TU_ANON:
		if (tu.kept[i])
			return -EEXIST;
		rc = shmring_create_anon(o, &base);
		if (rc)
			return rc;
		rc = shmring_attach(base, role, out);
		if (rc) {
			shmring_close(base);
			return rc;
		}
		tu.kept_ring[i] = base;
		tu.kept[i] = 1;
		return 0;
	case TU_MEMFD:
		if (tu.kept[i])
			return -EEXIST;
		rc = shmring_create_memfd(o, role, out);
		if (rc)
			return rc;
		/* The handle owns its descriptor: the name keeps a copy. */
		fd = fcntl(shmring_fd(*out), F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			shmring_close(*out);
			*out = NULL;
			return rc;
		}
		tu.kept_fd[i] = fd;
		tu.kept[i] = 1;
		return 0;
	default:
		return shmring_create(tu.where[i], o, role, out);
	}
}

/* shmring_open() of a name from tu_name() on the test's backend. */
static inline int tu_ring_open(const char *name, int role,
			       struct shmring **out)
{
	int i = tu_name_index(name);

	if (i < 0)
		return shmring_open(name, role, out);
	switch (tu.backend) {
	case TU_ANON:
		return tu.kept[i] ? shmring_attach(tu.kept_ring[i], role, out) :
				    -ENOENT;
	case TU_MEMFD:
		return tu.kept[i] ? shmring_open_fd(tu.kept_fd[i], role, out) :
				    -ENOENT;
	default:
		return shmring_open(tu.where[i], role, out);
	}
}

/* shmring_unlink() of a name from tu_name() on the test's backend. */
static inline int tu_ring_unlink(const char *name)
{
	int i = tu_name_index(name);

	if (i < 0)
		return shmring_unlink(name);
	switch (tu.backend) {
	case TU_ANON:
	case TU_MEMFD:
		if (!tu.kept[i])
			return -ENOENT;
		if (tu.backend == TU_ANON)
			shmring_close(tu.kept_ring[i]);
		else
			close(tu.kept_fd[i]);
		tu.kept[i] = 0;
		return 0;
	default:
		return shmring_unlink(tu.where[i]);
	}
}

/*
 * Whether the object behind a name exists, found without the library:
 * the /dev/shm entry, the file, the SysV key; for the unnamed kinds,
 * whether the name still stands for a ring.
 */
static inline int tu_ring_exists(const char *name)
{
	int i = tu_name_index(name);

	if (i < 0 || tu.backend == TU_POSIX)
		return tu_shm_exists(name);
	switch (tu.backend) {
	case TU_FILE:
		return access(tu.where[i] + strlen("file:"), F_OK) == 0;
	case TU_SYSV:
		return shmget(TU_SYSV_KEY(getpid(), i), 0, 0) >= 0 ||
		       errno != ENOENT;
	default:
		return tu.kept[i];
	}
}

/*
 * Size and permission bits of the object behind a name, asked of the
 * system (stat, IPC_STAT), not of the library. 0, or -errno, or -ENOTSUP
 * where the backend has nothing to ask: anonymous memory has no object,
 * and a memfd's permission bits are not the ring's mode (it is reached
 * through its descriptor alone), so tu_ring_mode() has none for it.
 */
static inline int tu_ring_stat(const char *name, off_t *size, unsigned *mode)
{
	int i = tu_name_index(name);
	struct shmid_ds ds;
	struct stat st;
	int id;

	if (i < 0)
		return -EINVAL;
	switch (tu.backend) {
	case TU_POSIX:
	case TU_FILE:
	case TU_MEMFD: {
		char path[600];

		if (tu.backend == TU_MEMFD) {
			if (!tu.kept[i])
				return -ENOENT;
			if (fstat(tu.kept_fd[i], &st) < 0)
				return -errno;
			*size = st.st_size;
			return mode ? -ENOTSUP : 0;
		}
		if (tu.backend == TU_POSIX)
			snprintf(path, sizeof(path), "/dev/shm%s", name);
		else
			snprintf(path, sizeof(path), "%s",
				 tu.where[i] + strlen("file:"));
		if (stat(path, &st) < 0)
			return -errno;
		*size = st.st_size;
		if (mode)
			*mode = st.st_mode & 07777;
		return 0;
	}
	case TU_SYSV:
		id = shmget(TU_SYSV_KEY(getpid(), i), 0, 0);
		if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
			return -errno;
		*size = (off_t)ds.shm_segsz;
		if (mode)
			*mode = ds.shm_perm.mode & 0777;
		return 0;
	default:
		return -ENOTSUP;
	}
}

static inline int tu_ring_size(const char *name, off_t *size)
{
	return tu_ring_stat(name, size, NULL);
}

/*
 * The object behind @name has exactly @region_size bytes, on the kinds of
 * memory that have an object to measure (not the anonymous one).
 */
static inline void tu_check_region_size(const char *name, size_t region_size)
{
	off_t size = 0;
	int rc = tu_ring_size(name, &size);

	if (rc == -ENOTSUP) {
		tu_backend_skip("region_size against the object's size",
				"anonymous memory has no object to measure");
		return;
	}
	cr_assert_eq(rc, 0, "size of %s: %s", name, strerror(-rc));
	cr_assert_eq((off_t)region_size, size,
		     "region_size %zu but the object has %lld bytes", region_size,
		     (long long)size);
}

static inline int tu_ring_mode(const char *name, unsigned *mode)
{
	off_t size;

	return tu_ring_stat(name, &size, mode);
}

/*
 * fork() for a test: the child dies with its parent (a test killed on
 * timeout takes its children along) and on its own alarm, so it can never
 * be left blocked on a ring. The child must leave with _exit() and must
 * not call any cr_* function: those speak for the test, not for it.
 */
static inline pid_t tu_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	cr_assert_lt(tu.nkids, TU_MAX_KIDS, "too many children in one test");
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		alarm(TU_CHILD_ALARM);
		return 0;
	}
	tu.kids[tu.nkids++] = pid;
	return pid;
}

static inline void tu_forget_kid(pid_t pid)
{
	for (int i = 0; i < tu.nkids; i++) {
		if (tu.kids[i] == pid) {
			tu.kids[i] = tu.kids[--tu.nkids];
			return;
		}
	}
}

/* Wait for a child; returns its wait status. */
static inline int tu_wait(pid_t pid)
{
	int st = 0;
	pid_t w;

	do
		w = waitpid(pid, &st, 0);
	while (w < 0 && errno == EINTR);
	cr_assert_eq(w, pid, "waitpid %ld: %s", (long)pid, strerror(errno));
	tu_forget_kid(pid);
	return st;
}

/* Wait for a child and assert it exited 0; what else means what it says. */
static inline void tu_wait_ok(pid_t pid, const char *what)
{
	int st = tu_wait(pid);

	cr_assert(WIFEXITED(st), "%s: child killed by signal %d", what,
		  WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	cr_assert_eq(WEXITSTATUS(st), 0, "%s: child failed at step %d", what,
		     WEXITSTATUS(st));
}

/* Kill a child with SIGKILL and reap it. */
static inline void tu_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	(void)tu_wait(pid);
}

static inline void tu_init(void)
{
	memset(&tu, 0, sizeof(tu));
	tu.backend = tu_backend_from_env();
	if (tu.backend < 0) {
		tu.backend = TU_POSIX;
		cr_assert_fail("SHMRING_TEST_BACKEND=%s: not posix, file, sysv, "
			       "anon or memfd", getenv("SHMRING_TEST_BACKEND"));
	}
}

/*
 * The axis of the suite: a behaviour is one test, run over every ring
 * kind and every backing (TU_TEST below). A kind is a row of tu_kinds[]:
 * what differs between kinds, and that a test may state, is a field of
 * the row, so a new kind joins by adding a row, not a file.
 */
struct tu_kind {
	enum shmring_kind kind;
	const char *name;
	/* A small ring for a behaviour test: SPSC bytes, MPMC slots. */
	size_t small_cap;
	/* How many messages of @len bytes (8..240) a small ring holds at least. */
	size_t (*holds)(size_t len);
	/* What one message of @len bytes adds to shmring_info()'s used. */
	size_t (*room)(size_t len);
	/* The least data area a ring of @cap and @max_msg needs, in bytes. */
	size_t (*data_bytes)(size_t cap, size_t max_msg);
	/* Only one process at a time may hold each role (-EBUSY). */
	bool exclusive_roles;
	/* Producers and consumers may come and go: a ring of many peers. */
	bool many_peers;
	/* Consumers may come and go; the stream's end for producers is
	 * when the last one has gone (many_peers, or a broadcast ring's
	 * subscribers under its one publisher). */
	bool many_consumers;
	/* A consumer starts at the first message sent after it attached
	 * (a broadcast subscriber): what was queued before is still in the
	 * ring, and shmring_seek(SHMRING_SEEK_OLDEST) goes back to it. */
	bool joins_at_newest;
	/* shmring_info()'s used is the history kept for late consumers,
	 * freed only when the producer needs the room again, not by a
	 * receive: it stays up as messages are read. */
	bool used_is_history;
};

static inline size_t tu_spsc_holds(size_t len)
{
	/* More than half of the bytes: records carry a header and padding. */
	return 4096 / 2 / len + 1;
}

static inline size_t tu_mpmc_holds(size_t len)
{
	(void)len;
	return 64;
}

/* SPSC: an 8-byte header, the payload padded to 8 bytes. */
static inline size_t tu_spsc_room(size_t len)
{
	return 8 + ((len + 7) & ~(size_t)7);
}

/* MPMC: one slot, whatever the length. */
static inline size_t tu_mpmc_room(size_t len)
{
	(void)len;
	return 1;
}

/* BCAST: SPSC's records, each 8 bytes longer (the message's number). */
static inline size_t tu_bcast_holds(size_t len)
{
	return 4096 / 2 / (len + 16) + 1;
}

static inline size_t tu_bcast_room(size_t len)
{
	return tu_spsc_room(8 + len);
}

/* SPSC: the capacity is the data area's bytes. */
static inline size_t tu_spsc_data_bytes(size_t cap, size_t max_msg)
{
	(void)max_msg;
	return cap;
}

/* MPMC: each slot holds its header (16 bytes at least) and max_msg. */
static inline size_t tu_mpmc_data_bytes(size_t cap, size_t max_msg)
{
	return cap * (16 + max_msg);
}

/* BCAST: the bytes, then a 128-byte line per peer entry,
 * where the subscribers keep their cursors. */
static inline size_t tu_bcast_data_bytes(size_t cap, size_t max_msg)
{
	(void)max_msg;
	return cap + SHMRING_MAX_PEERS * 128;
}

/*
 * Broadcast (SHMRING_BCAST, back-pressure, as a small ring is made): one
 * publisher at a time (-EBUSY for a second, as SPSC), so neither
 * exclusive_roles nor many_peers; many subscribers, each getting every
 * message from the first one sent after it attached.
 */
static const struct tu_kind tu_kinds[] = {
	{ .kind = SHMRING_SPSC, .name = "spsc", .small_cap = 4096,
	  .holds = tu_spsc_holds, .room = tu_spsc_room,
	  .data_bytes = tu_spsc_data_bytes, .exclusive_roles = true },
	{ .kind = SHMRING_MPMC, .name = "mpmc", .small_cap = 64,
	  .holds = tu_mpmc_holds, .room = tu_mpmc_room,
	  .data_bytes = tu_mpmc_data_bytes, .many_peers = true,
	  .many_consumers = true },
	{ .kind = SHMRING_BCAST, .name = "bcast", .small_cap = 4096,
	  .holds = tu_bcast_holds, .room = tu_bcast_room,
	  .data_bytes = tu_bcast_data_bytes, .many_consumers = true,
	  .joins_at_newest = true, .used_is_history = true },
};
#define TU_NKINDS (sizeof(tu_kinds) / sizeof(tu_kinds[0]))
#define TU_NBACKENDS (sizeof(tu_backend_names) / sizeof(tu_backend_names[0]))

/* Which kinds a test runs over: a mask of 1 << kind. */
#define TU_KIND(k) (1u << (k))
#define TU_ALL_KINDS (~0u)

/* The kinds whose row has the bool @field set: TU_KINDS_WITH(many_peers). */
static inline unsigned tu_kinds_with(size_t field)
{
	unsigned m = 0;

	for (size_t k = 0; k < TU_NKINDS; k++)
		if (*(const bool *)((const char *)&tu_kinds[k] + field))
			m |= TU_KIND(tu_kinds[k].kind);
	return m;
}
#define TU_KINDS_WITH(field) tu_kinds_with(offsetof(struct tu_kind, field))

/* One row of a test: a kind on a backing. */
struct tu_case {
	int kind;    /* index into tu_kinds[] */
	int backend; /* enum tu_backend */
};

/*
 * Every kind of @kinds on every backing, or on the one that
 * SHMRING_TEST_BACKEND names (to run a suite by hand on one backing).
 */
static inline size_t tu_cases(struct tu_case *out, unsigned kinds)
{
	int only = getenv("SHMRING_TEST_BACKEND") ? tu_backend_from_env() : -1;
	size_t n = 0;

	for (size_t k = 0; k < TU_NKINDS; k++) {
		if (!(kinds & TU_KIND(tu_kinds[k].kind)))
			continue;
		for (int b = 0; b < (int)TU_NBACKENDS; b++)
			if (only < 0 || b == only)
				out[n++] = (struct tu_case){ (int)k, b };
	}
	return n;
}

/* The row the running test was given: its kind, and where its rings live. */
static const struct tu_kind *tu_kind_now;

static inline void tu_use(const struct tu_case *c)
{
	tu.backend = c->backend;
	tu_kind_now = &tu_kinds[c->kind];
	fprintf(stderr, "[ROW] %s::%s: %s on %s\n",
		criterion_current_test->category, criterion_current_test->name,
		tu_kind_now->name, tu_backend_name());
}

/*
 * A test run over kinds and backings: TU_TEST(suite, name, kinds,
 * .timeout = ...) { body, with `row` its row }. Each row is a test of its
 * own for Criterion, with the fixture of testutil.h.
 */
#define TU_MAX_CASES 64
#define TU_TEST(suite, name, kinds, ...)                                     \
	static void suite##_##name##_row(const struct tu_case *row);         \
	ParameterizedTestParameters(suite, name)                              \
	{                                                                     \
		static struct tu_case cases[TU_MAX_CASES];                    \
		size_t n = tu_cases(cases, (kinds));                          \
		return cr_make_param_array(struct tu_case, cases, n);         \
	}                                                                     \
	ParameterizedTest(struct tu_case *row, suite, name, TU_FIXTURE,       \
			  __VA_ARGS__)                                        \
	{                                                                     \
		tu_use(row);                                                  \
		suite##_##name##_row(row);                                    \
	}                                                                     \
	static void suite##_##name##_row(                                     \
		__attribute__((unused)) const struct tu_case *row)

/* Remove what name @i stands for, without the code under test. */
static inline void tu_ring_remove(int i)
{
	int id;

	switch (tu.backend) {
	case TU_FILE:
		unlink(tu.where[i] + strlen("file:"));
		break;
	case TU_SYSV:
		id = shmget(TU_SYSV_KEY(getpid(), i), 0, 0);
		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
		break;
	case TU_ANON:
		/* Nothing but a library handle can let go of it. */
		if (tu.kept[i])
			shmring_close(tu.kept_ring[i]);
		tu.kept[i] = 0;
		break;
	case TU_MEMFD:
		if (tu.kept[i])
			close(tu.kept_fd[i]);
		tu.kept[i] = 0;
		break;
	default:
		shm_unlink(tu.names[i]);
		break;
	}
}

static inline void tu_fini(void)
{
	int st;

	for (int i = 0; i < tu.nkids; i++) {
		kill(tu.kids[i], SIGKILL);
		while (waitpid(tu.kids[i], &st, 0) < 0 && errno == EINTR)
			;
	}
	tu.nkids = 0;
	/* The system's calls, not shmring_unlink: cleanup must not rely on
	 * the code under test. */
	for (int i = 0; i < tu.nnames; i++)
		tu_ring_remove(i);
	for (int i = 0; i < tu.nnames; i++)
		cr_expect(!tu_ring_exists(tu.names[i]), "%s (%s) left behind",
			  tu.names[i], tu.where[i]);
	tu.nnames = 0;
	for (int i = 0; i < tu.nown; i++)
		tu_remove_own(tu.own[i]);
	tu.nown = 0;
	if (tu.tmpdir[0]) {
		rmdir(tu.tmpdir);
		tu.tmpdir[0] = '\0';
	}
	if (tu.at_fini)
		tu.at_fini();
	tu.at_fini = NULL;
}

#define TU_FIXTURE .init = tu_init, .fini = tu_fini

/* Whole-buffer pipe I/O; 0 on success, -1 on error or early EOF. */
static inline int tu_io_all(int fd, char *p, size_t len, bool out)
{
	while (len > 0) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static inline int tu_write_all(int fd, const void *buf, size_t len)
{
	return tu_io_all(fd, (char *)(uintptr_t)buf, len, true);
}

static inline int tu_read_all(int fd, void *buf, size_t len)
{
	return tu_io_all(fd, buf, len, false);
}

static inline void tu_pipe(int fds[2])
{
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
}

/* FNV-1a, 32 bits. */
static inline uint32_t tu_fnv1a(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static inline uint64_t tu_splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Bytes that depend on (seed, index): a misplaced byte shows. */
static inline void tu_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t s = seed * 0x2545f4914f6cdd1dull + len;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = tu_splitmix(&s);
		size_t k = len - i < 8 ? len - i : 8;

		memcpy(p + i, &v, k);
	}
}

/* 0 if buf holds exactly what tu_fill(len, seed) wrote, else 1 + index. */
static inline size_t tu_check(const void *buf, size_t len, uint64_t seed)
{
	const unsigned char *p = buf;
	uint64_t s = seed * 0x2545f4914f6cdd1dull + len;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = tu_splitmix(&s);
		size_t k = len - i < 8 ? len - i : 8;

		for (size_t j = 0; j < k; j++)
			if (p[i + j] != (unsigned char)(v >> (8 * j)))
				return i + j + 1;
	}
	return 0;
}

/* Create a ring of @kind on the test's backend; asserts success. */
static inline struct shmring *tu_create_kind(const char *name,
					     enum shmring_kind kind, size_t cap,
					     size_t max_msg, int role)
{
	struct shmring_opts o = { .kind = kind, .capacity = cap,
				  .max_msg = max_msg };
	struct shmring *r = NULL;
	int rc = tu_ring_create(name, &o, role, &r);

	cr_assert_eq(rc, 0, "create kind %d %s (capacity %zu, max %zu) on %s: %s",
		     (int)kind, name, cap, max_msg, tu_backend_name(),
		     shmring_strerror(rc));
	cr_assert_not_null(r);
	return r;
}

/* An SPSC ring of @cap data bytes; asserts success. */
static inline struct shmring *tu_create(const char *name, size_t cap,
					size_t max_msg, int role)
{
	return tu_create_kind(name, SHMRING_SPSC, cap, max_msg, role);
}

/* A small ring of the running test's kind on its backing; asserts success. */
static inline struct shmring *tu_create_small(const char *name, int role)
{
	return tu_create_kind(name, tu_kind_now->kind, tu_kind_now->small_cap,
			      0, role);
}

/* Send @len bytes of pattern @seed, not waiting; asserts success. */
static inline void tu_put(struct shmring *r, size_t len, uint64_t seed)
{
	static unsigned char buf[1 << 16];
	int rc;

	cr_assert_leq(len, sizeof(buf));
	tu_fill(buf, len, seed);
	rc = shmring_try_send(r, buf, len);
	cr_assert_eq(rc, 0, "try_send(%zu): %s", len, shmring_strerror(rc));
}

/* Receive one message, not waiting; asserts @len bytes of pattern @seed. */
static inline void tu_get(struct shmring *r, size_t len, uint64_t seed)
{
	static unsigned char buf[1 << 16];
	ssize_t n;
	size_t bad;

	n = shmring_try_recv(r, buf, sizeof(buf));
	cr_assert_eq(n, (ssize_t)len, "try_recv: got %zd (%s), want %zu", n,
		     n < 0 ? shmring_strerror((int)n) : "length", len);
	bad = tu_check(buf, len, seed);
	cr_assert_eq(bad, 0, "message of %zu bytes (seed %llu) differs at byte %zu",
		     len, (unsigned long long)seed, bad - 1);
}

/*
 * Fill a ring with messages of @len bytes, pattern seeds 0, 1, ..., until
 * it is full (-EAGAIN, and nothing else, ends it); returns how many went
 * in, at least what the running test's kind promises to hold.
 */
static inline int tu_fill_ring(struct shmring *r, size_t len)
{
	int n = 0, rc;

	for (;;) {
		static unsigned char buf[1 << 12];

		cr_assert_leq(len, sizeof(buf));
		tu_fill(buf, len, (uint64_t)n);
		rc = shmring_try_send(r, buf, len);
		if (rc)
			break;
		n++;
	}
	cr_assert_eq(rc, -EAGAIN, "try_send on a full ring: %s",
		     shmring_strerror(rc));
	if (tu_kind_now)
		cr_assert_geq((size_t)n, tu_kind_now->holds(len),
			      "only %d messages of %zu bytes fit", n, len);
	return n;
}

/* shmring_info() that asserts success (the struct poisoned first). */
static inline struct shmring_info tu_info(struct shmring *r)
{
	struct shmring_info in;
	int rc;

	memset(&in, 0xa5, sizeof(in));
	rc = shmring_info(r, &in);
	cr_assert_eq(rc, 0, "shmring_info: %s", shmring_strerror(rc));
	return in;
}

static inline struct shmring *tu_open(const char *name, int role)
{
	struct shmring *r = NULL;
	int rc = tu_ring_open(name, role, &r);

	cr_assert_eq(rc, 0, "shmring_open(%s, role %d) on %s: %s", name, role,
		     tu_backend_name(), shmring_strerror(rc));
	cr_assert_not_null(r);
	return r;
}

/*
 * A consumer that attaches after messages were sent, and is to receive
 * them: on a kind whose consumers join at the newest message, it first
 * sees none of them (-EAGAIN; -EPIPE if their producer is gone), then
 * seeks back to the oldest one kept.
 */
static inline struct shmring *tu_open_late(const char *name)
{
	struct shmring *c = tu_open(name, SHMRING_CONSUMER);
	ssize_t n;
	int rc;

	if (!tu_kind_now || !tu_kind_now->joins_at_newest)
		return c;
	n = shmring_try_recv(c, NULL, 0);
	cr_assert(n == -EAGAIN || n == -EPIPE,
		  "a late %s consumer got %zd (%s) before seeking back",
		  tu_kind_now->name, n, shmring_strerror((int)n));
	rc = shmring_seek(c, SHMRING_SEEK_OLDEST);
	cr_assert_eq(rc, 0, "seek to the oldest: %s", shmring_strerror(rc));
	return c;
}

/*
 * Whether a process sits in a futex wait now, from /proc/PID/syscall
 * (first field: the system call number, or "running"). -1 if unknown.
 * A sleeper that watches its peers too waits on the futex through
 * io_uring (lib/uring.c): io_uring_enter counts as the futex wait.
 */
static inline int tu_in_futex(pid_t pid)
{
	char path[64], buf[128];
	ssize_t n;
	long nr;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	nr = strtol(buf, NULL, 10);
#ifdef SYS_futex_waitv
	if (nr == SYS_futex_waitv)
		return 1;
#endif
#ifdef SYS_io_uring_enter
	if (nr == SYS_io_uring_enter)
		return 1;
#endif
	return nr == SYS_futex;
}

/*
 * Wait (polling, bounded) until a child that announced it is about to
 * block is asleep in the kernel, so that what follows wakes a sleeper
 * rather than racing a process still on its way to sleep. Returns 1 if
 * seen asleep; 0 if not within 3 s (the test still holds, less sharply).
 */
static inline int tu_wait_asleep(pid_t pid)
{
	int64_t end = tu_now_ns() + 3000000000;
	struct timespec ms = { 0, 1000000 };

	while (tu_now_ns() < end) {
		int s = tu_in_futex(pid);

		if (s < 0)
			return 0;
		if (s == 1)
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/* What a child reports to its test through a pipe. */
struct tu_report {
	int64_t rc;    /* the call's return value */
	int64_t t;     /* CLOCK_MONOTONIC when it returned */
	int64_t cpu;   /* CPU ns spent in it */
	int64_t wall;  /* wall ns spent in it */
	int64_t step;  /* 0, or where the child went wrong */
	int64_t n;     /* a count of the test's own */
};

static inline void tu_report_send(int fd, const struct tu_report *rep)
{
	if (tu_write_all(fd, rep, sizeof(*rep)) != 0)
		_exit(98);
}

/* Read a child's report; asserts it came whole. */
static inline struct tu_report tu_report_read(int fd, const char *what)
{
	struct tu_report rep;

	cr_assert_eq(tu_read_all(fd, &rep, sizeof(rep)), 0,
		     "%s: child sent no report", what);
	cr_assert_eq(rep.step, 0, "%s: child failed at step %lld", what,
		     (long long)rep.step);
	return rep;
}

/* One byte through a pipe, to say "ready" or "go". */
static inline void tu_signal(int fd)
{
	if (tu_write_all(fd, "!", 1) != 0)
		_exit(97);
}

static inline int tu_await(int fd)
{
	char c;

	return tu_read_all(fd, &c, 1);
}

/* Guarded memory (guard.h) of @size bytes, a multiple of the page. */
static inline struct guarded tu_guard(size_t size)
{
	struct guarded g = { 0 };
	int rc;

	cr_assert_eq(size % TU_PAGE, 0);
	rc = guard_map(&g, size);
	cr_assert_eq(rc, 0, "guarded mapping of %zu bytes: %s", size,
		     strerror(-rc));
	return g;
}

static inline void tu_unguard(struct guarded *g)
{
	guard_unmap(g);
}

/*
 * A child that fails says why, whole, to its parent over a pipe: the
 * parent sets the write end with tu_report_fd() before the fork and
 * reads one struct tu_verdict after it (tu_run_child() does both).
 */
struct tu_verdict {
	int step;
	char why[240];
};

static inline int *tu_report_fd(void)
{
	static int fd = -1;
	return &fd;
}

static inline void tu_child_fail(int step, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static inline void tu_child_fail(int step, const char *fmt, ...)
{
	struct tu_verdict v = { .step = step };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.why, sizeof(v.why), fmt, ap);
	va_end(ap);
	if (write(*tu_report_fd(), &v, sizeof(v)) != (ssize_t)sizeof(v))
		_exit(98);
	_exit(step);
}

/*
 * Run @fn(@arg) in a child that explains a failure with tu_child_fail()
 * (a return from @fn is success). *@st gets the child's wait status;
 * returns true, with the verdict in *@v, if it exited non-zero and said
 * why.
 */
static inline bool tu_run_child(void (*fn)(void *), void *arg, int *st,
				struct tu_verdict *v)
{
	bool said;
	int fds[2];
	pid_t pid;

	tu_pipe(fds);
	pid = tu_fork();
	if (pid == 0) {
		close(fds[0]);
		*tu_report_fd() = fds[1];
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	*st = tu_wait(pid);
	said = WIFEXITED(*st) && WEXITSTATUS(*st) != 0 &&
	       read(fds[0], v, sizeof(*v)) == (ssize_t)sizeof(*v);
	close(fds[0]);
	return said;
}

/*
 * Criterion cannot run under ThreadSanitizer: its runner maps a shared
 * arena at fixed addresses inside the ranges TSan keeps for itself and
 * aborts ("Could not initialize inheritable arena", Criterion issue 274).
 * A TSan build reports these programs as skipped (exit status 77) rather
 * than failed. Little is lost: their processes meet through shared
 * memory, which TSan does not follow across processes. A program with a
 * main of its own defines TU_OWN_MAIN and checks TU_TSAN itself.
 */
#define TU_TSAN_SKIP_MSG \
	"skipped: Criterion cannot run under ThreadSanitizer (Criterion issue 274)\n"
#if TU_TSAN && !defined(TU_OWN_MAIN)
int main(void)
{
	fputs(TU_TSAN_SKIP_MSG, stderr);
	return 77;
}
#endif

/*
 * Under AddressSanitizer, Criterion's runner process (the one that forks
 * the workers that run the tests) leaks a few bytes of its own, a calloc
 * inside libcriterion, and LeakSanitizer then fails a program whose tests
 * all passed. The runner runs no test code: leak checking is turned off
 * there alone. Workers carry BXFI_MAP in their environment and keep it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#if defined(TU_ASAN)
#define TU_LSAN_RUNNER_OFF 1
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	/* Asked at exit, when the environment can still be read. */
	return getenv("BXFI_MAP") == NULL;
}
#endif

#endif /* SHMRING_TESTUTIL_H */
