/* test_mpmc_multiproc.c - MPMC ring between processes: every message of many producers received exactly once, in each producer's order per consumer, oversubscribed runs that finish, and end of stream as producers close one by one. */
#include "mpmc_util.h"

#include <pthread.h>

/*
 * Message counts go through tu_scaled(): a sanitized build (ASan, TSan)
 * does a fiftieth of the work, SHMRING_TEST_SCALE overrides. The time
 * bounds are the tests' .timeout, scaled up under sanitizers.
 */

struct run_cfg {
	const char *what;
	int nprod, ncons;
	uint64_t total; /* messages, over all producers */
	size_t slots, max_msg;
	uint64_t spin_ns;
};

/* Producers and consumers each use one of the three ways to move data. */
static enum mu_mode mode_of(int i)
{
	static const enum mu_mode modes[] = { MU_COPY, MU_BURST, MU_ZERO };

	return modes[i % 3];
}

/*
 * Run nprod producers and ncons consumers, each a process of its own,
 * started together; every producer sends total / nprod messages and
 * closes; every consumer receives until end of stream. Then every message
 * must have been received exactly once.
 */
static void run(const struct run_cfg *c)
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, c->slots, c->max_msg, 0);
	uint64_t per = c->total / (uint64_t)c->nprod;
	struct mu_board *b = mu_board_new((uint32_t)c->nprod, per);
	uint64_t sent[MU_MAX_PROD], lost[MU_MAX_PROD];
	pid_t prod[MU_MAX_PROD], cons[MU_MAX_PROD];
	size_t max = tu_info(mon).max_msg;
	struct mu_gate g;
	int64_t t0, dt;

	cr_assert_leq(c->nprod, MU_MAX_PROD);
	cr_assert_leq(c->ncons, MU_MAX_PROD);
	mu_gate_init(&g);
	for (int i = 0; i < c->ncons; i++) {
		cons[i] = tu_fork();
		if (cons[i] == 0) {
			struct shmring *r = mu_child_open(name, SHMRING_CONSUMER,
							  c->spin_ns);
			int rc;

			mu_gate_pass(&g);
			rc = mu_consume(r, b, mode_of(i));
			shmring_close(r);
			_exit(rc);
		}
		g.n++;
	}
	for (int i = 0; i < c->nprod; i++) {
		prod[i] = tu_fork();
		if (prod[i] == 0) {
			struct shmring *r = mu_child_open(name, SHMRING_PRODUCER,
							  c->spin_ns);
			int rc;

			mu_gate_pass(&g);
			rc = mu_produce(r, (uint32_t)i, 0, per, max,
					mode_of(i + 1));
			shmring_close(r);
			_exit(rc);
		}
		g.n++;
	}
	t0 = tu_now_ns();
	mu_gate_open(&g);
	for (int i = 0; i < c->nprod; i++)
		tu_wait_ok(prod[i], "producer");
	for (int i = 0; i < c->ncons; i++)
		tu_wait_ok(cons[i], "consumer");
	dt = tu_now_ns() - t0;
	for (int i = 0; i < c->nprod; i++) {
		sent[i] = per;
		lost[i] = UINT64_MAX;
	}
	mu_board_verify(b, sent, lost);
	printf("%s: %dP x %dC, %llu messages in %.3f s (%.0f msg/s)\n", c->what,
	       c->nprod, c->ncons, (unsigned long long)(per * (uint64_t)c->nprod),
	       (double)dt / 1e9, (double)(per * (uint64_t)c->nprod) * 1e9 / (double)dt);
	fflush(stdout);
	mu_gate_close(&g);
	cr_assert_eq(shmring_close(mon), 0);
}

Test(mpmc_multiproc, exactly_once_4x4, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	struct run_cfg c = {
		.what = "exactly_once_4x4", .nprod = 4, .ncons = 4,
		.total = tu_scaled(1000000, 4000), .slots = 256, .max_msg = 128,
		.spin_ns = SHMRING_DEFAULT_SPIN_NS,
	};

	run(&c);
}

