/* test_mpmc_kill.c - MPMC ring with a producer or consumer killed (SIGKILL) while it holds a claimed slot, reaped or left a zombie: survivors recover the slot in bounded time, only its message is lost, nothing is duplicated or torn, the ring keeps working, and a dead sole producer is an end of stream. */
#include "mpmc_util.h"

/*
 * The library's test hook (lib/hooks.h), called where a process holds
 * a claim. It is a hidden symbol: this program links the static library
 * (-static in tests/mpmc.mk) to reach it.
 */
#include "hooks.h"

#define CAP 8            /* slots: small, so that every phase laps the ring */
#define MAXM 64          /* max_msg */
#define PER (20 * CAP)   /* messages of each surviving producer */
#define K (3 * CAP + 3)  /* the victim parks on its K-th claim */

/*
 * Recovery must follow a death within this. The design aims at about
 * 100 ms (liveness checked every 20 ms by a side that sleeps in slices of
 * 50 ms); 1 s keeps a loaded machine from failing the test.
 */
#define RECOVERY_BOUND_NS 1000000000

/* How long the test waits for a state it expects (a hang, not a measure). */
#define SETTLE_NS ((int64_t)(5e9 * TU_SLOW))

/* ---- parking a child inside the library -------------------------------- */

static int park_where, park_at, park_calls, park_fd = -1;

/* In a child: on the park_at-th claim of the chosen kind, say so and stop. */
static void park_hook(int where)
{
	if (where != park_where)
		return;
	if (++park_calls != park_at)
		return;
	tu_signal(park_fd);
	for (;;)
		pause();
}

/* ---- children ------------------------------------------------------------ */

struct kid {
	pid_t pid;
	int ready; /* the child says it is attached */
	int go;    /* the parent lets it start */
};

struct spec {
	int role;      /* SHMRING_PRODUCER, SHMRING_CONSUMER, or both */
	uint32_t id;   /* producer: its id on the board */
	uint64_t n;    /* producer: messages to send */
	int park;      /* 0, or the hook point to park at */
	int park_at;   /* park on this call of the hook (1 = the first) */
	uint64_t stop_at; /* both roles: consume until the board has this */
};

/*
 * In a child holding both roles, which never sees an end of stream (it is
 * a producer itself): receive until the board holds @stop_at messages.
 */
static int consume_until(struct shmring *r, struct mu_board *b,
			 uint64_t stop_at)
{
	static unsigned char buf[MU_BUF];
	uint64_t last[MU_MAX_PROD];

	for (int i = 0; i < MU_MAX_PROD; i++)
		last[i] = UINT64_MAX;
	while (atomic_load(&b->received) < stop_at) {
		ssize_t n = shmring_recv(r, buf, sizeof(buf), 20000000);

		if (n >= 0)
			mu_take(b, buf, (size_t)n, last);
		else if (n != -ETIMEDOUT)
			return mu_fail(30, "recv", (int)n);
	}
	return 0;
}

static struct kid kids[8];
static int nkids;
static int park_pipe[2];

/*
 * Fork a child that attaches in its role, says ready, waits for go, then
 * produces or consumes (until end of stream); returns once it is attached.
 */
static struct kid *spawn(const char *name, struct mu_board *b,
			 struct spec s)
{
	struct kid *k;
	int ready[2], go[2];

	cr_assert_lt(nkids, (int)(sizeof(kids) / sizeof(kids[0])));
	k = &kids[nkids++];
	k->ready = k->go = -1;
	tu_pipe(ready);
	tu_pipe(go);
	k->pid = tu_fork();
	if (k->pid == 0) {
		struct shmring *r;
		int rc;

		close(ready[0]);
		close(go[1]);
		r = mu_child_open(name, s.role, SHMRING_DEFAULT_SPIN_NS);
		tu_signal(ready[1]);
		if (tu_await(go[0]) != 0)
			_exit(96);
		if (s.park) {
			park_where = s.park;
			park_at = s.park_at;
			park_fd = park_pipe[1];
			shmring_test_hook = park_hook;
		}
		if (s.role == SHMRING_PRODUCER)
			rc = mu_produce(r, s.id, 0, s.n, MAXM, MU_COPY);
		else if (s.role == SHMRING_CONSUMER)
			rc = mu_consume(r, b, MU_COPY);
		else
			rc = consume_until(r, b, s.stop_at);
		if (s.park)
			_exit(90); /* it should never have come back */
		shmring_close(r);
		_exit(rc);
	}
	close(ready[1]);
	close(go[0]);
	k->ready = ready[0];
	k->go = go[1];
	cr_assert_eq(tu_await(k->ready), 0, "child %ld died before it attached",
		     (long)k->pid);
	return k;
}

