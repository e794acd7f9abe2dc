/*
 * bcast.c - the broadcast kind in the stress harness: the subscriber
 * role and the checks it makes on every message. The publisher is the
 * harness's producer 0 (run_producer()), unchanged but for waiting, once,
 * for the first subscribers to attach.
 *
 * Every subscriber receives every message, so unlike the other kinds the
 * record of what arrived is per subscriber, in the subscriber's own
 * memory: a killed subscriber takes it with it, and its replacement is a
 * new subscriber with a record of its own. What a subscriber must see:
 *
 * The window. A subscriber knows the range [lo, hi] its next message's
 * sequence number falls in when nothing is lost: after message s, exactly
 * s + 1. The first subscribers attach before the publisher sends anything
 * (bcast_wait_subscribers()): [0, 0]. A replacement reads the publisher's
 * "next" before it opens (n0) and after (n1): every message below n0 - 1
 * was published before it attached, every one from n1 + 1 on after, so it
 * starts in [n0, n1 + 1]. Every other replacement moves back to the
 * oldest message intact with shmring_seek(SHMRING_SEEK_OLDEST): [0, n2 + 1]
 * with n2 read after the seek (in overwrite mode the oldest message
 * intact may by then be past n1 + 1).
 *
 * On each message s, where a = the numbers in [hi, s) that a killed
 * publisher may have taken with it ("allowed missing", as for the other
 * kinds; those may or may not have reached the ring):
 *   - s below lo: duplicated if this subscriber had it, else reordered;
 *   - at least s - hi - a messages are missing, at most s - lo;
 *   - back-pressure: nothing may be missing (each missing one is lost),
 *     no -EOVERFLOW, shmring_lost() stays 0;
 *   - overwrite: shmring_lost() grew by d since the last message, with
 *     s - hi - a <= d <= s - lo (less is lost: a silent drop; more is
 *     miscounted), and d > 0 exactly when an -EOVERFLOW came since the
 *     last message (one per overtaking, none without a gap). After a seek
 *     to the oldest message, an overtaking before the first message is
 *     reported but what it skipped is not counted (a seek skips, it does
 *     not lose): that first message may follow an -EOVERFLOW with d = 0,
 *     and then owes no gap.
 * A message that arrives below lo after it was counted missing was late,
 * not lost: it moves from lost to reordered.
 * At end of stream, every number from hi to the publisher's final next,
 * but those allowed missing, is lost: the newest message is never
 * overwritten, so every subscriber drains to it, in both modes.
 *
 * Nothing here is timed: the parent's watchdog bounds every wait.
 *
 * Each rule was seen to fail a run with its protection removed from
 * lib/bcast.c: no check after the copy (torn), a gap counted one short
 * (lost), an overtaking not reported (miscounted), a publisher that does
 * not wait for room (the ring's own -EBADMSG, a child error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stress.h"

/* What one subscriber handle has seen; see the top of the file. */
struct sub {
	struct shmring *r;
	uint64_t lo, hi;        /* the window of the next message */
	bool fresh;             /* moved to the oldest: no loss counted yet */
	uint64_t overflows;     /* -EOVERFLOW since the last message */
	uint64_t lost_seen;     /* shmring_lost() at the last message */
	uint64_t unexplained;   /* counted lost by this handle, may be late */
	uint64_t *seen;         /* bit per sequence number taken */
	size_t seen_size;
	unsigned shown;         /* miscounted gaps named on stderr */
};

#define SHOW_GAPS 3

/*
 * How many of [from, to) producer 0's kills allow to be missing. The
 * parent sets the bit of s before it forks the publisher that sends
 * s + 1, and a subscriber asks only once it holds a message past s: the
 * fork and the ring's publication (release, acquired by the receive)
 * order the bit before the question.
 */