/* More processes than CPUs: spinning alone would never finish. */
Test(mpmc_multiproc, oversubscribed_8x8, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	struct run_cfg c = {
		.what = "oversubscribed_8x8", .nprod = 8, .ncons = 8,
		.total = tu_scaled(200000, 4000), .slots = 64, .max_msg = 0,
		.spin_ns = SHMRING_DEFAULT_SPIN_NS,
	};

	run(&c);
}

Test(mpmc_multiproc, oversubscribed_8x8_nospin, TU_FIXTURE,
     .timeout = TU_TIMEOUT(60))
{
	struct run_cfg c = {
		.what = "oversubscribed_8x8_nospin", .nprod = 8, .ncons = 8,
		.total = tu_scaled(200000, 4000), .slots = 64, .max_msg = 0,
		.spin_ns = 0,
	};

	run(&c);
}

/* A small ring: producers wait for room as often as consumers for data. */
Test(mpmc_multiproc, small_ring_3x5, TU_FIXTURE, .timeout = TU_TIMEOUT(60))
{
	struct run_cfg c = {
		.what = "small_ring_3x5", .nprod = 3, .ncons = 5,
		.total = tu_scaled(60000, 3000), .slots = 4, .max_msg = 48,
		.spin_ns = SHMRING_DEFAULT_SPIN_NS,
	};

	run(&c);
}

/* ---- threads of one process, each with its handle --------------------- */

struct thr {
	pthread_t t;
	struct shmring *r;
	struct mu_board *b;
	uint32_t id;
	uint64_t n;
	size_t max;
	int role;
	int rc;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;

	if (t->role == SHMRING_PRODUCER)
		t->rc = mu_produce(t->r, t->id, 0, t->n, t->max, mode_of((int)t->id));
	else
		t->rc = mu_consume(t->r, t->b, mode_of((int)t->id));
	/* Closing is what ends the stream for the consumers. */
	shmring_close(t->r);
	return NULL;
}

/*
 * Producers and consumers as threads of this process, one handle each,
 * and as many again in a child process: peers that share a pid.
 */
Test(mpmc_multiproc, threads_and_processes, TU_FIXTURE,
     .timeout = TU_TIMEOUT(60))
{
	enum { NT = 3 }; /* producer threads, consumer threads, per process */
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, 64, 96, 0);
	uint64_t per = tu_scaled(50000, 1000);
	struct mu_board *b = mu_board_new(2 * NT, per);
	uint64_t sent[2 * NT], lost[2 * NT];
	struct thr th[2 * NT];
	struct mu_gate g;
	pid_t kid;

	mu_gate_init(&g);
	kid = tu_fork();
	if (kid == 0) {
		/* The same, in another process, producers NT..2NT-1. */
		int rc = 0;

		for (int i = 0; i < 2 * NT; i++) {
			th[i] = (struct thr){ .b = b, .id = (uint32_t)(NT + i % NT),
					      .n = per, .max = 96,
					      .role = i < NT ? SHMRING_PRODUCER :
							       SHMRING_CONSUMER };
			th[i].r = mu_child_open(name, th[i].role,
						SHMRING_DEFAULT_SPIN_NS);
		}
		mu_gate_pass(&g);
		for (int i = 0; i < 2 * NT; i++)
			if (pthread_create(&th[i].t, NULL, thr_main, &th[i]))
				_exit(93);
		for (int i = 0; i < 2 * NT; i++) {
			pthread_join(th[i].t, NULL);
			if (th[i].rc && !rc)
				rc = th[i].rc;
		}
		_exit(rc);
	}
	g.n = 1;
	/* Every handle opens before any thread starts: no consumer may see
	 * an end of stream before every producer has attached. */
	for (int i = 0; i < 2 * NT; i++) {
		th[i] = (struct thr){ .b = b, .id = (uint32_t)(i % NT), .n = per,
				      .max = 96,
				      .role = i < NT ? SHMRING_PRODUCER :
						       SHMRING_CONSUMER };
		th[i].r = tu_open(name, th[i].role);
	}
	mu_gate_open(&g);
	for (int i = 0; i < 2 * NT; i++)
		cr_assert_eq(pthread_create(&th[i].t, NULL, thr_main, &th[i]), 0);
	for (int i = 0; i < 2 * NT; i++) {
		pthread_join(th[i].t, NULL);
		cr_assert_eq(th[i].rc, 0, "%s thread %d failed at step %d",
			     i < NT ? "producer" : "consumer", i % NT, th[i].rc);
	}
	tu_wait_ok(kid, "process of threads");
	for (int i = 0; i < 2 * NT; i++) {
		sent[i] = per;
		lost[i] = UINT64_MAX;
	}
	mu_board_verify(b, sent, lost);
	cr_assert_eq(tu_info(mon).producers, 0);
	cr_assert_eq(tu_info(mon).consumers, 0);
	mu_gate_close(&g);
	cr_assert_eq(shmring_close(mon), 0);
}

