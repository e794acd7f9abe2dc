/* test_multiproc.c - a producer and a consumer process pass 10^7 messages of random sizes, each checked for sequence and checksum, with spinning and with futex sleeping on both sides. */
#define TU_OWN_MAIN
#include "testutil.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/uio.h>

#define CAP ((size_t)1 << 16)
#define MAX_MSG 4096u
#define SMALL_MAX 200u
/* Generous per-call bound: a lost wake-up shows as -ETIMEDOUT, not a hang. */
#define OP_TIMEOUT_NS ((int64_t)(10e9 * TU_SLOW))

/* How long one call may take before it counts as a stall in the report. */
#define STALL_NS 50000000

struct regime {
	const char *name;
	uint64_t n;          /* messages */
	uint64_t spin;       /* spin before sleeping, both sides */
	unsigned prod_every; /* producer pauses every this many messages (0: never) */
	unsigned cons_every; /* consumer likewise */
	long pause_ns;
	int bursts;          /* also use the burst and zero-copy calls */
	/* Voluntary context switches (sleeps) the side that never pauses
	 * must show at least: proof that the regime really sleeps. */
	long min_sleeps;
};

/*
 * The producer and the consumer draw message lengths from the same
 * sequence, so the consumer knows what each message must be. A message of
 * 12 bytes or more carries its sequence number first and FNV-1a of the
 * rest last; a shorter one is the pattern of its sequence number.
 */
static size_t msg_len(uint64_t *rng)
{
	uint64_t v = tu_splitmix(rng);

	if ((v & 1023) == 0)
		return 1 + (size_t)(v >> 32) % MAX_MSG;
	return 1 + (size_t)(v >> 32) % SMALL_MAX;
}

static void msg_make(unsigned char *p, size_t len, uint64_t seq)
{
	uint32_t h;

	if (len < 12) {
		tu_fill(p, len, seq);
		return;
	}
	memcpy(p, &seq, 8);
	for (size_t i = 8; i < len - 4; i++)
		p[i] = (unsigned char)(seq * 31 + i);
	h = tu_fnv1a(p, len - 4);
	memcpy(p + len - 4, &h, 4);
}

/* 0 if p is message seq of length len; else what is wrong, 1..3. */
static int msg_check(const unsigned char *p, size_t len, uint64_t seq)
{
	uint64_t s;
	uint32_t h;

	if (len < 12)
		return tu_check(p, len, seq) ? 1 : 0;
	memcpy(&s, p, 8);
	if (s != seq)
		return 2;
	memcpy(&h, p + len - 4, 4);
	return h == tu_fnv1a(p, len - 4) ? 0 : 3;
}

/*
 * The slow side's pause: first wait until the other side has gone to sleep
 * (its futex sleeps, summed in the header's counters, went up), then pause
 * a little more. A bare timed pause proved nothing on a loaded machine: the
 * other side, descheduled, might not fill or drain the ring in time, and
 * then never sleeps. The wait ends early if the other side has gone (it
 * sent everything and closed) and after 2 s in any case, which the count
 * of sleeps checked at the end would then show.
 */
static void pause_until_peer_sleeps(struct shmring *r, int peer_role, long ns)
{
	struct timespec ts = { 0, ns };
	struct shmring_stats s0, s;
	int64_t end = tu_now_ns() + 2000000000;

	if (shmring_stats(r, &s0) == 0) {
		do {
			sched_yield();
			if (shmring_stats(r, &s))
				break;
			if ((peer_role == SHMRING_PRODUCER ? s.producers : s.consumers) == 0)
				break;
		} while (s.sleeps == s0.sleeps && tu_now_ns() < end);
	}
	nanosleep(&ts, NULL);
}

