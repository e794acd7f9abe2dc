/*
 * hutil.h - what the hardening tests share: unique names and their
 * cleanup, children that cannot outlive their test, guarded memory for
 * regions a test owns, and the internal hooks of the static library.
 *
 * The programs including this link lib/libshmring.la statically, so the
 * hidden test entry points of ring.c and mpmc.c are within reach; they
 * are declared here, not taken from lib/internal.h, so that a change of
 * the internal headers shows up as a link error rather than silently.
 */
#ifndef SHMRING_HUTIL_H
#define SHMRING_HUTIL_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"

/* Internal hooks (lib/ring.c, lib/hooks.h), hidden but linkable statically. */
int ring_adopt_memory(void *base, size_t size, int role, struct shmring **out);
#include "hooks.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(undefined_behavior_sanitizer)
#define HU_SANITIZED 1
#endif
#endif
#ifndef HU_SANITIZED
#define HU_SANITIZED 0
#endif

#if defined(__SANITIZE_THREAD__)
#define HU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HU_TSAN 1
#endif
#endif
#ifndef HU_TSAN
#define HU_TSAN 0
#endif

/* Bounds that only catch hangs grow in sanitized builds. */
#define HU_SLOW (HU_SANITIZED ? 4.0 : 1.0)
#define HU_TIMEOUT(s) ((s) * HU_SLOW)
#define HU_CHILD_ALARM ((unsigned)(60 * HU_SLOW))

#define HU_PREFIX "/shmring-h-"
#define HU_MAX_NAMES 16
#define HU_MAX_KIDS 8
#define HU_PAGE 4096u

struct hu_state {
	char names[HU_MAX_NAMES][300]; /* POSIX names, or file:PATH, sysv:KEY */
	int nnames;
	pid_t kids[HU_MAX_KIDS];
	int nkids;
	unsigned counter;
};

static struct hu_state hu;

static inline int64_t hu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Remember a ring name (any backend) for the fini to remove. */
static inline const char *hu_keep(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline const char *hu_keep(const char *fmt, ...)
{
	va_list ap;
	char *n;

	cr_assert_lt(hu.nnames, HU_MAX_NAMES, "too many names in one test");
	n = hu.names[hu.nnames++];
	va_start(ap, fmt);
	vsnprintf(n, sizeof(hu.names[0]), fmt, ap);
	va_end(ap);
	return n;
}

/* A fresh POSIX ring name owned by this test. */
static inline const char *hu_name(void)
{
	return hu_keep(HU_PREFIX "%ld-%u", (long)getpid(), hu.counter++);
}

/* A fresh file: ring name in @dir. */
static inline const char *hu_file_name(const char *dir)
{
	return hu_keep("file:%s/shmring-h-%ld-%u", dir, (long)getpid(),
		       hu.counter++);
}

/* A System V key nobody else uses: ours in the top bits, a counter below. */
static inline const char *hu_sysv_name(void)
{
	unsigned key = 0x5a000000u | (((unsigned)getpid() & 0xffffu) << 8) |
		       (hu.counter++ & 0xffu);

	return hu_keep("sysv:%#x", key);
}

/*
 * fork() for a test: the child dies with its parent and on its own alarm.
 * It leaves with _exit() and calls no cr_* function.
 */
static inline pid_t hu_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	cr_assert_lt(hu.nkids, HU_MAX_KIDS, "too many children in one test");
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		alarm(HU_CHILD_ALARM);
		return 0;
	}
	hu.kids[hu.nkids++] = pid;
	return pid;
}

static inline int hu_wait(pid_t pid)
{
	int st = 0;
	pid_t w;

	do
		w = waitpid(pid, &st, 0);
	while (w < 0 && errno == EINTR);
	cr_assert_eq(w, pid, "waitpid %ld: %s", (long)pid, strerror(errno));
	for (int i = 0; i < hu.nkids; i++)
		if (hu.kids[i] == pid)
			hu.kids[i] = hu.kids[--hu.nkids];
	return st;
}