/* ---- end of stream as producers leave one by one ---------------------- */

#define EOS_N 100
#define EOS_PROD 4 /* three children, then one late producer */

/* A producer child: attach, wait for go, send EOS_N messages, close. */
static pid_t eos_producer(const char *name, uint32_t id, int ready, int go[2])
{
	pid_t pid = tu_fork();

	if (pid == 0) {
		struct shmring *r = mu_child_open(name, SHMRING_PRODUCER,
						  SHMRING_DEFAULT_SPIN_NS);
		int rc;

		close(go[1]);
		tu_signal(ready);
		if (tu_await(go[0]) != 0)
			_exit(96);
		rc = mu_produce(r, id, 0, EOS_N, 64, MU_COPY);
		shmring_close(r);
		_exit(rc);
	}
	close(go[0]);
	return pid;
}

/*
 * Take every message queued now, alternating between two consumers, until
 * the ring says @end (-EAGAIN: empty; -EPIPE: end of stream).
 */
static uint64_t drain2(struct shmring *c1, struct shmring *c2, int end,
		       struct mu_board *b, uint64_t *last)
{
	static unsigned char buf[MU_BUF];
	uint64_t n = 0;

	for (;;) {
		struct shmring *c = n % 2 ? c2 : c1;
		ssize_t got = shmring_try_recv(c, buf, sizeof(buf));

		if (got == end)
			return n;
		cr_assert_geq(got, 0, "try_recv after %llu: %s, not %s",
			      (unsigned long long)n, shmring_strerror((int)got),
			      shmring_strerror(end));
		mu_take(b, buf, (size_t)got, last);
		n++;
	}
}