/* The producer child: returns 0, or the step that failed. */
static int produce(const char *name, const struct regime *g)
{
	static unsigned char bufs[8][MAX_MSG];
	struct shmring *p = NULL;
	uint64_t rng = 1, pick = 99, seq = 0;

	if (shmring_open(name, SHMRING_PRODUCER, &p))
		return 10;
	shmring_set_spin(p, g->spin);
	while (seq < g->n) {
		uint64_t v = g->bursts ? tu_splitmix(&pick) : 0;
		int rc;

		if (g->prod_every && seq % g->prod_every == 0)
			pause_until_peer_sleeps(p, SHMRING_CONSUMER, g->pause_ns);
		if (v % 4 == 1) {
			/* Zero-copy: reserve the most, commit the real length. */
			size_t len = msg_len(&rng);
			void *dst = NULL;

			rc = shmring_reserve(p, MAX_MSG, &dst, OP_TIMEOUT_NS);
			if (rc)
				return 11;
			msg_make(dst, len, seq);
			if (shmring_commit(p, len))
				return 12;
			seq++;
		} else if (v % 4 == 2) {
			struct iovec iov[8];
			size_t k = 1 + (size_t)(v >> 8) % 8, done = 0;

			if (k > g->n - seq)
				k = (size_t)(g->n - seq);
			for (size_t i = 0; i < k; i++) {
				iov[i].iov_len = msg_len(&rng);
				iov[i].iov_base = bufs[i];
				msg_make(bufs[i], iov[i].iov_len, seq + i);
			}
			while (done < k) {
				rc = shmring_send_burst(p, iov + done, k - done,
							OP_TIMEOUT_NS);
				if (rc < 1 || (size_t)rc > k - done)
					return 13;
				done += (size_t)rc;
			}
			seq += k;
		} else {
			size_t len = msg_len(&rng);

			msg_make(bufs[0], len, seq);
			rc = shmring_send(p, bufs[0], len, OP_TIMEOUT_NS);
			if (rc)
				return 14;
			seq++;
		}
	}
	if (shmring_close(p))
		return 15;
	return 0;
}

struct cstats {
	uint64_t stalls;
	int64_t worst;
};

static void timed_op_end(struct cstats *st, int64_t t0)
{
	int64_t el = tu_now_ns() - t0;

	if (el > STALL_NS)
		st->stalls++;
	if (el > st->worst)
		st->worst = el;
}

static void run_regime(const struct regime *g)
{
	static unsigned char bufs[8][MAX_MSG];
	const char *name = tu_name();
	struct shmring *c = tu_create(name, CAP, MAX_MSG, 0);
	struct cstats st = { 0, 0 };
	struct rusage ru0, ru1, pru;
	uint64_t rng = 1, pick = 7, seq = 0;
	long psleeps, csleeps;
	int wst = 0;
	int64_t t0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(shmring_close(c), 0);
	getrusage(RUSAGE_SELF, &ru0);
	t0 = tu_now_ns();
	pid = tu_fork();
	if (pid == 0)
		_exit(produce(name, g));
	c = tu_open(name, SHMRING_CONSUMER);
	cr_assert_eq(shmring_set_spin(c, g->spin), 0);
	while (seq < g->n) {
		uint64_t v = g->bursts ? tu_splitmix(&pick) : 0;
		int64_t op0;

		if (g->cons_every && seq % g->cons_every == 0)
			pause_until_peer_sleeps(c, SHMRING_PRODUCER, g->pause_ns);
		op0 = tu_now_ns();
		if (v % 4 == 1) {
			const void *m = NULL;
			size_t len = msg_len(&rng);

			n = shmring_peek(c, &m, OP_TIMEOUT_NS);
			timed_op_end(&st, op0);
			if (n != (ssize_t)len)
				cr_assert_fail("%s: peek of message %llu: %zd, want %zu bytes",
					       g->name, (unsigned long long)seq, n, len);
			if (msg_check(m, len, seq))
				cr_assert_fail("%s: message %llu (%zu bytes) corrupt: %d",
					       g->name, (unsigned long long)seq, len,
					       msg_check(m, len, seq));
			cr_assert_eq(shmring_release(c), 0);
			seq++;
		} else if (v % 4 == 2) {
			struct iovec iov[8];
			size_t k = 1 + (size_t)(v >> 8) % 8;
			int got;

			for (size_t i = 0; i < k; i++)
				iov[i] = (struct iovec){ bufs[i], MAX_MSG };
			got = shmring_recv_burst(c, iov, k, OP_TIMEOUT_NS);
			timed_op_end(&st, op0);
			if (got < 1 || (size_t)got > k)
				cr_assert_fail("%s: recv_burst at message %llu: %d (%s)",
					       g->name, (unsigned long long)seq, got,
					       shmring_strerror(got));
			for (int i = 0; i < got; i++, seq++) {
				size_t len = msg_len(&rng);

				if (iov[i].iov_len != len || msg_check(bufs[i], len, seq))
					cr_assert_fail("%s: message %llu: %zu bytes, want %zu, check %d",
						       g->name, (unsigned long long)seq,
						       iov[i].iov_len, len,
						       msg_check(bufs[i], len, seq));
			}
		} else {
			size_t len = msg_len(&rng);

			n = shmring_recv(c, bufs[0], MAX_MSG, OP_TIMEOUT_NS);
			timed_op_end(&st, op0);
			if (n != (ssize_t)len || msg_check(bufs[0], len, seq))
				cr_assert_fail("%s: message %llu: %zd (%s), want %zu bytes, check %d",
					       g->name, (unsigned long long)seq, n,
					       n < 0 ? shmring_strerror((int)n) : "length",
					       len, n == (ssize_t)len ? msg_check(bufs[0], len, seq) : -1);
			seq++;
		}
	}
	/* All sent, all taken: the producer's close is the end of the stream. */
	n = shmring_recv(c, bufs[0], MAX_MSG, OP_TIMEOUT_NS);
	cr_assert_eq(n, -EPIPE, "%s: after the last message: %zd (%s)", g->name, n,
		     shmring_strerror((int)n));
	getrusage(RUSAGE_SELF, &ru1);
	cr_assert_eq(wait4(pid, &wst, 0, &pru), pid, "wait4: %s", strerror(errno));
	tu_forget_kid(pid);
	cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0,
		  "%s: producer child failed: %s %d", g->name,
		  WIFEXITED(wst) ? "step" : "signal",
		  WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst));
	psleeps = pru.ru_nvcsw;
	csleeps = ru1.ru_nvcsw - ru0.ru_nvcsw;
	fprintf(stderr, "%s: %llu messages in %.2f s; %llu calls over %d ms, worst %.1f ms; "
		"sleeps: producer %ld, consumer %ld\n",
		g->name, (unsigned long long)g->n, (double)(tu_now_ns() - t0) / 1e9,
		(unsigned long long)st.stalls, STALL_NS / 1000000, (double)st.worst / 1e6,
		psleeps, csleeps);
	if (g->cons_every)
		cr_assert_geq(psleeps, g->min_sleeps,
			      "%s: the producer slept only %ld times", g->name, psleeps);
	if (g->prod_every)
		cr_assert_geq(csleeps, g->min_sleeps,
			      "%s: the consumer slept only %ld times", g->name, csleeps);
	cr_assert_eq(shmring_close(c), 0);
}