uint64_t bcast_allowed(uint64_t from, uint64_t to)
{
	uint64_t n = 0;
	while (from < to) {
		uint64_t w = atomic_load(bit_word(allow_map, 0, from));
		uint64_t bits = w >> (from % 64);
		uint64_t span = 64 - from % 64;
		if (to - from < span) {
			span = to - from;
			bits &= (UINT64_C(1) << span) - 1;
		}
		n += (uint64_t)__builtin_popcountll(bits);
		from += span;
	}
	return n;
}

/*
 * The publisher, before its first message: wait until every subscriber
 * has attached once, so that the first ones see the whole stream. A
 * replacement publisher finds them attached already.
 */
void bcast_wait_subscribers(void)
{
	for (;;) {
		uint32_t g = atomic_load(&ctl->gen);
		unsigned c = 0;
		while (c < cfg.consumers && atomic_load(&ctl->cons[c].pid))
			c++;
		if (c == cfg.consumers)
			return;
		if (atomic_load(&ctl->abort))
			_exit(EXIT_VIOLATION);
		wait_replacement(g);
	}
}

/* n messages from @from on are missing, and the ring did not count them. */
static void add_lost(struct sub *v, uint64_t n, uint64_t from, const char *at)
{
	if (!n)
		return;
	v->unexplained += n;
	atomic_fetch_add(&ctl->bc.lost, n);
	if (!cfg.quiet && v->shown++ < SHOW_GAPS)
		fprintf(stderr, "shmring-stress[%d]: %llu missing from seq "
			"%llu on, not counted by shmring_lost(), %s\n",
			(int)getpid(), (unsigned long long)n,
			(unsigned long long)from, at);
}

static bool seen_test_set(struct sub *v, uint64_t s)
{
	uint64_t m = UINT64_C(1) << (s % 64);
	bool was = v->seen[s / 64] & m;
	v->seen[s / 64] |= m;
	return was;
}

/* s below the window: a second copy, or one that arrived late. */
static void take_late(struct sub *v, uint64_t s)
{
	if (seen_test_set(v, s)) {
		atomic_fetch_add(&ctl->duplicated, 1);
		return;
	}
	atomic_fetch_add(&ctl->reordered, 1);
	/* Counted lost when its successor came: it was late instead. */
	if (v->unexplained) {
		v->unexplained--;
		atomic_fetch_sub(&ctl->bc.lost, 1);
	}
}

/*
 * Judge a gap of between min and max messages before the one taken,
 * where shmring_lost() grew by d; see the top of the file.
 */
static void judge_gap(struct sub *v, uint64_t d, uint64_t min, uint64_t max)
{
	if (!cfg.overwrite) {
		if (d || v->overflows)
			atomic_fetch_add(&ctl->bc.miscounted, 1);
		add_lost(v, min, v->hi, "in a gap");
		return;
	}
	if (d < min) {
		char at[160];
		snprintf(at, sizeof(at), "in a gap of %llu..%llu where lost() "
			 "grew by %llu after %llu -EOVERFLOW%s%s",
			 (unsigned long long)min, (unsigned long long)max,
			 (unsigned long long)d,
			 (unsigned long long)v->overflows,
			 v->lo != v->hi ? ", first message" : "",
			 v->fresh ? ", after a seek" : "");
		add_lost(v, min - d, v->hi, at);
	}
	/*
	 * After a seek to the oldest, an overtaking before the first
	 * message is reported but counts nothing: what was skipped was
	 * never this subscriber's to lose.
	 */
	bool bad = d > max || (d > 0 && !v->overflows) ||
		   (!v->fresh && !d && v->overflows);
	if (bad) {
		atomic_fetch_add(&ctl->bc.miscounted, 1);
		/* The first few, for whoever debugs the failure. */
		if (!cfg.quiet && v->shown++ < SHOW_GAPS)
			fprintf(stderr, "shmring-stress[%d]: lost() grew by %llu"
				" over a gap of %llu..%llu after %llu "
				"-EOVERFLOW\n", (int)getpid(),
				(unsigned long long)d, (unsigned long long)min,
				(unsigned long long)max,
				(unsigned long long)v->overflows);
	}
	atomic_fetch_add(&ctl->bc.overwritten, d);
}