static void kid_go(struct kid *k)
{
	cr_assert_eq(tu_write_all(k->go, "!", 1), 0, "go: %s", strerror(errno));
}

static void kill_init(void)
{
	tu_init();
	nkids = 0;
	park_pipe[0] = park_pipe[1] = -1;
}

static void kill_fini(void)
{
	tu_fini();
	for (int i = 0; i < nkids; i++) {
		if (kids[i].ready >= 0)
			close(kids[i].ready);
		if (kids[i].go >= 0)
			close(kids[i].go);
	}
	nkids = 0;
	for (int i = 0; i < 2; i++)
		if (park_pipe[i] >= 0)
			close(park_pipe[i]);
}

/*
 * Once every child is forked, the parent gives up its write end of the
 * park pipe: a victim that leaves without parking then ends the parent's
 * wait with a failed read, not a hang.
 */
static void park_seal(void)
{
	close(park_pipe[1]);
	park_pipe[1] = -1;
}

#define KILL_FIXTURE .init = kill_init, .fini = kill_fini

/* ---- deaths -------------------------------------------------------------- */

/* State letter of a process from /proc/PID/stat, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * SIGKILL a parked child and return, on CLOCK_MONOTONIC, when it is dead:
 * reaped, or (reap false) a zombie nobody has waited for, which survivors
 * must still see as dead.
 */
static int64_t kill_parked(struct kid *k, bool reap)
{
	cr_assert_eq(kill(k->pid, SIGKILL), 0, "kill: %s", strerror(errno));
	if (reap) {
		int st = tu_wait(k->pid);

		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			  "victim ended with status %#x", st);
	} else {
		siginfo_t si;
		int rc;

		memset(&si, 0, sizeof(si));
		do
			rc = waitid(P_PID, (id_t)k->pid, &si,
				    WEXITED | WNOWAIT);
		while (rc < 0 && errno == EINTR);
		cr_assert_eq(rc, 0, "waitid: %s", strerror(errno));
		cr_assert_eq(si.si_code, CLD_KILLED);
		cr_assert_eq(proc_state(k->pid), 'Z', "victim is no zombie");
	}
	return tu_now_ns();
}

/* Reap a victim left a zombie; it must have died of the SIGKILL. */
static void reap_zombie(struct kid *k)
{
	int st = tu_wait(k->pid);

	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		  "victim ended with status %#x", st);
}

/* Wait (bounded) until the board has received at least n; returns when. */
static int64_t await_received(struct mu_board *b, uint64_t n)
{
	int64_t end = tu_now_ns() + SETTLE_NS;
	struct timespec ms = { 0, 200000 };

	while (atomic_load(&b->received) < n) {
		cr_assert_lt(tu_now_ns(), end,
			     "stuck at %llu messages received, waiting for %llu",
			     (unsigned long long)atomic_load(&b->received),
			     (unsigned long long)n);
		nanosleep(&ms, NULL);
	}
	return tu_now_ns();
}

/* Wait (bounded) until the ring holds @n slots. */
static void await_used(struct shmring *mon, size_t n)
{
	int64_t end = tu_now_ns() + SETTLE_NS;
	struct timespec ms = { 0, 200000 };

	while (tu_info(mon).used != n) {
		cr_assert_lt(tu_now_ns(), end, "ring holds %zu slots, not %zu",
			     tu_info(mon).used, n);
		nanosleep(&ms, NULL);
	}
}

