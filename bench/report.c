/*
 * report.c - what a run prints: the table (one section per message
 * size), CSV and JSON, the project's targets, and one grep-able SUMMARY
 * line per transport. Every ratio is taken against a baseline measured
 * in the same run, at the same size.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "../util/util.h"

static int head_index(void)
{
	for (unsigned i = 0; i < cfg.nsizes; i++)
		if (cfg.sizes[i] == HEAD_SIZE)
			return (int)i;
	return -1;
}

static double mbps(double mps, size_t size)
{
	return mps * (double)size / 1e6;
}

static uint64_t p50_of(const struct result *r)
{
	return r && r->hist ? hist_value_at(r->hist, 50) : 0;
}

static double tput_x_pipe(const struct result *r, unsigned si)
{
	const struct result *p = find_result("pipe", TPUT, si);

	return p && p->mps > 0 ? r->mps / p->mps : 0;
}

static double rtt_x_pipe(const struct result *r, unsigned si)
{
	const struct result *p = find_result("pipe", RTT, si);
	uint64_t mine = p50_of(r);

	return p && mine ? (double)p50_of(p) / (double)mine : 0;
}

static void print_si(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

/* A ratio to pipe with 2 decimals, or @none where pipe did not run */
static const char *ratio_str(char *buf, size_t len, double x,
			     const char *none)
{
	if (x > 0)
		snprintf(buf, len, "%.2f", x);
	else
		snprintf(buf, len, "%s", none);
	return buf;
}

/* "12.3x", or "-" where pipe did not run at this size */
static const char *x_str(char *buf, size_t len, double x)
{
	if (x > 0)
		snprintf(buf, len, "%.1fx", x);
	else
		snprintf(buf, len, "-");
	return buf;
}

static const char *status_word(enum status s)
{
	switch (s) {
	case ST_OK:
		return "ok";
	case ST_NOT_BUILT:
		return "not-built";
	case ST_NA:
		return "n/a";
	case ST_FAILED:
		return "failed";
	case ST_SKIP:
		break;
	}
	return "skipped";
}

/* ---------------------------------------------------------------- */
/* Targets                                                          */

static double ratio_tput(const char *a, const char *b, int si, bool *have)
{
	const struct result *x, *y;

	if (si < 0)
		return 0;
	x = find_result(a, TPUT, (unsigned)si);
	y = find_result(b, TPUT, (unsigned)si);
	*have = x && y && y->mps > 0;
	return *have ? x->mps / y->mps : 0;
}

static double ratio_rtt(const char *a, const char *b, int si, bool *have)
{
	const struct result *x, *y;

	if (si < 0)
		return 0;
	x = find_result(a, RTT, (unsigned)si);
	y = find_result(b, RTT, (unsigned)si);
	*have = x && y && p50_of(y) > 0;
	return *have ? (double)p50_of(x) / (double)p50_of(y) : 0;
}

/* A one-to-one target: its paired ratio where the pair ran. */
static void pair_target(struct target *t, const char *a, const char *b,
			enum kind kind, int si)
{
	t->got = paired_ratio(a, b, kind, &t->have);
	t->paired = t->have;
	if (!t->have)
		t->got = kind == TPUT ? ratio_tput(a, b, si, &t->have) :
					ratio_rtt(a, b, si, &t->have);
}

static int size_index(size_t size)
{
	for (unsigned i = 0; i < cfg.nsizes; i++)
		if (cfg.sizes[i] == size)
			return (int)i;
	return -1;
}

/* The zero-copy sweep: one transport at two sizes, or against memcpy. */
static void sweep_targets(struct target *tg)
{
	int big = size_index(65536), head = head_index();
	const struct result *x, *y;

	tg[0].what = "zero-copy RTT p50, one word: 64 KiB vs 64 B";
	tg[0].want = 2.0;
	tg[0].le = true;
	x = big < 0 ? NULL : find_result("shmring-zc-word", RTT, (unsigned)big);
	y = head < 0 ? NULL : find_result("shmring-zc-word", RTT, (unsigned)head);
	tg[0].have = x && y && p50_of(y) > 0;
	tg[0].got = tg[0].have ? (double)p50_of(x) / (double)p50_of(y) : 0;
	tg[1].what = "copy API at 64 KiB vs memcpy of 64 KiB";
	tg[1].want = 0.5;
	tg[1].got = ratio_tput("shmring", "memcpy", big, &tg[1].have);
}

