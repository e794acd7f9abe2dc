/* test_cpu.c - a side blocked on an empty (or full) ring with a live peer sleeps: under 1 ms of CPU per second of waiting. */
#include "testutil.h"

#include <linux/io_uring.h>
#include <math.h>
#include <sys/syscall.h>

/* Older kernel headers lack what Linux 6.7 added. */
#ifndef IORING_OP_FUTEX_WAIT
#define IORING_OP_FUTEX_WAIT 51
#endif

#define CAP 4096u

/*
 * CPU allowed per second of blocking, in ns: 1 ms. A sanitized build
 * checks correctness, not cost, and its instrumented code pays several
 * times more for each wake-up: it gets three times the bound.
 */
#define CPU_PER_SEC_NS (1000000 * (TU_SANITIZED ? 3 : 1))

/*
 * The CPU clock of the blocked call's own thread under ThreadSanitizer,
 * whose runtime keeps a background thread busy in the same process; the
 * whole process's clock otherwise (so that a helper thread of the library
 * would count too).
 */
#if defined(__SANITIZE_THREAD__)
#define CPU_CLOCK CLOCK_THREAD_CPUTIME_ID
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CPU_CLOCK CLOCK_THREAD_CPUTIME_ID
#endif
#endif
#ifndef CPU_CLOCK
#define CPU_CLOCK CLOCK_PROCESS_CPUTIME_ID
#endif

/*
 * Can this kernel wake a sleeper for a publication or a peer's death
 * alone (an io_uring futex wait beside a poll of the peer's pidfd, as
 * lib/wait_uring.c does)? Then a side blocked for a second sleeps once or
 * twice, not once per 100 ms slice: the count of its futex sleeps shows
 * which way it waited, where CPU time on a shared machine can only hint.
 * Checked by making peer_watch() in lib/peer.c answer -1 (the slices):
 * the blocked side slept 10 or 11 times and every case failed.
 */
static bool kernel_watches_peers(void)
{
	size_t len = sizeof(struct io_uring_probe) +
		     256 * sizeof(struct io_uring_probe_op);
	struct io_uring_params p;
	struct io_uring_probe *pr;
	bool ok = false;
	int fd, pfd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(SYS_io_uring_setup, 2, &p);
	if (fd < 0)
		return false;
	pr = calloc(1, len);
	if (pr && (p.features & IORING_FEAT_EXT_ARG) &&
	    syscall(SYS_io_uring_register, fd, IORING_REGISTER_PROBE, pr, 256) == 0)
		ok = pr->last_op >= IORING_OP_FUTEX_WAIT &&
		     (pr->ops[IORING_OP_FUTEX_WAIT].flags & IO_URING_OP_SUPPORTED);
	free(pr);
	close(fd);
	pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pfd < 0)
		return false;
	close(pfd);
	return ok;
}

static uint64_t sleeps_of(struct shmring *r)
{
	struct shmring_stats st;

	return shmring_stats(r, &st) == 0 ? st.sleeps : 0;
}

static int64_t cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CPU_CLOCK, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * A child attaches with role `blocked`, waits for the parent (the live
 * peer) to attach, then makes one blocking call with timeout_ns and
 * reports its CPU and wall time. With timeout_ns -1 the parent ends the
 * wait after about a second by sending (or receiving) one message. Every
 * attempt's result is checked but its CPU time, which attempt() returns
 * in ns per second of waiting.
 */
