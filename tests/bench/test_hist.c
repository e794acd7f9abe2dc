/*
 * test_hist.c - the benchmark's log-linear histogram (bench/hist.c)
 * against known inputs: exact below 128, every bucket's bounds, the
 * documented error (reported value <= true value < reported * 64/63),
 * nearest-rank percentiles, merging, the extremes of uint64_t.
 *
 * A plain program (no test framework), so that it runs wherever the
 * benchmark builds; prints "N passed, N failed" last.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hist.h"

static unsigned passed, failed;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (cond) {                                               \
			passed++;                                         \
		} else {                                                  \
			failed++;                                         \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                              \
			printf("\n");                                     \
		}                                                         \
	} while (0)

/* The true nearest-rank percentile of sorted values. */
static uint64_t true_pct(const uint64_t *v, size_t n, double pct)
{
	uint64_t ppm = (uint64_t)(pct * 1e4 + 0.5);
	size_t rank = (size_t)((ppm * n + 999999) / 1000000);

	return v[rank ? rank - 1 : 0];
}

/* The documented bound: reported <= true, and true - reported < true/64. */
static int within(uint64_t reported, uint64_t truth)
{
	return reported == truth ||
	       (reported < truth && (truth - reported) * 64 < truth);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void test_empty(struct hist *h)
{
	hist_init(h);
	CHECK(h->count == 0, "count %" PRIu64, h->count);
	CHECK(hist_value_at(h, 50) == 0, "p50 of nothing");
	CHECK(hist_mean(h) == 0, "mean of nothing");
}

static void test_exact_small(struct hist *h)
{
	hist_init(h);
	for (uint64_t v = 1; v <= 100; v++)
		hist_record(h, v);
	CHECK(h->min == 1 && h->max == 100, "min %" PRIu64 " max %" PRIu64,
	      h->min, h->max);
	CHECK(hist_value_at(h, 0) == 1, "p0");
	CHECK(hist_value_at(h, 50) == 50, "p50 %" PRIu64, hist_value_at(h, 50));
	CHECK(hist_value_at(h, 90) == 90, "p90 %" PRIu64, hist_value_at(h, 90));
	CHECK(hist_value_at(h, 99) == 99, "p99 %" PRIu64, hist_value_at(h, 99));
	/* rank ceil(99.9) = 100: no floating error may push it to 101 */
	CHECK(hist_value_at(h, 99.9) == 100, "p99.9 %" PRIu64,
	      hist_value_at(h, 99.9));
	CHECK(hist_value_at(h, 100) == 100, "p100");
	CHECK(hist_mean(h) == 50.5, "mean %f", hist_mean(h));
}

/* 1000 samples: p99.9 is rank 999, not 1000 */
static void test_rank(struct hist *h)
{
	hist_init(h);
	for (uint64_t v = 0; v < 1000; v++)
		hist_record(h, v < 999 ? 7 : 100);
	CHECK(hist_value_at(h, 99.9) == 7, "p99.9 %" PRIu64,
	      hist_value_at(h, 99.9));
	CHECK(hist_value_at(h, 99.95) == 100, "p99.95 %" PRIu64,
	      hist_value_at(h, 99.95));
}

static void test_buckets(void)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);

		if (hist_index(lo) != i || hist_index(hi) != i || lo > hi)
			bad++;
		if (i + 1 < HIST_BUCKETS && hist_bucket_low(i + 1) != hi + 1)
			bad++;
		/* width at most 1/64 of the smallest value held */
		if (lo >= HIST_EXACT && (hi - lo + 1) * 64 > lo)
			bad++;
	}
	CHECK(bad == 0, "%u bucket bound errors", bad);
	CHECK(hist_bucket_low(0) == 0, "first bucket");
	CHECK(hist_bucket_high(HIST_BUCKETS - 1) == UINT64_MAX,
	      "last bucket ends at %" PRIu64,
	      hist_bucket_high(HIST_BUCKETS - 1));
	CHECK(hist_index(UINT64_MAX) == HIST_BUCKETS - 1, "UINT64_MAX index");
	CHECK(hist_index(127) == 127 && hist_index(128) == 128, "the seam");
}