Test(mpmc_multiproc, eos_producers_one_by_one, TU_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	static unsigned char buf[MU_BUF];
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, 256, 64, 0);
	struct shmring *c1 = tu_open(name, SHMRING_CONSUMER);
	struct shmring *c2 = tu_open(name, SHMRING_CONSUMER);
	struct mu_board *b = mu_board_new(EOS_PROD, 2 * EOS_N);
	uint64_t sent[EOS_PROD], lost[EOS_PROD], last[MU_MAX_PROD];
	int ready[2], go[3][2], c3_ready[2];
	struct shmring *late;
	pid_t prod[3], c3;
	ssize_t n;

	for (int i = 0; i < MU_MAX_PROD; i++)
		last[i] = UINT64_MAX;
	tu_pipe(ready);
	for (int i = 0; i < 3; i++) {
		tu_pipe(go[i]);
		prod[i] = eos_producer(name, (uint32_t)i, ready[1], go[i]);
	}
	for (int i = 0; i < 3; i++)
		cr_assert_eq(tu_await(ready[0]), 0, "producer %d not ready", i);
	cr_assert_eq(tu_info(mon).producers, 3);

	/* Two of three leave, one after the other: no end of stream yet. */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(tu_write_all(go[i][1], "!", 1), 0);
		tu_wait_ok(prod[i], "producer");
		cr_assert_eq(tu_info(mon).producers, (unsigned)(2 - i));
		cr_assert_eq(drain2(c1, c2, -EAGAIN, b, last), EOS_N,
			     "after producer %d closed", i);
		cr_assert_eq(shmring_try_recv(c1, buf, sizeof(buf)), -EAGAIN);
		cr_assert_eq(shmring_try_recv(c2, buf, sizeof(buf)), -EAGAIN);
		n = shmring_recv(c1, buf, sizeof(buf), 20000000);
		cr_assert_eq(n, -ETIMEDOUT, "with a producer left: %zd", n);
	}

	/* A consumer process blocked on the empty ring when the last one
	 * leaves gets the end of stream too, after its share. */
	tu_pipe(c3_ready);
	c3 = tu_fork();
	if (c3 == 0) {
		struct shmring *r = mu_child_open(name, SHMRING_CONSUMER,
						  SHMRING_DEFAULT_SPIN_NS);
		int rc;

		tu_signal(c3_ready[1]);
		rc = mu_consume(r, b, MU_COPY);
		shmring_close(r);
		_exit(rc);
	}
	cr_assert_eq(tu_await(c3_ready[0]), 0, "consumer not ready");
	tu_wait_asleep(c3);
	cr_assert_eq(waitpid(c3, NULL, WNOHANG), 0,
		     "a consumer left while a producer was attached");
	cr_assert_eq(tu_write_all(go[2][1], "!", 1), 0);
	tu_wait_ok(prod[2], "producer");
	for (;;) {
		n = shmring_recv(c1, buf, sizeof(buf), -1);
		if (n == -EPIPE)
			break;
		cr_assert_geq(n, 0, "recv: %s", shmring_strerror((int)n));
		mu_take(b, buf, (size_t)n, last);
	}
	cr_assert_eq(shmring_recv(c2, buf, sizeof(buf), -1), -EPIPE);
	tu_wait_ok(c3, "consumer");

	/* A producer attaching after the end of stream counts again. */
	late = tu_open(name, SHMRING_PRODUCER);
	cr_assert_eq(shmring_try_recv(c1, buf, sizeof(buf)), -EAGAIN);
	cr_assert_eq(shmring_recv(c2, buf, sizeof(buf), 10000000), -ETIMEDOUT);
	for (uint64_t s = 0; s < EOS_N; s++) {
		size_t len = mu_make(buf, EOS_PROD - 1, s, 64);

		cr_assert_eq(shmring_try_send(late, buf, len), 0);
	}
	cr_assert_eq(drain2(c1, c2, -EAGAIN, b, last), EOS_N);
	/* Until it leaves too. */
	for (uint64_t s = EOS_N; s < 2 * EOS_N; s++) {
		size_t len = mu_make(buf, EOS_PROD - 1, s, 64);

		cr_assert_eq(shmring_try_send(late, buf, len), 0);
	}
	cr_assert_eq(shmring_close(late), 0);
	cr_assert_eq(drain2(c1, c2, -EPIPE, b, last), EOS_N);
	cr_assert_eq(shmring_recv(c1, buf, sizeof(buf), -1), -EPIPE);
	cr_assert_eq(shmring_recv(c2, buf, sizeof(buf), -1), -EPIPE);

	for (int i = 0; i < EOS_PROD; i++) {
		sent[i] = i == EOS_PROD - 1 ? 2 * EOS_N : EOS_N;
		lost[i] = UINT64_MAX;
	}
	mu_board_verify(b, sent, lost);
	close(ready[0]);
	close(ready[1]);
	close(c3_ready[0]);
	close(c3_ready[1]);
	for (int i = 0; i < 3; i++)
		close(go[i][1]);
	cr_assert_eq(shmring_close(c1), 0);
	cr_assert_eq(shmring_close(c2), 0);
	cr_assert_eq(shmring_close(mon), 0);
}