/* The rings people run (issue 15): paired where one-to-one. */
static void peer_targets(struct target *tg, int si)
{
	tg[0].what = "SPSC bursts vs DPDK rte_ring bursts";
	tg[0].want = 1.0;
	pair_target(&tg[0], "shmring-burst", "dpdk-spsc-burst", TPUT, si);
	tg[1].what = "SPSC streaming vs DPDK rte_ring SP/SC";
	tg[1].want = 2.0;
	pair_target(&tg[1], "shmring", "dpdk-spsc", TPUT, si);
	tg[2].what = "SPSC streaming vs ck_ring SPSC";
	tg[2].want = 2.0;
	pair_target(&tg[2], "shmring", "ck-spsc", TPUT, si);
	tg[3].what = "SPSC spin RTT p50 vs bare 64-B slot ring";
	tg[3].want = 1.25;
	tg[3].le = true;
	pair_target(&tg[3], "shmring", "raw-ring", RTT, si);
	tg[4].what = "MPMC 2P2C vs DPDK rte_ring MP/MC RTS 2P2C";
	tg[4].want = 2.0;
	tg[4].got = ratio_tput("mpmc-2p2c", "dpdk-mpmc-2p2c-rts", si,
			       &tg[4].have);
	sweep_targets(tg + 5);
}

void targets(struct target *tg)
{
	int si = head_index();

	memset(tg, 0, NTARGETS * sizeof(*tg));
	tg[0].what = "SPSC streaming vs pipe, msgs/s";
	tg[0].want = 25;
	tg[0].got = ratio_tput("shmring", "pipe", si, &tg[0].have);
	tg[0].burst = ratio_tput("shmring-burst", "pipe", si, &tg[0].have_burst);
	tg[1].what = "SPSC streaming vs raw ring, msgs/s";
	tg[1].want = 0.70;
	pair_target(&tg[1], "shmring", "raw-ring", TPUT, si);
	tg[2].what = "SPSC spin RTT p50 vs cache-line ping-pong";
	tg[2].want = 1.5;
	tg[2].le = true;
	pair_target(&tg[2], "shmring", "raw-line", RTT, si);
	tg[3].what = "SPSC blocking RTT p50 vs pipe";
	tg[3].want = 1.0;
	tg[3].le = true;
	tg[3].got = ratio_rtt("shmring-block", "pipe", si, &tg[3].have);
	tg[4].what = "SPSC streaming vs Boost message_queue";
	tg[4].want = 20;
	tg[4].got = ratio_tput("shmring", "boost-mq", si, &tg[4].have);
	tg[4].burst = ratio_tput("shmring-burst", "boost-mq", si,
				 &tg[4].have_burst);
	tg[5].what = "SPSC streaming vs ZeroMQ ipc";
	tg[5].want = 20;
	tg[5].got = ratio_tput("shmring", "zmq-ipc", si, &tg[5].have);
	tg[5].burst = ratio_tput("shmring-burst", "zmq-ipc", si,
				 &tg[5].have_burst);
	tg[6].what = "MPMC 2P2C vs datagram socketpair 2P2C";
	tg[6].want = 10;
	tg[6].got = ratio_tput("mpmc-2p2c", "dgram-2p2c", si, &tg[6].have);
	peer_targets(tg + 7, si);
}

bool target_met(const struct target *t)
{
	return t->le ? t->got <= t->want : t->got >= t->want;
}

/* ---------------------------------------------------------------- */
/* Table                                                            */

