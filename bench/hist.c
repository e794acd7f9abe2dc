/*
 * hist.c - the log-linear histogram's reading side: merging, bucket
 * bounds, percentiles (see hist.h for the bucket scheme and its error).
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <string.h>

#include "hist.h"

_Static_assert(HIST_BUCKETS == 3776, "58 octaves of 64, plus 128 exact");

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum = dst->sum + src->sum < dst->sum ? UINT64_MAX :
						    dst->sum + src->sum;
}

uint64_t hist_bucket_low(unsigned idx)
{
	unsigned shift;

	if (idx < HIST_EXACT)
		return idx;
	/* inverse of hist_index: idx = shift * 64 + mantissa, mantissa in
	 * [64, 128), so idx / 64 = shift + 1 */
	shift = idx / HIST_SUB - 1;
	return (uint64_t)(idx % HIST_SUB + HIST_SUB) << shift;
}

uint64_t hist_bucket_high(unsigned idx)
{
	if (idx < HIST_EXACT)
		return idx;
	if (idx + 1 >= HIST_BUCKETS)
		return UINT64_MAX;
	return hist_bucket_low(idx + 1) - 1;
}

uint64_t hist_value_at(const struct hist *h, double pct)
{
	uint64_t ppm, rank, seen = 0, v;

	if (!h->count)
		return 0;
	if (!(pct > 0))
		return h->min;
	if (pct >= 100)
		return h->max;
	/* integer ranks: 99.9 % of 1000 must be rank 999, not 1000 */
	ppm = (uint64_t)llround(pct * 1e4);
	rank = (uint64_t)(((unsigned __int128)ppm * h->count + 999999) /
			  1000000);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen < rank)
			continue;
		v = hist_bucket_low(i);
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max; /* not reached: the counts sum to count */
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0;
}