static void report(const char *what, int64_t ns)
{
	printf("%s: recovered %.1f ms after the death\n", what, (double)ns / 1e6);
	fflush(stdout);
	cr_assert_lt(ns, RECOVERY_BOUND_NS, "%s: recovery took %.1f ms", what,
		     (double)ns / 1e6);
}

/*
 * After the test proper: a new producer and consumer move 10 laps of
 * messages through every slot, so no slot was left wedged or skipped
 * for good.
 */
static void still_works(const char *name)
{
	struct shmring *r = tu_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER);
	unsigned char buf[MAXM];

	for (uint64_t i = 0; i < 10 * CAP; i++) {
		ssize_t n;

		tu_fill(buf, (size_t)(i % MAXM), i);
		cr_assert_eq(shmring_try_send(r, buf, (size_t)(i % MAXM)), 0,
			     "message %llu of the laps after", (unsigned long long)i);
		if (i % CAP != CAP - 1)
			continue;
		for (uint64_t j = i + 1 - CAP; j <= i; j++) {
			n = shmring_try_recv(r, buf, sizeof(buf));
			cr_assert_eq(n, (ssize_t)(j % MAXM), "lap message %llu: %zd",
				     (unsigned long long)j, n);
			cr_assert_eq(tu_check(buf, (size_t)n, j), 0);
		}
	}
	cr_assert_eq(tu_info(r).used, 0);
	cr_assert_eq(shmring_close(r), 0);
}

/* ---- a producer killed between claim and publish -------------------------- */

/*
 * Two consumers wait; the victim producer sends K - 1 messages and parks
 * holding position K - 1, claimed and unpublished. Two surviving
 * producers then fill the ring behind it and block: nothing passes the
 * hole. The victim is killed; a survivor must turn the hole into a skip,
 * after which the survivors send all PER messages each (many laps) and
 * the consumers see an end of stream when they are done.
 */
static void producer_killed(const char *what, bool reap, bool victim_last,
			    bool both_roles)
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, CAP, MAXM, 0);
	struct mu_board *b = mu_board_new(3, PER);
	struct spec sv = { .role = SHMRING_PRODUCER, .id = 0, .n = PER,
			   .park = HOOK_PRODUCER_CLAIMED, .park_at = K };
	struct spec cons = { .role = SHMRING_CONSUMER };
	uint64_t sent[3] = { K, PER, PER };
	uint64_t lost[3] = { K - 1, UINT64_MAX, UINT64_MAX };
	struct kid *c1, *c2, *v = NULL, *s1, *s2;

	/* Consumers that are producers too wait for the count instead of
	 * an end of stream. */
	if (both_roles) {
		cons.role = SHMRING_PRODUCER | SHMRING_CONSUMER;
		cons.stop_at = K - 1 + 2 * PER;
	}
	int64_t dead, back;

	tu_pipe(park_pipe);
	c1 = spawn(name, b, cons);
	c2 = spawn(name, b, cons);
	kid_go(c1);
	kid_go(c2);
	if (!victim_last)
		v = spawn(name, b, sv);
	s1 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 1, .n = PER });
	s2 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 2, .n = PER });
	if (victim_last)
		v = spawn(name, b, sv);
	park_seal();

	kid_go(v);
	cr_assert_eq(tu_await(park_pipe[0]), 0, "the victim never parked");
	await_received(b, K - 1);
	kid_go(s1);
	kid_go(s2);
	/* The survivors fill the ring behind the hole and block. */
	await_used(mon, CAP);
	cr_assert_eq(atomic_load(&b->received), K - 1,
		     "a message passed the victim's unpublished slot");

	dead = kill_parked(v, reap);
	back = await_received(b, K);
	report(what, back - dead);
	if (!reap)
		cr_assert_eq(proc_state(v->pid), 'Z');

	tu_wait_ok(s1->pid, "surviving producer");
	tu_wait_ok(s2->pid, "surviving producer");
	tu_wait_ok(c1->pid, "consumer");
	tu_wait_ok(c2->pid, "consumer");
	if (!reap)
		reap_zombie(v);
	mu_board_verify(b, sent, lost);
	cr_assert_eq(tu_info(mon).producers, 0);
	still_works(name);
	cr_assert_eq(shmring_close(mon), 0);
}