/* Both sides spin before sleeping: the fast path, copy calls only. */
Test(multiproc, spin, TU_FIXTURE, .timeout = TU_TIMEOUT(90))
{
	struct regime g = {
		.name = "spin", .n = tu_scaled(10000000, 20000),
		.spin = SHMRING_DEFAULT_SPIN_NS,
	};

	run_regime(&g);
}

/*
 * No spinning, and one side pauses every 1000 messages: the other side
 * finds the ring full (or empty) and sleeps on the futex each time. These
 * two also mix in bursts and zero-copy calls, so that every call sleeps
 * and is woken.
 */
Test(multiproc, sleep_slow_consumer, TU_FIXTURE, .timeout = TU_TIMEOUT(90))
{
	struct regime g = {
		.name = "sleep, slow consumer", .n = tu_scaled(10000000, 20000),
		.spin = 0, .cons_every = 1000, .pause_ns = 50000, .bursts = 1,
	};

	g.min_sleeps = (long)(g.n / g.cons_every / 4);
	run_regime(&g);
}

Test(multiproc, sleep_slow_producer, TU_FIXTURE, .timeout = TU_TIMEOUT(90))
{
	struct regime g = {
		.name = "sleep, slow producer", .n = tu_scaled(10000000, 20000),
		.spin = 0, .prod_every = 1000, .pause_ns = 50000, .bursts = 1,
	};

	g.min_sleeps = (long)(g.n / g.prod_every / 4);
	run_regime(&g);
}

/*
 * One test at a time: each runs two busy processes, and two tests at once
 * on a 2-core machine would measure the scheduler, not the ring.
 * CRITERION_JOBS or --jobs still override this.
 */
int main(int argc, char *argv[])
{
	struct criterion_test_set *tests;
	int result = 0;

	if (TU_TSAN) {
		fputs(TU_TSAN_SKIP_MSG, stderr);
		return 77;
	}
	tests = criterion_initialize();
	criterion_options.jobs = 1;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}