static void print_header(FILE *f)
{
	fprintf(f, PROG ": %s, %ld CPUs online (%d usable), %s %s\n",
		mach.cpu_model, mach.online, mach.usable, mach.kernel,
		mach.arch);
	if (single_cpu)
		fprintf(f, "one usable CPU: every process shares it, spins yield\n");
	else
		fprintf(f, "each process pinned to a CPU of its own (CPUs %d, "
			"%d, ...) where they fit; '*': more processes than "
			"CPUs, unpinned\n", mach.cpus[0], mach.cpus[1]);
	fprintf(f, "clock_gettime %" PRIu64 " ns; load average %s at start, "
		"%s at end\n", mach.clock_ns, mach.load_start, mach.load_end);
	if (cfg.messages)
		fprintf(f, "per transport and size: a warm-up run, then %u "
			"trials of %" PRIu64 " messages", cfg.trials,
			cfg.messages);
	else
		fprintf(f, "per transport and size: a warm-up run, then %u "
			"trials of %.2f s", cfg.trials, cfg.trial_s);
	if (cfg.round_trips)
		fprintf(f, " (round trips: %" PRIu64 " each)", cfg.round_trips);
	else
		fprintf(f, " (round trips: %.2f s after a %.2f s lead-in)",
			cfg.rtt_s, cfg.warm_s);
	fprintf(f, ",\nround-robin over the transports; median trial, "
		"spread min..max%s\n",
		cfg.quick ? " (--quick: figures are rough)" : "");
	fprintf(f, "x pipe: how many times better than pipe at the same size "
		"(higher is better);\nCPU s/M: CPU seconds of all processes per "
		"million messages or round trips\n");
}

static void print_tput_table(FILE *f, unsigned si)
{
	bool any = false;
	char a[32], b[32], x[32];

	for (size_t i = 0; i < ntests; i++)
		any |= tests[i].kind == TPUT && results[i][si].status != ST_SKIP;
	if (!any)
		return;
	fprintf(f, "\n== %zu-byte messages: streaming ==\n", cfg.sizes[si]);
	fprintf(f, "%-21s %12s %9s %8s  %-17s %7s  %s\n", "transport",
		"msgs/s", "MB/s", "x pipe", "spread msgs/s", "CPU s/M", "how");
	for (size_t i = 0; i < ntests; i++) {
		const struct result *r = &results[i][si];
		char name[40];

		if (tests[i].kind != TPUT || r->status == ST_SKIP)
			continue;
		snprintf(name, sizeof(name), "%s%s", tests[i].name,
			 r->status == ST_OK && !r->pinned && !single_cpu ?
				 "*" : "");
		if (r->status != ST_OK) {
			fprintf(f, "%-21s %s\n", name, r->reason);
			continue;
		}
		print_si(a, sizeof(a), r->mps_min);
		print_si(b, sizeof(b), r->mps_max);
		fprintf(f, "%-21s %12.0f %9.1f %8s  %7s..%-8s %7.3f  %s\n",
			name, r->mps, mbps(r->mps, cfg.sizes[si]),
			x_str(x, sizeof(x), tput_x_pipe(r, si)), a, b,
			cpu_per_million(r), tests[i].what);
	}
}

static void print_rtt_table(FILE *f, unsigned si)
{
	bool any = false;

	for (size_t i = 0; i < ntests; i++)
		any |= tests[i].kind == RTT && results[i][si].status != ST_SKIP;
	if (!any)
		return;
	fprintf(f, "\n== %zu-byte messages: round trip, ns ==\n", cfg.sizes[si]);
	fprintf(f, "%-18s %7s %7s %7s %8s %8s %9s %7s  %-15s %7s  %s\n",
		"transport", "min", "p50", "p90", "p99", "p99.9", "max",
		"x pipe", "p50 spread", "CPU s/M", "how");
	for (size_t i = 0; i < ntests; i++) {
		const struct result *r = &results[i][si];
		const struct hist *h = r->hist;
		char spread[40], x[32];

		if (tests[i].kind != RTT || r->status == ST_SKIP)
			continue;
		if (r->status != ST_OK || !h) {
			fprintf(f, "%-18s %s\n", tests[i].name, r->reason);
			continue;
		}
		snprintf(spread, sizeof(spread), "%" PRIu64 "..%" PRIu64,
			 r->p50_min, r->p50_max);
		fprintf(f, "%-18s %7" PRIu64 " %7" PRIu64 " %7" PRIu64
			" %8" PRIu64 " %8" PRIu64 " %9" PRIu64
			" %7s  %-15s %7.3f  %s\n",
			tests[i].name, h->min, hist_value_at(h, 50),
			hist_value_at(h, 90), hist_value_at(h, 99),
			hist_value_at(h, 99.9), h->max,
			x_str(x, sizeof(x), rtt_x_pipe(r, si)), spread,
			cpu_per_million(r), tests[i].what);
	}
}