Test(mpmc_kill, producer_reaped, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	producer_killed("producer_reaped", true, false, false);
}

Test(mpmc_kill, producer_zombie, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	producer_killed("producer_zombie", false, false, false);
}

/* The victim's peer entry after the survivors' in the table. */
Test(mpmc_kill, producer_reaped_attached_last, KILL_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	producer_killed("producer_reaped_attached_last", true, true, false);
}

Test(mpmc_kill, producer_zombie_attached_last, KILL_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	producer_killed("producer_zombie_attached_last", false, true, false);
}

/* The consumers hold both roles, in one handle each. */
Test(mpmc_kill, producer_reaped_both_roles, KILL_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	producer_killed("producer_reaped_both_roles", true, false, true);
}

/* ---- a consumer killed between claim and free ----------------------------- */

/*
 * The victim consumer alone receives the K messages this process sends as
 * producer 0: it takes K - 1 and parks holding the last, claimed and not
 * freed. Two surviving consumers and two producers then start: CAP - 1
 * messages pass, then the producers come round to the held slot and
 * block. The victim is killed; a survivor must free its slot, after which
 * all PER messages of each producer arrive and the consumers see an end
 * of stream.
 */
static void consumer_killed(const char *what, bool reap, bool victim_last)
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, CAP, MAXM, 0);
	struct mu_board *b = mu_board_new(3, PER);
	struct spec sv = { .role = SHMRING_CONSUMER,
			   .park = HOOK_CONSUMER_CLAIMED, .park_at = K };
	struct spec cons = { .role = SHMRING_CONSUMER };
	uint64_t sent[3] = { K, PER, PER };
	uint64_t lost[3] = { K - 1, UINT64_MAX, UINT64_MAX };
	struct kid *v = NULL, *c1, *c2, *p1, *p2;
	unsigned char buf[MAXM];
	struct shmring *p0;
	int64_t dead, back;

	tu_pipe(park_pipe);
	if (!victim_last)
		v = spawn(name, b, sv);
	c1 = spawn(name, b, cons);
	c2 = spawn(name, b, cons);
	if (victim_last)
		v = spawn(name, b, sv);
	p1 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 1, .n = PER });
	p2 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 2, .n = PER });
	park_seal();

	p0 = tu_open(name, SHMRING_PRODUCER);
	kid_go(v);
	for (uint64_t s = 0; s < K; s++) {
		size_t len = mu_make(buf, 0, s, MAXM);
		int rc = shmring_send(p0, buf, len, SETTLE_NS);

		cr_assert_eq(rc, 0, "send %llu: %s", (unsigned long long)s,
			     shmring_strerror(rc));
	}
	cr_assert_eq(tu_await(park_pipe[0]), 0, "the victim never parked");
	await_received(b, K - 1);
	cr_assert_eq(shmring_close(p0), 0);

	kid_go(c1);
	kid_go(c2);
	kid_go(p1);
	kid_go(p2);
	/* CAP - 1 messages pass, then the producers wait on the held slot. */
	await_received(b, K - 1 + CAP - 1);
	cr_assert_eq(tu_info(mon).used, 0);

	dead = kill_parked(v, reap);
	back = await_received(b, K - 1 + CAP);
	report(what, back - dead);
	if (!reap)
		cr_assert_eq(proc_state(v->pid), 'Z');

	tu_wait_ok(p1->pid, "producer");
	tu_wait_ok(p2->pid, "producer");
	tu_wait_ok(c1->pid, "surviving consumer");
	tu_wait_ok(c2->pid, "surviving consumer");
	if (!reap)
		reap_zombie(v);
	mu_board_verify(b, sent, lost);
	cr_assert_eq(tu_info(mon).consumers, 0);
	still_works(name);
	cr_assert_eq(shmring_close(mon), 0);
}

