/*
 * util.h - what the programs around the library share: one streaming
 * JSON writer and one number parser, for bench/, tests/stress/ and
 * tools/. A convenience library (util/libutil.a) that is never
 * installed; it uses nothing of the library's.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#ifndef SHMRING_UTIL_H
#define SHMRING_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- JSON ----------------------------------------------------------- */

#define UJSON_DEPTH 8

/*
 * A streaming writer. Every value call takes the member's key inside an
 * object and NULL inside an array or at the top. Pretty output puts each
 * member on a line of its own, indented, as "key": value.
 */
struct ujson {
	FILE *f;
	bool pretty;
	int depth;
	bool nonempty[UJSON_DEPTH + 1];
	char closer[UJSON_DEPTH + 1];
};

void ujson_init(struct ujson *j, FILE *f, bool pretty);
void ujson_obj(struct ujson *j, const char *key);
void ujson_arr(struct ujson *j, const char *key);
void ujson_end(struct ujson *j); /* closes the innermost obj/arr */
void ujson_str(struct ujson *j, const char *key, const char *v);
void ujson_u64(struct ujson *j, const char *key, uint64_t v);
void ujson_i64(struct ujson *j, const char *key, int64_t v);
void ujson_dbl(struct ujson *j, const char *key, double v); /* %.3f */
/* a number with @prec decimals (null if not finite) */
void ujson_num(struct ujson *j, const char *key, double v, int prec);
void ujson_bool(struct ujson *j, const char *key, bool v);
void ujson_null(struct ujson *j, const char *key);

/* ---- numbers -------------------------------------------------------- */

/* What a number may carry beyond its decimal digits. */
#define UNUM_BINARY 1u /* 4k, 4K, 4KiB, 4kb: powers of 1024 (k m g t) */
#define UNUM_METRIC 2u /* 500k, 10M, 2G: powers of 1000 */
#define UNUM_EXP 4u    /* 1e6, 1.5e6 (a whole number in the end) */
#define UNUM_OCTAL 8u  /* 0644: read as octal */

/*
 * A whole number in @lo..@hi: 0, or -1 (not a number of that form, or
 * out of range). Never a sign: strtoull would take "-1" as a huge one.
 */
int unum_u64(const char *s, unsigned flags, uint64_t lo, uint64_t hi,
	     uint64_t *out);
/* Seconds (a decimal fraction) in @lo..@hi: 0, or -1. */
int unum_secs(const char *s, double lo, double hi, double *out);

#endif /* SHMRING_UTIL_H */
