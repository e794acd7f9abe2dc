/*
 * test_signals.c - processes blocked in send and receive take a signal every 100 us (handler without SA_RESTART): no message lost or duplicated, no spurious error, timeouts still honoured.
 *
 * Checked against scratch copies of the library: with wait_for()
 * (lib/wait.c) returning futex_wait()'s -EINTR instead of going round its
 * loop, the stream tests fail (a spurious -EINTR); with the liveness
 * check of lib/peer.c taking a poll() cut short by a signal (-1, EINTR)
 * for a dead peer, they fail with a spurious end of stream (-EPIPE), and
 * pass once poll() is retried.
 */
#include "hutil.h"

#include <stdatomic.h>
#include <sys/syscall.h>

#define SIG_PERIOD_NS 100000
#define SMALL_CAP 256u

static volatile sig_atomic_t nsig;

static void on_sig(int sig)
{
	(void)sig;
	nsig++;
}

/*
 * SIGUSR1 every @period_ns to the calling thread (not to a helper thread
 * of the test runner), its handler without SA_RESTART, so that every
 * blocking system call here sees EINTR.
 */
static int signal_storm(long period_ns, timer_t *t)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec its;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return -1;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	/* glibc before 2.41 names the field only through the union. */
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, t) != 0)
		return -1;
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = period_ns;
	its.it_interval = its.it_value;
	if (timer_settime(*t, 0, &its, NULL) != 0)
		return -1;
	return 0;
}

static void storm_stop(timer_t t)
{
	timer_delete(t);
	signal(SIGUSR1, SIG_IGN);
}

static const int64_t timeouts[] = { 1000000, 10000000, 100000000, 500000000 };

/*
 * An empty ring's receive, a full ring's send: -ETIMEDOUT after T, not
 * before, and not much after, however many signals come in between.
 * Nothing is asserted while the storm blows: the test runner's own
 * reporting is not made to survive EINTR.
 */
struct timed {
	const char *what;
	int64_t tmo, el;
	long rc;
	int sigs;
};

static void timeouts_run(int kind)
{
	struct shmring_opts o = { .kind = kind, .capacity = kind ? 4 : SMALL_CAP,
				  .max_msg = 64 };
	const char *name = tu_name();
	struct shmring *r = NULL;
	char buf[64] = { 0 };
	struct timed res[2 * 2 * 4];
	int nres = 0;
	timer_t t;

	cr_assert_eq(shmring_create(name, &o, SHMRING_PRODUCER | SHMRING_CONSUMER, &r), 0);
	cr_assert_eq(signal_storm(SIG_PERIOD_NS, &t), 0, "timer: %s", strerror(errno));
	for (int spin = 0; spin < 2; spin++) {
		shmring_set_spin(r, spin ? SHMRING_DEFAULT_SPIN_NS : 0);
		for (int dir = 0; dir < 2; dir++) {
			if (dir == 1)
				while (shmring_try_send(r, buf, sizeof(buf)) == 0)
					;
			for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
				struct timed *x = &res[nres++];
				sig_atomic_t s0 = nsig;
				int64_t t0 = tu_now_ns();

				x->what = dir ? "send" : "recv";
				x->tmo = timeouts[i];
				x->rc = dir ? shmring_send(r, buf, sizeof(buf), x->tmo) :
					      shmring_recv(r, buf, sizeof(buf), x->tmo);
				x->el = tu_now_ns() - t0;
				x->sigs = (int)(nsig - s0);
			}
			if (dir == 1)
				while (shmring_try_recv(r, buf, sizeof(buf)) >= 0)
					;
		}
	}
	storm_stop(t);
	for (int i = 0; i < nres; i++) {
		struct timed *x = &res[i];

		cr_assert_eq(x->rc, -ETIMEDOUT, "%s(%lld ns): %s", x->what,
			     (long long)x->tmo, shmring_strerror((int)x->rc));
		cr_assert_geq(x->el, x->tmo, "%s returned after %lld of %lld ns",
			      x->what, (long long)x->el, (long long)x->tmo);
		cr_assert_lt(x->el, x->tmo + 200000000, "%s(%lld ms) took %lld ms",
			     x->what, (long long)(x->tmo / 1000000),
			     (long long)(x->el / 1000000));
		/* A busy machine delivers fewer (pending ones merge): at
		 * least one must have cut each long wait short. */
		if (x->tmo >= 100000000)
			cr_assert_gt(x->sigs, 0, "no signal came in %lld ms",
				     (long long)(x->tmo / 1000000));
	}
	cr_assert_gt(nsig, 100, "only %d signals came", (int)nsig);
	cr_log_info("%d signals taken", (int)nsig);
	shmring_close(r);
}