Test(mpmc_kill, consumer_reaped, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	consumer_killed("consumer_reaped", true, false);
}

Test(mpmc_kill, consumer_zombie, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	consumer_killed("consumer_zombie", false, false);
}

/* The victim's peer entry after the survivors' in the table. */
Test(mpmc_kill, consumer_reaped_attached_last, KILL_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	consumer_killed("consumer_reaped_attached_last", true, true);
}

Test(mpmc_kill, consumer_zombie_attached_last, KILL_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	consumer_killed("consumer_zombie_attached_last", false, true);
}

/* ---- the sole producer killed: end of stream ------------------------------ */

/*
 * Two consumers block on the ring; the only producer sends @before
 * messages, claims one more and dies before publishing it. The consumers
 * must take the messages, pass the hole and get -EPIPE, within the bound.
 */
static void sole_producer_killed(const char *what, bool reap, uint64_t before)
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, CAP, MAXM, 0);
	struct mu_board *b = mu_board_new(1, before + 1);
	struct spec cons = { .role = SHMRING_CONSUMER };
	uint64_t sent[1] = { before + 1 }, lost[1] = { before };
	struct kid *c1, *c2, *v;
	int64_t dead, done;

	tu_pipe(park_pipe);
	c1 = spawn(name, b, cons);
	c2 = spawn(name, b, cons);
	kid_go(c1);
	kid_go(c2);
	v = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 0, .n = before + 1,
		.park = HOOK_PRODUCER_CLAIMED, .park_at = (int)before + 1 });
	park_seal();
	kid_go(v);
	cr_assert_eq(tu_await(park_pipe[0]), 0, "the victim never parked");
	await_received(b, before);
	/* Both consumers wait on the hole, neither has seen an end. */
	tu_wait_asleep(c1->pid);
	tu_wait_asleep(c2->pid);
	cr_assert_eq(waitpid(c1->pid, NULL, WNOHANG), 0, "end of stream early");
	cr_assert_eq(waitpid(c2->pid, NULL, WNOHANG), 0, "end of stream early");

	dead = kill_parked(v, reap);
	tu_wait_ok(c1->pid, "consumer");
	tu_wait_ok(c2->pid, "consumer");
	done = tu_now_ns();
	report(what, done - dead);
	if (!reap)
		reap_zombie(v);
	mu_board_verify(b, sent, lost);
	still_works(name);
	cr_assert_eq(shmring_close(mon), 0);
}

/* Nothing was ever published: the ring is empty but for the hole. */
Test(mpmc_kill, sole_producer_reaped, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	sole_producer_killed("sole_producer_reaped", true, 0);
}

Test(mpmc_kill, sole_producer_zombie, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	sole_producer_killed("sole_producer_zombie", false, 0);
}

/* After a few laps of messages, all delivered before the end. */
Test(mpmc_kill, sole_producer_after_laps, KILL_FIXTURE,
     .timeout = TU_TIMEOUT(30))
{
	sole_producer_killed("sole_producer_after_laps", false, 3 * CAP + 1);
}

/* ---- deaths while traffic flows ------------------------------------------ */

#define LOAD_PER 3000 /* messages of each surviving producer */

/*
 * Assert that of producer p's messages [0, sent[p]) exactly one, of any
 * producer, is missing, and nothing else went wrong: the lost message of
 * a consumer that died holding a slot nobody can name in advance.
 */
static void verify_one_lost(struct mu_board *b, const uint64_t *sent)
{
	uint64_t missing = 0, total = 0;

	cr_assert_eq(atomic_load(&b->dups), 0, "%llu duplicated messages",
		     (unsigned long long)atomic_load(&b->dups));
	cr_assert_eq(atomic_load(&b->torn), 0, "%llu torn messages",
		     (unsigned long long)atomic_load(&b->torn));
	cr_assert_eq(atomic_load(&b->unordered), 0);
	cr_assert_eq(atomic_load(&b->unknown), 0);
	for (uint32_t p = 0; p < b->nprod; p++) {
		for (uint64_t s = 0; s < b->per_prod; s++) {
			if (mu_has(b, p, s))
				cr_assert_lt(s, sent[p], "producer %u: %llu "
					     "never sent", p,
					     (unsigned long long)s);
			else if (s < sent[p])
				missing++;
		}
		total += sent[p];
	}
	cr_assert_eq(missing, 1, "%llu messages missing, expected one",
		     (unsigned long long)missing);
	cr_assert_eq(atomic_load(&b->received), total - 1);
}

