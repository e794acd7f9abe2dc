/*
 * paired.c - paired trials: shmring and one other transport in one
 * process pair, taking turns in short blocks, each block of the other
 * compared with shmring's block of the same round.
 *
 * Why: on a shared or virtual machine the time a cache line takes to
 * cross between two CPUs has phases (here ~90 ns in one, ~380 ns in
 * another, flipping every 0.1 s to a few seconds). Two transports
 * measured in separate trials may each land in either phase, so the
 * ratio of their medians can swing 2-4x. Blocks of a few milliseconds,
 * back to back in the same two processes on the same two CPUs, almost
 * always share a phase; the ratio of each round's two blocks is then a
 * fair comparison, and the median of those ratios, with their spread,
 * is what the targets judge.
 *
 * A round: a phase probe (a short cache-line ping-pong, its median),
 * the two blocks (in alternating order, so that neither always goes
 * first), and the probe again. A round whose probes read more than
 * twice the fastest probe of the whole run was taken in a slow phase
 * (or the phase flipped during it): it is reported apart, and the
 * paired ratio is the median of the other rounds.
 *
 * A streaming block is a fixed number of messages, each numbered and
 * checked by the consumer, timed by the consumer; a round-trip block is
 * a fixed number of round trips, each timed, and its figure the median.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bench.h"
#include "xp.h"
#include "../util/util.h"

#define PROBE_N 256 /* round trips of one phase probe */
#define SLOW_X 2.0  /* a probe above this many times the fastest: slow */

/* The comparisons: shmring (a) against another (b). */
const struct pair pairs[NPAIRS] = {
	{ "shmring", "dpdk-spsc", TPUT },
	{ "shmring", "ck-spsc", TPUT },
	{ "shmring-burst", "dpdk-spsc-burst", TPUT },
	{ "shmring", "raw-ring", TPUT },
	{ "shmring", "dpdk-spsc", RTT },
	{ "shmring", "ck-spsc", RTT },
	{ "shmring", "raw-ring", RTT },
	{ "shmring", "raw-line", RTT },
};
struct pair_result pair_results[NPAIRS];

/* What the two workers write and the parent reads. */
struct pair_shared {
	_Alignas(LINE) _Atomic uint64_t line; /* the phase probe's line */
	_Alignas(LINE) double fig[MAX_ROUNDS][2];   /* a's, b's figure */
	double probe[MAX_ROUNDS][2];                /* before, after (ns) */
};

/* One side of a pair: its test, run and channel, and its own handles. */
struct side {
	struct test t;
	struct run run;
	const struct chan_ops *ch; /* NULL: the probe's line (raw-line) */
	bool burst;
	struct worker x;  /* this side's handles and sequence numbers */
	uint64_t seq;     /* next message number */
};

/* The trial in progress: set up by the parent, inherited by the fork. */
static struct {
	const struct pair *p;
	struct side s[2];
	struct pair_shared *sh;
	unsigned rounds;
	uint64_t block; /* messages or round trips per block */
	uint64_t probe_seq;
	struct test outer;
} pt;

/* ---------------------------------------------------------------- */
/* Sides                                                            */

static const struct chan_ops *chan_of(const struct test *t)
{
	if (!strncmp(t->name, "shmring", 7))
		return &shmring_chan;
	if (!strcmp(t->name, "raw-ring"))
		return &raw_chan;
#ifdef BENCH_WITH_DPDK
	if (!strncmp(t->name, "dpdk-spsc", 9))
		return &dpdk_chan;
#endif
	return t->ch; /* ck-spsc, and any other channel */
}

static const struct test *find_test(const char *name, enum kind kind)
{
	const struct test *any = NULL;

	for (size_t i = 0; i < ntests; i++) {
		if (strcmp(tests[i].name, name))
			continue;
		if (tests[i].kind == kind)
			return &tests[i];
		any = &tests[i];
	}
	return any;
}