/* Reap a child and assert it exited 0; its status names the failed step. */
static inline void hu_wait_ok(pid_t pid, const char *what)
{
	int st = hu_wait(pid);

	cr_assert(WIFEXITED(st), "%s: child killed by signal %d", what,
		  WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	cr_assert_eq(WEXITSTATUS(st), 0, "%s: child failed at step %d", what,
		     WEXITSTATUS(st));
}

static inline void hu_remove(const char *n)
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

static inline void hu_init(void)
{
	memset(&hu, 0, sizeof(hu));
}

/* Kill and reap the children, remove every object: not through the code
 * under test, which must not be trusted to clean up after itself. */
static inline void hu_fini(void)
{
	int st;

	for (int i = 0; i < hu.nkids; i++) {
		kill(hu.kids[i], SIGKILL);
		while (waitpid(hu.kids[i], &st, 0) < 0 && errno == EINTR)
			;
	}
	hu.nkids = 0;
	for (int i = 0; i < hu.nnames; i++)
		hu_remove(hu.names[i]);
	hu.nnames = 0;
}

#define HU_FIXTURE .init = hu_init, .fini = hu_fini

/*
 * Guarded memory: @size bytes (a multiple of the page), shared so that a
 * forked scribbler writes the same bytes, with an inaccessible page on
 * each side. An access one byte outside faults at once, with or without
 * a sanitizer (ASan does not watch mmap'ed memory).
 */
struct hu_guarded {
	unsigned char *area;
	size_t area_size;
	unsigned char *base;
	size_t size;
};

static inline struct hu_guarded hu_guard(size_t size)
{
	struct hu_guarded g;

	cr_assert_eq(size % HU_PAGE, 0);
	g.area_size = size + 2 * HU_PAGE;
	g.area = mmap(NULL, g.area_size, PROT_NONE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(g.area, MAP_FAILED, "mmap: %s", strerror(errno));
	g.base = g.area + HU_PAGE;
	g.size = size;
	cr_assert_eq(mprotect(g.base, size, PROT_READ | PROT_WRITE), 0,
		     "mprotect: %s", strerror(errno));
	return g;
}

static inline void hu_unguard(struct hu_guarded *g)
{
	munmap(g->area, g->area_size);
	g->area = g->base = NULL;
}

/*
 * A freshly formatted region for @o, copied into guarded memory: the
 * library formats an anonymous ring (no role, so no peer entry), and its
 * bytes, found through the application area at a fixed offset, are
 * copied out. The test then owns every byte.
 */
#define HU_APP_AREA_OFF 1536u
static inline struct hu_guarded hu_region(const struct shmring_opts *o)
{
	struct shmring *r = NULL;
	struct shmring_info info;
	void *app;
	size_t app_size;
	struct hu_guarded g;

	cr_assert_eq(shmring_create_anon(o, &r), 0);
	cr_assert_eq(shmring_info(r, &info), 0);
	cr_assert_eq(shmring_app_area(r, &app, &app_size), 0);
	g = hu_guard(info.region_size);
	memcpy(g.base, (unsigned char *)app - HU_APP_AREA_OFF,
	       info.region_size);
	shmring_close(r);
	return g;
}

static inline struct shmring *hu_adopt(struct hu_guarded *g, int role)
{
	struct shmring *r = NULL;
	int rc = ring_adopt_memory(g->base, g->size, role, &r);

	cr_assert_eq(rc, 0, "ring_adopt_memory: %s", shmring_strerror(rc));
	return r;
}

/*
 * LeakSanitizer: Criterion's runner (libcriterion 2.4.1) leaks a 48-byte
 * block when it runs tests in parallel jobs, which fails the whole
 * program at exit. Not ours to fix: suppressed, for Criterion only.
 */
#if HU_SANITIZED
const char *__lsan_default_suppressions(void);
__attribute__((used)) const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}
#endif

/* Criterion cannot run under ThreadSanitizer (Criterion issue 274). */
#if HU_TSAN && !defined(HU_OWN_MAIN)
int main(void)
{
	fputs("skipped: Criterion cannot run under ThreadSanitizer\n", stderr);
	return 77;
}
#endif

/*
 * A child that fails says why, whole, to its parent over a pipe: the
 * parent sets the write end with hu_report_fd() before the fork and
 * reads one struct hu_verdict after it.
 */
struct hu_verdict {
	int step;
	char why[240];
};

static inline int *hu_report_fd(void)
{
	static int fd = -1;
	return &fd;
}

static inline void hu_child_fail(int step, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static inline void hu_child_fail(int step, const char *fmt, ...)
{
	struct hu_verdict v = { .step = step };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.why, sizeof(v.why), fmt, ap);
	va_end(ap);
	if (write(*hu_report_fd(), &v, sizeof(v)) != (ssize_t)sizeof(v))
		_exit(98);
	_exit(step);
}

/*
 * Run @fn(@arg) in a child that explains a failure with hu_child_fail()
 * (a return from @fn is success). *@st gets the child's wait status;
 * returns true, with the verdict in *@v, if it exited non-zero and said
 * why.
 */
static inline bool hu_run_child(void (*fn)(void *), void *arg, int *st,
				struct hu_verdict *v)
{
	bool said;
	int fds[2];
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = hu_fork();
	if (pid == 0) {
		close(fds[0]);
		*hu_report_fd() = fds[1];
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	*st = hu_wait(pid);
	said = WIFEXITED(*st) && WEXITSTATUS(*st) != 0 &&
	       read(fds[0], v, sizeof(*v)) == (ssize_t)sizeof(*v);
	close(fds[0]);
	return said;
}

/*
 * In a child: fill @r (holding both roles) to the brim with 1000-byte
 * messages and drain it, so that every page of the data area is written
 * (an unreserved page would fault here); hu_child_fail(@step) otherwise.
 */
static inline void hu_fill_and_drain(struct shmring *r, int step)
{
	static char buf[4096];
	long n = 0, m = 0, rc;

	memset(buf, 'f', sizeof(buf));
	while ((rc = shmring_try_send(r, buf, 1000)) == 0)
		n++;
	if (rc != -EAGAIN)
		hu_child_fail(step, "filling: send gave %s", shmring_strerror((int)rc));
	while ((rc = shmring_try_recv(r, buf, sizeof(buf))) >= 0)
		m++;
	if (rc != -EAGAIN || m != n)
		hu_child_fail(step, "draining: %ld of %ld messages, then %s", m, n,
			      shmring_strerror((int)rc));
}

#endif /* SHMRING_HUTIL_H */