/*
 * Three producers and two consumers run at full speed; one producer
 * parks on its K-th claim and is killed at once, the others go on.
 */
Test(mpmc_kill, producer_under_load, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, CAP, MAXM, 0);
	struct mu_board *b = mu_board_new(3, LOAD_PER);
	struct spec cons = { .role = SHMRING_CONSUMER };
	uint64_t sent[3] = { K, LOAD_PER, LOAD_PER };
	uint64_t lost[3] = { K - 1, UINT64_MAX, UINT64_MAX };
	struct kid *c1, *c2, *v, *s1, *s2;

	tu_pipe(park_pipe);
	v = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 0, .n = LOAD_PER,
		.park = HOOK_PRODUCER_CLAIMED, .park_at = K });
	s1 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 1, .n = LOAD_PER });
	s2 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 2, .n = LOAD_PER });
	c1 = spawn(name, b, cons);
	c2 = spawn(name, b, cons);
	park_seal();
	kid_go(c1);
	kid_go(c2);
	kid_go(s1);
	kid_go(v);
	kid_go(s2);
	cr_assert_eq(tu_await(park_pipe[0]), 0, "the victim never parked");
	kill_parked(v, false);
	tu_wait_ok(s1->pid, "surviving producer");
	tu_wait_ok(s2->pid, "surviving producer");
	tu_wait_ok(c1->pid, "consumer");
	tu_wait_ok(c2->pid, "consumer");
	reap_zombie(v);
	mu_board_verify(b, sent, lost);
	still_works(name);
	cr_assert_eq(shmring_close(mon), 0);
}

/*
 * Two producers and three consumers; one consumer parks on its K-th
 * claim and is killed at once, while the two others and the producers
 * run at full speed: exactly one message, the one it held, is lost.
 */
Test(mpmc_kill, consumer_under_load, KILL_FIXTURE, .timeout = TU_TIMEOUT(30))
{
	const char *name = tu_name();
	struct shmring *mon = mu_create(name, CAP, MAXM, 0);
	struct mu_board *b = mu_board_new(2, LOAD_PER);
	struct spec cons = { .role = SHMRING_CONSUMER };
	uint64_t sent[2] = { LOAD_PER, LOAD_PER };
	struct kid *v, *c1, *c2, *p1, *p2;

	tu_pipe(park_pipe);
	v = spawn(name, b, (struct spec){
		.role = SHMRING_CONSUMER,
		.park = HOOK_CONSUMER_CLAIMED, .park_at = K });
	c1 = spawn(name, b, cons);
	c2 = spawn(name, b, cons);
	p1 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 0, .n = LOAD_PER });
	p2 = spawn(name, b, (struct spec){
		.role = SHMRING_PRODUCER, .id = 1, .n = LOAD_PER });
	park_seal();
	kid_go(v);
	kid_go(p1);
	kid_go(p2);
	cr_assert_eq(tu_await(park_pipe[0]), 0, "the victim never parked");
	/*
	 * The surviving consumers start once the victim has parked: started
	 * before, even one claim before, they could take every message while
	 * the victim waited for a CPU, and it would never make its K-th
	 * claim. The kill then lands among four processes at full speed.
	 */
	kid_go(c1);
	kid_go(c2);
	kill_parked(v, true);
	tu_wait_ok(p1->pid, "producer");
	tu_wait_ok(p2->pid, "producer");
	tu_wait_ok(c1->pid, "surviving consumer");
	tu_wait_ok(c2->pid, "surviving consumer");
	verify_one_lost(b, sent);
	still_works(name);
	cr_assert_eq(shmring_close(mon), 0);
}