/* 0, or -ENOTSUP with @why set: not built, or not a channel. */
static int side_setup(struct side *s, const char *name, enum kind kind,
		      char *why, size_t len)
{
	const struct test *t = find_test(name, kind);

	memset(s, 0, sizeof(*s));
	if (!strcmp(name, "raw-line"))
		return 0; /* the probe itself */
	if (!t || t->needs) {
		snprintf(why, len, "not built: needs %s",
			 t ? t->needs : name);
		return -ENOTSUP;
	}
	s->t = *t;
	s->t.kind = kind;
	s->t.np = s->t.nc = 1;
	s->ch = chan_of(t);
	s->burst = t->variant == V_BURST || strstr(name, "-burst");
	if (!s->ch || (s->burst && !s->ch->send_burst)) {
		snprintf(why, len, "n/a: %s has no channel", name);
		return -ENOTSUP;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* The workers                                                      */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double median_of(uint64_t *v, uint64_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2];
}

/*
 * @n round trips of one word between worker 0 (it times them) and
 * worker 1; both count them alike, so each knows the next value.
 * Returns the median, in worker 0 (0 in worker 1).
 */
static double line_pingpong(const struct run *run, const struct worker *w,
			    uint64_t n, uint64_t *samples)
{
	_Atomic uint64_t *line = &pt.sh->line;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = 2 * pt.probe_seq++ + 1, t0;

		if (w->idx == 1) {
			/* PL2: acquire, pairs with PL1 */
			while (atomic_load_explicit(line, memory_order_acquire) != v)
				spin_pause(run);
			/* PL3: release, pairs with PL4 */
			atomic_store_explicit(line, v + 1, memory_order_release);
			continue;
		}
		t0 = now_ns();
		/* PL1: release, pairs with PL2 */
		atomic_store_explicit(line, v, memory_order_release);
		/* PL4: acquire, pairs with PL3 */
		while (atomic_load_explicit(line, memory_order_acquire) != v + 1)
			spin_pause(run);
		samples[i] = now_ns() - t0;
	}
	return w->idx == 0 ? median_of(samples, n) : 0;
}

static void stamp_burst(struct side *s, unsigned char *buf, unsigned k)
{
	size_t size = s->run.size;

	for (unsigned j = 0; j < k; j++)
		stamp(buf + j * size, size, seq_of(0, s->seq + j));
	s->seq += k;
}

static void block_send(struct side *s, unsigned char *buf)
{
	size_t size = s->run.size;

	for (uint64_t i = 0; i < pt.block;) {
		unsigned k = 1;

		if (s->burst) {
			k = pt.block - i < BURST ? (unsigned)(pt.block - i) :
						    BURST;
			stamp_burst(s, buf, k);
			s->ch->send_burst(&s->x, buf, size, k);
		} else {
			stamp_burst(s, buf, 1);
			if (s->ch->send(&s->x, buf, size) < 0)
				die("%s: send failed", s->t.name);
		}
		i += k;
	}
}

/* Receive the block's messages, each checked; its msgs/s. */
static double block_recv(struct side *s, unsigned char *buf)
{
	size_t size = s->run.size;
	uint64_t got = 0, t0 = now_ns();

	while (got < pt.block) {
		unsigned n = 1;

		if (s->burst) {
			unsigned want = pt.block - got < BURST ?
						(unsigned)(pt.block - got) : BURST;

			n = s->ch->recv_burst(&s->x, buf, size, want);
		} else if (s->ch->recv(&s->x, buf, size) != (ssize_t)size) {
			die("%s: receive failed", s->t.name);
		}
		for (unsigned j = 0; j < n; j++)
			check_seq(&s->run, &s->x, buf + j * size, size);
		got += n;
	}
	return (double)got * 1e9 / (double)(now_ns() - t0);
}

/* The block's round trips; their median, in the pinger. */
static double block_rtt(const struct run *run, struct side *s,
			const struct worker *w, unsigned char *buf,
			uint64_t *samples)
{
	size_t size = s->run.size;

	if (!s->ch)
		return line_pingpong(run, w, pt.block, samples);
	for (uint64_t i = 0; i < pt.block; i++, s->seq++) {
		uint64_t t0;
		ssize_t n;

		if (w->role == R_ECHO) {
			n = s->ch->recv(&s->x, buf, size);
			if (n != (ssize_t)size || s->ch->send(&s->x, buf, size) < 0)
				die("%s: echo failed", s->t.name);
			continue;
		}
		stamp(buf, size, s->seq);
		t0 = now_ns();
		if (s->ch->send(&s->x, buf, size) < 0)
			die("%s: send failed", s->t.name);
		n = s->ch->recv(&s->x, buf, size);
		samples[i] = now_ns() - t0;
		check_echo(&s->run, buf, n < 0 ? 0 : (size_t)n, s->seq);
	}
	return w->role == R_ECHO ? 0 : median_of(samples, pt.block);
}

