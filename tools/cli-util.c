/*
 * cli-util.c - the plumbing every subcommand of the shmring command
 * uses: one-line messages, option parsing, human-readable figures,
 * aligned tables and a JSON writer.
 *
 * Copyright the shmring authors. SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char *cli_cmd = "shmring";

/* ---- messages ------------------------------------------------------- */

void cli_err(const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One write, so that lines of concurrent processes do not mix. */
	if (name) {
		char shown[PATH_MAX + 16];
		fprintf(stderr, "shmring: %s: %s: %s\n", cli_cmd,
			cli_printable(name, shown, sizeof(shown)), msg);
	} else {
		fprintf(stderr, "shmring: %s: %s\n", cli_cmd, msg);
	}
}

void cli_err_ring(const char *name, int err)
{
	cli_err(name, "%s", shmring_strerror(err));
}

int cli_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(cli_cmd, "shmring") == 0)
		fprintf(stderr, "shmring: %s (see 'shmring --help')\n", msg);
	else
		fprintf(stderr, "shmring: %s: %s (see 'shmring %s --help')\n",
			cli_cmd, msg, cli_cmd);
	return CLI_USAGE;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

/* Is @arg ("--name=value") option @val of @longopts, given a value? */
static bool long_with_value(const char *arg, int val,
			    const struct option *longopts)
{
	const char *eq = strchr(arg, '=');

	if (strncmp(arg, "--", 2) || !eq || eq == arg + 2)
		return false;
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == val &&
		    !strncmp(o->name, arg + 2, (size_t)(eq - arg - 2)))
			return true;
	return false;
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char spec[64];
	int c;

	/* A leading ':' makes getopt tell a missing value from an unknown option. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/* getopt has stepped past the offending word. */
	const char *arg = argv[optind - 1];
	bool is_long = !strncmp(arg, "--", 2);
	if (c == ':')
		cli_usage("option '%s' needs a value",
			  is_long ? arg : (char[]){ '-', (char)optopt, 0 });
	else if (optopt == 0) /* a long option getopt does not know */
		cli_usage("unknown option '%s'", arg);
	else if (long_with_value(arg, optopt, longopts))
		cli_usage("option '%.*s' takes no value",
			  (int)(strchr(arg, '=') - arg), arg);
	else
		cli_usage("unknown option '-%c'", optopt);
	return '?';
}

/* ---- parsers -------------------------------------------------------- */

/* The one number parser (util/parse.c), with each option's grammar. */
int cli_parse_size(const char *s, uint64_t *out)
{
	return unum_u64(s, UNUM_BINARY, 0, UINT64_MAX, out);
}

int cli_parse_count(const char *s, uint64_t *out)
{
	return unum_u64(s, 0, 1, UINT64_MAX, out);
}

int cli_parse_secs(const char *s, double *out)
{
	/* A year is more than any wait this tool needs; it also keeps ns in range. */
	return unum_secs(s, 0, 365.0 * 86400, out);
}

int cli_parse_mode(const char *s, unsigned *out)
{
	uint64_t v;

	if (unum_u64(s, UNUM_OCTAL, 0, 07777, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* ---- human-readable figures ----------------------------------------- */

const char *cli_human_size(uint64_t bytes, char *buf)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, CLI_HUMAN, "%" PRIu64 "B", bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, CLI_HUMAN, "%.1f%c", v, units[u]);
	return buf;
}

const char *cli_human_count(double n, char *buf)
{
	static const char units[] = "kMGTPE";
	int u = -1;

	if (n < 1000) {
		snprintf(buf, CLI_HUMAN, "%.0f", n);
		return buf;
	}
	while (n >= 1000 && u < 5) {
		n /= 1000;
		u++;
	}
	snprintf(buf, CLI_HUMAN, "%.1f%c", n, units[u]);
	return buf;
}

const char *cli_human_age(uint64_t secs, char *buf)
{
	if (secs < 120)
		snprintf(buf, CLI_HUMAN, "%" PRIu64 "s", secs);
	else if (secs < 2 * 3600)
		snprintf(buf, CLI_HUMAN, "%" PRIu64 "m", secs / 60);
	else if (secs < 2 * 86400)
		snprintf(buf, CLI_HUMAN, "%" PRIu64 "h", secs / 3600);
	else
		snprintf(buf, CLI_HUMAN, "%" PRIu64 "d", secs / 86400);
	return buf;
}

const char *cli_human_time(uint64_t ns, char *buf)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!ns || !localtime_r(&t, &tm) ||
	    !strftime(buf, CLI_HUMAN, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, CLI_HUMAN, "%s", ns ? "?" : "never");
	return buf;
}

const char *cli_printable(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	for (; *s && i + 1 < n; s++, i++)
		buf[i] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	buf[i] = '\0';
	return buf;
}

const char *cli_kind_name(enum shmring_kind k)
{
	switch (k) {
	case SHMRING_SPSC: return "spsc";
	case SHMRING_MPMC: return "mpmc";
	case SHMRING_BCAST: return "bcast";
	}
	return "?";
}

const char *cli_role_name(int role)
{
	switch (role & (SHMRING_PRODUCER | SHMRING_CONSUMER)) {
	case SHMRING_PRODUCER: return "producer";
	case SHMRING_CONSUMER: return "consumer";
	case SHMRING_PRODUCER | SHMRING_CONSUMER: return "producer+consumer";
	}
	return "none";
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cli_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t cli_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

double cli_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- tables --------------------------------------------------------- */

void cli_table_init(struct cli_table *t, unsigned ncols,
		    const char *const *heads, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->indent = "";
	t->ncols = ncols;
	t->heads = heads;
	t->align = align;
}

int cli_table_add(struct cli_table *t, const char *const *row)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
		if (!cells)
			return -ENOMEM;
		t->cells = cells;
		t->cap = cap;
	}
	char **cell = t->cells + t->nrows * t->ncols;
	for (unsigned c = 0; c < t->ncols; c++) {
		cell[c] = strdup(row[c] ? row[c] : "-");
		if (!cell[c]) {
			while (c--)
				free(cell[c]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

static void table_row(const struct cli_table *t, const char *const *row,
		      const size_t *width, FILE *f)
{
	fputs(t->indent, f);
	for (unsigned c = 0; c < t->ncols; c++) {
		int w = (int)width[c];
		bool last = c + 1 == t->ncols;
		if (t->align[c] == 'r')
			fprintf(f, "%*s", w, row[c]);
		else if (last) /* no trailing blanks */
			fputs(row[c], f);
		else
			fprintf(f, "%-*s", w, row[c]);
		fputs(last ? "\n" : "  ", f);
	}
}

void cli_table_print(const struct cli_table *t, FILE *f)
{
	size_t *width = calloc(t->ncols, sizeof(*width));

	if (!width)
		return;
	for (unsigned c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->heads[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = strlen(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	table_row(t, t->heads, width, f);
	for (size_t r = 0; r < t->nrows; r++)
		table_row(t, (const char *const *)(t->cells + r * t->ncols),
			  width, f);
	free(width);
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