static void print_targets(FILE *f)
{
	struct target tg[NTARGETS];

	targets(tg);
	fprintf(f, "\n== targets, %d-byte messages ==\n", HEAD_SIZE);
	for (int k = 0; k < NTARGETS; k++) {
		if (!tg[k].have) {
			fprintf(f, "target: %-43s not measured\n", tg[k].what);
			continue;
		}
		fprintf(f, "target: %-43s %-6s %.2fx, want %s %.2fx%s",
			tg[k].what, target_met(&tg[k]) ? "met" : "MISSED",
			tg[k].got, tg[k].le ? "<=" : ">=", tg[k].want,
			tg[k].paired ? ", paired" : "");
		if (tg[k].have_burst)
			fprintf(f, " (with bursts: %.2fx)", tg[k].burst);
		fputc('\n', f);
	}
}

/*
 * What the counters cost: the ratio with / without of the median rounds.
 * For msgs/s a ratio below 1 is a cost, for round trips one above 1;
 * "cost" says it either way: what counting adds to the time a message
 * (a round trip) takes without counters.
 */
static double cost_pct(const struct cost *c)
{
	return (c->kind == TPUT ? 1 / c->ratio - 1 : c->ratio - 1) * 100;
}

static void print_cost(FILE *f)
{
	if (!cost_rounds)
		return;
	fprintf(f, "\n== counters: cost, %d-byte messages ==\n", HEAD_SIZE);
	fprintf(f, "with: %s, the library linked in statically, as it ships;\n"
		"without: %s, the same built with SHMRING_NO_COUNTERS;\n"
		"%u rounds, each runs both (order alternating), a warm-up and "
		"one trial each;\nratio: with / without of the median rounds; "
		"spread: min..max of each round's ratio;\ncost: what counting "
		"adds to the time per message or round trip (+ is slower)\n",
		cfg.cost_on, cfg.cost_off, cost_rounds);
	fprintf(f, "%-34s %11s %11s %7s  %-17s %7s\n", "figure", "with",
		"without", "ratio", "spread", "cost");
	for (int i = 0; i < COST_FIGURES; i++) {
		const struct cost *c = &costs[i];
		char spread[40];

		snprintf(spread, sizeof(spread), "%.4g..%.4g", c->ratio_min,
			 c->ratio_max);
		fprintf(f, "%-34s %11.0f %11.0f %6.3fx  %-17s %+6.1f%%\n",
			c->what, c->on_med, c->off_med, c->ratio, spread,
			cost_pct(c));
	}
}

