/*
 * hist.h - a log-linear bucketed histogram of nanosecond figures, in the
 * manner of HdrHistogram, for the benchmark's round-trip latencies.
 *
 * Values below 128 each have a bucket of their own (exact). Above, every
 * power of two [2^e, 2^(e+1)) is cut into 64 equal buckets, so a bucket is
 * never wider than 1/64 of the smallest value it holds. A percentile is
 * reported as the lower bound of the bucket it falls in (clamped to the
 * exact minimum and maximum), hence:
 *
 *     true value * (1 - 1/64) < reported value <= true value
 *
 * a relative error under 1.6 %, always downwards. The whole uint64_t range
 * fits in HIST_BUCKETS counters (about 30 KB); recording is a count of
 * leading zeros, a shift and an increment, cheap enough for every sample.
 * The struct has no pointers, so it may live in shared memory and be
 * filled by one process and read by another.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)              /* buckets per octave */
#define HIST_EXACT (2u * HIST_SUB)                  /* below: one per value */
#define HIST_BUCKETS ((64u - HIST_SUB_BITS) * HIST_SUB + HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t min, max; /* exact; min is UINT64_MAX while empty */
	uint64_t sum;      /* for the mean; saturates rather than wraps */
	uint64_t counts[HIST_BUCKETS];
};

/* Bucket of value v. */
static inline unsigned hist_index(uint64_t v)
{
	unsigned shift;

	if (v < HIST_EXACT)
		return (unsigned)v;
	/* v >= 128, so the top bit is at 7 or above and shift >= 1 */
	shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
	/* v >> shift is in [64, 128): the octave's 64 buckets */
	return shift * HIST_SUB + (unsigned)(v >> shift);
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum = h->sum + v < h->sum ? UINT64_MAX : h->sum + v;
}

void hist_init(struct hist *h);
/* Add every sample of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);
/* Smallest value bucket idx holds. */
uint64_t hist_bucket_low(unsigned idx);
/* Largest value bucket idx holds. */
uint64_t hist_bucket_high(unsigned idx);
/*
 * Nearest-rank percentile, pct in [0, 100] (resolved to 1e-4 %): the
 * value below or at which pct % of the samples lie. 0 on an empty one.
 */
uint64_t hist_value_at(const struct hist *h, double pct);
double hist_mean(const struct hist *h);

#endif /* BENCH_HIST_H */