Test(signals, timeouts_spsc, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	timeouts_run(SHMRING_SPSC);
}

Test(signals, timeouts_mpmc, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	timeouts_run(SHMRING_MPMC);
}

/*
 * A stream through a tiny ring, both processes under a signal storm and
 * both forced to sleep (no spinning): every message arrives once, in
 * order, intact; then end of stream, not an error.
 */
struct msg {
	uint64_t seq;
	uint64_t check;
	unsigned char pad[40];
};

static uint64_t check_of(uint64_t seq)
{
	return seq * 0x9e3779b97f4a7c15ull ^ 0xabcdef;
}

static void stream_run(int kind, uint64_t n)
{
	struct shmring_opts o = { .kind = kind, .capacity = kind ? 4 : SMALL_CAP,
				  .max_msg = sizeof(struct msg) };
	const char *name = tu_name();
	struct shmring *r = NULL;
	uint64_t expect = 0, got = 0;
	ssize_t rc = 0;
	timer_t t;
	pid_t pid;

	cr_assert_eq(shmring_create(name, &o, SHMRING_CONSUMER, &r), 0);
	shmring_set_spin(r, 0);
	pid = tu_fork();
	if (pid == 0) {
		struct shmring *p = NULL;
		timer_t ct;

		if (signal_storm(SIG_PERIOD_NS, &ct) != 0)
			_exit(1);
		if (shmring_open(name, SHMRING_PRODUCER, &p) != 0)
			_exit(2);
		shmring_set_spin(p, 0);
		for (uint64_t i = 0; i < n; i++) {
			struct msg m = { .seq = i, .check = check_of(i) };
			size_t len = 16 + (size_t)(i % 41);
			int src = shmring_send(p, &m, len, -1);

			if (src != 0) {
				fprintf(stderr, "producer: send %llu: %s (%d)\n",
					(unsigned long long)i, shmring_strerror(src), src);
				_exit(3);
			}
		}
		shmring_close(p);
		_exit(nsig > 100 ? 0 : 4);
	}
	cr_assert_eq(signal_storm(SIG_PERIOD_NS, &t), 0, "timer: %s", strerror(errno));
	for (;;) {
		struct msg m;

		rc = shmring_recv(r, &m, sizeof(m), (int64_t)(20e9 * TU_SLOW));
		if (rc == -EPIPE)
			break;
		if (rc < 16 || (size_t)rc != 16 + (size_t)(expect % 41) ||
		    m.seq != expect || m.check != check_of(expect)) {
			got = m.seq;
			break;
		}
		expect++;
	}
	storm_stop(t);
	cr_assert(rc == -EPIPE, "message %llu: recv gave %zd (%s), seq %llu",
		  (unsigned long long)expect, rc,
		  rc < 0 ? shmring_strerror((int)rc) : "wrong length or bytes",
		  (unsigned long long)got);
	tu_wait_ok(pid, "producer");
	cr_assert_eq(expect, n, "%llu of %llu messages arrived",
		     (unsigned long long)expect, (unsigned long long)n);
	cr_log_info("%llu messages under %d signals here", (unsigned long long)n,
		    (int)nsig);
	cr_assert_gt(nsig, 100, "the storm did not happen");
	shmring_close(r);
}

Test(signals, stream_spsc, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	stream_run(SHMRING_SPSC, TU_SANITIZED ? 10000 : 100000);
}

Test(signals, stream_mpmc, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	stream_run(SHMRING_MPMC, TU_SANITIZED ? 10000 : 100000);
}

/* Opening a ring whose creator never finishes: the bounded wait (about a
 * second) is neither cut short nor stretched by signals. */
Test(signals, open_wait, TU_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *r = NULL;
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	int64_t t0, el;
	timer_t t;
	int rc;

	cr_assert_geq(fd, 0);
	/* A zero-filled object of a ring's size reads as INITIALISING. */
	cr_assert_eq(ftruncate(fd, 2 * TU_PAGE), 0);
	close(fd);
	cr_assert_eq(signal_storm(SIG_PERIOD_NS, &t), 0, "timer: %s", strerror(errno));
	t0 = tu_now_ns();
	rc = shmring_open(name, SHMRING_CONSUMER, &r);
	el = tu_now_ns() - t0;
	storm_stop(t);
	cr_assert_eq(rc, -EPROTO, "%s", shmring_strerror(rc));
	cr_assert(el >= 900000000 && el < 1500000000, "open gave up after %lld ms",
		  (long long)(el / 1000000));
}