/* One SUMMARY line per transport, at 64 bytes where it ran there. */
static void print_summary(FILE *f)
{
	int head = head_index();

	fprintf(f, "\n");
	for (size_t i = 0; i < ntests; i++) {
		const struct result *tp = NULL, *rt = NULL;
		enum status st = ST_SKIP;
		bool dup = false;
		char x[32];
		int si = -1;

		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(tests[j].name, tests[i].name);
		if (dup)
			continue;
		/* the size: 64 if it ran there, else the first it ran at */
		for (unsigned s = 0; s < cfg.nsizes; s++) {
			bool ran = false;

			for (size_t j = 0; j < ntests; j++)
				ran |= !strcmp(tests[j].name, tests[i].name) &&
				       results[j][s].status != ST_SKIP;
			if (ran && (si < 0 || (int)s == head))
				si = (int)s;
		}
		if (si < 0)
			continue;
		for (size_t j = 0; j < ntests; j++) {
			const struct result *r = &results[j][si];

			if (strcmp(tests[j].name, tests[i].name) ||
			    r->status == ST_SKIP)
				continue;
			if (st != ST_OK)
				st = r->status;
			if (r->status != ST_OK)
				continue;
			if (tests[j].kind == TPUT)
				tp = r;
			else
				rt = r;
		}
		fprintf(f, "SUMMARY transport=%s size=%zu", tests[i].name,
			cfg.sizes[si]);
		if (tp)
			fprintf(f, " msgs_per_s=%.0f mb_per_s=%.1f x_pipe=%s"
				" cpu_s_per_M_msgs=%.3f", tp->mps,
				mbps(tp->mps, cfg.sizes[si]),
				ratio_str(x, sizeof(x),
					  tput_x_pipe(tp, (unsigned)si), "na"),
				cpu_per_million(tp));
		else
			fprintf(f, " msgs_per_s=na mb_per_s=na x_pipe=na"
				" cpu_s_per_M_msgs=na");
		if (rt)
			fprintf(f, " rtt_p50_ns=%" PRIu64 " rtt_p99_ns=%" PRIu64
				" rtt_p999_ns=%" PRIu64
				" cpu_s_per_M_rtt=%.3f", p50_of(rt),
				hist_value_at(rt->hist, 99),
				hist_value_at(rt->hist, 99.9),
				cpu_per_million(rt));
		else
			fprintf(f, " rtt_p50_ns=na rtt_p99_ns=na rtt_p999_ns=na"
				" cpu_s_per_M_rtt=na");
		fprintf(f, " status=%s\n", status_word(st));
	}
	for (int i = 0; cost_rounds && i < COST_FIGURES; i++)
		fprintf(f, "SUMMARY counters=%s size=%d with=%.0f without=%.0f "
			"ratio=%.4f ratio_min=%.4f ratio_max=%.4f "
			"cost_pct=%.2f rounds=%u\n", costs[i].key, HEAD_SIZE,
			costs[i].on_med, costs[i].off_med, costs[i].ratio,
			costs[i].ratio_min, costs[i].ratio_max,
			cost_pct(&costs[i]), cost_rounds);
}

static void print_table(FILE *f)
{
	print_header(f);
	for (unsigned si = 0; si < cfg.nsizes; si++) {
		print_tput_table(f, si);
		print_rtt_table(f, si);
	}
	print_pairs(f);
	print_targets(f);
	print_cost(f);
	print_summary(f);
	print_pairs_summary(f);
}

/* ---------------------------------------------------------------- */
/* CSV and JSON                                                     */

static void print_csv(FILE *f)
{
	fprintf(f, "kind,transport,size,count,msgs_per_s,msgs_per_s_min,"
		"msgs_per_s_max,mb_per_s,rtt_min_ns,rtt_p50_ns,rtt_p99_ns,"
		"rtt_p999_ns,rtt_max_ns,x_pipe,rtt_p90_ns,rtt_p50_min_ns,"
		"rtt_p50_max_ns,cpu_s_per_M,status,pinned\n");
	for (unsigned si = 0; si < cfg.nsizes; si++) {
		for (size_t i = 0; i < ntests; i++) {
			const struct result *r = &results[i][si];
			const struct hist *h = r->hist;
			size_t size = cfg.sizes[si];
			char x[32];

			if (r->status == ST_SKIP)
				continue;
			if (r->status != ST_OK) {
				fprintf(f, "%s,%s,%zu,,,,,,,,,,,,,,,,%s,\n",
					tests[i].kind == TPUT ? "throughput" :
								"rtt",
					tests[i].name, size,
					status_word(r->status));
				continue;
			}
			if (tests[i].kind == TPUT)
				fprintf(f, "throughput,%s,%zu,%" PRIu64
					",%.0f,%.0f,%.0f,%.1f,,,,,,%s,,,,"
					"%.4f,ok,%d\n", tests[i].name, size,
					r->messages, r->mps, r->mps_min,
					r->mps_max, mbps(r->mps, size),
					ratio_str(x, sizeof(x),
						  tput_x_pipe(r, si), ""),
					cpu_per_million(r), r->pinned);
			else
				fprintf(f, "rtt,%s,%zu,%" PRIu64 ",,,,,%" PRIu64
					",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					",%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64
					",%" PRIu64 ",%.4f,ok,%d\n",
					tests[i].name, size, h->count, h->min,
					hist_value_at(h, 50),
					hist_value_at(h, 99),
					hist_value_at(h, 99.9), h->max,
					ratio_str(x, sizeof(x),
						  rtt_x_pipe(r, si), ""),
					hist_value_at(h, 90),
					r->p50_min, r->p50_max,
					cpu_per_million(r), r->pinned);
		}
	}
}

