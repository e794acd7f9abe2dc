/*
 * json.c - the one JSON writer of the programs around the library: a
 * streaming writer with nesting, escaping and, optionally, indentation.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"


void ujson_init(struct ujson *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

static void json_indent(struct ujson *j, int depth)
{
	fputc('\n', j->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", j->f);
}

/*
 * A string as JSON wants it: UTF-8, quotes and control bytes escaped.
 * Names in /dev/shm are arbitrary bytes; a byte that does not start a
 * valid UTF-8 sequence is taken as Latin-1 so that the output always
 * parses.
 */
static void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		unsigned char c = *p;
		int len = 0;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			p++;
			continue;
		}
		if (c < 0x80) {
			fputc(c, f);
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		int ok = len > 0;
		for (int i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		/* Overlong forms, surrogates and code points past U+10FFFF. */
		if (ok && len == 3)
			ok = !(c == 0xe0 && p[1] < 0xa0) &&
			     !(c == 0xed && p[1] >= 0xa0);
		if (ok && len == 4)
			ok = !(c == 0xf0 && p[1] < 0x90) &&
			     !(c == 0xf4 && p[1] >= 0x90);
		if (ok) {
			fwrite(p, 1, (size_t)len, f);
			p += len;
		} else {
			fprintf(f, "\\u%04x", c);
			p++;
		}
	}
	fputc('"', f);
}

/* Separator, indentation and key before a value. */
static void json_member(struct ujson *j, const char *key)
{
	if (j->nonempty[j->depth])
		fputc(',', j->f);
	j->nonempty[j->depth] = true;
	if (j->pretty && j->depth > 0)
		json_indent(j, j->depth);
	if (key) {
		json_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void json_open(struct ujson *j, const char *key, char c)
{
	json_member(j, key);
	fputc(c, j->f);
	/* Deeper nesting than the writer knows is a bug of the caller. */
	if (j->depth == UJSON_DEPTH)
		abort();
	j->depth++;
	j->nonempty[j->depth] = false;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

void ujson_obj(struct ujson *j, const char *key)
{
	json_open(j, key, '{');
}

void ujson_arr(struct ujson *j, const char *key)
{
	json_open(j, key, '[');
}

static void json_close(struct ujson *j)
{
	char c = j->closer[j->depth];

	if (j->pretty && j->nonempty[j->depth])
		json_indent(j, j->depth - 1);
	fputc(c, j->f);
	j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

void ujson_end(struct ujson *j)
{
	if (j->depth > 0)
		json_close(j);
}

void ujson_str(struct ujson *j, const char *key, const char *v)
{
	json_member(j, key);
	if (v)
		json_string(j->f, v);
	else
		fputs("null", j->f);
}

void ujson_u64(struct ujson *j, const char *key, uint64_t v)
{
	json_member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void ujson_i64(struct ujson *j, const char *key, int64_t v)
{
	json_member(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void ujson_dbl(struct ujson *j, const char *key, double v)
{
	json_member(j, key);
	/* JSON has no NaN or infinity. */
	if (isfinite(v))
		fprintf(j->f, "%.3f", v);
	else
		fputs("null", j->f);
}

void ujson_bool(struct ujson *j, const char *key, bool v)
{
	json_member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void ujson_null(struct ujson *j, const char *key)
{
	json_member(j, key);
	fputs("null", j->f);
}

void ujson_num(struct ujson *j, const char *key, double v, int prec)
{
	json_member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.*f", prec, v);
	else
		fputs("null", j->f);
}
