/*
 * parse.c - the one number parser of the programs around the library:
 * counts, sizes with their suffixes, permission modes, seconds.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "util.h"

/* The suffix at *@end: its multiplier, *@end moved past it; 1 if none. */
static uint64_t suffix(const char **end, unsigned flags)
{
	static const char names[] = "kmgt";
	const char *p = *end;
	int c = tolower((unsigned char)*p);
	uint64_t m = 1;

	for (int i = 0; names[i]; i++) {
		if (c != names[i])
			continue;
		if (!(flags & (UNUM_BINARY | UNUM_METRIC)))
			return 1;
		for (int k = 0; k <= i; k++)
			m *= flags & UNUM_BINARY ? 1024 : 1000;
		p++;
		/* 4k, 4K, 4kb, 4KiB */
		if ((flags & UNUM_BINARY) && (*p == 'i' || *p == 'I'))
			p++;
		if ((flags & UNUM_BINARY) && (*p == 'b' || *p == 'B'))
			p++;
		*end = p;
		break;
	}
	return m;
}

/* Digits only (with a suffix): exact in all 64 bits. */
static int whole(const char *s, unsigned flags, uint64_t *out)
{
	const char *end;
	char *e;
	unsigned long long v;
	uint64_t m;

	errno = 0;
	v = strtoull(s, &e, flags & UNUM_OCTAL ? 8 : 10);
	if (errno || e == s)
		return -1;
	end = e;
	m = suffix(&end, flags);
	if (*end || v > UINT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

/* 1e6, 1.5e6, 1.5M: a double that must come out whole. */
static int scaled(const char *s, unsigned flags, uint64_t *out)
{
	const char *end;
	char *e;
	double v;

	errno = 0;
	v = strtod(s, &e);
	if (errno || e == s || !isfinite(v))
		return -1;
	end = e;
	v *= (double)suffix(&end, flags);
	if (*end || v < 0 || v > 9.2e18 || v != (double)(uint64_t)v)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int unum_u64(const char *s, unsigned flags, uint64_t lo, uint64_t hi,
	     uint64_t *out)
{
	uint64_t v;

	if (!isdigit((unsigned char)*s))
		return -1;
	if ((flags & UNUM_EXP) ? scaled(s, flags, &v) : whole(s, flags, &v))
		return -1;
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int unum_secs(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}