static double attempt(int blocked, int64_t timeout_ns, uint64_t spin, int n)
{
	const char *name = tu_name();
	struct shmring *r = tu_create(name, CAP, 0, 0);
	struct shmring *peer;
	int up[2], down[2];
	struct tu_report rep;
	unsigned char buf[120] = { 0 };
	double per_sec;
	pid_t pid;
	const char *what = blocked == SHMRING_CONSUMER ? "consumer on an empty ring" :
							 "producer on a full ring";

	cr_assert_eq(shmring_close(r), 0);
	tu_pipe(up);
	tu_pipe(down);
	pid = tu_fork();
	if (pid == 0) {
		struct tu_report m = { 0 };
		struct shmring *h = NULL;
		int64_t c0, w0;

		close(up[0]);
		close(down[1]);
		if (shmring_open(name, blocked, &h))
			_exit(10);
		shmring_set_spin(h, spin);
		if (blocked == SHMRING_PRODUCER)
			while (shmring_try_send(h, buf, sizeof(buf)) == 0)
				;
		tu_signal(up[1]);
		if (tu_await(down[0]))
			_exit(11);
		m.n = -(int64_t)sleeps_of(h);
		c0 = cpu_now();
		w0 = tu_now_ns();
		m.rc = blocked == SHMRING_CONSUMER ?
			       shmring_recv(h, buf, sizeof(buf), timeout_ns) :
			       shmring_send(h, buf, sizeof(buf), timeout_ns);
		m.cpu = cpu_now() - c0;
		m.wall = tu_now_ns() - w0;
		m.n += (int64_t)sleeps_of(h);
		tu_report_send(up[1], &m);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	cr_assert_eq(tu_await(up[0]), 0, "child did not attach");
	peer = tu_open(name, blocked ^ 3);
	tu_signal(down[1]);
	if (timeout_ns < 0) {
		/* Let the child block a second, then end its wait. */
		struct timespec sec = { 1, 0 };

		nanosleep(&sec, NULL);
		if (blocked == SHMRING_CONSUMER)
			cr_assert_eq(shmring_send(peer, buf, 8, 0), 0);
		else
			cr_assert_eq(shmring_recv(peer, buf, sizeof(buf), 0), sizeof(buf));
	}
	rep = tu_report_read(up[0], what);
	tu_wait_ok(pid, what);
	close(up[0]);
	close(down[1]);
	per_sec = (double)rep.cpu * 1e9 / (double)rep.wall;
	fprintf(stderr,
		"attempt %d: blocked %s, timeout %lld ns, spin %llu ns: "
		"%.3f ms CPU in %.3f s (%.3f ms/s), %lld futex sleeps\n",
		n, what, (long long)timeout_ns, (unsigned long long)spin,
		(double)rep.cpu / 1e6, (double)rep.wall / 1e9, per_sec / 1e6,
		(long long)rep.n);
	if (timeout_ns < 0)
		cr_assert_eq(rep.rc, blocked == SHMRING_CONSUMER ? 8 : 0,
			     "blocked %s: call returned %lld", what, (long long)rep.rc);
	else
		cr_assert_eq(rep.rc, -ETIMEDOUT, "blocked %s: call returned %lld (%s)",
			     what, (long long)rep.rc, shmring_strerror((int)rep.rc));
	cr_assert_geq(rep.wall, 900000000, "blocked %s: returned after %.3f s", what,
		      (double)rep.wall / 1e9);
	if (kernel_watches_peers())
		cr_assert_leq(rep.n, 3,
			      "blocked %s slept %lld times in a second: it woke in "
			      "slices although the kernel can watch its peer",
			      what, (long long)rep.n);
	cr_assert_eq(shmring_close(peer), 0);
	return per_sec;
}

/*
 * The CPU clock of a process on a virtual machine also runs while the
 * host has taken its CPU away: one such pause in the spin phase can cost
 * a millisecond that the process never used. A wait that really burns
 * CPU (a spin that never ends, wake-ups in short slices) does so every
 * time, so the bound holds for the best of up to ATTEMPTS attempts, each
 * of which is reported and checked otherwise.
 */
#define ATTEMPTS 3

static void measure(int blocked, int64_t timeout_ns, uint64_t spin)
{
	double best = INFINITY;

	for (int n = 1; n <= ATTEMPTS && best >= CPU_PER_SEC_NS; n++) {
		double per_sec = attempt(blocked, timeout_ns, spin, n);

		if (per_sec < best)
			best = per_sec;
	}
	cr_assert_lt(best, CPU_PER_SEC_NS,
		     "blocked %s used at least %.3f ms of CPU per second in %d attempts",
		     blocked == SHMRING_CONSUMER ? "consumer" : "producer",
		     best / 1e6, ATTEMPTS);
}

Test(cpu, consumer_timed, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	measure(SHMRING_CONSUMER, 1000000000, SHMRING_DEFAULT_SPIN_NS);
}

Test(cpu, consumer_timed_nospin, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	measure(SHMRING_CONSUMER, 1000000000, 0);
}

Test(cpu, consumer_forever, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	measure(SHMRING_CONSUMER, -1, SHMRING_DEFAULT_SPIN_NS);
}

Test(cpu, producer_timed, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	measure(SHMRING_PRODUCER, 1000000000, SHMRING_DEFAULT_SPIN_NS);
}

Test(cpu, producer_forever, TU_FIXTURE, .timeout = TU_TIMEOUT(20))
{
	measure(SHMRING_PRODUCER, -1, SHMRING_DEFAULT_SPIN_NS);
}