static void run_block(struct run *run, struct worker *w, unsigned r,
		      unsigned k, uint64_t *samples)
{
	struct side *s = &pt.s[k];
	double fig = 0;

	barrier(run, w);
	if (run->t->kind == RTT)
		fig = block_rtt(run, s, w, w->buf, samples);
	else if (w->role == R_PROD)
		block_send(s, w->buf);
	else
		fig = block_recv(s, w->buf);
	if (w->idx == 0)
		pt.sh->fig[r][k] = fig;
}

static void side_open(struct side *s, struct worker *w)
{
	s->x = *w;
	s->x.next = calloc(1, sizeof(*s->x.next));
	s->x.h[0] = s->x.h[1] = NULL;
	if (!s->x.next)
		die("out of memory");
	if (s->ch)
		s->ch->open(&s->run, &s->x);
	w->phase = s->x.phase; /* an open may have passed a barrier */
}

static void paired_work(struct run *run, struct worker *w)
{
	uint64_t n = pt.block > PROBE_N ? pt.block : PROBE_N;
	uint64_t *samples = calloc(n, sizeof(*samples));

	if (!samples)
		die("out of memory");
	side_open(&pt.s[0], w);
	side_open(&pt.s[1], w);
	for (unsigned r = 0; r < pt.rounds; r++) {
		barrier(run, w);
		pt.sh->probe[r][0] = line_pingpong(run, w, PROBE_N, samples);
		run_block(run, w, r, r & 1, samples);
		run_block(run, w, r, !(r & 1), samples);
		barrier(run, w);
		pt.sh->probe[r][1] = line_pingpong(run, w, PROBE_N, samples);
	}
	barrier(run, w); /* nobody closes while the other still reads */
	for (int k = 0; k < 2; k++)
		if (pt.s[k].ch)
			pt.s[k].ch->close(&pt.s[k].run, &pt.s[k].x);
	free(samples);
}

/* ---------------------------------------------------------------- */
/* The parent                                                       */

static int paired_prepare(struct run *run)
{
	(void)run;
	pt.sh = map_shared(sizeof(*pt.sh));
	for (int k = 0; k < 2; k++) {
		struct side *s = &pt.s[k];
		int err;

		if (!s->ch)
			continue;
		init_run(&s->run, &s->t, HEAD_SIZE);
		err = s->t.prepare ? s->t.prepare(&s->run) : 0;
		if (err < 0) {
			snprintf(run->na, sizeof(run->na), "%s", s->run.na);
			return err;
		}
	}
	current_test = pt.outer.name;
	return 0;
}

static void paired_finish(struct run *run)
{
	(void)run;
	for (int k = 0; k < 2; k++) {
		struct run *sr = &pt.s[k].run;

		if (!pt.s[k].ch)
			continue;
		if (sr->t && sr->t->finish)
			sr->t->finish(sr);
		for (int i = 0; i < RUN_RES; i++)
			res_release(sr->res[i]);
		if (sr->map)
			munmap(sr->map, sr->map_len);
		sr->map = NULL;
	}
}

static void collect(struct pair_result *pr)
{
	pr->rounds = pt.rounds;
	for (unsigned r = 0; r < pt.rounds; r++) {
		pr->a[r] = pt.sh->fig[r][0];
		pr->b[r] = pt.sh->fig[r][1];
		pr->probe[r][0] = pt.sh->probe[r][0];
		pr->probe[r][1] = pt.sh->probe[r][1];
	}
	pr->status = ST_OK;
}

static void measure_pair(size_t i)
{
	const struct pair *p = &pairs[i];
	struct pair_result *pr = &pair_results[i];
	struct run run;
	struct run_out out;
	int err;

	memset(pr, 0, sizeof(*pr));
	memset(&pt, 0, sizeof(pt));
	pt.p = p;
	if (side_setup(&pt.s[0], p->a, p->kind, pr->reason,
		       sizeof(pr->reason)) < 0 ||
	    side_setup(&pt.s[1], p->b, p->kind, pr->reason,
		       sizeof(pr->reason)) < 0) {
		pr->status = ST_NOT_BUILT;
		return;
	}
	pt.rounds = cfg.pair_rounds;
	pt.block = p->kind == RTT ? (cfg.quick ? 200 : 1000) :
				    (cfg.quick ? 4096 : 16384);
	pt.outer = (struct test){ .name = p->b, .kind = p->kind,
				  .np = 1, .nc = 1,
				  .prepare = paired_prepare,
				  .work = paired_work,
				  .finish = paired_finish };
	init_run(&run, &pt.outer, HEAD_SIZE);
	run.count = pt.block; /* fixed: no worker looks at the clock */
	err = run_one(&run, &out);
	if (err == -ENOTSUP) {
		pr->status = ST_NA;
		snprintf(pr->reason, sizeof(pr->reason), "n/a: %s", run.na);
	} else if (err < 0) {
		die("paired %s/%s: %s", p->a, p->b, strerror(-err));
	} else {
		collect(pr);
	}
	munmap(pt.sh, sizeof(*pt.sh));
	pt.sh = NULL;
}