static void test_uniform(struct hist *h)
{
	static const double pcts[] = { 1, 10, 50, 90, 99, 99.9, 99.99 };
	const size_t n = 1000000;

	hist_init(h);
	for (uint64_t v = 1; v <= n; v++)
		hist_record(h, v);
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		uint64_t truth = (uint64_t)(pcts[k] * 1e4 + 0.5) * n / 1000000,
			 got = hist_value_at(h, pcts[k]);

		CHECK(within(got, truth), "p%g: %" PRIu64 ", true %" PRIu64,
		      pcts[k], got, truth);
	}
	CHECK(hist_value_at(h, 100) == n, "max exact");
}

static uint64_t rnd_state = 88172645463325252u;

static uint64_t xorshift(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Log-spread random values (1 ns .. about 1 s), against a sort. */
static void test_random(struct hist *h)
{
	static const double pcts[] = { 0, 25, 50, 75, 90, 99, 99.9, 100 };
	const size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));
	unsigned bad = 0;

	if (!v) {
		CHECK(0, "out of memory");
		return;
	}
	hist_init(h);
	for (size_t i = 0; i < n; i++) {
		v[i] = (xorshift() >> (34 + xorshift() % 30)) + 1;
		hist_record(h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	CHECK(h->min == v[0] && h->max == v[n - 1], "min/max exact");
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		uint64_t truth = true_pct(v, n, pcts[k]),
			 got = hist_value_at(h, pcts[k]);

		if (!within(got, truth)) {
			bad++;
			printf("p%g: %" PRIu64 ", true %" PRIu64 "\n", pcts[k],
			       got, truth);
		}
	}
	CHECK(bad == 0, "%u percentiles outside 1/64", bad);
	free(v);
}

/* A latency shape: a tight body and a few far outliers. */
static void test_outliers(struct hist *h)
{
	hist_init(h);
	for (int i = 0; i < 990; i++)
		hist_record(h, 100);
	for (int i = 0; i < 10; i++)
		hist_record(h, 1000000);
	CHECK(hist_value_at(h, 50) == 100, "p50");
	CHECK(hist_value_at(h, 99) == 100, "p99 %" PRIu64, hist_value_at(h, 99));
	CHECK(within(hist_value_at(h, 99.9), 1000000), "p99.9 %" PRIu64,
	      hist_value_at(h, 99.9));
	CHECK(hist_value_at(h, 100) == 1000000, "max");
}

static void test_merge(struct hist *a, struct hist *b, struct hist *all)
{
	unsigned diff = 0;

	hist_init(a);
	hist_init(b);
	hist_init(all);
	for (uint64_t i = 0; i < 50000; i++) {
		uint64_t v = xorshift() >> (40 + i % 20);

		hist_record(i % 3 ? a : b, v);
		hist_record(all, v);
	}
	hist_merge(a, b);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		diff += a->counts[i] != all->counts[i];
	CHECK(diff == 0 && a->count == all->count && a->min == all->min &&
		      a->max == all->max && a->sum == all->sum,
	      "merged differs in %u buckets", diff);
	hist_init(b);
	hist_merge(a, b); /* an empty one changes nothing */
	CHECK(a->count == all->count && a->min == all->min, "merge of empty");
}

static void test_extremes(struct hist *h)
{
	hist_init(h);
	hist_record(h, 0);
	hist_record(h, UINT64_MAX);
	CHECK(h->min == 0 && h->max == UINT64_MAX, "extremes exact");
	CHECK(hist_value_at(h, 50) == 0, "p50 %" PRIu64, hist_value_at(h, 50));
	CHECK(hist_value_at(h, 100) == UINT64_MAX, "p100");
	CHECK(h->sum == UINT64_MAX, "sum saturates");
}

int main(void)
{
	static struct hist h, h2, h3;

	test_empty(&h);
	test_exact_small(&h);
	test_rank(&h);
	test_buckets();
	test_uniform(&h);
	test_random(&h);
	test_outliers(&h);
	test_merge(&h, &h2, &h3);
	test_extremes(&h);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