static void take(struct sub *v, uint64_t s)
{
	if (s < v->lo) {
		take_late(v, s);
		return;
	}
	uint64_t lost;
	int ret = shmring_lost(v->r, &lost);
	if (ret)
		die_child("shmring_lost", ret);
	uint64_t min = 0;
	if (s > v->hi && !(v->fresh && v->overflows))
		min = s - v->hi - bcast_allowed(v->hi, s);
	judge_gap(v, lost - v->lost_seen, min, s - v->lo);
	seen_test_set(v, s);
	v->lost_seen = lost;
	v->lo = v->hi = s + 1;
	v->fresh = false;
	v->overflows = 0;
}

/* End of stream: everything from the window to the last message is due. */
static void take_end(struct sub *v)
{
	uint64_t end = atomic_load(&ctl->prod[0].next);
	if (end > v->hi)
		add_lost(v, end - v->hi - bcast_allowed(v->hi, end), v->hi,
			 "at the end");
}

/* Attach, and set the window; see the top of the file. */
static void sub_open(struct sub *v, uint32_t c)
{
	struct cons_state *cs = &ctl->cons[c];
	bool first = atomic_load(&cs->pid) == 0;
	/*
	 * Sequentially consistent, as the harness's accounting is: n0 and
	 * n1 pair with the publisher's store of next after each send
	 * (step 3). n1 read after the attach means the store of n1 + 1,
	 * and so the send of message n1 + 1 after it, came later.
	 */
	uint64_t n0 = atomic_load(&ctl->prod[0].next);
	v->r = child_open(SHMRING_CONSUMER, &cs->pid);
	uint64_t n1 = atomic_load(&ctl->prod[0].next);
	v->seen_size = (size_t)bitmap_words * 8;
	void *m = mmap(NULL, v->seen_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		die_child("mmap", -errno);
	v->seen = m;
	if (first)
		return; /* [0, 0] */
	v->lo = n0;
	v->hi = n1 + 1;
	/* Every other replacement replays what the ring still holds. */
	if (mix64(cfg.seed ^ n0 ^ c) & 1) {
		int ret = shmring_seek(v->r, SHMRING_SEEK_OLDEST);
		if (ret)
			die_child("shmring_seek", ret);
		v->lo = 0;
		/*
		 * The seek may have skipped messages published after n1,
		 * if the ring turned over meanwhile: it skips, it does not
		 * lose. What is due is what comes after it.
		 */
		v->hi = atomic_load(&ctl->prod[0].next) + 1;
		v->fresh = true;
	}
}

int run_subscriber(uint32_t c)
{
	struct cons_state *cs = &ctl->cons[c];
	struct sub v = { 0 };
	sub_open(&v, c);
	size_t cap = cfg.max_size;
	unsigned char *buf = malloc(cap);
	if (!buf)
		die_child("malloc", -ENOMEM);
	bool done_seen = false;
	for (;;) {
		uint32_t g = atomic_load(&ctl->gen);
		ssize_t n = recv_one(v.r, buf, cap);
		if (n == -EOVERFLOW) {
			v.overflows++;
			atomic_fetch_add(&ctl->bc.overflows, 1);
			continue;
		}
		if (n < 0) {
			if (n != -EPIPE)
				die_child("shmring_recv", n);
			if (eos_final(&done_seen, g))
				break;
			continue;
		}
		uint32_t p;
		uint64_t seq;
		if (msg_check(buf, (size_t)n, ctl->limit, &p, &seq)) {
			atomic_fetch_add(&ctl->torn, 1);
			continue;
		}
		take(&v, seq);
		atomic_fetch_add_explicit(&cs->received, 1,
					  memory_order_relaxed);
	}
	take_end(&v);
	atomic_store(&cs->finished, 1);
	shmring_close(v.r);
	munmap(v.seen, v.seen_size);
	free(buf);
	return EXIT_PASS;
}