/* One row of "throughput" or "rtt": what every row has. */
static void json_common(struct ujson *j, size_t i, unsigned si)
{
	const struct result *r = &results[i][si];

	ujson_obj(j, NULL);
	ujson_str(j, "transport", tests[i].name);
	ujson_u64(j, "size", cfg.sizes[si]);
	ujson_str(j, "status", status_word(r->status));
	if (r->status != ST_OK)
		ujson_str(j, "reason", r->reason);
}

/* A ratio to pipe, or null where pipe did not run at this size. */
static void json_x_pipe(struct ujson *j, double x)
{
	if (x > 0)
		ujson_num(j, "x_pipe", x, 2);
	else
		ujson_null(j, "x_pipe");
}

static void json_machine(struct ujson *j)
{
	time_t now = time(NULL);
	struct tm tm;
	char date[32] = "unknown";

	/* when the run ended, for captions (plot.sh) */
	if (gmtime_r(&now, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ujson_str(j, "date", date);
	ujson_obj(j, "machine");
	ujson_str(j, "cpu", mach.cpu_model);
	ujson_i64(j, "cpus_online", mach.online);
	ujson_i64(j, "cpus_usable", mach.usable);
	ujson_str(j, "kernel", mach.kernel);
	ujson_str(j, "arch", mach.arch);
	ujson_bool(j, "pinned", !single_cpu);
	ujson_u64(j, "clock_gettime_ns", mach.clock_ns);
	ujson_str(j, "loadavg_start", mach.load_start);
	ujson_str(j, "loadavg_end", mach.load_end);
	ujson_end(j);
	ujson_obj(j, "config");
	ujson_arr(j, "sizes");
	for (unsigned si = 0; si < cfg.nsizes; si++)
		ujson_u64(j, NULL, cfg.sizes[si]);
	ujson_end(j);
	ujson_u64(j, "trials", cfg.trials);
	ujson_num(j, "trial_s", cfg.trial_s, 3);
	ujson_num(j, "rtt_trial_s", cfg.rtt_s, 3);
	ujson_u64(j, "messages", cfg.messages);
	ujson_u64(j, "round_trips", cfg.round_trips);
	ujson_bool(j, "quick", cfg.quick);
	ujson_bool(j, "full", cfg.full);
	ujson_end(j);
}

static void json_tput(struct ujson *j, size_t i, unsigned si)
{
	const struct result *r = &results[i][si];

	json_common(j, i, si);
	if (r->status == ST_OK) {
		ujson_num(j, "msgs_per_s", r->mps, 0);
		ujson_num(j, "msgs_per_s_min", r->mps_min, 0);
		ujson_num(j, "msgs_per_s_max", r->mps_max, 0);
		ujson_num(j, "mb_per_s", mbps(r->mps, cfg.sizes[si]), 1);
		ujson_u64(j, "messages", r->messages);
		json_x_pipe(j, tput_x_pipe(r, si));
		ujson_num(j, "cpu_s_per_M", cpu_per_million(r), 4);
		ujson_bool(j, "pinned", r->pinned);
	}
	ujson_end(j);
}

static void json_rtt(struct ujson *j, size_t i, unsigned si)
{
	const struct result *r = &results[i][si];
	const struct hist *h = r->hist;

	json_common(j, i, si);
	if (r->status == ST_OK && h) {
		ujson_u64(j, "min_ns", h->min);
		ujson_u64(j, "p50_ns", hist_value_at(h, 50));
		ujson_u64(j, "p90_ns", hist_value_at(h, 90));
		ujson_u64(j, "p99_ns", hist_value_at(h, 99));
		ujson_u64(j, "p999_ns", hist_value_at(h, 99.9));
		ujson_u64(j, "max_ns", h->max);
		ujson_num(j, "mean_ns", hist_mean(h), 1);
		ujson_u64(j, "p50_min_ns", r->p50_min);
		ujson_u64(j, "p50_max_ns", r->p50_max);
		ujson_u64(j, "samples", h->count);
		json_x_pipe(j, rtt_x_pipe(r, si));
		ujson_num(j, "cpu_s_per_M", cpu_per_million(r), 4);
		ujson_bool(j, "pinned", r->pinned);
	}
	ujson_end(j);
}

/* Every row of one kind, size by size. */
static void json_results(struct ujson *j, enum kind kind)
{
	ujson_arr(j, kind == TPUT ? "throughput" : "rtt");
	for (unsigned si = 0; si < cfg.nsizes; si++) {
		for (size_t i = 0; i < ntests; i++) {
			if (tests[i].kind != kind ||
			    results[i][si].status == ST_SKIP)
				continue;
			if (kind == TPUT)
				json_tput(j, i, si);
			else
				json_rtt(j, i, si);
		}
	}
	ujson_end(j);
}

static void json_targets(struct ujson *j)
{
	struct target tg[NTARGETS];
	char want[32];

	targets(tg);
	ujson_arr(j, "targets");
	for (int k = 0; k < NTARGETS; k++) {
		ujson_obj(j, NULL);
		ujson_str(j, "what", tg[k].what);
		ujson_bool(j, "measured", tg[k].have);
		if (tg[k].have) {
			snprintf(want, sizeof(want), "%s %.2f",
				 tg[k].le ? "<=" : ">=", tg[k].want);
			ujson_num(j, "ratio", tg[k].got, 3);
			ujson_str(j, "want", want);
			ujson_bool(j, "met", target_met(&tg[k]));
			ujson_bool(j, "paired", tg[k].paired);
		}
		if (tg[k].have_burst)
			ujson_num(j, "ratio_with_bursts", tg[k].burst, 3);
		ujson_end(j);
	}
	ujson_end(j);
}

static void json_cost(struct ujson *j)
{
	if (!cost_rounds)
		return;
	ujson_obj(j, "counters_cost");
	ujson_str(j, "with", cfg.cost_on);
	ujson_str(j, "without", cfg.cost_off);
	ujson_i64(j, "size", HEAD_SIZE);
	ujson_u64(j, "rounds", cost_rounds);
	ujson_arr(j, "figures");
	for (int i = 0; i < COST_FIGURES; i++) {
		const struct cost *c = &costs[i];

		ujson_obj(j, NULL);
		ujson_str(j, "figure", c->key);
		ujson_str(j, "what", c->what);
		ujson_num(j, "with", c->on_med, 0);
		ujson_num(j, "without", c->off_med, 0);
		ujson_num(j, "ratio", c->ratio, 4);
		ujson_num(j, "ratio_min", c->ratio_min, 4);
		ujson_num(j, "ratio_max", c->ratio_max, 4);
		ujson_num(j, "cost_pct", cost_pct(c), 2);
		ujson_end(j);
	}
	ujson_end(j);
	ujson_end(j);
}

/* The JSON, through the writer bench/, tools/ and tests/ share. */
static void print_json(FILE *f)
{
	struct ujson j;

	ujson_init(&j, f, true);
	ujson_obj(&j, NULL);
	json_machine(&j);
	json_results(&j, TPUT);
	json_results(&j, RTT);
	json_targets(&j);
	json_pairs(&j);
	json_cost(&j);
	ujson_end(&j);
}

static void write_file(const char *path, void (*fn)(FILE *))
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("%s: %s", path, strerror(errno));
	fn(f);
	if (fflush(f) != 0 || ferror(f)) {
		int err = errno;

		fclose(f);
		die("writing %s: %s", path, strerror(err));
	}
	if (fclose(f) != 0)
		die("writing %s: %s", path, strerror(errno));
}

void report(void)
{
	switch (cfg.out) {
	case OUT_TABLE:
		print_table(stdout);
		break;
	case OUT_CSV:
		print_csv(stdout);
		break;
	case OUT_JSON:
		print_json(stdout);
		break;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));
	if (cfg.csv_out)
		write_file(cfg.csv_out, print_csv);
	if (cfg.json_out)
		write_file(cfg.json_out, print_json);
}
