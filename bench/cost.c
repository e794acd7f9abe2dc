/*
 * cost.c - the section "counters: cost": what the library's counters
 * (messages and bytes each way, times full and empty, sleeps, each side
 * on its own cache line) cost the fast path.
 *
 * Two builds of this program, alike but for the library linked into
 * them (statically into both, so that neither pays for calls through
 * the PLT that the other does not): bench/shmring-bench-static with the
 * library as it ships, bench/shmring-bench-nocount with the same lib/
 * sources built with SHMRING_NO_COUNTERS (bench/local.mk). Both copies
 * define the same symbols, so each runs as a program of its own,
 * started from here. Each round runs each of them once, the order alternating from
 * round to round so that neither always follows the other onto a warm
 * or a loaded machine: one trial (the configured length, after the
 * usual warm-up) of SPSC and MPMC streaming and spin round trips at 64
 * bytes. Reported: the median round of each, their ratio, and the
 * spread of the ratios taken within each round.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

struct cost costs[COST_FIGURES] = {
#define COST(k, w, t, kd) { .key = (k), .what = (w), .transport = (t), \
			      .kind = (kd) }
	COST("spsc-stream", "SPSC streaming, msgs/s", "shmring", TPUT),
	COST("mpmc-stream", "MPMC 1P1C streaming, msgs/s", "mpmc-1p1c", TPUT),
	COST("spsc-rtt", "SPSC spin round trip p50, ns", "shmring", RTT),
	COST("mpmc-rtt", "MPMC 1P1C spin round trip p50, ns", "mpmc-1p1c", RTT),
#undef COST
};
unsigned cost_rounds;

#define OUT_MAX 16384

/* Ask @prog whether the library linked into it counts: "yes" or "no". */
static void check_counts(const char *prog, const char *want)
{
	const char *argv[] = { prog, "--build-info", NULL };
	char out[1024], key[32];
	int st = run_program(argv, out, sizeof(out), cfg.timeout_s);

	if (st != 0)
		die("%s --build-info: exit status %d", prog, st);
	snprintf(key, sizeof(key), " counters=%s", want);
	if (!strstr(out, key))
		die("%s: its library should %s: --build-info says %s", prog,
		    !strcmp(want, "yes") ? "count" :
		    "not count (built with -DSHMRING_NO_COUNTERS)", out);
}

/* The @n-th comma-separated field of @line, empty ones included; "" past
 * the end of the line. */
static const char *field(const char *line, unsigned n, char *buf, size_t len)
{
	size_t k;

	for (; n; n--) {
		line = strpbrk(line, ",\n");
		if (!line || *line == '\n')
			return "";
		line++;
	}
	k = strcspn(line, ",\n");
	if (k >= len)
		k = len - 1;
	memcpy(buf, line, k);
	buf[k] = '\0';
	return buf;
}