/* Run every pair whose two sides are selected (64-byte messages). */
void measure_pairs(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < NPAIRS; i++) {
		pair_results[i].status = ST_SKIP;
		if (test_selected(pairs[i].a) && test_selected(pairs[i].b))
			n++;
	}
	if (!n)
		return;
	if (!cfg.quick)
		fprintf(stderr, PROG ": %d B: paired trials, %u pairs x %u rounds\n",
			HEAD_SIZE, n, cfg.pair_rounds);
	for (size_t i = 0; i < NPAIRS; i++)
		if (test_selected(pairs[i].a) && test_selected(pairs[i].b))
			measure_pair(i);
}

/* ---------------------------------------------------------------- */
/* What the rounds say                                              */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The fastest phase probe of the whole run: the machine's fast phase. */
static double fastest_probe(void)
{
	double best = 0;

	for (size_t i = 0; i < NPAIRS; i++) {
		const struct pair_result *pr = &pair_results[i];

		for (unsigned r = 0; pr->status == ST_OK && r < pr->rounds; r++)
			for (int k = 0; k < 2; k++)
				if (pr->probe[r][k] > 0 &&
				    (best == 0 || pr->probe[r][k] < best))
					best = pr->probe[r][k];
	}
	return best;
}

static double median_d(double *v, unsigned n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Was round @r of @pr taken in a slow phase (either probe)? */
static bool round_slow(const struct pair_result *pr, unsigned r, double base)
{
	double probe = pr->probe[r][0] > pr->probe[r][1] ? pr->probe[r][0] :
							  pr->probe[r][1];

	return probe > SLOW_X * base;
}

/* false where the pair did not run */
bool pair_stats(size_t i, struct pair_stats *st)
{
	const struct pair_result *pr = &pair_results[i];
	double fast[MAX_ROUNDS], slow[MAX_ROUNDS], pf[MAX_ROUNDS], ps[MAX_ROUNDS];
	double base = fastest_probe();

	memset(st, 0, sizeof(*st));
	if (pr->status != ST_OK)
		return false;
	for (unsigned r = 0; r < pr->rounds; r++) {
		double x = pr->b[r] > 0 ? pr->a[r] / pr->b[r] : 0;
		double probe = pr->probe[r][0] > pr->probe[r][1] ?
				       pr->probe[r][0] : pr->probe[r][1];

		if (x <= 0)
			continue;
		if (round_slow(pr, r, base)) {
			ps[st->slow] = probe;
			slow[st->slow++] = x;
		} else {
			pf[st->fast] = probe;
			fast[st->fast++] = x;
		}
	}
	st->probe_fast = median_d(pf, st->fast);
	st->probe_slow = median_d(ps, st->slow);
	st->slow_ratio = median_d(slow, st->slow);
	if (st->fast) {
		st->ratio = median_d(fast, st->fast); /* sorts fast[] */
		st->lo = fast[0];
		st->hi = fast[st->fast - 1];
	} else if (st->slow) {
		/* every round slow: the ratio of those, said so */
		st->ratio = st->slow_ratio;
		st->lo = slow[0];
		st->hi = slow[st->slow - 1];
		st->all_slow = true;
	}
	return st->fast + st->slow > 0;
}

/* The paired ratio of a over b, where that pair ran. */
double paired_ratio(const char *a, const char *b, enum kind kind, bool *have)
{
	struct pair_stats st;

	*have = false;
	for (size_t i = 0; i < NPAIRS; i++)
		if (pairs[i].kind == kind && !strcmp(pairs[i].a, a) &&
		    !strcmp(pairs[i].b, b) && pair_stats(i, &st)) {
			*have = true;
			return st.ratio;
		}
	return 0;
}

static const char *figure_of(const struct pair *p)
{
	return p->kind == TPUT ? "msgs/s" : "RTT p50";
}

void print_pairs(FILE *f)
{
	bool any = false;

	for (size_t i = 0; i < NPAIRS; i++)
		any |= pair_results[i].status != ST_SKIP;
	if (!any)
		return;
	fprintf(f, "\n== paired trials, %d-byte messages: a's block over b's, "
		"round by round ==\n", HEAD_SIZE);
	fprintf(f, "%-34s %-8s %6s %4s %8s  %-15s %4s %8s  %s\n", "a / b",
		"figure", "rounds", "fast", "ratio", "spread", "slow",
		"ratio", "probe ns fast/slow");
	for (size_t i = 0; i < NPAIRS; i++) {
		const struct pair_result *pr = &pair_results[i];
		struct pair_stats st;
		char name[64], spread[32], slow[64];

		snprintf(name, sizeof(name), "%s / %s", pairs[i].a, pairs[i].b);
		if (pr->status == ST_SKIP)
			continue;
		if (!pair_stats(i, &st)) {
			fprintf(f, "%-34s %-8s %s\n", name, figure_of(&pairs[i]),
				pr->reason[0] ? pr->reason : "no rounds");
			continue;
		}
		snprintf(spread, sizeof(spread), "%.2f..%.2f", st.lo, st.hi);
		if (st.slow)
			snprintf(slow, sizeof(slow), "%7.2fx  %.0f/%.0f",
				 st.slow_ratio, st.probe_fast, st.probe_slow);
		else
			snprintf(slow, sizeof(slow), "%8s  %.0f/-", "-",
				 st.probe_fast);
		fprintf(f, "%-34s %-8s %6u %4u %7.2fx%s %-15s %4u %s\n", name,
			figure_of(&pairs[i]), pr->rounds, st.fast, st.ratio,
			st.all_slow ? "!" : " ", spread, st.slow, slow);
	}
	fprintf(f, "(ratio: median over the fast-phase rounds; '!': every round "
		"was slow; msgs/s: higher is better for a, RTT: lower)\n");
}

void print_pairs_summary(FILE *f)
{
	for (size_t i = 0; i < NPAIRS; i++) {
		struct pair_stats st;
		char slow[64] = "slow_ratio=na probe_slow_ns=na";

		if (!pair_stats(i, &st))
			continue;
		if (st.slow)
			snprintf(slow, sizeof(slow),
				 "slow_ratio=%.4f probe_slow_ns=%.0f",
				 st.slow_ratio, st.probe_slow);
		fprintf(f, "SUMMARY paired=%s/%s size=%d kind=%s ratio=%.4f "
			"ratio_min=%.4f ratio_max=%.4f rounds=%u fast=%u "
			"slow=%u probe_fast_ns=%.0f %s\n", pairs[i].a,
			pairs[i].b, HEAD_SIZE,
			pairs[i].kind == TPUT ? "throughput" : "rtt", st.ratio,
			st.lo, st.hi, pair_results[i].rounds, st.fast, st.slow,
			st.probe_fast, slow);
	}
}

void json_pairs(struct ujson *j)
{
	ujson_arr(j, "paired");
	for (size_t i = 0; i < NPAIRS; i++) {
		const struct pair_result *pr = &pair_results[i];
		struct pair_stats st;

		if (!pair_stats(i, &st))
			continue;
		ujson_obj(j, NULL);
		ujson_str(j, "a", pairs[i].a);
		ujson_str(j, "b", pairs[i].b);
		ujson_str(j, "kind", pairs[i].kind == TPUT ? "throughput" : "rtt");
		ujson_u64(j, "rounds", pr->rounds);
		ujson_u64(j, "fast", st.fast);
		ujson_u64(j, "slow", st.slow);
		ujson_num(j, "ratio", st.ratio, 4);
		ujson_num(j, "ratio_min", st.lo, 4);
		ujson_num(j, "ratio_max", st.hi, 4);
		ujson_num(j, "slow_ratio", st.slow_ratio, 4);
		ujson_arr(j, "round_ratios");
		for (unsigned r = 0; r < pr->rounds; r++)
			ujson_num(j, NULL, pr->b[r] > 0 ? pr->a[r] / pr->b[r] : 0, 4);
		ujson_end(j);
		ujson_arr(j, "round_slow");
		for (unsigned r = 0; r < pr->rounds; r++)
			ujson_bool(j, NULL, round_slow(pr, r, fastest_probe()));
		ujson_end(j);
		ujson_arr(j, "probe_ns");
		for (unsigned r = 0; r < pr->rounds; r++) {
			ujson_arr(j, NULL);
			ujson_num(j, NULL, pr->probe[r][0], 0);
			ujson_num(j, NULL, pr->probe[r][1], 0);
			ujson_end(j);
		}
		ujson_end(j);
		ujson_end(j);
	}
	ujson_end(j);
}