/* One run of @prog: its figures into on[@round] or off[@round]. */
static void one_round(const char *prog, bool on, unsigned round)
{
	char trial_s[32], rtt_s[32], timeout[32], messages[32], rtts[32];
	char size[32];
	const char *argv[32];
	char *out;
	const char *line, *next;
	unsigned a = 0;
	int st;

	snprintf(size, sizeof(size), "%d", HEAD_SIZE);
	snprintf(trial_s, sizeof(trial_s), "%.17g", cfg.trial_s);
	snprintf(rtt_s, sizeof(rtt_s), "%.17g", cfg.rtt_s);
	snprintf(timeout, sizeof(timeout), "%u", cfg.timeout_s);
	argv[a++] = prog;
	argv[a++] = "--transports";
	argv[a++] = "shmring,mpmc-1p1c";
	argv[a++] = "--size";
	argv[a++] = size;
	argv[a++] = "--trials";
	argv[a++] = "1";
	argv[a++] = "--csv";
	argv[a++] = "--no-progress";
	if (cfg.quick)
		argv[a++] = "--quick";
	argv[a++] = "--time";
	argv[a++] = trial_s;
	argv[a++] = "--rtt-time";
	argv[a++] = rtt_s;
	argv[a++] = "--timeout";
	argv[a++] = timeout;
	if (cfg.messages) {
		snprintf(messages, sizeof(messages), "%" PRIu64, cfg.messages);
		argv[a++] = "--messages";
		argv[a++] = messages;
	}
	if (cfg.round_trips) {
		snprintf(rtts, sizeof(rtts), "%" PRIu64, cfg.round_trips);
		argv[a++] = "--round-trips";
		argv[a++] = rtts;
	}
	argv[a] = NULL;

	out = malloc(OUT_MAX);
	if (!out)
		die("out of memory");
	/* four runs and their warm-ups, each bounded by its own watchdog */
	st = run_program(argv, out, OUT_MAX, 8 * cfg.timeout_s + 10);
	if (st != 0)
		die("%s: exit status %d", prog, st);
	for (unsigned i = 0; i < COST_FIGURES; i++) {
		struct cost *c = &costs[i];
		bool found = false;
		char f[6][64];

		for (line = out; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				next++;
			if (strcmp(field(line, 0, f[0], sizeof(f[0])),
				   c->kind == TPUT ? "throughput" : "rtt") ||
			    strcmp(field(line, 1, f[1], sizeof(f[1])),
				   c->transport) ||
			    strcmp(field(line, 18, f[2], sizeof(f[2])), "ok"))
				continue;
			/* msgs_per_s is column 5, rtt_p50_ns column 10 */
			field(line, c->kind == TPUT ? 4 : 9, f[3], sizeof(f[3]));
			(on ? c->on : c->off)[round] = strtod(f[3], NULL);
			found = (on ? c->on : c->off)[round] > 0;
			break;
		}
		if (!found)
			die("%s: no %s figure for %s in its output", prog,
			    c->kind == TPUT ? "streaming" : "round-trip",
			    c->transport);
	}
	free(out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n, double *lo, double *hi)
{
	double w[MAX_TRIALS];

	memcpy(w, v, n * sizeof(w[0]));
	qsort(w, n, sizeof(w[0]), cmp_double);
	if (lo)
		*lo = w[0];
	if (hi)
		*hi = w[n - 1];
	return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

void measure_cost(void)
{
	unsigned n = cfg.trials;

	current_test = "counters: cost";
	check_counts(cfg.cost_on, "yes");
	check_counts(cfg.cost_off, "no");
	if (!show_progress)
		fprintf(stderr, PROG ": %d B: counters: cost, 2 programs x %u "
			"rounds\n", HEAD_SIZE, n);
	for (unsigned k = 0; k < n; k++) {
		/* with first in even rounds, without first in odd ones */
		for (unsigned j = 0; j < 2; j++) {
			bool on = (k + j) % 2 == 0;

			if (show_progress)
				fprintf(stderr, "\r\033[K%d B: counters: cost "
					"%u/%u: %s counters ", HEAD_SIZE, k + 1,
					n, on ? "with" : "without");
			one_round(on ? cfg.cost_on : cfg.cost_off, on, k);
		}
	}
	if (show_progress)
		fprintf(stderr, "\r\033[K");
	for (unsigned i = 0; i < COST_FIGURES; i++) {
		struct cost *c = &costs[i];
		double r[MAX_TRIALS];

		/* the ratio of the medians, as every ratio of the table; the
		 * spread, of each round's own, says how far to trust it */
		for (unsigned k = 0; k < n; k++)
			r[k] = c->on[k] / c->off[k];
		c->n = n;
		c->on_med = median(c->on, n, NULL, NULL);
		c->off_med = median(c->off, n, NULL, NULL);
		c->ratio = c->on_med / c->off_med;
		median(r, n, &c->ratio_min, &c->ratio_max);
	}
	cost_rounds = n;
}
